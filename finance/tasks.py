"""django-q2 tasks of the finance app (ids in, never model instances).

- `finance.tasks.sync_shop(shop_id, archive=False)`: one sync (finance.sync), daily for every
  shop by `sync_all_shops` and on "Check now"; "Archive everything now" passes archive=True.
- `finance.tasks.build_report(report_id)`: a report, in chunks with its progress stored.
"""

from __future__ import annotations

from django.utils import timezone
from django_q.tasks import async_task

from finance.models import Report
from kernel.jobs import task


@task
def sync_shop(shop_id: int, archive: bool = False) -> dict:
    from finance.sync import sync_shop as run

    return run(shop_id, archive=archive)


def sync_all_shops() -> int:
    from finance.models import FinanceFeed
    from shops.models import MetaConnection

    removed = set(FinanceFeed.objects.filter(api_removed_at__isnull=False).values_list("shop_id", flat=True))
    shop_ids = [pk for pk in MetaConnection.objects.usable().exclude(commerce_merchant_settings_id="")
                .values_list("shop_id", flat=True) if pk not in removed]
    for shop_id in shop_ids:
        async_task("finance.tasks.sync_shop", shop_id, group="finance.sync")
    return len(shop_ids)


@task
def build_report(report_id: int) -> dict:
    # One worker builds a report: it claims the queued row (a retry of a build that died long
    # ago may take it over); any other run leaves it alone.
    from datetime import timedelta

    from finance.reports import build

    claimed = Report.objects.filter(pk=report_id, state=Report.State.QUEUED).update(state=Report.State.RUNNING)
    stale = Report.objects.filter(pk=report_id, state=Report.State.RUNNING,
                                  created_at__lt=timezone.now() - timedelta(minutes=15)).exists()
    if not claimed and not stale:
        return {"state": "skipped"}
    report = Report.objects.select_related("shop").get(pk=report_id)
    try:
        build(report)
    except Exception as exc:  # recorded on the report for the seller, then raised for the worker's log
        Report.objects.filter(pk=report_id).update(state=Report.State.FAILED, error=str(exc)[:500],
                                                   finished_at=timezone.now())
        raise
    return {"state": Report.State.DONE, "rows": report.total}
