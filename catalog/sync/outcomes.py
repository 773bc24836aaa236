"""Meta's answers to a run's batches: status checks (on a worker, or here), per-item results
applied once (confirmed products marked synced with the hashes sent, rejections and warnings as
issues), failed batches, and the runs they close."""

from __future__ import annotations

import logging
import time
from datetime import timedelta

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from catalog import services
from catalog.issues import Reported, from_batch_message, record_issues
from catalog.models import CatalogBatch, Product, ProductIssue, SyncRun
from catalog.sync.background import Calls
from catalog.sync.config import Deferred
from catalog.sync.diagnostics import item_checks
from catalog.sync.results import (
    batch_state,
    close_run_if_done,
    lacks_required_fields,
    warning_report,
)
from graph.errors import GraphError, NotFound, RateLimited

log = logging.getLogger(__name__)

Status = SyncRun.Status
Source = ProductIssue.Source

#: The issue sources a batch result reads: its own, and Meta's views it rechecks at once.
BATCH_SOURCES = (Source.BATCH, Source.ITEM_ERRORS, Source.REVIEW)


class BatchResults:
    """The results half of `catalog.sync.engine.Engine` (its attributes are the engine's)."""

    def ask_status(self, waiting: list[CatalogBatch], calls: Calls):
        """Ask (on a worker) the status of the run's oldest batch that is due for a check."""
        now = time.monotonic()
        for batch in waiting:
            if batch.due <= now:
                return batch, calls.submit("get", *self.status_call(batch))
        return None

    def status_call(self, batch: CatalogBatch) -> tuple[str, dict]:
        return f"{self.catalog_id}/check_batch_request_status", {
            "handle": batch.handle, "load_ids_of_invalid_requests": True}

    def settle(self, asked, waiting: list[CatalogBatch], calls: Calls) -> None:
        """Apply the status asked by `ask_status`, write the run's counters and the journal of the
        calls (one transaction)."""
        finished = None
        if asked is not None:
            batch, future = asked
            try:
                answer = calls.result(future)
            except RateLimited as exc:
                self.write_tally()
                self.flush()
                raise Deferred(exc.retry_after or 60, f"Meta throttled the status check ({exc.code}).")
            except NotFound as exc:
                waiting.remove(batch)
                CatalogBatch.objects.filter(pk=batch.pk, status=CatalogBatch.Status.SENT).update(
                    status=CatalogBatch.Status.FAILED, finished_at=timezone.now(), error=str(exc)[:2000])
                answer = None
            data = ((answer or {}).get("data") or [{}])[0]
            status = str(data.get("status") or "").lower()
            state = batch_state(status) if answer is not None else "gone"
            if state == "pending":
                batch.checks += 1
                batch.due = time.monotonic() + min(60, 2 ** min(batch.checks, 6))
            elif state == "failed":
                waiting.remove(batch)
                self.fail(batch, f"Meta could not process the batch ({status}).", data)
            elif state == "done":
                waiting.remove(batch)
                finished = (batch, data)
        with transaction.atomic():
            if finished:
                self.apply(*finished, tally=True)
            else:
                self.write_tally()
            self.flush()

    def poll(self, *, deadline: float, run: SyncRun | None = None) -> int:
        """Check the shop's sent batches until all finished or `deadline` (monotonic) passes."""
        applied, wait = 0, 0.25
        try:
            while True:
                due = CatalogBatch.objects.filter(shop=self.shop, status=CatalogBatch.Status.SENT,
                                                  next_check_at__lte=timezone.now()).order_by("pk")
                for batch in list(due.defer("items")):
                    applied += self.check(batch)
                self.flush()
                if time.monotonic() + wait > deadline:
                    return applied
                pending = CatalogBatch.objects.filter(shop=self.shop, status=CatalogBatch.Status.SENT)
                if run is not None:
                    pending = pending.filter(run=run)
                if not pending.exists():
                    return applied
                time.sleep(wait)
                wait = min(wait * 2, 4.0)
        finally:
            self.flush()

    def check(self, batch: CatalogBatch, *, loaded: bool = False) -> int:
        """Ask Meta the status of a sent batch and apply it when finished (`loaded`: the batch's
        items are read already)."""
        path, params = self.status_call(batch)
        try:
            answer = self.client.get(path, params)
        except RateLimited as exc:
            raise Deferred(exc.retry_after or 60, f"Meta throttled the status check ({exc.code}).")
        except NotFound as exc:
            CatalogBatch.objects.filter(pk=batch.pk, status=CatalogBatch.Status.SENT).update(
                status=CatalogBatch.Status.FAILED, finished_at=timezone.now(), error=str(exc)[:2000])
            batch.status = CatalogBatch.Status.FAILED
            self.close_run(batch.run_id)
            return 0
        data = ((answer or {}).get("data") or [{}])[0]
        status = str(data.get("status") or "").lower()
        state = batch_state(status)
        if state != "pending":
            if not loaded:
                batch = CatalogBatch.objects.get(pk=batch.pk)
            if state == "failed":
                return self.fail(batch, f"Meta could not process the batch ({status}).", data)
            return self.apply(batch, data)
        checks = batch.checks + 1
        CatalogBatch.objects.filter(pk=batch.pk).update(
            checks=checks, next_check_at=timezone.now() + timedelta(seconds=min(60, 2 ** min(checks, 6))))
        return 0

    def close_run(self, run_id: int | None) -> None:
        """A run waiting for Meta ends with its last batch; the run this engine drives ends in `finish`."""
        if run_id and not (self.run is not None and self.run.pk == run_id and self.run.status == Status.RUNNING):
            close_run_if_done(run_id)

    def fail(self, batch: CatalogBatch, message: str, data: dict | None = None) -> int:
        """Meta ended the batch with `error` or `canceled`: nothing is confirmed (its products stay
        dirty and go again); the item errors it did report become issues."""
        with transaction.atomic():
            claimed = CatalogBatch.objects.filter(pk=batch.pk, status=CatalogBatch.Status.SENT).update(
                status=CatalogBatch.Status.FAILED, finished_at=timezone.now(), error=message)
            batch.status = CatalogBatch.Status.FAILED
            if claimed and data:
                errors = self._item_errors(data)
                by_rid = {rid: (pid, slow) for pid, rid, slow, fast in batch.items or [] if pid is not None}
                reports = {by_rid[rid][0]: [from_batch_message(m) for m in messages]
                           for rid, messages in errors.items() if rid in by_rid and messages}
                record_issues(self.shop, Source.BATCH, reports)
                self._resend_in_full(batch, errors)
        self.close_run(batch.run_id)
        return 0

    @staticmethod
    def _item_errors(data: dict) -> dict[str, list[str]]:
        errors: dict[str, list[str]] = {}
        for entry in data.get("errors") or []:
            errors.setdefault(str(entry.get("id") or ""), []).append(str(entry.get("message") or ""))
        return errors

    def _resend_in_full(self, batch: CatalogBatch, errors: dict[str, list[str]]) -> None:
        """Partial (fast) records Meta refused for a missing required field: Meta does not have the
        item (it is no longer "known" to the fast lane), so the next changes run sends the full record."""
        pids = [pid for pid, rid, slow, fast in batch.items or []
                if pid is not None and slow is None and lacks_required_fields(errors.get(rid, []))]
        if pids:
            Product.objects.filter(shop=self.shop, pk__in=pids).update(needs_sync_slow=True, synced_at=None)

    def apply(self, batch: CatalogBatch, data: dict, *, tally: bool = False) -> int:
        """Per-item results: confirmed → synced (one UPDATE); rejected → issues. Applied once.
        `tally`: the batch is this engine's run's, its counts join the run's next UPDATE (written
        here, in the same transaction)."""
        errors = self._item_errors(data)
        warnings: dict[str, list[str]] = {}
        for entry in data.get("warnings") or []:
            warnings.setdefault(str(entry.get("id") or ""), []).append(str(entry.get("message") or ""))
        rejected_ids = set(errors) | {str(i) for i in data.get("ids_of_invalid_requests") or []}
        confirmations, reports, orphans = [], {}, 0
        rejected = 0
        for pid, rid, slow, fast in batch.items:
            if rid in rejected_ids:
                rejected += 1
                if pid is not None:
                    reports[pid] = [from_batch_message(m) for m in errors.get(rid, [])] or [
                        Reported(code="BATCH_REJECTED", message="Meta refused this product.")]
                continue
            if pid is None:
                orphans += 1
                continue
            confirmations.append((pid, slow, fast))
            reports[pid] = [warning_report(m) for m in warnings.get(rid, [])]
        with transaction.atomic(savepoint=False):  # all or nothing, with a caller's transaction too
            claimed = CatalogBatch.objects.filter(pk=batch.pk, status=CatalogBatch.Status.SENT).update(
                status=CatalogBatch.Status.FINISHED, finished_at=timezone.now(), confirmed=len(confirmations),
                rejected=rejected)
            batch.status = CatalogBatch.Status.FINISHED
            if not claimed:
                if tally:
                    self.write_tally()
                return 0
            services.confirm_synced(self.shop, confirmations)
            known = []
            if self.issues_to_record(reports):
                # One read of the products' open issues serves the batch's own and the recheck below.
                known = list(ProductIssue.objects.open().select_for_update().filter(
                    shop=self.shop, source__in=BATCH_SOURCES, product_id__in=list(reports)))
                record_issues(self.shop, Source.BATCH, reports,
                              open_issues=[i for i in known if i.source == Source.BATCH])
            self._resend_in_full(batch, errors)
            if tally:
                counts = self.tally
                counts.confirmed += len(confirmations)
                counts.rejected += rejected
                counts.orphans += orphans
                counts.done += 1
                self.write_tally()
            elif batch.run_id:
                SyncRun.objects.filter(pk=batch.run_id).update(
                    confirmed=F("confirmed") + len(confirmations), rejected=F("rejected") + rejected,
                    orphans_deleted=F("orphans_deleted") + orphans, batches_done=F("batches_done") + 1)
        confirmed = {pid for pid, slow, fast in confirmations}
        recheck = {i.product_id for i in known if i.source != Source.BATCH and i.product_id in confirmed}
        retailer_ids = [rid for pid, rid, slow, fast in batch.items if pid in recheck]
        if retailer_ids:
            # Once the results are committed (a caller's transaction too): no Graph call inside a
            # transaction (it would hold the database's locks while Meta answers), and a recheck
            # that fails leaves the applied results alone.
            transaction.on_commit(lambda: self.recheck(retailer_ids))
        self.close_run(batch.run_id)
        return 1

    def issues_to_record(self, reports: dict) -> bool:
        """Whether a batch's results change any issue: it reports something, or one of its products
        had an open issue of these sources when the run began sending. Those issues come from
        batch results (this run's products ride one batch each) and from the diagnostics; an issue
        the hourly diagnostics open during the run is rechecked by the next ones."""
        if any(reports.values()) or self.issue_products is None:
            return bool(reports)
        return not self.issue_products.isdisjoint(reports)

    def recheck(self, retailer_ids: list[str]) -> None:
        """Products just confirmed that had Meta-side issues: read their errors and review now, so
        a fix clears the issue at once (the hourly diagnostics catch the rest)."""
        if not retailer_ids:
            return
        try:
            item_checks(self.client, self.shop, self.catalog_id, sorted(set(retailer_ids)))
        except GraphError as exc:
            log.warning("catalog sync: the recheck of %d products failed (%s); the hourly diagnostics read them",
                        len(retailer_ids), type(exc).__name__)
