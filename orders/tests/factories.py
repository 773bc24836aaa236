"""Plain factory functions for order tests (no sandbox needed)."""

from __future__ import annotations

import itertools

from django.utils import timezone

from orders.models import MetaPush, Order, OrderEvent, OrderItem, Return, ReturnItem, Shipment, ShipmentItem, SyncState

_seq = itertools.count(1)


def make_order(shop, *, state=Order.State.IN_PROGRESS, items=(("TEA-1", 2, 1200),), currency=None, **fields):
    n = next(_seq)
    currency = currency or shop.currency
    lines = [(rid, qty, price) for rid, qty, price in items]
    subtotal = sum(qty * price for _, qty, price in lines)
    values = {
        "channel": Order.Channel.INSTAGRAM, "meta_order_id": f"9{n:08d}", "state": state, "placed_at": timezone.now(),
        "buyer_name": f"Buyer {n}", "buyer_email": f"b{n}@marketplace.facebook.com", "currency": currency,
        "items_subtotal_minor": subtotal, "total_minor": subtotal, "units_to_ship": sum(q for _, q, _ in lines),
        "ack_state": Order.AckState.SYNCED if state != Order.State.CREATED else Order.AckState.PENDING,
    }
    values.update(fields)
    order = Order.objects.create(shop=shop, **values)
    for position, (rid, qty, price) in enumerate(lines):
        OrderItem.objects.create(order=order, position=position, meta_item_id=f"{order.meta_order_id}{position}",
                                 retailer_id=rid, title=f"Product {rid}", quantity=qty, price_per_unit_minor=price)
    OrderEvent.objects.create(order=order, kind=OrderEvent.Kind.RECEIVED, message="received")
    return order


def make_shipment(order, *, push_state=SyncState.SYNCED):
    item = order.items.first()
    push = MetaPush.objects.create(shop=order.shop, order=order, kind=MetaPush.Kind.SHIP,
                                   path=f"{order.meta_order_id}/shipments", params={}, state=push_state)
    shipment = Shipment.objects.create(order=order, carrier="UPS", tracking_number="1Z", push=push)
    ShipmentItem.objects.create(shipment=shipment, item=item, quantity=1)
    item.quantity_shipped += 1
    item.save(update_fields=["quantity_shipped"])
    return shipment


def make_return(order, *, status=Return.Status.REQUESTED):
    ret = Return.objects.create(order=order, meta_return_id=f"r{next(_seq)}", status=status, message="Too big")
    ReturnItem.objects.create(ret=ret, item=order.items.first(), quantity=1)
    return ret


def make_failed_push(order):
    return MetaPush.objects.create(shop=order.shop, order=order, kind=MetaPush.Kind.REFUND,
                                   path=f"{order.meta_order_id}/refunds", params={}, state=SyncState.FAILED,
                                   error="(#100) Invalid parameter")
