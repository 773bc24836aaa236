"""A GET never writes (docs/architecture.md): every promotions page of a shop reads the rows the shop
always has (its `PromotionSettings`, made with the shop) and writes none."""

from __future__ import annotations

from promotions.models import PromotionSettings


def test_a_new_shop_has_its_promotion_settings_row(shop_a):
    assert PromotionSettings.objects.filter(shop=shop_a).count() == 1


def test_a_get_of_every_promotions_page_writes_no_row(owner, shop_a, gets_write_nothing):
    gets_write_nothing(owner, "promotions", shop_a)


def test_a_get_of_every_promotions_page_of_a_connected_shop_writes_no_row(owner, meta_shop, gets_write_nothing):
    gets_write_nothing(owner, "promotions", meta_shop.shop)
