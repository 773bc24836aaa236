"""Objects of a shop for the URL kwargs of promotions views, used by portal/tests/test_tenancy.py."""

from __future__ import annotations

from promotions.tests.factories import make_discount


def extra_kwargs(name: str, extra: tuple[str, ...], shop) -> dict:
    kwargs = {"discount_id": make_discount(shop).pk}
    if set(kwargs) != set(extra):
        raise AssertionError(f"promotions.tests.tenancy does not know {name} {extra}")
    return kwargs
