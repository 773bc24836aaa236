"""A GET never writes (docs/architecture.md): every orders page of a shop reads the rows the shop
always has (its `OrderFeed`, made with the shop) and writes none."""

from __future__ import annotations

from orders.models import OrderFeed


def test_a_new_shop_has_its_order_feed_row(shop_a):
    assert OrderFeed.objects.filter(shop=shop_a).count() == 1


def test_a_get_of_every_orders_page_writes_no_row(owner, shop_a, gets_write_nothing):
    gets_write_nothing(owner, "orders", shop_a)


def test_a_get_of_every_orders_page_of_a_connected_shop_writes_no_row(owner, meta_shop, gets_write_nothing):
    gets_write_nothing(owner, "orders", meta_shop.shop)
