"""A GET never writes (docs/architecture.md): every orders page of a shop reads the rows the shop
always has (its `OrderFeed`, made with the shop) and writes none."""

from __future__ import annotations

from orders.models import OrderFeed

OK = (200, 302, 405)  # 405: POST-only views


def _assert_pages_write_nothing(client, pages, writes_of_get):
    for name, url in pages:
        response, writes = writes_of_get(client, url)
        assert response.status_code in OK, (name, response.status_code)
        assert writes == [], (name, writes)


def test_a_new_shop_has_its_order_feed_row(shop_a):
    assert OrderFeed.objects.filter(shop=shop_a).count() == 1


def test_a_get_of_every_orders_page_writes_no_row(owner, shop_a, shop_pages, writes_of_get):
    _assert_pages_write_nothing(owner, shop_pages("orders", shop_a), writes_of_get)


def test_a_get_of_every_orders_page_of_a_connected_shop_writes_no_row(owner, meta_shop, shop_pages, writes_of_get):
    _assert_pages_write_nothing(owner, shop_pages("orders", meta_shop.shop), writes_of_get)
