"""The shop's sync state and connection, Meta's batch budget, and the fast lane's requests."""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from catalog.models import CatalogSync, SyncRun
from catalog.sync.config import fast_ceiling, fast_debounce_seconds, fast_free_below, fast_key, fast_spacing_seconds
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


def fast_spacing(used: float) -> float:
    """Seconds between two fast calls of a shop for a reported catalog_batch usage of `used` %.

    The budget rule followed: Meta allows about 200 + 200·log2(unique users) items_batch calls an
    hour per catalog (the Catalog Batch business use case of "Rate Limits",
    https://developers.facebook.com/docs/graph-api/overview/rate-limiting/, where an 80014 on
    items_batch points) and reports the share used, per business and type, in the
    `X-Business-Use-Case-Usage` header (`catalog_batch`: call_count, total_cputime, total_time,
    estimated_time_to_regain_access in minutes). We do not know the users, so we plan on the
    share Meta reports, not on a count: below `fast_free_below` (50 %) the spacing is 0, the fast
    lane calls as soon as the debounce (2 s) allows; from there it grows linearly to
    `fast_spacing_seconds` (60 s) at `fast_ceiling` (80 %), where `budget_wait` holds the fast
    lane for 5 minutes after the reading (Meta's window rolls), leaving the last 20 % to the
    scheduled syncs (which stop at 95 %); an `estimated_time_to_regain_access` holds every lane.
    At the smallest budget (200 calls an hour) that is 100 calls before any spacing, and a full
    sync of 100,000 products needs 20."""
    free, ceiling, top = fast_free_below(), fast_ceiling(), fast_spacing_seconds()
    if used < free:
        return 0.0
    if used >= ceiling:
        return top
    return top * (used - free) / (ceiling - free)


def fast_wait(state: CatalogSync, now=None) -> float:
    """Seconds before the fast lane may call Meta again: spacing adapted to the usage Meta last
    reported (`fast_spacing`), Meta's regain time or a deferral when there is one."""
    now = now or timezone.now()
    if state.deferred_until and state.deferred_until > now:
        return (state.deferred_until - now).total_seconds()
    conn = connection_for(state.shop_id)
    if conn is None:
        return 0.0
    hold = budget_wait(conn, Kind.FAST)
    if hold > 0:
        return hold
    if state.last_fast_call_at is None:
        return 0.0
    from shops.graph import usage_pressure

    spacing = fast_spacing(usage_pressure(conn, "catalog_batch"))
    return max(0.0, spacing - (now - state.last_fast_call_at).total_seconds())


def on_commit_request_fast_sync(shop_id: int) -> None:
    transaction.on_commit(lambda: request_fast_sync(shop_id), robust=True)


def budget_wait(conn, kind: str) -> float:
    """Seconds to wait before the next batch call, from the last usage Meta reported (0: go).

    A reading with `estimated_time_to_regain_access` holds until that time has passed; a budget
    at 95 % (`fast_ceiling`, 80 %, for the fast lane, which yields to the scheduled syncs) holds for 5 minutes
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
    if used >= 95 or (kind == Kind.FAST and used >= fast_ceiling()):
        return max(0.0, (at + timedelta(minutes=5) - now).total_seconds())
    return 0.0
