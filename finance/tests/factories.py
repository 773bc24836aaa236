"""Finance rows made by hand, for tests about tenancy and pages' shape only: the finance tests
themselves read them from the sandbox's Meta (finance/tests/test_sync.py)."""

from __future__ import annotations

from datetime import date

from django.utils import timezone

from finance.models import Payout, Report


def make_payout(shop, *, reference_id: str = "PAYOUT-1", amount_minor: int = 1000) -> Payout:
    return Payout.objects.create(shop=shop, reference_id=reference_id, status="PAID", payout_date=timezone.now(),
                                 currency=shop.currency, amount_minor=amount_minor)


def make_report(shop, *, kind: str = Report.Kind.TAX) -> Report:
    return Report.objects.create(shop=shop, kind=kind, start=date(2026, 1, 1), end=date(2026, 12, 31),
                                 state=Report.State.DONE, content="country,region\n")
