"""A GET never writes (docs/architecture.md): every catalog page of a shop reads the rows the shop
always has (its `CatalogSync`, made with the shop) and writes none."""

from __future__ import annotations

from catalog.models import CatalogSync

OK = (200, 302, 405)  # 405: POST-only views


def _assert_pages_write_nothing(client, pages, writes_of_get):
    for name, url in pages:
        response, writes = writes_of_get(client, url)
        assert response.status_code in OK, (name, response.status_code)
        assert writes == [], (name, writes)


def test_a_new_shop_has_its_catalog_sync_row(shop_a):
    assert CatalogSync.objects.filter(shop=shop_a).count() == 1


def test_a_get_of_every_catalog_page_writes_no_row(owner, shop_a, shop_pages, writes_of_get):
    _assert_pages_write_nothing(owner, shop_pages("catalog", shop_a), writes_of_get)


def test_a_get_of_every_catalog_page_of_a_connected_shop_writes_no_row(owner, meta_shop, shop_pages, writes_of_get):
    _assert_pages_write_nothing(owner, shop_pages("catalog", meta_shop.shop), writes_of_get)
