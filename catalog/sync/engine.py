"""The engine of one run: items_batch sends, batch status polling and per-item results, sets, reconcile.

Sending is a pipeline (`send_items`): while batch k is on its way to Meta (a worker thread,
`background.Calls`), the run's thread reads and builds batch k+1 (`batches.Outbox`: `values()`
rows, one query a batch) and asks Meta's status of the oldest earlier batch of the run; then it
stores k's handle, applies that status and writes the run's counters, in this order, on its own
thread. Each step keeps its crash-safe order: the batch row is written before its call, its
handle after the answer, a product is marked synced only from Meta's status for that handle.
The journal and usage writes of the calls are batched (`graph.journal.DeferredHooks`): one
journal INSERT per batch, the usage when due.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from datetime import timedelta
from functools import partial

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from catalog.models import CatalogBatch, CatalogSync, ProductIssue, ProductSet, SyncRun
from catalog.sync import batches
from catalog.sync.background import Calls, threads_allowed
from catalog.sync.batches import Outbox, Prepared
from catalog.sync.config import Deferred, poll_seconds, setting, sync_key, task_seconds
from catalog.sync.outcomes import BATCH_SOURCES, BatchResults
from catalog.sync.reconcile import Reconcile, listed_retailer_ids
from catalog.sync.results import validation_errors
from catalog.sync.sets import sync_product_set
from catalog.sync.state import budget_wait
from graph.client.encoding import RawJSON
from graph.errors import GraphError, RateLimited
from graph.journal import DeferredHooks
from kernel import jobs

log = logging.getLogger(__name__)

Kind = SyncRun.Kind
Status = SyncRun.Status
Source = ProductIssue.Source

#: Meta's maximum records per items_batch call (META_API §2.1); tests make it smaller.
BATCH_SIZE = batches.BATCH_SIZE


@dataclass
class Tally:
    """The run's counters not yet written: one UPDATE of the run per batch, with the batch's
    results (`Engine.write_tally`)."""

    cursor: int | None = None
    sent: int = 0
    batches: int = 0
    confirmed: int = 0
    rejected: int = 0
    orphans: int = 0
    done: int = 0

    def __bool__(self) -> bool:
        return self.cursor is not None or any((self.sent, self.batches, self.confirmed, self.rejected, self.orphans,
                                               self.done))


class Engine(BatchResults, Reconcile):
    def __init__(self, conn, state: CatalogSync, lease: jobs.Lease | None = None):
        from shops.graph import client_for_shop

        self.conn = conn
        self.shop = conn.shop
        self.state = state
        self.lease = lease
        self.catalog_id = conn.catalog_id
        # Transient errors are retried briefly; a throttle longer than that raises RateLimited.
        self.client = client_for_shop(conn, max_wait=float(setting("CATALOG_SYNC_MAX_WAIT", 10)))
        self.hooks = DeferredHooks(self.client, usage_every=30)
        self.deadline = time.monotonic() + task_seconds()
        self.run: SyncRun | None = None
        self.tally = Tally()
        self.calls: Calls | None = None
        self.listing = None  # the reconcile's listing, when it runs beside the sending
        self.stop = threading.Event()
        self.waiting: list[CatalogBatch] = []  # this run's sent batches Meta has not finished
        self.carried = False  # batches of earlier runs still waiting for Meta
        #: Products with open issues of a batch's sources when the run began sending (None: unknown).
        self.issue_products: set[int] | None = None
        self.batch_floor = 0  # the highest CatalogBatch id this run knows (see `yield_to_other_lane`)
        self.held_back: set[int] = set()  # fast lane: products the other lane had (`send_held_back`)
        self.blockers: set[int] = set()  # ... and its unfinished batches that held them
        self.retry_fast = False  # fast lane: held-back products still to send (a follow-up is queued)

    # --- bookkeeping ---

    def flush(self, *, force: bool = False) -> None:
        """Write the journal of the calls made so far (and the usage when due, or `force`)."""
        self.hooks.flush(force=force)

    def recover(self, kind: str = Kind.FULL) -> None:
        """We hold the lane's lease: whatever another worker left half-done in this lane is dead.
        Pending batches were never (knowingly) sent; running runs were interrupted. The fast lane
        and the scheduled lane (changes, full) have separate leases, so each recovers its own."""
        now = timezone.now()
        fast = kind == Kind.FAST
        runs = SyncRun.objects.filter(shop=self.shop, status=Status.RUNNING)
        runs = runs.filter(kind=Kind.FAST) if fast else runs.exclude(kind=Kind.FAST)
        pending = CatalogBatch.objects.filter(shop=self.shop, status=CatalogBatch.Status.PENDING)
        pending = pending.filter(run__kind=Kind.FAST) if fast else pending.exclude(run__kind=Kind.FAST)
        pending.update(
            status=CatalogBatch.Status.ABANDONED, finished_at=now,
            error="The worker stopped before Meta's handle was stored; the products were sent again.")
        runs.update(status=Status.INTERRUPTED, finished_at=now, error="The worker stopped during this sync.")

    def open_run(self, kind: str, run_id: int | None, trigger: str, user_id: int | None) -> SyncRun | None:
        if run_id:
            run = SyncRun.objects.filter(pk=run_id, shop=self.shop).first()
            if run is not None and run.status in (Status.DEFERRED, Status.INTERRUPTED, Status.RUNNING):
                SyncRun.objects.filter(pk=run.pk).update(status=Status.RUNNING, resume_at=None, error="")
                run.status = Status.RUNNING
                return run
            if run is not None and run.status == Status.WAITING:
                return None
        if self.state.deferred_until is not None:
            CatalogSync.objects.filter(pk=self.state.pk, deferred_until__lte=timezone.now()).update(
                deferred_until=None)
        total = self.queue(kind).count()
        if kind == Kind.FAST and not total:
            return None
        return SyncRun.objects.create(shop=self.shop, kind=kind, trigger=trigger, total=total,
                                      requested_by_id=user_id)

    @staticmethod
    def batch_size() -> int:
        return BATCH_SIZE  # read when used: tests make it smaller

    def queue(self, kind: str):
        return batches.queue(self.shop, kind)

    def renew(self) -> None:
        """Keep the shop's sync lease: extended when a third of it has gone by (or it lapsed);
        `LeaseLost` if another worker took it."""
        lease = self.lease
        if lease is None:
            return
        if lease.lost:
            raise jobs.LeaseLost(f"lease {lease.key} was taken over by another worker")
        now = timezone.now()
        if now >= lease.until or now - lease.renewed_at >= timedelta(seconds=lease.seconds / 3):
            lease.extend()

    def write_tally(self) -> None:
        """One UPDATE of the run with the counters gathered since the last one."""
        tally, run = self.tally, self.run
        if not tally or run is None:
            return
        updates = {"sent": F("sent") + tally.sent, "batches": F("batches") + tally.batches,
                   "confirmed": F("confirmed") + tally.confirmed, "rejected": F("rejected") + tally.rejected,
                   "orphans_deleted": F("orphans_deleted") + tally.orphans,
                   "batches_done": F("batches_done") + tally.done}
        if tally.cursor is not None:
            updates["cursor"] = run.cursor = tally.cursor
        SyncRun.objects.filter(pk=run.pk).update(**updates)
        self.tally = Tally()

    # --- phases ---

    def go(self, run: SyncRun) -> None:
        self.run = run
        self.calls = Calls(self.client, keep_alive=self.renew, workers=3 if threads_allowed() else 0)
        try:
            inflight = self.catch_up()
            if run.kind == Kind.FULL and run.phase == "items" and run.total:
                # The reconcile's listing of Meta's catalog goes on beside the sending.
                self.listing = self.calls.run(listed_retailer_ids, self.catalog_id, self.stop)
            if run.phase == "items":
                if not self.send_items(run, inflight):
                    self.continue_later(run)
                    return
                if run.kind == Kind.FAST:
                    self.send_held_back(run)
                self.set_phase(run, "sets" if run.kind != Kind.FAST else "poll")
            if run.phase == "sets":
                synced = self.sync_sets(run)
                # (A run resumed at "sets" with nothing to sync goes straight on: no need to store it.)
                self.set_phase(run, "reconcile" if run.kind == Kind.FULL else "poll", store=bool(synced))
            if run.phase == "reconcile":
                self.reconcile(run)
                self.set_phase(run, "poll", store=bool(self.waiting or self.carried))
            if self.waiting or self.carried:  # batches Meta has not finished yet
                self.poll(deadline=time.monotonic() + poll_seconds(), run=run)
            self.finish(run)
        finally:
            self.stop.set()  # a listing still going has no use any more
            self.calls.close()

    def set_phase(self, run: SyncRun, phase: str, *, store: bool = True) -> None:
        """The run's phase (where a deferred run resumes); `store=False` when resuming at the
        previous one would redo nothing."""
        run.phase = phase
        if store:
            SyncRun.objects.filter(pk=run.pk).update(phase=phase)

    def continue_later(self, run: SyncRun) -> None:
        """Out of time for this task: the run goes on in a new one, after its cursor."""
        from django_q.tasks import async_task

        SyncRun.objects.filter(pk=run.pk).update(status=Status.DEFERRED, resume_at=timezone.now())
        run.status = Status.DEFERRED
        transaction.on_commit(lambda: async_task(f"catalog.tasks.sync_{run.kind}", run.shop_id, run.trigger,
                                                 run_id=run.pk, group=f"catalog.sync_{run.kind}"), robust=True)

    def finish(self, run: SyncRun) -> None:
        self.write_tally()
        waiting = CatalogBatch.objects.filter(run=run, status__in=(CatalogBatch.Status.SENT,
                                                                    CatalogBatch.Status.PENDING)).exists()
        now = timezone.now()
        status = Status.WAITING if waiting else Status.SUCCEEDED
        if SyncRun.objects.filter(pk=run.pk, status=Status.RUNNING).update(
                status=status, finished_at=None if waiting else now, phase="poll" if waiting else "done"):
            run.status, run.finished_at, run.phase = status, None if waiting else now, "poll" if waiting else "done"
        else:
            run.refresh_from_db()
        if not waiting:
            CatalogSync.objects.filter(pk=self.state.pk).update(**{f"last_{run.kind}_at": now})

    # --- items ---

    def catch_up(self) -> set[int]:
        """Apply what earlier runs left at Meta (their batches still sent, those due for a check);
        returns the products in batches Meta has still not finished: never sent twice at once."""
        inflight: set[int] = set()
        now = timezone.now()
        sent = CatalogBatch.objects.filter(shop=self.shop, status=CatalogBatch.Status.SENT)
        # This lane's own: the other lane's batches are its to check, and `yield_to_other_lane`
        # keeps their products out of this run's batches.
        if self.run is not None and self.run.kind == Kind.FAST:
            sent = sent.filter(run__kind=Kind.FAST)
        else:
            sent = sent.exclude(run__kind=Kind.FAST)
        for batch in sent.order_by("pk"):
            if batch.next_check_at is not None and batch.next_check_at <= now:
                self.check(batch, loaded=True)
                if batch.status != CatalogBatch.Status.SENT:  # finished or failed now
                    continue
            self.carried = True
            inflight.update(i[0] for i in batch.items if i[0] is not None)
        self.flush()
        return inflight

    def send_items(self, run: SyncRun, inflight: set[int]) -> bool:
        """Send the run's products after its cursor; False when the task ran out of time."""
        self.batch_floor = self.last_batch_pk()  # before any row is read
        outbox = Outbox(self.queue(run.kind), run.kind, run.cursor, inflight, batch_size=self.batch_size(),
                        floor=lambda: self.batch_floor)
        self.issue_products = set(ProductIssue.objects.open().filter(
            shop=self.shop, source__in=BATCH_SOURCES, product__isnull=False).values_list("product_id", flat=True))
        calls = self.calls
        waiting = self.waiting  # oldest first
        flight = asked = None
        try:
            prepared = outbox.next()
            while prepared is not None:
                if time.monotonic() > self.deadline:
                    return False
                if not prepared.records:  # every product read rides a batch Meta has not finished
                    self.tally.cursor = prepared.cursor
                    prepared = outbox.next()
                    continue
                self.budget(run.kind)
                batch = self.pending_batch(run, prepared)
                if batch is None:  # every record was the other lane's to send
                    self.tally.cursor = prepared.cursor
                    prepared = outbox.next()
                    continue
                path, options = self.items_batch(prepared)
                flight = (batch, prepared, calls.submit("post", path, **options))
                # While it is on its way: apply the status asked in the last round (of a batch
                # whose handle is stored), ask the next one, build the next batch.
                self.settle(asked, waiting, calls)
                asked = self.ask_status(waiting, calls)
                prepared = outbox.next()
                batch, sent, future = flight
                flight = None
                if self.land(run, batch, prepared=sent, answer=partial(calls.result, future)):
                    waiting.append(batch)
                self.renew()
            self.settle(asked, waiting, calls)
            for batch in list(waiting):  # the last ones: Meta has usually finished them by now
                self.settle(self.ask_status([batch], calls), waiting, calls)
            return True
        finally:
            if flight is not None:  # an error on this thread while a batch was on its way
                self.land_quietly(run, *flight)
            try:
                self.write_tally()
            finally:
                self.flush()

    def send_held_back(self, run: SyncRun) -> None:
        """The fast lane's products that the other lane had (`yield_to_other_lane`): sent in
        another pass once the other lane's batches that held them are finished at Meta (checked
        here, as the poller would: each batch is applied once), so the newest value is the last
        Meta receives. Within the poll time (`CATALOG_SYNC_POLL_SECONDS`) and three passes; what
        is still held then goes with a follow-up fast sync (`retry_fast`)."""
        deadline = min(self.deadline, time.monotonic() + poll_seconds())
        for _ in range(3):
            if not self.held_back:
                return
            if not self.wait_for_blockers(deadline):
                break
            self.held_back = set()
            run.cursor = 0  # the held-back products lie before the cursor: read the lane's queue again
            self.send_items(run, self.catch_up())
        self.retry_fast = bool(self.held_back)

    def wait_for_blockers(self, deadline: float) -> bool:
        """Wait until the other lane's batches in `blockers` are finished (or failed); True when
        they are, False at `deadline`. Sent ones are checked here; a pending one (its call on its
        way) is waited for while its lane's worker holds the lease."""
        wait = 0.1
        unfinished = (CatalogBatch.Status.PENDING, CatalogBatch.Status.SENT)
        while True:
            for batch in CatalogBatch.objects.filter(pk__in=self.blockers, status=CatalogBatch.Status.SENT) \
                    .exclude(handle="").defer("items"):
                self.check(batch)
            self.flush()
            left = dict(CatalogBatch.objects.filter(pk__in=self.blockers, status__in=unfinished)
                        .values_list("pk", "status"))
            if CatalogBatch.Status.PENDING in left.values() and not jobs.is_held(sync_key(self.shop.pk)):
                left = {pk: status for pk, status in left.items() if status != CatalogBatch.Status.PENDING}
            self.blockers = set(left)
            if not left:
                return True
            if time.monotonic() + wait > deadline:
                return False
            time.sleep(wait)
            wait = min(wait * 2, 2.0)
            self.renew()

    def items_batch(self, prepared: Prepared) -> tuple[str, dict]:
        """The path and parameters of one items_batch call. The records go as a JSON body (see
        `GraphClient.post`): 4.4 MB of JSON for 5,000 products instead of 6.7 MB of
        percent-encoded form, and no encoding step."""
        return f"{self.catalog_id}/items_batch", {
            "params": {"item_type": "PRODUCT_ITEM", "allow_upsert": True, "requests": RawJSON(prepared.body())},
            "idempotent": True, "body": "json"}

    def budget(self, kind: str) -> None:
        """Defer the run when Meta's last reported batch budget says so. The answer of the call
        just landed may carry the reading that matters (its usage is noted, not yet written, while
        the calls overlap): a pressing reading is written first, so the decision sees it."""
        if self.hooks.pressing():
            self.flush()
        wait = budget_wait(self.conn, kind)
        if wait:
            raise Deferred(wait, "Meta's catalog batch budget is nearly spent; the sync continues later.")

    def pending_batch(self, run: SyncRun, prepared: Prepared) -> CatalogBatch | None:
        """The batch's row, written before its call (a worker killed during the call leaves a
        trace), then the other lane's claims honoured (`yield_to_other_lane`); None when none of
        its records is left to send (the row is gone again: it was never sent)."""
        batch = CatalogBatch.objects.create(shop=self.shop, run=run, items=prepared.items, size=len(prepared.items),
                                            bytes=prepared.size)
        self.batch_floor = max(self.batch_floor, batch.pk)
        if self.yield_to_other_lane(run, batch, prepared):
            if not prepared.records:
                CatalogBatch.objects.filter(pk=batch.pk).delete()
                return None
            batch.items, batch.size, batch.bytes = prepared.items, len(prepared.items), prepared.size
            CatalogBatch.objects.filter(pk=batch.pk).update(items=batch.items, size=batch.size, bytes=batch.bytes)
        return batch

    def last_batch_pk(self) -> int:
        return CatalogBatch.objects.filter(shop=self.shop).order_by("-pk").values_list("pk", flat=True).first() or 0

    def yield_to_other_lane(self, run: SyncRun, batch: CatalogBatch, prepared: Prepared) -> int:
        """Two lanes send a shop's products at once: the fast lane (its own lease) beside a changes
        or full sync. Meta asks never to overlap updates of one product (its batches are processed
        asynchronously, in no promised order), and the newest price must be the last Meta gets.
        So, with this batch's row written (committed) and before its call, a product goes out of
        it when the other lane has it in a batch that

        - is not finished (pending or sent): the two would overlap; or
        - was written after this batch's rows were read (pk above `batch_floor` when the rows
          were read): it may carry a newer value than ours.

        Each lane writes its row first and then looks, so of two batches racing for a product at
        least one sees the other and lets it go (both may: the product stays dirty and the fast
        lane sends it when the other batch is done, `send_held_back`). What the scheduled lane
        lets go is left to the fast lane (its fast fields; dirty slow fields go with the next
        changes sync); what the fast lane lets go it sends once the other batch is finished.
        Only products Meta knows can collide (`Prepared.known`). Returns how many records went out
        of the batch; one query when nothing collides."""
        mine = prepared.known
        if not mine:  # a first sync's new products, the reconcile's deletes: no other lane has them
            return 0
        fast = run.kind == Kind.FAST
        floor = prepared.read_floor
        others = CatalogBatch.objects.filter(shop=self.shop).exclude(pk=batch.pk)
        others = others.exclude(run__kind=Kind.FAST) if fast else others.filter(run__kind=Kind.FAST)
        unfinished = (CatalogBatch.Status.PENDING, CatalogBatch.Status.SENT)
        claimed: set[int] = set()
        alive = None
        for pk, status, items in others.filter(Q(status__in=unfinished) | Q(pk__gt=floor)).values_list(
                "pk", "status", "items"):
            hit = mine.intersection(item[0] for item in items or ())
            if not hit:
                continue
            if fast and status == CatalogBatch.Status.PENDING and pk <= floor:
                if alive is None:  # a pending row of a worker that died is no claim
                    alive = jobs.is_held(sync_key(self.shop.pk))
                if not alive:
                    continue
            claimed |= hit
            if fast and status in unfinished:
                self.blockers.add(pk)
        if fast:
            self.held_back |= claimed
        return prepared.drop(claimed) if claimed else 0

    def send(self, run: SyncRun, prepared: Prepared) -> CatalogBatch:
        """One batch sent from this thread (the reconcile's deletes)."""
        self.budget(run.kind)
        batch = self.pending_batch(run, prepared)
        path, options = self.items_batch(prepared)
        if self.land(run, batch, prepared=prepared, answer=lambda: self.client.post(path, **options)):
            self.waiting.append(batch)
        self.write_tally()
        self.renew()
        return batch

    def land(self, run: SyncRun, batch: CatalogBatch, *, prepared: Prepared, answer) -> bool:
        """Meta's answer to the batch's call: its handle stored (the batch is "sent"); True when a
        status is to be read for it."""
        try:
            answered = answer()
        except RateLimited as exc:
            CatalogBatch.objects.filter(pk=batch.pk).update(status=CatalogBatch.Status.ABANDONED,
                                                            finished_at=timezone.now(), error=str(exc)[:2000])
            raise Deferred(exc.retry_after or 60, f"Meta throttled the batch upload ({exc.code}).")
        except GraphError as exc:
            CatalogBatch.objects.filter(pk=batch.pk).update(status=CatalogBatch.Status.FAILED,
                                                            finished_at=timezone.now(), error=str(exc)[:2000])
            raise
        now = timezone.now()
        handles = (answered or {}).get("handles") or []
        if run.kind == Kind.FAST:
            CatalogSync.objects.filter(pk=self.state.pk).update(last_fast_call_at=now)
        batch.status, batch.handle = CatalogBatch.Status.SENT, str(handles[0]) if handles else ""
        batch.due = time.monotonic()
        batch.checks = 0
        tally = self.tally
        tally.sent += len(batch.items)
        tally.batches += 1
        tally.cursor = prepared.cursor
        if handles:
            CatalogBatch.objects.filter(pk=batch.pk).update(status=CatalogBatch.Status.SENT, handle=batch.handle,
                                                            sent_at=now, next_check_at=now)
            return True
        with transaction.atomic():  # nothing ingested: every record failed validation
            CatalogBatch.objects.filter(pk=batch.pk).update(status=CatalogBatch.Status.SENT, sent_at=now,
                                                            next_check_at=now)
            self.apply(batch, {"status": "finished", "errors": validation_errors(answered), "warnings": []},
                       tally=True)
        return False

    def land_quietly(self, run: SyncRun, batch: CatalogBatch, prepared: Prepared, future) -> None:
        """Store the answer of a call still on its way when this thread failed, before the error
        goes on (without it, the batch would be taken for never sent and its products sent again)."""
        try:
            self.land(run, batch, prepared=prepared, answer=future.result)
        except Exception:
            log.warning("catalog batch %s: answer not stored after an error", batch.pk, exc_info=True)

    # --- product sets ---

    def sync_sets(self, run: SyncRun) -> int:
        sets = ProductSet.objects.filter(shop=self.shop)
        sets = sets.filter(Q(needs_sync=True) | Q(deleted_at__isnull=True)) if run.kind == Kind.FULL else \
            sets.filter(needs_sync=True)
        done = 0
        for product_set in sets.order_by("pk"):
            done += sync_product_set(self.client, self.catalog_id, product_set)
        if done:
            SyncRun.objects.filter(pk=run.pk).update(sets_synced=F("sets_synced") + done)
        return done
