"""A GET never writes (docs/architecture.md): every shops page of a shop reads the rows the shop
always has (its `MetaConnection`, made with the shop) and writes none."""

from __future__ import annotations

from shops.models import MetaConnection

OK = (200, 302, 405)  # 405: POST-only views


def _assert_pages_write_nothing(client, pages, writes_of_get):
    for name, url in pages:
        response, writes = writes_of_get(client, url)
        assert response.status_code in OK, (name, response.status_code)
        assert writes == [], (name, writes)


def test_a_new_shop_has_its_meta_connection_row(shop_a):
    assert MetaConnection.objects.filter(shop=shop_a).count() == 1


def test_a_get_of_every_shops_page_writes_no_row(owner, shop_a, shop_pages, writes_of_get):
    _assert_pages_write_nothing(owner, shop_pages("shops", shop_a), writes_of_get)


def test_a_get_of_every_shops_page_of_a_connected_shop_writes_no_row(owner, meta_shop, shop_pages, writes_of_get):
    _assert_pages_write_nothing(owner, shop_pages("shops", meta_shop.shop), writes_of_get)
