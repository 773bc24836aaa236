"""django-q2 tasks of the Meta tools (ids in, never model instances).

- `metatools.tasks.read_figures(shop_id)`: Meta's organic figures (`metatools.figures`), daily:
  the hourly sweep `read_due_figures` (portal/schedules.py) queues it for connected shops whose
  figures were never read, are a day old, or predate the catalog's last full sync (new items at
  Meta have figures to read); a connect or reconnect queues it too, and so does "Refresh from
  Meta" on the Meta tools page.
"""

from __future__ import annotations

from django_q.tasks import async_task

from kernel.jobs import run_job


def read_figures(shop_id: int) -> dict:
    from metatools import figures

    with run_job(figures.FIGURES_JOB, shop_id) as job:
        job.counts = figures.read_figures(shop_id)
        return job.counts


def queue_read(shop_id: int) -> None:
    from metatools import figures

    async_task("metatools.tasks.read_figures", shop_id, group=figures.FIGURES_JOB)


def read_due_figures() -> int:
    """Queue `read_figures` for every connected shop whose figures are due (module docstring)."""
    from django.db.models import F, Q
    from django.utils import timezone

    from metatools import figures
    from metatools.models import ShopFigures
    from shops.models import MetaConnection

    usable = list(MetaConnection.objects.usable().values_list("shop_id", flat=True))
    stale = timezone.now() - figures.FIGURES_MAX_AGE
    fresh = set(ShopFigures.objects.filter(shop_id__in=usable, read_at__gte=stale)
                .exclude(Q(shop__catalog_sync__last_full_at__isnull=False)
                         & Q(read_at__lt=F("shop__catalog_sync__last_full_at")))
                .values_list("shop_id", flat=True))
    due = [shop_id for shop_id in usable if shop_id not in fresh]
    for shop_id in due:
        queue_read(shop_id)
    return len(due)


def queue_after_connect(sender=None, *, shop_id: int, **kwargs) -> None:
    """`shops.signals.shop_connected` receiver (sent after commit): read the new connection's figures."""
    queue_read(shop_id)
