"""A GET never writes (docs/architecture.md): every catalog page of a shop reads the rows the shop
always has (its `CatalogSync`, made with the shop) and writes none."""

from __future__ import annotations

from catalog.models import CatalogSync


def test_a_new_shop_has_its_catalog_sync_row(shop_a):
    assert CatalogSync.objects.filter(shop=shop_a).count() == 1


def test_a_get_of_every_catalog_page_writes_no_row(owner, shop_a, gets_write_nothing):
    gets_write_nothing(owner, "catalog", shop_a)


def test_a_get_of_every_catalog_page_of_a_connected_shop_writes_no_row(owner, meta_shop, gets_write_nothing):
    gets_write_nothing(owner, "catalog", meta_shop.shop)
