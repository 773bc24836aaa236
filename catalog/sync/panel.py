"""What the seller's pages show and ask of the sync: the sync panel's data, "Sync now"."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from catalog.models import CatalogSync, SyncRun
from catalog.sync.config import is_running
from catalog.sync.state import connection_for


def panel_context(shop, *, counts: dict | None = None) -> dict:
    """What the catalog overview's sync panel shows (a handful of small queries); `counts`: the
    catalog's figures when the page has read them (catalog.summary.counts)."""
    from catalog import summary

    state = CatalogSync.objects.filter(shop=shop).first()
    runs = list(SyncRun.objects.filter(shop=shop).select_related("requested_by")[:5])
    active = next((r for r in runs if r.is_active), None)
    pending = (counts or summary.counts(shop))["to_send"]
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

    from shops import audit

    audit.record(shop, user, "catalog.sync", summary="sync requested")
    transaction.on_commit(lambda: async_task("catalog.tasks.sync_changes", shop.pk, SyncRun.Trigger.SELLER,
                                             user_id=user.pk, group="catalog.sync_changes"), robust=True)
    return "queued"


def refresh_diagnostics(sender=None, *, shop_id: int, **kwargs) -> None:
    """"Check now" on the Issues page also reads Meta's view of the products (errors, review,
    the catalog's diagnostics) instead of waiting for the hourly sweep (`shops.signals.check_requested`)."""
    if connection_for(shop_id) is None:
        return
    from django_q.tasks import async_task

    async_task("catalog.tasks.diagnostics", shop_id, group="catalog.diagnostics")
