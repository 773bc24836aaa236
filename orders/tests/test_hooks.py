"""Apps above orders join ingestion through `orders.hooks` (orders never imports them): a hook
sees the orders a page created, inside that page's transaction."""

from __future__ import annotations

import pytest

from orders import hooks
from orders.models import Order


def test_a_hook_sees_the_created_orders_with_their_items(meta_shop, monkeypatch):
    seen = []
    monkeypatch.setattr(hooks, "_ON_ORDERS_CREATED", [])
    hooks.register_on_orders_created(lambda orders, lines: seen.extend(
        (o.meta_order_id, o.items.count(), [item.pk for item in lines[o.pk]]) for o in orders))
    placed = meta_shop.place()
    meta_shop.poll()
    order = Order.objects.get(meta_order_id=placed["id"])
    assert seen == [(placed["id"], 1, [item.pk for item in order.items.all()])]


def test_a_failing_hook_rolls_back_the_page_it_was_called_for(meta_shop, monkeypatch):
    def broken(orders, lines):
        raise RuntimeError("hook failed")

    monkeypatch.setattr(hooks, "_ON_ORDERS_CREATED", [broken])
    meta_shop.place()
    with pytest.raises(RuntimeError):
        meta_shop.poll()
    assert not Order.objects.filter(shop=meta_shop.shop).exists()
