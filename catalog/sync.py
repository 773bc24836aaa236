"""The catalog sync engine: our products to Meta's `items_batch`, batch results back.

Three kinds of run (DESIGN §5, META_API §2.9), one at a time per shop (the lease
`catalog.sync:<shop id>` in `kernel.Lease`, renewed per batch):

- **fast**: price, sale price, availability and inventory of products Meta knows, seconds after
  an edit (coalesced: `request_fast_sync` on commit, a debounce lease, a minimum spacing between
  calls) and every 5 minutes by the sweep;
- **changes** (hourly): every dirty product (new ones and slow changes as full records, the rest
  as fast records), tombstones as DELETE, product sets;
- **full** (daily): every product as a full record, product sets, and removal at Meta of items
  of the shop's catalog that no longer exist here (the catalog's products listed with paging).

Each batch (≤ 5,000 records, ≤ 28 MB form-encoded) is written as a CatalogBatch row with the
hashes sent *before* the call, and gets Meta's handle after it. Products are marked synced only
from `check_batch_request_status` results for that handle: confirmed → `confirm_synced` with the
hashes sent (so a product edited meanwhile stays dirty); rejected → a product issue (source
"batch"). A worker killed anywhere leaves either a pending row (abandoned by the next run: its
products are still dirty and go again) or a sent row (polled and applied later): nothing is
lost and nothing is marked synced that Meta did not confirm.

Meta's batch budget: the fast lane coalesces and spaces its calls (more when the usage headers
show pressure); a throttle (80014/80009, `RateLimited`) or a budget nearly spent pauses the run
(`deferred`) and reschedules it — never a sleep — and the resumed run continues after its cursor,
so confirmed items are not sent again.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import quote_plus

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from catalog import payloads, services
from catalog.issues import Reported, from_batch_message, from_item_errors, record_issues
from catalog.models import CatalogBatch, CatalogSync, Product, ProductIssue, ProductSet, SyncRun
from graph.errors import GraphError, NotFound, RateLimited
from kernel import jobs

log = logging.getLogger(__name__)

Kind = SyncRun.Kind
Status = SyncRun.Status
Source = ProductIssue.Source

#: Meta's maximum records per items_batch call and payload size (META_API §2.1).
BATCH_SIZE = 5000
MAX_BATCH_BYTES = 28 * 1024 * 1024
#: Form encoding of the other parameters and the JSON brackets; kept free under the limit.
_BYTES_MARGIN = 64 * 1024
FINISHED_STATUSES = ("finished",)
FAILED_STATUSES = ("error", "failed", "canceled", "cancelled")
_FAST_ONLY = ("id", "retailer_id", "shop_id", "currency", "price_minor", "sale_price_minor", "sale_starts_at",
              "sale_ends_at", "availability", "quantity_to_sell_on_facebook", "slow_hash", "fast_hash", "deleted_at",
              "status", "synced_at", "needs_sync_slow", "needs_sync_fast")


def _setting(name: str, default):
    return getattr(settings, name, default)


def sync_key(shop_id: int) -> str:
    """The lease that keeps one sync (any kind) of a shop at a time."""
    return f"catalog.sync:{shop_id}"


def fast_key(shop_id: int) -> str:
    """The fast lane's enqueue lease (debounce): edits inside it ride the sync already queued."""
    return f"catalog.fast:{shop_id}"


def is_running(shop_id: int) -> bool:
    """Whether a sync of the shop is running now (some worker holds its lease)."""
    return jobs.is_held(sync_key(shop_id))


def lease_seconds() -> int:
    return int(_setting("CATALOG_SYNC_LEASE_SECONDS", 120))


def poll_seconds() -> float:
    """How long a sync task itself polls its batches before leaving them to the poller."""
    return float(_setting("CATALOG_SYNC_POLL_SECONDS", 20))


def task_seconds() -> float:
    """A run stops sending after this long and continues in a new task (the worker's timeout is 300 s)."""
    return float(_setting("CATALOG_SYNC_TASK_SECONDS", 200))


def fast_debounce_seconds() -> float:
    return float(_setting("CATALOG_FAST_DEBOUNCE_SECONDS", 2))


def fast_spacing_seconds() -> float:
    """Minimum time between two fast-lane calls of a shop (about 120 calls an hour at most)."""
    return float(_setting("CATALOG_FAST_SPACING_SECONDS", 30))


class Deferred(Exception):
    """Meta's budget is spent (or nearly): the run pauses for `seconds`."""

    def __init__(self, seconds: float, reason: str):
        super().__init__(reason)
        self.seconds = max(1.0, float(seconds))


# --- state and requests ---------------------------------------------------------------------------


def create_state(sender=None, shop=None, **kwargs) -> None:
    """`shops.signals.shop_created` receiver: the shop's sync state is created with the shop."""
    CatalogSync.objects.get_or_create(shop=shop)


def state_for(shop_id: int) -> CatalogSync:
    """The shop's sync state (created with the shop; reading it never writes)."""
    return CatalogSync.objects.get(shop_id=shop_id)


def connection_for(shop_id: int):
    """The shop's Meta connection when it can sync (connected, with a catalog), else None."""
    from shops.models import MetaConnection

    conn = MetaConnection.objects.select_related("shop").filter(shop_id=shop_id).first()
    if conn is None or not conn.is_connected or not conn.catalog_id:
        return None
    return conn


def _connected(shop_id: int) -> bool:
    from shops.models import MetaConnection

    return MetaConnection.objects.filter(shop_id=shop_id, status=MetaConnection.Status.CONNECTED) \
        .exclude(catalog_id="").exists()


def request_fast_sync(shop_id: int) -> str:
    """After an edit commits: queue the shop's fast lane, coalescing bursts.

    Every request stamps `fast_requested_at`; only the one that claims the fast lane's debounce
    lease (`fast_key`) enqueues a task (now, or when the spacing since the last fast call
    allows), handing it the lease's owner token: the task gives the lease back when it starts.
    A run that sees requests stamped after it started queues a follow-up, so no edit waits for
    the 5-minute sweep.
    """
    if not _connected(shop_id):
        return "not connected"
    state = state_for(shop_id)
    now = timezone.now()
    CatalogSync.objects.filter(pk=state.pk).update(fast_requested_at=now)
    wait = fast_wait(state, now)
    debounce = jobs.claim(fast_key(shop_id), int(max(fast_debounce_seconds(), wait) + 1))
    if debounce is None:
        return "coalesced"
    from django_q.tasks import async_task

    from graph.tasks import reschedule

    if wait <= 0:
        async_task("catalog.tasks.sync_fast", shop_id, "edit", debounce=debounce.owner, group="catalog.sync_fast")
        return "queued"
    reschedule("catalog.tasks.sync_fast", shop_id, "edit", debounce=debounce.owner, delay=wait)
    return "scheduled"


def fast_wait(state: CatalogSync, now=None) -> float:
    """Seconds before the fast lane may call Meta again (spacing, more under usage pressure)."""
    now = now or timezone.now()
    if state.deferred_until and state.deferred_until > now:
        return (state.deferred_until - now).total_seconds()
    if state.last_fast_call_at is None:
        return 0.0
    spacing = fast_spacing_seconds()
    conn = connection_for(state.shop_id)
    if conn is not None:
        from shops.graph import usage_pressure

        pressure = usage_pressure(conn, "catalog_batch")
        if pressure >= 50:
            spacing *= 4
    return max(0.0, spacing - (now - state.last_fast_call_at).total_seconds())


def on_commit_request_fast_sync(shop_id: int) -> None:
    transaction.on_commit(lambda: request_fast_sync(shop_id), robust=True)


# --- budget --------------------------------------------------------------------------------------


def budget_wait(conn, kind: str) -> float:
    """Seconds to wait before the next batch call, from the last usage Meta reported (0: go).

    A reading with `estimated_time_to_regain_access` holds until that time has passed; a budget
    at 95 % (80 % for the fast lane, which yields to the scheduled syncs) holds for 5 minutes
    after the reading, since Meta's window rolls."""
    from datetime import datetime

    entry = ((conn.usage or {}).get("buc") or {}).get("catalog_batch") or {}
    try:
        at = datetime.fromisoformat(entry["at"])
    except (KeyError, TypeError, ValueError):
        return 0.0
    now = timezone.now()
    eta = float(entry.get("estimated_time_to_regain_access") or 0)
    if eta > 0:
        return max(0.0, (at + timedelta(minutes=eta) - now).total_seconds())
    used = max(float(entry.get(m) or 0) for m in ("call_count", "total_cputime", "total_time"))
    if used >= 95 or (kind == Kind.FAST and used >= 80):
        return max(0.0, (at + timedelta(minutes=5) - now).total_seconds())
    return 0.0


# --- the run -------------------------------------------------------------------------------------


@dataclass
class Outcome:
    status: str
    run_id: int | None = None
    detail: str = ""


def sync_shop(shop_id: int, kind: str, *, run_id: int | None = None, trigger: str = SyncRun.Trigger.SCHEDULE,
              user_id: int | None = None, debounce: str = "") -> Outcome:
    """Run (or resume) one sync of a shop. Safe to call at any time from any worker.

    `debounce`: the owner token of the fast lane's debounce lease that queued this run (given
    back here, so edits from now on queue the next fast sync)."""
    conn = connection_for(shop_id)
    if conn is None:
        return Outcome("not connected")
    state = state_for(shop_id)
    now = timezone.now()
    if debounce:
        jobs.release(fast_key(shop_id), debounce)
    if state.deferred_until and state.deferred_until > now:
        _reschedule(shop_id, kind, run_id, (state.deferred_until - now).total_seconds(), trigger)
        return Outcome("deferred", run_id, "Meta's budget is spent")
    lease = jobs.claim(sync_key(shop_id), lease_seconds())
    if lease is None:
        if kind != Kind.FAST:  # the fast lane is re-queued by the holder's end-of-run check
            _reschedule(shop_id, kind, run_id, 60, trigger)
        return Outcome("busy", run_id)
    started = timezone.now()
    run = None
    try:
        engine = Engine(conn, state, lease)
        engine.recover()
        run = engine.open_run(kind, run_id, trigger, user_id)
        if run is None:
            return Outcome("nothing to do")
        engine.go(run)
        return Outcome(run.status, run.pk)
    except Deferred as exc:
        if run is not None:
            try:  # keep what Meta already took: status checks use another budget
                engine.poll(deadline=time.monotonic() + poll_seconds())
            except Deferred:
                pass
            _defer(run, state, exc)
        return Outcome("deferred", run.pk if run else None, str(exc))
    except jobs.LeaseLost:
        # Paused past the lease: the worker that took it over owns the shop's sync now (its
        # recovery marks this run interrupted). What Meta already took is applied by the poller.
        log.warning("catalog sync of shop %s lost its lease; stopping", shop_id)
        return Outcome("lease lost", run.pk if run else None)
    except Exception as exc:
        if run is not None:
            SyncRun.objects.filter(pk=run.pk).update(status=Status.FAILED, error=f"{type(exc).__name__}: {exc}"[:2000],
                                                     finished_at=timezone.now())
        raise
    finally:
        lease.release()
        _follow_up_fast(shop_id, started)


def _reschedule(shop_id: int, kind: str, run_id: int | None, delay: float, trigger: str) -> None:
    from graph.tasks import reschedule

    reschedule(f"catalog.tasks.sync_{kind}", shop_id, trigger, run_id=run_id, delay=delay)


def _defer(run: SyncRun, state: CatalogSync, exc: Deferred) -> None:
    until = timezone.now() + timedelta(seconds=exc.seconds)
    SyncRun.objects.filter(pk=run.pk).update(status=Status.DEFERRED, resume_at=until, error=str(exc)[:2000])
    CatalogSync.objects.filter(pk=state.pk).update(deferred_until=until)
    log.info("catalog sync of shop %s deferred %.0f s: %s", run.shop_id, exc.seconds, exc)
    _reschedule(run.shop_id, run.kind, run.pk, exc.seconds, run.trigger)


def _follow_up_fast(shop_id: int, started) -> None:
    """Edits stamped after this run started ride a new fast sync, not the 5-minute sweep."""
    state = CatalogSync.objects.filter(shop_id=shop_id).first()
    if state is None or not state.fast_requested_at or state.fast_requested_at < started:
        return
    if Product.objects.filter(shop_id=shop_id).needing_fast_sync().exists():
        transaction.on_commit(lambda: request_fast_sync(shop_id), robust=True)


class Engine:
    def __init__(self, conn, state: CatalogSync, lease: jobs.Lease | None = None):
        from shops.graph import client_for_shop

        self.conn = conn
        self.shop = conn.shop
        self.state = state
        self.lease = lease
        self.catalog_id = conn.catalog_id
        # Transient errors are retried briefly; a throttle longer than that raises RateLimited.
        self.client = client_for_shop(conn, max_wait=float(_setting("CATALOG_SYNC_MAX_WAIT", 10)))
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
                self.apply(batch, {"status": "finished", "errors": _validation_errors(answer), "warnings": []})
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
            _close_run_if_done(batch.run_id)
            return 0
        data = ((answer or {}).get("data") or [{}])[0]
        status = str(data.get("status") or "").lower()
        if status in FINISHED_STATUSES or status in FAILED_STATUSES:
            batch = CatalogBatch.objects.get(pk=batch.pk)
            if status in FAILED_STATUSES:
                return self.fail(batch, f"Meta could not process the batch ({status}).")
            return self.apply(batch, data)
        checks = batch.checks + 1
        CatalogBatch.objects.filter(pk=batch.pk).update(
            checks=checks, next_check_at=timezone.now() + timedelta(seconds=min(60, 2 ** min(checks, 6))))
        return 0

    def fail(self, batch: CatalogBatch, message: str) -> int:
        CatalogBatch.objects.filter(pk=batch.pk, status=CatalogBatch.Status.SENT).update(
            status=CatalogBatch.Status.FAILED, finished_at=timezone.now(), error=message)
        _close_run_if_done(batch.run_id)
        return 0

    def apply(self, batch: CatalogBatch, data: dict) -> int:
        """Per-item results: confirmed → synced (one UPDATE); rejected → issues. Applied once."""
        errors: dict[str, list[str]] = {}
        for entry in data.get("errors") or []:
            errors.setdefault(str(entry.get("id") or ""), []).append(str(entry.get("message") or ""))
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
            reports[pid] = [_warning(m) for m in warnings.get(rid, [])]
        with transaction.atomic():
            claimed = CatalogBatch.objects.filter(pk=batch.pk, status=CatalogBatch.Status.SENT).update(
                status=CatalogBatch.Status.FINISHED, finished_at=timezone.now(), confirmed=len(confirmations),
                rejected=rejected)
            if not claimed:
                return 0
            services.confirm_synced(self.shop, confirmations)
            record_issues(self.shop, Source.BATCH, reports)
            if batch.run_id:
                SyncRun.objects.filter(pk=batch.run_id).update(
                    confirmed=F("confirmed") + len(confirmations), rejected=F("rejected") + rejected,
                    orphans_deleted=F("orphans_deleted") + orphans, batches_done=F("batches_done") + 1)
        self.recheck([rid for pid, rid, slow, fast in batch.items if pid is not None and rid not in rejected_ids])
        _close_run_if_done(batch.run_id)
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


def _warning(message: str) -> Reported:
    found = from_batch_message(message)
    return Reported(code=found.code if found.code != "BATCH_REJECTED" else "BATCH_WARNING", message=message,
                    field=found.field, severity=ProductIssue.Severity.WARNING)


def _validation_errors(answer) -> list[dict]:
    out = []
    for entry in (answer or {}).get("validation_status") or []:
        for error in entry.get("errors") or []:
            out.append({"id": entry.get("retailer_id", ""), "message": error.get("message", "")})
    return out


def _close_run_if_done(run_id: int | None) -> None:
    """A run waiting for Meta ends when its last batch is applied (or failed)."""
    if not run_id:
        return
    if CatalogBatch.objects.filter(run_id=run_id, status__in=(CatalogBatch.Status.SENT,
                                                               CatalogBatch.Status.PENDING)).exists():
        return
    now = timezone.now()
    run = SyncRun.objects.filter(pk=run_id, status=Status.WAITING).first()
    if run is None:
        return
    if SyncRun.objects.filter(pk=run_id, status=Status.WAITING).update(status=Status.SUCCEEDED, finished_at=now,
                                                                       phase="done"):
        CatalogSync.objects.filter(shop_id=run.shop_id).update(**{f"last_{run.kind}_at": now})


def poll_shop(shop_id: int) -> int:
    """Apply whatever Meta finished for the shop's sent batches (no lease: each batch is applied
    once by a conditional update)."""
    conn = connection_for(shop_id)
    if conn is None:
        return 0
    engine = Engine(conn, state_for(shop_id))
    try:
        applied = engine.poll(deadline=time.monotonic())
    except Deferred:
        return 0
    if applied and Product.objects.filter(shop_id=shop_id).needing_fast_sync().exists():
        request_fast_sync(shop_id)
    return applied


# --- product sets ------------------------------------------------------------------------------------


def sync_product_set(client, catalog_id: str, product_set: ProductSet) -> int:
    """Create, update or delete one set at Meta; returns 1 when Meta confirmed."""
    from catalog.sets import meta_filter

    seen = product_set.updated_at
    if product_set.deleted_at is not None:
        if product_set.meta_set_id:
            try:
                client.delete(product_set.meta_set_id, {"allow_live_product_set_deletion": True})
            except NotFound:
                pass  # already gone at Meta
        ProductSet.objects.filter(pk=product_set.pk, updated_at=seen).update(needs_sync=False,
                                                                              synced_at=timezone.now())
        return 1
    params = {"name": product_set.name, "filter": json.dumps(meta_filter(product_set), separators=(",", ":"))}
    set_id = product_set.meta_set_id
    if not set_id:
        # A crash after an earlier create left the set at Meta without its id here: find it first.
        found = client.get(f"{catalog_id}/product_sets", {"retailer_id": product_set.retailer_id, "fields": "id"})
        existing = (found or {}).get("data") or []
        set_id = str(existing[0]["id"]) if existing else ""
    if set_id:
        try:
            client.post(set_id, params, idempotent=True)
        except NotFound:
            set_id = ""
    if not set_id:
        made = client.post(f"{catalog_id}/product_sets", {**params, "retailer_id": product_set.retailer_id})
        set_id = str(made["id"])
    ProductSet.objects.filter(pk=product_set.pk).update(meta_set_id=set_id)
    ProductSet.objects.filter(pk=product_set.pk, updated_at=seen).update(needs_sync=False, synced_at=timezone.now())
    return 1


# --- diagnostics -----------------------------------------------------------------------------------


def item_checks(client, shop, catalog_id: str, retailer_ids: list[str] | None = None) -> dict:
    """Read Meta's `errors` and `review_status` of products and record them as issues.

    `retailer_ids` None: every product Meta reports with an error of any priority or a rejected
    review (the hourly check); the products with open issues of these sources are checked too, so
    that what Meta no longer reports resolves. Otherwise just those products.
    """
    fields = "retailer_id,errors,review_status,review_rejection_reasons"
    found: dict[str, dict] = {}

    def read(params: dict) -> None:
        for item in client.paginate(f"{catalog_id}/products", {"fields": fields, **params}, limit=1000):
            if item.get("retailer_id") is not None:
                found[str(item["retailer_id"])] = item

    if retailer_ids is None:
        for priority in ("HIGH", "MEDIUM", "LOW"):
            read({"error_priority": priority})
        read({"filter": json.dumps({"review_status": {"eq": "rejected"}})})
        checked = list(ProductIssue.objects.open().filter(shop=shop, source__in=(Source.ITEM_ERRORS, Source.REVIEW))
                       .values_list("product__retailer_id", flat=True).distinct())
        retailer_ids = sorted({*found, *(r for r in checked if r)})
        missing = [r for r in retailer_ids if r not in found]
    else:
        missing = list(retailer_ids)
    for start in range(0, len(missing), 1000):
        read({"filter": json.dumps({"retailer_id": {"is_any": missing[start:start + 1000]}})})
    ids = dict(Product.objects.filter(shop=shop, retailer_id__in=retailer_ids, deleted_at__isnull=True)
               .values_list("retailer_id", "pk"))
    errors_reports, review_reports = {}, {}
    for rid, pid in ids.items():
        item = found.get(rid) or {}
        errors_reports[pid] = from_item_errors(item.get("errors") or [])
        review = []
        if str(item.get("review_status") or "").lower() == "rejected":
            reasons = ", ".join(str(r) for r in item.get("review_rejection_reasons") or [])
            review.append(Reported(code="REVIEW_REJECTED", message=reasons, title="Rejected by Meta's review"))
        review_reports[pid] = review
    counts = record_issues(shop, Source.ITEM_ERRORS, errors_reports)
    review_counts = record_issues(shop, Source.REVIEW, review_reports)
    return {"checked": len(ids), **{f"errors_{k}": v for k, v in counts.items()},
            **{f"review_{k}": v for k, v in review_counts.items()}}


def catalog_diagnostics(client, shop, catalog_id: str) -> dict:
    """The catalog's diagnostics → catalog-level issues (product-level groups come from the item
    checks, with each product named; recording them twice would double the to-do list)."""
    reports: list[Reported] = []
    for group in client.paginate(f"{catalog_id}/diagnostics", {}, limit=100):
        if group.get("affected_entity") == "product_item":
            continue
        from catalog.issues import severity_from_meta

        reports.append(Reported(
            code=str(group.get("error_code") or group.get("type") or "DIAGNOSTIC"), title=str(group.get("title", ""))[:255],
            message=str(group.get("subtitle") or ""), severity=severity_from_meta(group.get("severity", "")),
            affected_count=int(group.get("number_of_affected_items") or group.get("number_of_affected_entities") or 1)))
    return record_issues(shop, Source.DIAGNOSTICS, {None: reports})


def run_diagnostics(shop_id: int) -> dict:
    conn = connection_for(shop_id)
    if conn is None:
        return {}
    from shops.graph import client_for_shop

    client = client_for_shop(conn, max_wait=float(_setting("CATALOG_SYNC_MAX_WAIT", 10)))
    counts = {"catalog": catalog_diagnostics(client, conn.shop, conn.catalog_id),
              "items": item_checks(client, conn.shop, conn.catalog_id)}
    CatalogSync.objects.filter(shop_id=shop_id).update(last_diagnostics_at=timezone.now())
    return counts


# --- seller pages --------------------------------------------------------------------------------


def panel_context(shop) -> dict:
    """What the catalog overview's sync panel shows (a handful of small queries)."""
    from django.db.models import Count

    state = CatalogSync.objects.filter(shop=shop).first()
    runs = list(SyncRun.objects.filter(shop=shop).select_related("requested_by")[:5])
    active = next((r for r in runs if r.is_active), None)
    pending = Product.objects.filter(shop=shop).filter(Q(needs_sync_slow=True) | Q(needs_sync_fast=True)) \
        .aggregate(n=Count("pk"))["n"]
    estimate = None
    if active is not None and active.total:
        done = active.confirmed + active.rejected
        elapsed = (timezone.now() - active.started_at).total_seconds()
        if done and done < active.total:
            estimate = max(1, round(elapsed / done * (active.total - done) / 60))
    return {"sync_state": state, "sync_runs": runs, "active_run": active, "sync_pending": pending,
            "sync_connected": connection_for(shop.pk) is not None, "sync_estimate": estimate}


def sync_now(shop, *, user) -> str:
    """The seller's "Sync now": a changes sync (everything waiting, and product sets) right away."""
    if connection_for(shop.pk) is None:
        return "not connected"
    if is_running(shop.pk):
        return "running"
    from django_q.tasks import async_task

    transaction.on_commit(lambda: async_task("catalog.tasks.sync_changes", shop.pk, SyncRun.Trigger.SELLER,
                                             user_id=user.pk, group="catalog.sync_changes"), robust=True)
    return "queued"
