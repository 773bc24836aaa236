"""Settings, lease keys and the `Deferred` pause of the sync engine (one home for its knobs)."""

from __future__ import annotations

from django.conf import settings

from kernel import jobs


def setting(name: str, default):
    return getattr(settings, name, default)


def sync_key(shop_id: int) -> str:
    """The scheduled lane's lease: one changes or full sync of a shop at a time (the fast lane has
    its own, `fast_run_key`)."""
    return f"catalog.sync:{shop_id}"


def fast_run_key(shop_id: int) -> str:
    """The fast lane's own run lease: a fast sync runs beside a full or changes sync of the shop
    (which hold `sync_key`), never beside another fast sync."""
    return f"catalog.sync.fast:{shop_id}"


def run_key(shop_id: int, kind: str) -> str:
    """The lease a sync of `kind` holds."""
    return fast_run_key(shop_id) if kind == "fast" else sync_key(shop_id)


def fast_key(shop_id: int) -> str:
    """The fast lane's enqueue lease (debounce): edits inside it ride the sync already queued."""
    return f"catalog.fast:{shop_id}"


def is_running(shop_id: int) -> bool:
    """Whether a sync of the shop is running now (some worker holds its lease)."""
    return jobs.is_held(sync_key(shop_id)) or jobs.is_held(fast_run_key(shop_id))


def lease_seconds() -> int:
    return int(setting("CATALOG_SYNC_LEASE_SECONDS", 120))


def poll_seconds() -> float:
    """How long a sync task itself polls its batches before leaving them to the poller."""
    return float(setting("CATALOG_SYNC_POLL_SECONDS", 20))


def task_seconds() -> float:
    """A run stops sending after this long and continues in a new task (the worker's timeout is 300 s)."""
    return float(setting("CATALOG_SYNC_TASK_SECONDS", 200))


def fast_debounce_seconds() -> float:
    return float(setting("CATALOG_FAST_DEBOUNCE_SECONDS", 2))


def fast_spacing_seconds() -> float:
    """The fast lane's spacing at the top of its adaptive range (see `state.fast_spacing`): the
    time between two fast calls of a shop when Meta reports its catalog batch budget at the fast
    lane's ceiling. Below `fast_free_below` the fast lane only waits for the debounce."""
    return float(setting("CATALOG_FAST_SPACING_SECONDS", 60))


def fast_free_below() -> float:
    """Reported catalog_batch usage (%) under which the fast lane calls as soon as the debounce allows."""
    return float(setting("CATALOG_FAST_FREE_BELOW", 50))


def fast_ceiling() -> float:
    """Reported usage (%) at which the fast lane stops until Meta's window rolls (the scheduled
    syncs keep the rest, up to 95 %)."""
    return float(setting("CATALOG_FAST_CEILING", 80))


class Deferred(Exception):
    """Meta's budget is spent (or nearly): the run pauses for `seconds`."""

    def __init__(self, seconds: float, reason: str):
        super().__init__(reason)
        self.seconds = max(1.0, float(seconds))
