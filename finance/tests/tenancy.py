"""Objects of a shop for the URL kwargs of finance views, used by portal/tests/test_tenancy.py."""

from __future__ import annotations

from finance.tests.factories import make_payout, make_report


def extra_kwargs(name: str, extra: tuple[str, ...], shop) -> dict:
    kwargs = {}
    if "payout_id" in extra:
        kwargs["payout_id"] = make_payout(shop).pk
    if "report_id" in extra:
        kwargs["report_id"] = make_report(shop).pk
    if set(kwargs) != set(extra):
        raise AssertionError(f"finance.tests.tenancy does not know {name} {extra}")
    return kwargs
