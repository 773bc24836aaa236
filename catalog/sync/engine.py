"""The engine of one run: items_batch sends, batch status polling and per-item results, sets, reconcile."""

from __future__ import annotations

import json
import time
from datetime import timedelta
from urllib.parse import quote_plus

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from catalog import payloads, services
from catalog.issues import Reported, from_batch_message, record_issues
from catalog.models import CatalogBatch, CatalogSync, Product, ProductIssue, ProductSet, SyncRun
from catalog.sync.config import Deferred, poll_seconds, setting, task_seconds
from catalog.sync.diagnostics import item_checks
from catalog.sync.results import (
    batch_state,
    close_run_if_done,
    lacks_required_fields,
    validation_errors,
    warning_report,
)
from catalog.sync.sets import sync_product_set
from catalog.sync.state import budget_wait
from graph.errors import GraphError, NotFound, RateLimited
from kernel import jobs

Kind = SyncRun.Kind
Status = SyncRun.Status
Source = ProductIssue.Source

#: Meta's maximum records per items_batch call and payload size (META_API §2.1).
BATCH_SIZE = 5000


MAX_BATCH_BYTES = 28 * 1024 * 1024


#: Form encoding of the other parameters and the JSON brackets; kept free under the limit.
_BYTES_MARGIN = 64 * 1024


_FAST_ONLY = ("id", "retailer_id", "shop_id", "currency", "price_minor", "sale_price_minor", "sale_starts_at",
              "sale_ends_at", "availability", "quantity_to_sell_on_facebook", "slow_hash", "fast_hash", "deleted_at",
              "status", "synced_at", "needs_sync_slow", "needs_sync_fast")


class Engine:
    def __init__(self, conn, state: CatalogSync, lease: jobs.Lease | None = None):
        from shops.graph import client_for_shop

        self.conn = conn
        self.shop = conn.shop
        self.state = state
        self.lease = lease
        self.catalog_id = conn.catalog_id
        # Transient errors are retried briefly; a throttle longer than that raises RateLimited.
        self.client = client_for_shop(conn, max_wait=float(setting("CATALOG_SYNC_MAX_WAIT", 10)))
        self.deadline = time.monotonic() + task_seconds()

    # --- bookkeeping ---

    def recover(self) -> None:
        """We hold the lease: whatever another worker left half-done is dead. Pending batches were
        never (knowingly) sent; running runs were interrupted."""
        now = timezone.now()
        CatalogBatch.objects.filter(shop=self.shop, status=CatalogBatch.Status.PENDING).update(
            status=CatalogBatch.Status.ABANDONED, finished_at=now,
            error="The worker stopped before Meta's handle was stored; the products were sent again.")
        SyncRun.objects.filter(shop=self.shop, status=Status.RUNNING).update(
            status=Status.INTERRUPTED, finished_at=now, error="The worker stopped during this sync.")

    def open_run(self, kind: str, run_id: int | None, trigger: str, user_id: int | None) -> SyncRun | None:
        if run_id:
            run = SyncRun.objects.filter(pk=run_id, shop=self.shop).first()
            if run is not None and run.status in (Status.DEFERRED, Status.INTERRUPTED, Status.RUNNING):
                SyncRun.objects.filter(pk=run.pk).update(status=Status.RUNNING, resume_at=None, error="")
                run.status = Status.RUNNING
                return run
            if run is not None and run.status == Status.WAITING:
                return None
        CatalogSync.objects.filter(pk=self.state.pk, deferred_until__lte=timezone.now()).update(deferred_until=None)
        total = self.queue(kind).count()
        if kind == Kind.FAST and not total:
            return None
        return SyncRun.objects.create(shop=self.shop, kind=kind, trigger=trigger, total=total,
                                      requested_by_id=user_id)

    def queue(self, kind: str):
        products = Product.objects.filter(shop=self.shop)
        if kind == Kind.FAST:
            return products.needing_fast_sync()
        if kind == Kind.CHANGES:
            return products.filter(Q(needs_sync_slow=True) | Q(needs_sync_fast=True))
        return products.filter(Q(deleted_at__isnull=True) | Q(needs_sync_slow=True))

    def renew(self) -> None:
        """Extend the shop's sync lease (after each batch); `LeaseLost` if another worker took it."""
        if self.lease is not None:
            self.lease.extend()

    # --- phases ---

    def go(self, run: SyncRun) -> None:
        self.poll(deadline=time.monotonic())  # apply what earlier runs left at Meta
        if run.phase == "items":
            if not self.send_items(run):
                self.continue_later(run)
                return
            self.set_phase(run, "sets" if run.kind != Kind.FAST else "poll")
        if run.phase == "sets":
            self.sync_sets(run)
            self.set_phase(run, "reconcile" if run.kind == Kind.FULL else "poll")
        if run.phase == "reconcile":
            self.reconcile(run)
            self.set_phase(run, "poll")
        self.poll(deadline=time.monotonic() + poll_seconds(), run=run)
        self.finish(run)

    def set_phase(self, run: SyncRun, phase: str) -> None:
        run.phase = phase
        SyncRun.objects.filter(pk=run.pk).update(phase=phase)

    def continue_later(self, run: SyncRun) -> None:
        """Out of time for this task: the run goes on in a new one, after its cursor."""
        from django_q.tasks import async_task

        SyncRun.objects.filter(pk=run.pk).update(status=Status.DEFERRED, resume_at=timezone.now())
        run.status = Status.DEFERRED
        transaction.on_commit(lambda: async_task(f"catalog.tasks.sync_{run.kind}", run.shop_id, run.trigger,
                                                 run_id=run.pk, group=f"catalog.sync_{run.kind}"), robust=True)

    def finish(self, run: SyncRun) -> None:
        waiting = CatalogBatch.objects.filter(run=run, status__in=(CatalogBatch.Status.SENT,
                                                                    CatalogBatch.Status.PENDING)).exists()
        now = timezone.now()
        status = Status.WAITING if waiting else Status.SUCCEEDED
        SyncRun.objects.filter(pk=run.pk, status=Status.RUNNING).update(
            status=status, finished_at=None if waiting else now, phase="poll" if waiting else "done")
        run.refresh_from_db()
        if not waiting:
            CatalogSync.objects.filter(pk=self.state.pk).update(**{f"last_{run.kind}_at": now})

    # --- items ---

    def send_items(self, run: SyncRun) -> bool:
        """Send the run's products after its cursor; False when the task ran out of time."""
        inflight = self.inflight_ids()
        fast = run.kind == Kind.FAST
        queue = self.queue(run.kind).order_by("pk")
        if fast:
            queue = queue.only(*_FAST_ONLY)
        while True:
            if time.monotonic() > self.deadline:
                return False
            chunk = list(queue.filter(pk__gt=run.cursor)[:BATCH_SIZE])
            if not chunk:
                return True
            records, items, size = [], [], 0
            last = run.cursor
            for product in chunk:
                if product.pk in inflight:
                    last = product.pk
                    continue
                record = self.record(product, run.kind)
                if record is None:
                    last = product.pk
                    continue
                text = json.dumps(record, separators=(",", ":"), ensure_ascii=False)
                encoded = _encoded_size(text, size)
                if records and size + encoded > MAX_BATCH_BYTES - _BYTES_MARGIN:
                    break
                records.append(text)
                items.append(self.item(product, record))
                size += encoded
                last = product.pk
            if records:
                self.send(run, records, items, size, last)
            else:
                run.cursor = last
                SyncRun.objects.filter(pk=run.pk).update(cursor=last)

    def record(self, product: Product, kind: str) -> dict | None:
        if product.is_deleted:
            if not product.needs_sync_slow:
                return None
            return payloads.delete_request(product)
        full = kind == Kind.FULL or product.synced_at is None or (kind == Kind.CHANGES and product.needs_sync_slow)
        return payloads.item_request(product, fast=not full)

    @staticmethod
    def item(product: Product, record: dict) -> list:
        if record["method"] == "DELETE":
            return [product.pk, product.retailer_id, product.slow_hash, None]
        if set(record["data"]) <= {"id", *payloads.FAST_FIELDS}:
            return [product.pk, product.retailer_id, None, product.fast_hash]
        return [product.pk, product.retailer_id, product.slow_hash, product.fast_hash]

    def inflight_ids(self) -> set[int]:
        """Products in batches Meta has not finished: never sent twice at once."""
        ids: set[int] = set()
        for items in CatalogBatch.objects.filter(shop=self.shop, status=CatalogBatch.Status.SENT) \
                .values_list("items", flat=True):
            ids.update(i[0] for i in items if i[0] is not None)
        return ids

    def budget(self, kind: str) -> None:
        wait = budget_wait(self.conn, kind)
        if wait:
            raise Deferred(wait, "Meta's catalog batch budget is nearly spent; the sync continues later.")

    def send(self, run: SyncRun, records: list[str], items: list, size: int, cursor: int) -> CatalogBatch:
        self.budget(run.kind)
        batch = CatalogBatch.objects.create(shop=self.shop, run=run, items=items, size=len(items), bytes=size)
        payload = "[" + ",".join(records) + "]"
        try:
            answer = self.client.post(f"{self.catalog_id}/items_batch", {
                "item_type": "PRODUCT_ITEM", "allow_upsert": True, "requests": payload}, idempotent=True)
        except RateLimited as exc:
            CatalogBatch.objects.filter(pk=batch.pk).update(status=CatalogBatch.Status.ABANDONED,
                                                            finished_at=timezone.now(), error=str(exc)[:2000])
            raise Deferred(exc.retry_after or 60, f"Meta throttled the batch upload ({exc.code}).")
        except GraphError as exc:
            CatalogBatch.objects.filter(pk=batch.pk).update(status=CatalogBatch.Status.FAILED,
                                                            finished_at=timezone.now(), error=str(exc)[:2000])
            raise
        now = timezone.now()
        handles = (answer or {}).get("handles") or []
        if run.kind == Kind.FAST:
            CatalogSync.objects.filter(pk=self.state.pk).update(last_fast_call_at=now)
        with transaction.atomic():
            CatalogBatch.objects.filter(pk=batch.pk).update(
                status=CatalogBatch.Status.SENT, handle=str(handles[0]) if handles else "", sent_at=now,
                next_check_at=now)
            SyncRun.objects.filter(pk=run.pk).update(cursor=cursor, sent=F("sent") + len(items),
                                                     batches=F("batches") + 1)
            run.cursor = cursor
            if not handles:  # nothing ingested: every record failed validation
                batch.items = items
                self.apply(batch, {"status": "finished", "errors": validation_errors(answer), "warnings": []})
        self.renew()
        return batch

    # --- batch results ---

    def poll(self, *, deadline: float, run: SyncRun | None = None) -> int:
        """Check the shop's sent batches until all finished or `deadline` (monotonic) passes."""
        applied, wait = 0, 0.25
        while True:
            due = CatalogBatch.objects.filter(shop=self.shop, status=CatalogBatch.Status.SENT,
                                              next_check_at__lte=timezone.now()).order_by("pk")
            batches = list(due.defer("items"))
            for batch in batches:
                applied += self.check(batch)
            pending = CatalogBatch.objects.filter(shop=self.shop, status=CatalogBatch.Status.SENT)
            if run is not None:
                pending = pending.filter(run=run)
            if not pending.exists() or time.monotonic() + wait > deadline:
                return applied
            time.sleep(wait)
            wait = min(wait * 2, 4.0)

    def check(self, batch: CatalogBatch) -> int:
        try:
            answer = self.client.get(f"{self.catalog_id}/check_batch_request_status", {
                "handle": batch.handle, "load_ids_of_invalid_requests": True})
        except RateLimited as exc:
            raise Deferred(exc.retry_after or 60, f"Meta throttled the status check ({exc.code}).")
        except NotFound as exc:
            CatalogBatch.objects.filter(pk=batch.pk, status=CatalogBatch.Status.SENT).update(
                status=CatalogBatch.Status.FAILED, finished_at=timezone.now(), error=str(exc)[:2000])
            close_run_if_done(batch.run_id)
            return 0
        data = ((answer or {}).get("data") or [{}])[0]
        status = str(data.get("status") or "").lower()
        state = batch_state(status)
        if state != "pending":
            batch = CatalogBatch.objects.get(pk=batch.pk)
            if state == "failed":
                return self.fail(batch, f"Meta could not process the batch ({status}).", data)
            return self.apply(batch, data)
        checks = batch.checks + 1
        CatalogBatch.objects.filter(pk=batch.pk).update(
            checks=checks, next_check_at=timezone.now() + timedelta(seconds=min(60, 2 ** min(checks, 6))))
        return 0

    def fail(self, batch: CatalogBatch, message: str, data: dict | None = None) -> int:
        """Meta ended the batch with `error` or `canceled`: nothing is confirmed (its products stay
        dirty and go again); the item errors it did report become issues."""
        with transaction.atomic():
            claimed = CatalogBatch.objects.filter(pk=batch.pk, status=CatalogBatch.Status.SENT).update(
                status=CatalogBatch.Status.FAILED, finished_at=timezone.now(), error=message)
            if claimed and data:
                errors = self._item_errors(data)
                by_rid = {rid: (pid, slow) for pid, rid, slow, fast in batch.items or [] if pid is not None}
                reports = {by_rid[rid][0]: [from_batch_message(m) for m in messages]
                           for rid, messages in errors.items() if rid in by_rid and messages}
                record_issues(self.shop, Source.BATCH, reports)
                self._resend_in_full(batch, errors)
        close_run_if_done(batch.run_id)
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

    def apply(self, batch: CatalogBatch, data: dict) -> int:
        """Per-item results: confirmed → synced (one UPDATE); rejected → issues. Applied once."""
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
        with transaction.atomic():
            claimed = CatalogBatch.objects.filter(pk=batch.pk, status=CatalogBatch.Status.SENT).update(
                status=CatalogBatch.Status.FINISHED, finished_at=timezone.now(), confirmed=len(confirmations),
                rejected=rejected)
            if not claimed:
                return 0
            services.confirm_synced(self.shop, confirmations)
            record_issues(self.shop, Source.BATCH, reports)
            self._resend_in_full(batch, errors)
            if batch.run_id:
                SyncRun.objects.filter(pk=batch.run_id).update(
                    confirmed=F("confirmed") + len(confirmations), rejected=F("rejected") + rejected,
                    orphans_deleted=F("orphans_deleted") + orphans, batches_done=F("batches_done") + 1)
        self.recheck([rid for pid, rid, slow, fast in batch.items if pid is not None and rid not in rejected_ids])
        close_run_if_done(batch.run_id)
        return 1

    def recheck(self, retailer_ids: list[str]) -> None:
        """Products just confirmed that had Meta-side issues: read their errors and review now, so
        a fix clears the issue at once (the hourly diagnostics catch the rest)."""
        if not retailer_ids:
            return
        open_ids = list(ProductIssue.objects.open().filter(
            shop=self.shop, source__in=(Source.ITEM_ERRORS, Source.REVIEW), product__retailer_id__in=retailer_ids)
            .values_list("product__retailer_id", flat=True).distinct())
        if open_ids:
            item_checks(self.client, self.shop, self.catalog_id, open_ids)

    # --- product sets ---

    def sync_sets(self, run: SyncRun) -> None:
        sets = ProductSet.objects.filter(shop=self.shop)
        sets = sets.filter(Q(needs_sync=True) | Q(deleted_at__isnull=True)) if run.kind == Kind.FULL else \
            sets.filter(needs_sync=True)
        done = 0
        for product_set in sets.order_by("pk"):
            done += sync_product_set(self.client, self.catalog_id, product_set)
        if done:
            SyncRun.objects.filter(pk=run.pk).update(sets_synced=F("sets_synced") + done)

    # --- reconcile ---

    def reconcile(self, run: SyncRun) -> None:
        """Delete at Meta the items of OUR catalog (the connection's) that no longer exist here.
        A shop that never had a product here leaves its catalog alone."""
        ours = Product.objects.filter(shop=self.shop)
        if not ours.exists():
            return
        keep = set(ours.filter(Q(deleted_at__isnull=True) | Q(needs_sync_slow=True))
                   .values_list("retailer_id", flat=True))
        orphans: list[str] = []
        try:
            for page in self.client.iter_pages(f"{self.catalog_id}/products", {"fields": "retailer_id"},
                                               limit=1000):
                orphans += [str(item["retailer_id"]) for item in page.get("data") or []
                            if item.get("retailer_id") is not None and str(item["retailer_id"]) not in keep]
        except RateLimited as exc:
            raise Deferred(exc.retry_after or 60, f"Meta throttled the catalog listing ({exc.code}).")
        for start in range(0, len(orphans), BATCH_SIZE):
            chunk = orphans[start:start + BATCH_SIZE]
            records = [json.dumps({"method": "DELETE", "data": {"id": rid}}, separators=(",", ":")) for rid in chunk]
            self.send(run, records, [[None, rid, None, None] for rid in chunk],
                      sum(len(quote_plus(r)) + 3 for r in records), run.cursor)


def _encoded_size(text: str, so_far: int) -> int:
    """Bytes this record adds to the form-encoded body, or an upper bound (3 per UTF-8 byte)
    while the batch is far from the limit: exact quoting costs a millisecond per record."""
    bound = 3 * len(text.encode()) + 3
    if so_far + bound <= MAX_BATCH_BYTES - _BYTES_MARGIN:
        return bound
    return len(quote_plus(text)) + 3
