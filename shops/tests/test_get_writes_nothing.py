"""A GET never writes (docs/architecture.md): every shops page of a shop reads the rows the shop
always has (its `MetaConnection`, made with the shop) and writes none."""

from __future__ import annotations

from shops.models import MetaConnection


def test_a_new_shop_has_its_meta_connection_row(shop_a):
    assert MetaConnection.objects.filter(shop=shop_a).count() == 1


def test_a_get_of_every_shops_page_writes_no_row(owner, shop_a, gets_write_nothing):
    gets_write_nothing(owner, "shops", shop_a)


def test_a_get_of_every_shops_page_of_a_connected_shop_writes_no_row(owner, meta_shop, gets_write_nothing):
    gets_write_nothing(owner, "shops", meta_shop.shop)
