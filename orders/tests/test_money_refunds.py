"""Refund money computed like Meta: exact to the minor unit, never more than was paid."""

from __future__ import annotations

import pytest

from orders.errors import ActionError
from orders.models import OrderItem, Refund, RefundItem, Shipment, ShipmentItem
from orders.money import plan_cancel, plan_refund
from orders.tests.factories import make_order
from orders.totals import recount


def shipped(order, **quantities):
    """Record a shipment of the units (all by default), as the ship service does."""
    shipment = Shipment.objects.create(order=order, carrier="UPS", tracking_number="1Z")
    for item in order.items.all():
        k = quantities.get(item.retailer_id, item.quantity - item.quantity_shipped)
        if k:
            ShipmentItem.objects.create(shipment=shipment, item=item, quantity=k)
    recount(order)
    return list(order.items.all())


def refunded(order, plan):
    """Record a planned refund, as the refund service does."""
    record = Refund.objects.create(order=order, reason_code="REFUND_REASON_OTHER", by_amount=plan.by_amount,
                                   subtotal_minor=plan.subtotal_minor, tax_minor=plan.tax_minor,
                                   total_minor=plan.total_minor, meta_part_minor=plan.meta_minor)
    for line in plan.lines:
        RefundItem.objects.create(refund=record, item=line.item, quantity=line.quantity,
                                  amount_minor=line.amount_minor, tax_minor=line.tax_minor)
    recount(order)


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
    shipped(order)
    for _ in range(3):
        items = list(order.items.all())
        plan = plan_refund(order, items, amounts={items[0].pk: min(1000, items[0].value_minor -
                                                                     items[0].refunded_minor)})
        taxes.append(plan.lines[0].tax_minor)
        refunded(order, plan)
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
    assert plan_cancel(order, items, {items[0].pk: 2}).buyer.minor == 2200
