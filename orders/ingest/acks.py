"""Acknowledging new orders in bulk (≤ 100 per call): batches with a frozen key and body, so a
retried call is the same call, and Meta's per-order answers applied."""

from __future__ import annotations

from collections import Counter, deque
from typing import TYPE_CHECKING

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from graph.errors import Deprecated, GraphError, NotConnected, RateLimited, TokenInvalid, Transient
from kernel import bulk, jobs
from orders import states
from orders.ingest import readahead
from orders.locks import lock_feed
from orders.models import AckBatch, Order, OrderEvent, Origin, SyncState

if TYPE_CHECKING:
    from orders.ingest.poll import Poller

ACK_BATCH = 100
LEASE_SECONDS = 60


def acknowledge_pending(shop, client, *, poller: Poller | None = None) -> Counter:
    """Acknowledge every order waiting for it, ≤ 100 per call. Each batch is sent at most once
    per run (a batch that failed transiently waits for the next run, same key, same body).

    When pages are read ahead (`readahead.enabled()`), the calls are made from a sender thread,
    one batch ahead: while Meta answers one batch, this thread applies the answer to the one
    before and claims the next, so the run costs about the larger of Meta's time and ours, not
    their sum. Answers are still applied here, one batch at a time, in order. After a batch
    that must wait for a later run, no new batch is claimed (the one already sent, if any, is
    applied as usual: at most one call more than one at a time would have made)."""
    counts: Counter = Counter()
    tried: set[int] = set()
    held_back: set[int] = set()  # orders Meta refused with a coded error: next run, new key
    cms = shop.meta_connection.commerce_merchant_settings_id
    if readahead.enabled():
        _acknowledge_ahead(shop, client, cms, counts, tried, held_back)
    else:
        while True:
            batch = claim_batch(shop, exclude=tried, hold_back=held_back)
            if batch is None:
                break
            tried.add(batch.pk)
            ok = push_batch(batch, client, cms, counts, held_back)
            if not ok:
                break
    if poller is not None:
        for key, n in counts.items():
            poller.count(key, n)
    return counts


def _acknowledge_ahead(shop, client, cms: str, counts: Counter, tried: set, held_back: set) -> None:
    from concurrent.futures import ThreadPoolExecutor

    from django.db import connections

    sender = ThreadPoolExecutor(max_workers=1, thread_name_prefix="orders-ack")
    in_flight: deque = deque()  # (batch, future of its call), in the order they are sent
    waiting = False  # a batch must wait for a later run: claim no more
    try:
        while True:
            jobs.heartbeat()  # the sender makes the calls: this thread's leases are kept here
            if not waiting and len(in_flight) < 2:
                batch = claim_batch(shop, exclude=tried, hold_back=held_back)
                if batch is not None:
                    tried.add(batch.pk)
                    in_flight.append((batch, sender.submit(_call, batch, client, cms)))
                    continue
            if not in_flight:
                break
            batch, call = in_flight.popleft()
            if not settle_batch(batch, call.result, counts, held_back):
                waiting = True
    finally:
        for batch, call in in_flight:  # left by an error: wait for their calls, give their leases back
            call.exception()
            _give_back(batch)
        sender.submit(connections.close_all).result()  # the sender thread's own connections
        sender.shutdown()


def batch_key(batch_id: int) -> str:
    """The lease of one acknowledgement batch: held by the worker sending it."""
    return f"{BATCH_LEASE_PREFIX}{batch_id}"


BATCH_LEASE_PREFIX = "orders.ack:"


def claim_batch(shop, *, exclude=(), hold_back=()) -> AckBatch | None:
    """A pending batch of this shop whose lease is free, or a new one of ≤ 100 waiting orders;
    its kernel lease is claimed (`batch.lease`; about a minute, renewed while the worker lives).
    Two workers never get the same batch, nor the same order twice.

    The lease is taken inside the transaction that holds the shop's feed lock: another worker
    can look only after that lock is released, by which time the lease row is committed.
    Claiming counts an attempt (`attempts`, in the same transaction): the call follows at once."""
    with transaction.atomic():
        lock_feed(shop.pk)
        held = {int(key.removeprefix(BATCH_LEASE_PREFIX)) for key in jobs.held_keys(BATCH_LEASE_PREFIX)}
        batch = (AckBatch.objects.filter(shop=shop, state=SyncState.PENDING)
                 .exclude(pk__in=[*exclude, *held]).order_by("pk").first())
        if batch is None:
            waiting = list(Order.objects.filter(shop=shop, source=Order.Source.META, state=Order.State.CREATED,
                                                ack_state=Order.AckState.PENDING, ack_batch__isnull=True)
                           .exclude(pk__in=list(hold_back)).order_by("pk").values_list("pk", "meta_order_id", "reference")[:ACK_BATCH])
            if not waiting:
                return None
            batch = AckBatch.objects.create(shop=shop, payload=[
                {"id": meta_id, "merchant_order_reference": reference} for _, meta_id, reference in waiting])
            Order.objects.filter(pk__in=[pk for pk, _, _ in waiting]).update(ack_batch=batch)
        batch.lease = jobs.claim(batch_key(batch.pk), LEASE_SECONDS)
        if batch.lease is None:
            return None
        AckBatch.objects.filter(pk=batch.pk).update(attempts=F("attempts") + 1)
        batch.attempts += 1
        return batch


def push_batch(batch: AckBatch, client, cms: str, counts: Counter, held_back: set | None = None) -> bool:
    """Send one batch (retried by the client with the same key on transient errors) and apply
    Meta's per-order answers. Returns False if the batch must wait for a later run."""
    return settle_batch(batch, lambda: _call(batch, client, cms), counts, held_back)


def _call(batch: AckBatch, client, cms: str):
    return client.post(f"{cms}/acknowledge_orders",
                       {"idempotency_key": batch.idempotency_key, "orders": batch.payload}, orders=True)


def _give_back(batch: AckBatch) -> None:
    lease = getattr(batch, "lease", None)
    if lease is not None:
        batch.lease = None
        lease.release()


def settle_batch(batch: AckBatch, call, counts: Counter, held_back: set | None = None) -> bool:
    """Apply the outcome of `call()`: Meta's answer to the batch, or the error the call raised.
    Returns False if the batch must wait for a later run. Gives the batch's lease back (by its
    owner) whatever happened: with the answer's transaction when there is one, else after."""
    try:
        return _settle(batch, call, counts, held_back)
    finally:
        _give_back(batch)


def _settle(batch: AckBatch, call, counts: Counter, held_back: set | None) -> bool:
    try:
        answer = call()
        counts["ack_calls"] += 1
    except Deprecated:
        raise
    except (Transient, RateLimited, TokenInvalid, NotConnected) as exc:
        # Not Meta's "no" about these orders: a 190 (the token was invalidated) waits, pending with
        # its key and body, until the shop is connected again; the next poll then sends it.
        counts["ack_calls"] += 1
        AckBatch.objects.filter(pk=batch.pk).update(error=str(exc)[:2000])
        return False
    except GraphError as exc:
        counts["ack_calls"] += 1
        fail_batch(batch, exc.user_msg or str(exc))
        counts["ack_errors"] += len(batch.payload)
        return True
    retried = apply_ack_answer(batch, answer, counts)
    if held_back is not None:
        held_back.update(retried)
    return True


def fail_batch(batch: AckBatch, message: str) -> None:
    with transaction.atomic():
        AckBatch.objects.filter(pk=batch.pk).update(state=SyncState.FAILED, error=message[:2000],
                                                    finished_at=timezone.now())
        Order.objects.filter(ack_batch=batch, ack_state=Order.AckState.PENDING).update(
            ack_state=Order.AckState.FAILED, ack_error=message[:2000])


def apply_ack_answer(batch: AckBatch, answer: dict, counts: Counter) -> list[int]:
    """Apply Meta's per-order results; returns the ids of orders to try again later."""
    results = {str(r.get("id")): r for r in (answer or {}).get("orders") or [] if isinstance(r, dict)}
    now = timezone.now()
    with transaction.atomic():
        # The batch's orders, locked in primary-key order; only what the answer needs is read
        # (not each order's payload: a batch is 100 orders).
        orders = list(Order.objects.filter(ack_batch=batch).order_by("pk").select_for_update()
                      .only("pk", "state", "meta_order_id", "reference"))
        acked, events, failed, retry = [], [], [], []
        for order in orders:
            result = results.get(order.meta_order_id)
            if result is None or "error" in result:
                error = (result or {}).get("error") or {"error_code": None, "error_message": "No answer from Meta"}
                code = error.get("error_code")
                if code == 2361003 or result is None:
                    failed.append((order, f"{error.get('error_message')} ({code})"))
                else:
                    retry.append(order)
                    events.append(OrderEvent(order=order, kind=OrderEvent.Kind.ACK_FAILED, origin=Origin.META,
                                             message=f"{error.get('error_message')} ({code})",
                                             params={"code": code}))
                continue
            if order.state == Order.State.CREATED and states.can_transition(order.state, Order.State.IN_PROGRESS):
                acked.append(order)
                events.append(OrderEvent(order=order, kind=OrderEvent.Kind.ACKNOWLEDGED, origin=Origin.SELLER,
                                         message=f"Acknowledged as {order.reference}",
                                         params={"reference": order.reference}))
        Order.objects.filter(pk__in=[o.pk for o in acked]).update(
            state=Order.State.IN_PROGRESS, ack_state=Order.AckState.SYNCED, acknowledged_at=now, ack_error="")
        for order, message in failed:
            Order.objects.filter(pk=order.pk).update(ack_state=Order.AckState.FAILED, ack_error=message[:2000])
            events.append(OrderEvent(order=order, kind=OrderEvent.Kind.ACK_FAILED, origin=Origin.META,
                                     message=message[:500], params={}))
        # A coded error (e.g. still in Meta's checks): try again later with a new key (META_API §3.7).
        Order.objects.filter(pk__in=[o.pk for o in retry]).update(ack_batch=None)
        bulk.insert(OrderEvent, events)
        AckBatch.objects.filter(pk=batch.pk).update(state=SyncState.SYNCED, finished_at=now, error="")
        _give_back(batch)  # with the answer: one commit, not two
    counts["acknowledged"] += len(acked)
    counts["ack_errors"] += len(failed) + len(retry)
    return [o.pk for o in retry]


def retry_failed_acks(shop) -> int:
    """The seller's Retry on the "could not acknowledge" card: new batches, new keys."""
    return Order.objects.filter(shop=shop, state=Order.State.CREATED, ack_state=Order.AckState.FAILED).update(
        ack_state=Order.AckState.PENDING, ack_batch=None, ack_error="")
