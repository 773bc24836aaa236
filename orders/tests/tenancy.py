"""Objects of a shop for the URL kwargs of order views, used by portal/tests/test_tenancy.py."""

from __future__ import annotations

from orders.tests.factories import make_failed_push, make_order, make_return, make_shipment


def extra_kwargs(name: str, extra: tuple[str, ...], shop) -> dict:
    order = make_order(shop)
    kwargs = {"order_id": order.pk}
    if "shipment_id" in extra:
        kwargs["shipment_id"] = make_shipment(order).pk
    if "return_id" in extra:
        kwargs["return_id"] = make_return(order).pk
    if "decision" in extra:
        kwargs["decision"] = "approve"
    if "push_id" in extra:
        kwargs["push_id"] = make_failed_push(order).pk
    if set(kwargs) != set(extra):
        raise AssertionError(f"orders.tests.tenancy does not know {name} {extra}")
    return kwargs
