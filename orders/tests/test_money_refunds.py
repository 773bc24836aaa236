"""Refund money computed like Meta: exact to the minor unit, never more than was paid."""

from __future__ import annotations

import pytest

from orders.errors import ActionError
from orders.models import OrderItem
from orders.money import cancellation_refund, plan_refund
from orders.tests.factories import make_order


def shipped(order, **quantities):
    items = list(order.items.all())
    for item in items:
        item.quantity_shipped = quantities.get(item.retailer_id, item.quantity)
    OrderItem.objects.bulk_update(items, ["quantity_shipped"])
    return list(order.items.all())


def test_quantity_refunds_return_the_unit_price_and_its_tax(shop_a):
    order = make_order(shop_a, items=(("A", 3, 1000),), shipping_minor=500,
                       shipping_option={"tax_minor": 50}, total_minor=3000 + 500 + 300 + 50)
    item = order.items.get()
    OrderItem.objects.filter(pk=item.pk).update(tax_minor=300)
    items = shipped(order)
    plan = plan_refund(order, items, quantities={items[0].pk: 1}, shipping_minor=500, deduction_minor=200)
    assert (plan.subtotal_minor, plan.tax_minor, plan.shipping_minor, plan.total_minor) == (1000, 100 + 50, 500, 1450)


def test_a_line_refunded_unit_by_unit_returns_exactly_its_value(shop_a):
    order = make_order(shop_a, items=(("A", 3, 1000),), total_minor=3100)
    OrderItem.objects.filter(order=order).update(tax_minor=100, order_discount_minor=1)
    taxes = []
    for _ in range(3):
        items = shipped(order)
        plan = plan_refund(order, items, amounts={items[0].pk: min(1000, items[0].value_minor -
                                                                     items[0].refunded_minor)})
        line = plan.lines[0]
        taxes.append(line.tax_minor)
        OrderItem.objects.filter(pk=line.item.pk).update(refunded_minor=line.item.refunded_minor + line.amount_minor)
    assert sum(taxes) == 100
    assert order.items.get().refunded_minor == 2999


def test_more_than_was_paid_or_shipped_is_refused(shop_a):
    order = make_order(shop_a, items=(("A", 2, 1000),), total_minor=2000)
    items = shipped(order, A=1)
    with pytest.raises(ActionError, match="Only 1 unit"):
        plan_refund(order, items, quantities={items[0].pk: 2})
    with pytest.raises(ActionError, match="At most"):
        plan_refund(order, items, amounts={items[0].pk: 1001})
    with pytest.raises(ActionError, match="Choose what to refund"):
        plan_refund(order, items, quantities={})


def test_orders_with_order_level_offers_refund_by_amount_only(shop_a):
    order = make_order(shop_a, promotions=[{"target_granularity": "order_level", "sponsor": "merchant"}])
    with pytest.raises(ActionError, match="by amount only"):
        plan_refund(order, shipped(order), quantities={order.items.get().pk: 1})


def test_a_meta_funded_share_goes_back_to_meta(shop_a):
    order = make_order(shop_a, items=(("A", 2, 1000),), total_minor=2000)
    OrderItem.objects.filter(order=order).update(meta_discount_minor=200)
    items = shipped(order)
    plan = plan_refund(order, items, amounts={items[0].pk: 2000})
    assert (plan.meta_minor, plan.buyer_minor) == (200, 1800)


def test_cancelling_units_previews_what_the_buyer_gets_back(shop_a):
    order = make_order(shop_a, items=(("A", 3, 1000),))
    OrderItem.objects.filter(order=order).update(tax_minor=300)
    items = list(order.items.all())
    assert cancellation_refund(order, items, {items[0].pk: 2}).minor == 2200
