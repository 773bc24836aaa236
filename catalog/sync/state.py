"""The shop's sync state and connection, Meta's batch budget, and the fast lane's requests."""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from catalog.models import CatalogSync, SyncRun
from catalog.sync.config import fast_debounce_seconds, fast_key, fast_spacing_seconds
from kernel import jobs

Kind = SyncRun.Kind


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
    debounce = jobs.claim(fast_key(shop_id), int(max(fast_debounce_seconds(), wait) + 1), renew=False)
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
