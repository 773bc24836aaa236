"""django-q2 task functions of the catalog (they take ids, never model instances)."""

from __future__ import annotations

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from catalog import imports
from catalog.models import ImportJob
from kernel.jobs import run_job


def check_import(job_id: int) -> dict | None:
    return _run("catalog.import_check", job_id, write=False)


def apply_import(job_id: int) -> dict | None:
    return _run("catalog.import_apply", job_id, write=True)


def _run(name: str, job_id: int, *, write: bool):
    shop_id = ImportJob.objects.filter(pk=job_id).values_list("shop_id", flat=True).first()
    if shop_id is None:
        return None
    with run_job(name, shop_id) as job:
        try:
            counts = imports.process(job_id, write=write)
        except Exception:
            imports.fail(job_id, _("The import stopped because of an unexpected error. Staff have been told; "
                                   "you can upload the file again."))
            raise
        job.counts = counts or {}
    return counts


# --- sync with Meta ------------------------------------------------------------------------------


def _failure_of(run_id: int | None) -> str:
    from catalog.models import SyncRun

    found = SyncRun.objects.filter(pk=run_id).values_list("error", flat=True).first() if run_id else None
    return found or "the catalog sync failed"


def _sync(kind: str, shop_id: int, trigger: str, run_id: int | None, user_id: int | None, debounce: str = ""):
    from catalog import sync

    with run_job(f"catalog.sync_{kind}", shop_id) as job:
        # The engine takes the shop's sync lease itself (it reschedules a busy run first).
        outcome = sync.sync_shop(shop_id, kind, run_id=run_id, trigger=trigger, user_id=user_id, debounce=debounce)
        job.counts = {"outcome": outcome.status, "sync_run": outcome.run_id}
        if outcome.run_id:
            from catalog.models import SyncRun

            found = SyncRun.objects.filter(pk=outcome.run_id).values(
                "total", "sent", "confirmed", "rejected", "orphans_deleted", "sets_synced", "batches").first()
            job.counts.update(found or {})
        if outcome.status == "busy":
            job.skip("another sync of this shop is running")
        if outcome.status == "failed":
            # The engine recorded the failure on its SyncRun; the run fails too, so that
            # repeated failures become a shop issue (shops.health.jobs).
            job.fail(outcome.detail or _failure_of(outcome.run_id))
    return outcome.status


def sync_fast(shop_id: int, trigger: str = "schedule", run_id: int | None = None, user_id: int | None = None,
              debounce: str = ""):
    """Price, sale price, availability and inventory of the products Meta knows. `debounce`: the
    owner token of the fast lane's debounce lease, when an edit queued this run."""
    return _sync("fast", shop_id, trigger, run_id, user_id, debounce)


def sync_changes(shop_id: int, trigger: str = "schedule", run_id: int | None = None, user_id: int | None = None):
    """Every dirty product (full records where slow fields changed), deletions and product sets."""
    return _sync("changes", shop_id, trigger, run_id, user_id)


def sync_full(shop_id: int, trigger: str = "schedule", run_id: int | None = None, user_id: int | None = None):
    """Every product, product sets, and removal at Meta of items that no longer exist here."""
    return _sync("full", shop_id, trigger, run_id, user_id)


def poll_batches(shop_id: int) -> int:
    from catalog.sync.run import poll_shop

    with run_job("catalog.poll_batches", shop_id) as job:
        applied = poll_shop(shop_id)
        job.counts = {"applied": applied}
    return applied


def diagnostics(shop_id: int) -> dict:
    """Meta's view of the products (errors, review) and the catalog's diagnostics → issues."""
    from catalog.sync.diagnostics import run_diagnostics

    with run_job("catalog.diagnostics", shop_id) as job:
        counts = run_diagnostics(shop_id)
        job.counts = counts
    return counts


# --- schedules: they only fan out -----------------------------------------------------------------


def _connected_shop_ids() -> list[int]:
    from shops.models import MetaConnection

    return list(MetaConnection.objects.filter(status=MetaConnection.Status.CONNECTED).exclude(catalog_id="")
                .order_by("shop_id").values_list("shop_id", flat=True))


def _fan_out(task: str, shop_ids, group: str) -> int:
    from django_q.tasks import async_task

    count = 0
    for shop_id in shop_ids:
        async_task(task, shop_id, group=group)
        count += 1
    return count


def sweep_fast() -> int:
    """Every 5 minutes: shops with price or stock changes Meta has not confirmed."""
    from catalog.models import Product

    dirty = set(Product.objects.filter(needs_sync_fast=True, synced_at__isnull=False, deleted_at__isnull=True)
                .values_list("shop_id", flat=True).distinct())
    return _fan_out("catalog.tasks.sync_fast", [s for s in _connected_shop_ids() if s in dirty], "catalog.sync_fast")


def sweep_changes() -> int:
    """Hourly: shops with any change waiting (products or product sets)."""
    from catalog.models import Product, ProductSet

    dirty = set(Product.objects.filter(Q(needs_sync_slow=True) | Q(needs_sync_fast=True))
                .values_list("shop_id", flat=True).distinct())
    dirty |= set(ProductSet.objects.filter(needs_sync=True).values_list("shop_id", flat=True).distinct())
    return _fan_out("catalog.tasks.sync_changes", [s for s in _connected_shop_ids() if s in dirty],
                    "catalog.sync_changes")


def sweep_full() -> int:
    """Daily: every connected shop."""
    return _fan_out("catalog.tasks.sync_full", _connected_shop_ids(), "catalog.sync_full")


def sweep_diagnostics() -> int:
    """Hourly: every connected shop."""
    return _fan_out("catalog.tasks.diagnostics", _connected_shop_ids(), "catalog.diagnostics")


def sweep_batches() -> int:
    """Every minute: shops with batches Meta has not finished (a partial index serves it)."""
    from catalog.models import CatalogBatch

    due = CatalogBatch.objects.filter(status=CatalogBatch.Status.SENT, next_check_at__lte=timezone.now()) \
        .values_list("shop_id", flat=True).distinct()
    return _fan_out("catalog.tasks.poll_batches", sorted(set(due)), "catalog.poll_batches")


def queue_first_sync(sender=None, shop_id: int | None = None, reconnect: bool = False, **kwargs) -> None:
    """`shops.signals.shop_connected` receiver: a (re)connected shop gets a full sync."""
    from django_q.tasks import async_task

    if shop_id is not None:
        async_task("catalog.tasks.sync_full", shop_id, "connect", group="catalog.sync_full")
