"""Objects of a shop for the URL kwargs of catalog views, used by portal/tests/test_tenancy.py."""

from __future__ import annotations

from catalog.tests.factories import make_import, make_product, make_set


def extra_kwargs(name: str, extra: tuple[str, ...], shop) -> dict:
    kwargs = {}
    if "product_id" in extra:
        kwargs["product_id"] = make_product(shop).pk
    if "job_id" in extra:
        kwargs["job_id"] = make_import(shop).pk
    if "set_id" in extra:
        kwargs["set_id"] = make_set(shop).pk
    if set(kwargs) != set(extra):
        raise AssertionError(f"catalog.tests.tenancy does not know {name} {extra}")
    return kwargs
