"""Row locks, always taken in primary-key order (STYLE §21): two workers locking the same rows
can never wait on each other in opposite orders, so deadlocks cannot happen. Call inside
`transaction.atomic()`."""

from __future__ import annotations

from collections.abc import Iterable

from orders.models import MetaPush, Order, OrderFeed, OrderItem


def lock_order(order_id: int, *, shop=None) -> Order:
    """The order row, locked (scoped to `shop` when given), with its shop."""
    qs = Order.objects.select_related("shop")
    if shop is not None:
        qs = qs.filter(shop=shop)
    return qs.order_by("pk").select_for_update(of=("self",)).get(pk=order_id)


def lock_orders(order_ids: Iterable[int]) -> list[Order]:
    return list(Order.objects.filter(pk__in=list(order_ids)).order_by("pk").select_for_update())


def lock_items(order: Order) -> list[OrderItem]:
    return list(OrderItem.objects.filter(order=order).order_by("pk").select_for_update())


def lock_feed(shop_id: int) -> OrderFeed:
    """The shop's feed row (created with the shop), locked: one ingestion writer at a time."""
    return OrderFeed.objects.filter(shop_id=shop_id).order_by("pk").select_for_update().get()


def lock_push(push_id: int) -> MetaPush:
    return MetaPush.objects.filter(pk=push_id).order_by("pk").select_for_update().get()
