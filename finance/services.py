"""State changes of the finance app: what the seller asks for (a sync now, the whole archive,
a report), each audited with who asked."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django_q.tasks import async_task

from finance.models import FinanceFeed, Report
from shops import audit


def request_sync(shop, *, actor=None) -> None:
    FinanceFeed.objects.get_or_create(shop=shop)
    FinanceFeed.objects.filter(shop=shop).update(sync_requested_at=timezone.now())
    transaction.on_commit(lambda: async_task("finance.tasks.sync_shop", shop.pk, group="finance.sync"))


@transaction.atomic
def request_archive(shop, *, actor=None) -> None:
    """Pull everything Meta still holds (years back), while the API answers."""
    FinanceFeed.objects.get_or_create(shop=shop)
    FinanceFeed.objects.filter(shop=shop).update(archive_requested_at=timezone.now())
    audit.record(shop.pk, actor, "finance.archive", summary="archive everything from Meta requested")
    transaction.on_commit(lambda: async_task("finance.tasks.sync_shop", shop.pk, True, group="finance.sync"))


@transaction.atomic
def request_report(shop, *, kind: str, start, end, actor=None) -> Report:
    report = Report.objects.create(shop=shop, kind=kind, start=start, end=end,
                                   requested_by=actor if getattr(actor, "pk", None) else None)
    audit.record(shop.pk, actor, "finance.report", target=report, summary=f"{report}",
                 changes={"kind": kind, "start": start.isoformat(), "end": end.isoformat()})
    transaction.on_commit(lambda: async_task("finance.tasks.build_report", report.pk, group="finance.report"))
    return report
