"""Promotions joins the orders ingest through `orders.hooks` (registered in PromotionsConfig.ready)."""

from __future__ import annotations

from promotions.models import OrderPromotion


def test_promotions_records_what_meta_applied_through_the_hook(meta_shop):
    placed = meta_shop.place(discounts=[{"type": "order", "amount_off": "2.00", "campaign_name": "Welcome"}])
    meta_shop.poll()
    order = meta_shop.local(placed["id"])
    assert list(OrderPromotion.objects.filter(order=order).values_list("campaign_name", "applied_minor")) == [
        ("Welcome", 200)]
