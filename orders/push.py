"""Send `MetaPush` rows to Meta: the delivery half of every seller action.

A push is claimed with a kernel lease (`push_key`, owned, about a minute, renewed while its
worker lives: kernel.jobs), so two workers never send it at the same time and a push held by a
killed worker is sent again about a minute later; and it always carries the same idempotency key and body, so even a
send whose answer was lost (a timeout after Meta applied it) is applied once: the retry gets
Meta's stored answer (META_API §3.12).

Outcomes: Meta's OK → synced; transient failures and throttling → still pending, tried again
with backoff by the sweep (`orders.tasks.push_due`), failed after `ORDERS_PUSH_MAX_ATTEMPTS`;
Meta's refusal → failed with Meta's message (the timeline shows it with a Retry button); the
order API removed → failed at once, no call made afterwards (no retry storm).
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from graph.errors import Deprecated, GraphError, NotConnected, RateLimited, TokenInvalid, Transient
from kernel import jobs
from orders.ingest import mark_removed
from orders.locks import lock_order, lock_push
from orders.models import MetaPush, OrderEvent, OrderFeed, Origin, Refund, Return, ReturnDecision, SyncState
from orders.totals import recount

log = logging.getLogger(__name__)

# Short: the Graph client renews it before every attempt and while it waits between attempts,
# so a send in flight keeps it however long it takes, and a killed worker's lapses soon.
LEASE_SECONDS = 60
REMOVED_MESSAGE = "Meta has removed its order API: this change cannot be sent to Meta any more."


def max_attempts() -> int:
    return int(getattr(settings, "ORDERS_PUSH_MAX_ATTEMPTS", 8))


def backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(3600, 30 * 2 ** max(0, attempts - 1)))


def push_key(push_id: int) -> str:
    """The lease of one push: held by the worker sending it."""
    return f"{PUSH_LEASE_PREFIX}{push_id}"


PUSH_LEASE_PREFIX = "orders.push:"


def claim(push_id: int) -> jobs.Lease | None:
    """The push's lease if it is pending and no live worker holds it; None otherwise."""
    if not MetaPush.objects.filter(pk=push_id, state=SyncState.PENDING).exists():
        return None
    return jobs.claim(push_key(push_id), LEASE_SECONDS)


def send(push_id: int, *, client=None) -> str:
    """Deliver one push; returns its state afterwards ("skipped" if another worker has it)."""
    lease = claim(push_id)
    if lease is None:
        return "skipped"
    try:
        return _send(push_id, client)
    finally:
        lease.release()  # by its owner only: a worker whose lease lapsed frees nothing


def _send(push_id: int, client) -> str:
    push = MetaPush.objects.select_related("shop").get(pk=push_id)
    if push.state != SyncState.PENDING:
        return push.state  # settled between the check and the claim
    feed = OrderFeed.objects.filter(shop_id=push.shop_id).first()
    if feed is not None and feed.api_removed_at:
        return finish(push_id, failed=REMOVED_MESSAGE)
    try:
        if client is None:
            from shops.graph import client_for_shop

            client = client_for_shop(push.shop, max_wait=getattr(settings, "ORDERS_CLIENT_MAX_WAIT", 30))
        answer = client.request(push.method, push.path, {**push.params, "idempotency_key": push.idempotency_key},
                                orders=True)
    except Deprecated as exc:
        mark_removed(push.shop_id, exc)
        return finish(push_id, failed=REMOVED_MESSAGE, code=exc.code)
    except (Transient, RateLimited, NotConnected, TokenInvalid) as exc:
        # Not Meta's "no": try again later (a reconnect fixes the token ones).
        return finish(push_id, retry=_message(exc), code=exc.code)
    except GraphError as exc:
        return finish(push_id, failed=_message(exc), code=exc.code)
    return finish(push_id, answer=answer)


def _message(exc: GraphError) -> str:
    return (exc.user_msg or exc.message or str(exc))[:2000]


def finish(push_id: int, *, answer=None, failed: str | None = None, retry: str | None = None,
           code: int | None = None) -> str:
    now = timezone.now()
    with transaction.atomic():
        push = lock_push(push_id)
        if push.state != SyncState.PENDING:
            # Settled meanwhile (e.g. by a retry that got Meta's answer): never overwrite it.
            return push.state
        order = lock_order(push.order_id)
        push.attempts += 1
        if failed is None and retry is None:
            push.state, push.synced_at, push.error, push.error_code = SyncState.SYNCED, now, "", None
            apply_success(push)
        elif failed is not None:
            # Only Meta's definite "no" (or the API's removal) fails a push: after a timeout or a
            # 5xx Meta may have applied it, so it keeps its idempotency key and is retried (never
            # discarded, which would free its units for a second, differently keyed write).
            push.state, push.error, push.error_code = SyncState.FAILED, failed or retry, code
            OrderEvent.objects.create(order=order, kind=OrderEvent.Kind.NOTE, origin=Origin.META, push=push,
                                      message=f"Meta did not accept the {push.get_kind_display().lower()}: "
                                              f"{push.error}"[:500], params={"failed": push.kind})
        else:
            push.error, push.error_code = retry, code
            push.next_attempt_at = now + backoff(push.attempts)
            if push.attempts >= max_attempts():
                OrderEvent.objects.create(
                    order=order, kind=OrderEvent.Kind.NOTE, origin=Origin.META, push=push,
                    message=f"Meta has not confirmed the {push.get_kind_display().lower()} after "
                            f"{push.attempts} attempts; still trying: {push.error}"[:500],
                    params={"stuck": push.kind})
        push.save(update_fields=["state", "attempts", "synced_at", "error", "error_code", "next_attempt_at"])
        recount(order)
    return push.state


def apply_success(push: MetaPush) -> None:
    """Local effects that wait for Meta's OK."""
    if push.kind == MetaPush.Kind.RETURN:
        from orders.services import RETURN_RESULT

        decision = ReturnDecision.objects.filter(push=push).select_related("ret").first()
        if decision is not None:
            Return.objects.filter(pk=decision.ret_id).update(status=RETURN_RESULT[decision.event],
                                                             updated_at=timezone.now())
    elif push.kind == MetaPush.Kind.REFUND:
        refund = Refund.objects.filter(push=push).first()
        if refund is not None and refund.ret_id:
            Return.objects.filter(pk=refund.ret_id, status__in=Return.OPEN).update(
                status=Return.Status.REFUNDED, updated_at=timezone.now())


def due_pushes(limit: int = 500) -> list[int]:
    """Pending pushes whose retry time has come (or whose first send was lost, or whose worker
    died: its lease has lapsed), leaving out those a live worker holds."""
    now = timezone.now()
    stale = now - timedelta(seconds=60)
    held = {int(key.removeprefix(PUSH_LEASE_PREFIX)) for key in jobs.held_keys(PUSH_LEASE_PREFIX)}
    due = MetaPush.objects.filter(state=SyncState.PENDING).filter(
        Q(next_attempt_at__lte=now) | Q(next_attempt_at__isnull=True, created_at__lt=stale)
    ).order_by("pk").values_list("pk", flat=True)
    return [pk for pk in due[:limit + len(held)] if pk not in held][:limit]
