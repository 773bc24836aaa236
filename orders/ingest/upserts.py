"""Meta's orders into ours: create the unknown ones (items, events, stock, the created-orders
hook), bring known ones up to Meta's view, and hand their children to `children`."""

from __future__ import annotations

from collections import Counter

from django.utils import timezone

from catalog.services import move_stock
from kernel import bulk
from orders import hooks, meta, states
from orders.ingest.children import sync_children
from orders.models import Order, OrderEvent, OrderItem, Origin, new_reference
from orders.money.checks import check_order


def apply_orders(shop, parsed: list[meta.OrderData], *, with_children: bool, errors: list) -> Counter:
    """Create unknown orders, update known ones, import children. Runs in the caller's
    transaction; returns counts."""
    counts: Counter = Counter()
    if not parsed:
        return counts
    existing = _lock_known(shop, [p.meta_order_id for p in parsed])
    new = [p for p in parsed if p.meta_order_id not in existing]
    new_ids = {p.meta_order_id for p in new}
    if new:
        created = create_orders(shop, new)
        existing.update(created)
        counts["new"] += len(created)
    untouched = []
    for data in parsed:
        order = existing[data.meta_order_id]
        children = with_children and _has_children(data.raw)
        if data.meta_order_id in new_ids:
            if children:
                sync_children(order, data.raw, counts)
                check_order(order, data.items)
            continue
        try:
            changed = update_order(order, data, save=children)
        except states.IllegalTransition as exc:
            errors.append(f"order {data.meta_order_id}: {exc}"[:500])
            counts["refused"] += 1
            continue
        if children:
            changed = sync_children(order, data.raw, counts) or changed
            check_order(order, data.items)
        elif not changed and order.meta_updated_at != data.meta_updated_at:
            order.meta_updated_at = data.meta_updated_at
            untouched.append(order)
        if changed:
            counts["updated"] += 1
    # Orders whose only news is Meta's update time (e.g. our own acknowledgement): one query.
    Order.objects.bulk_update(untouched, ["meta_updated_at"], batch_size=500)
    return counts


def _lock_known(shop, meta_ids: list[str]) -> dict[str, Order]:
    """The page's orders we hold already, locked in primary-key order. Found first through
    the (shop, Meta id) unique index alone (`meta_order_id <> ''` lets both databases use that
    partial index; a query with the model's ordering would walk every order of the shop, so
    each page cost O(orders held)), then locked by primary key, only when there are any: a
    page of new orders costs one index lookup."""
    known = list(Order.objects.filter(shop=shop, meta_order_id__in=meta_ids).exclude(meta_order_id="")
                 .order_by().values_list("pk", flat=True))
    if not known:
        return {}
    return {o.meta_order_id: o for o in Order.objects.filter(pk__in=known).order_by("pk").select_for_update()}


def _has_children(raw: dict) -> bool:
    return any(meta.edge_data(raw.get(edge)) for edge in ("shipments", "cancellations", "refunds", "returns"))


def _channel(value: str) -> str:
    return value if value in (Order.Channel.FACEBOOK, Order.Channel.INSTAGRAM) else Order.Channel.FACEBOOK


def _state(value: str) -> str:
    if value not in Order.State.values:
        raise meta.PayloadError(f"unknown order state {value}")
    return value


def create_orders(shop, parsed: list[meta.OrderData]) -> dict[str, Order]:
    from catalog.models import Product

    retailer_ids = {item.retailer_id for data in parsed for item in data.items}
    products = dict(Product.objects.filter(shop=shop, retailer_id__in=retailer_ids, deleted_at__isnull=True)
                    .values_list("retailer_id", "pk"))
    orders = []
    for data in parsed:
        state = _state(data.state)
        ack_state = {Order.State.CREATED: Order.AckState.PENDING}.get(state, Order.AckState.NONE)
        if state in (Order.State.IN_PROGRESS, Order.State.COMPLETED) and data.merchant_order_id:
            ack_state = Order.AckState.SYNCED
        orders.append(Order(
            shop=shop, source=Order.Source.META, channel=_channel(data.channel), meta_order_id=data.meta_order_id,
            reference=data.merchant_order_id or new_reference(), state=state, is_test_order=data.is_test_order,
            placed_at=data.placed_at or timezone.now(), meta_updated_at=data.meta_updated_at,
            ship_by_date=data.ship_by_date, buyer_name=data.buyer["name"], buyer_email=data.buyer["email"],
            buyer_marketing_opt_in=data.buyer["opt_in"], buyer_phone=data.buyer["phone"],
            shipping_address=data.shipping_address, shipping_option=data.shipping_option, currency=data.currency,
            items_subtotal_minor=data.items_subtotal_minor, order_discount_minor=data.order_discount_minor,
            shipping_minor=data.shipping_minor, tax_minor=data.tax_minor, total_minor=data.total_minor,
            tax_remitted=data.tax_remitted, buyer_paid_minor=data.buyer_paid_minor,
            meta_paid_minor=data.meta_paid_minor, promotions=data.promotions, ack_state=ack_state,
            units_to_ship=sum(item.quantity for item in data.items),
            stock_taken=state != Order.State.COMPLETED, raw=data.raw,
        ))
    bulk.insert(Order, orders)
    items, events, stock, by_order = [], [], Counter(), {}
    for order, data in zip(orders, parsed, strict=True):
        lines = []
        for position, item in enumerate(data.items):
            product_id = products.get(item.retailer_id)
            lines.append(OrderItem(
                order=order, position=position, meta_item_id=item.meta_item_id, meta_product_id=item.meta_product_id,
                retailer_id=item.retailer_id, product_id=product_id, title=item.title, quantity=item.quantity,
                price_per_unit_minor=item.price_per_unit_minor, order_discount_minor=item.order_discount_minor,
                meta_discount_minor=item.meta_discount_minor, tax_minor=item.tax_minor,
                captured_tax_minor=item.captured_tax_minor, meta_refundable_minor=item.meta_refundable_minor,
                promotions=item.promotions,
            ))
            if order.stock_taken and product_id:
                stock[product_id] -= item.quantity
        items.extend(lines)
        by_order[order.pk] = lines
        events.append(OrderEvent(order=order, kind=OrderEvent.Kind.RECEIVED, origin=Origin.BUYER,
                                 message=f"Order {data.meta_order_id} received ({order.state})",
                                 params={"state": order.state, "channel": order.channel}))
    bulk.insert(OrderItem, items)
    bulk.insert(OrderEvent, events)
    hooks.orders_created(orders, by_order)
    move_stock(shop, stock, reason="Meta orders received")
    return {order.meta_order_id: order for order in orders}


def update_order(order: Order, data: meta.OrderData, *, save: bool = False) -> bool:
    """Bring a known order up to Meta's view. Returns True if anything changed (then it is
    saved; with `save` it is saved anyway)."""
    fields = {"meta_updated_at": data.meta_updated_at}
    new_state = _state(data.state)
    changed = False
    if new_state != order.state:
        old = order.state
        states.transition(order, new_state, origin=Origin.META)
        fields["state"] = new_state
        changed = True
        if new_state == Order.State.CREATED and old == Order.State.FB_PROCESSING:
            fields["ack_state"] = Order.AckState.PENDING
            OrderEvent.objects.create(order=order, kind=OrderEvent.Kind.RELEASED, origin=Origin.META,
                                      message="Meta finished its checks")
        elif old == Order.State.CREATED and new_state != Order.State.CREATED:
            # Acknowledged at Meta (an answer we lost, or Commerce Manager), or cancelled first.
            acked = new_state == Order.State.IN_PROGRESS or bool(data.merchant_order_id)
            fields["ack_state"] = Order.AckState.SYNCED if acked else Order.AckState.NONE
            if acked and not order.acknowledged_at:
                fields["acknowledged_at"] = timezone.now()
    if data.buyer["name"] and not order.buyer_name:
        fields.update(buyer_name=data.buyer["name"], buyer_email=data.buyer["email"],
                      buyer_marketing_opt_in=data.buyer["opt_in"], buyer_phone=data.buyer["phone"])
        changed = True
    if data.shipping_address and data.shipping_address != order.shipping_address:
        fields["shipping_address"] = data.shipping_address
        changed = True
    if changed:
        fields["raw"] = data.raw
    if not (changed or save):
        return False
    for name, value in fields.items():
        setattr(order, name, value)
    order.save(update_fields=[*fields, "updated_at"])
    return changed
