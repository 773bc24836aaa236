"""The demo seeder: sandbox orders for a connected shop, website orders otherwise; idempotent."""

from __future__ import annotations

import io

from orders import demo
from orders.models import Order


def test_an_unconnected_shop_gets_website_orders_once(shop_a):
    out = io.StringIO()
    demo.seed([shop_a], stdout=out)
    demo.seed([shop_a], stdout=out)
    orders = Order.objects.filter(shop=shop_a)
    assert orders.count() == 3 and {o.channel for o in orders} == {"website"}
    assert "3 website orders" in out.getvalue() and "already there" in out.getvalue()


def test_a_connected_shop_gets_buyers_orders_at_the_sandbox(meta_shop):
    demo.seed([meta_shop.shop])
    demo.seed([meta_shop.shop])
    placed = meta_shop.buyer.orders(meta_shop.cms)
    assert len(placed) == 6
    counts = meta_shop.poll()
    assert counts["new"] == 6 and counts["acknowledged"] == 5
    orders = Order.objects.filter(shop=meta_shop.shop)
    assert orders.filter(state=Order.State.FB_PROCESSING).count() == 1
    assert any(o.has_order_level_offers for o in orders)
