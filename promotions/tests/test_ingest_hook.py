"""Promotions joins the orders ingest through `orders.hooks` (registered in PromotionsConfig.ready)."""

from __future__ import annotations

from kernel import shopcache
from promotions.models import OrderPromotion


def test_promotions_records_what_meta_applied_through_the_hook(meta_shop):
    placed = meta_shop.place(discounts=[{"type": "order", "amount_off": "2.00", "campaign_name": "Welcome"}])
    meta_shop.poll()
    order = meta_shop.local(placed["id"])
    assert list(OrderPromotion.objects.filter(order=order).values_list("campaign_name", "applied_minor")) == [
        ("Welcome", 200)]


def test_the_promotions_page_lists_those_on_the_shops_recent_orders(meta_shop, alice_client, monkeypatch):
    from django.urls import reverse

    meta_shop.place(discounts=[{"type": "order", "amount_off": "2.00", "campaign_name": "Welcome"}])
    meta_shop.place(discounts=[{"type": "order", "amount_off": "1.00", "campaign_name": "Spring"}])
    meta_shop.poll()
    url = reverse("promotions:index", args=[meta_shop.shop.pk])
    html = alice_client.get(url).content.decode()
    assert "Promotions on your recent Meta orders" in html and "Welcome" in html and "Spring" in html
    # Only the newest orders are read: with one, the older order's promotion is not listed (the
    # list is one of the shop's cached summaries: read anew after a forget).
    monkeypatch.setattr("promotions.views.RECENT_ORDERS", 1)
    shopcache.forget(meta_shop.shop.pk)
    html = alice_client.get(url).content.decode()
    newest = OrderPromotion.objects.order_by("-order_id").first().campaign_name
    older = {"Welcome", "Spring"} - {newest}
    assert newest in html and older.pop() not in html and "Seen on your last order." in html
