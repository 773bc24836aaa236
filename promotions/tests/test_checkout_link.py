"""The checkout link check end to end: the shop's real catalog products and coupon code (the
answers catalog and promotions register in shops.hooks), the seller's Settings form and "Check
now", a fake storefront on this machine, and the shop issue on the Issues page."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from catalog.checkout import checkout_products
from catalog.tests.factories import make_product
from promotions.checkout import checkout_coupons
from promotions.models import Discount
from promotions.tests.factories import make_discount
from shops.models import ShopIssue
from shops.tests.storefront import FakeStorefront


@pytest.fixture
def catalog(shop_a):
    now = timezone.now()
    return {
        "tea": make_product(shop_a, retailer_id="TEA-1", title="Green tea", quantity_to_sell_on_facebook=8),
        "mug": make_product(shop_a, retailer_id="MUG-2", title="Blue mug"),
        "gone": make_product(shop_a, retailer_id="OLD-3", title="Old pot", availability="out of stock"),
        "sold_out": make_product(shop_a, retailer_id="ZERO-4", title="Empty box", quantity_to_sell_on_facebook=0),
        "archived": make_product(shop_a, retailer_id="ARC-5", title="Archived cup", status="archived"),
        "coupon": make_discount(shop_a, application=Discount.Application.COUPON, coupon_code="TEA15"),
        "ended": make_discount(shop_a, title="Last year", application=Discount.Application.COUPON,
                               coupon_code="OLD10", ends_at=now - timedelta(days=1)),
    }


@pytest.fixture
def storefront(catalog, settings):
    settings.CHECKOUT_ALLOW_LOCAL_URLS = True
    site = FakeStorefront({"TEA-1": "Green tea", "MUG-2": "Blue mug"}, coupons=("TEA15",)).start()
    yield site
    site.stop()


def test_the_catalog_offers_products_buyers_can_buy_now(shop_a, catalog):
    found = checkout_products(shop_a, 5)
    assert {p.retailer_id for p in found} == {"TEA-1", "MUG-2"}
    assert {p.retailer_id: p.stock for p in found} == {"TEA-1": 8, "MUG-2": None}


def test_products_meta_has_come_first(shop_a, catalog):
    type(catalog["mug"]).objects.filter(pk=catalog["tea"].pk).update(synced_at=timezone.now())
    assert [p.retailer_id for p in checkout_products(shop_a, 1)] == ["TEA-1"]


def test_promotions_offer_the_live_codes_any_cart_can_use_first(shop_a, catalog):
    make_discount(shop_a, title="Big carts", application=Discount.Application.COUPON, coupon_code="BIG20",
                  min_subtotal_minor=10000)
    make_discount(shop_a, title="Soon", application=Discount.Application.COUPON, coupon_code="SOON",
                  starts_at=timezone.now() + timedelta(days=2))
    assert checkout_coupons(shop_a) == ["TEA15", "BIG20"]


def test_the_sellers_link_is_checked_with_the_shops_own_cart(meta_shop, shop_a, storefront,
                                                             django_capture_on_commit_callbacks):
    client = meta_shop.client
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("shops:settings", args=[shop_a.pk]),
                    {"form": "checkout", "checkout_url": storefront.checkout_url})
    shop_a.refresh_from_db()
    assert shop_a.checkout_ok is True, shop_a.checkout_results
    asked = [q for path, q in storefront.requests if path == "/fb-checkout"]
    assert {rid.split(":")[0] for q in asked for rid in q["products"].split(",")} == {"TEA-1", "MUG-2"}
    assert {q.get("coupon") for q in asked} == {None, "TEA15"}
    assert ShopIssue.objects.filter(shop=shop_a, kind="shop.checkout_link", resolved_at__isnull=True).count() == 0
    page = client.get(reverse("shops:settings", args=[shop_a.pk]))
    assert "Works" in page.text and "Green tea" in page.text

    # The website stops applying coupons: "Check now" finds it, the Issues page says so.
    storefront.drop_coupon = True
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("shops:checkout_check", args=[shop_a.pk]))
    shop_a.refresh_from_db()
    assert shop_a.checkout_ok is False and shop_a.checkout_reason == "coupon_missing"
    issues = client.get(reverse("shops:issues", args=[shop_a.pk])).text
    assert "the checkout link does not work" in issues and "TEA15" in issues
    settings_page = client.get(reverse("shops:settings", args=[shop_a.pk])).text
    assert "Does not work" in settings_page and "did not show the coupon code TEA15" in settings_page

    storefront.drop_coupon = False
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("shops:checkout_check", args=[shop_a.pk]))
    assert not ShopIssue.objects.filter(shop=shop_a, kind="shop.checkout_link", resolved_at__isnull=True).exists()
    assert "the checkout link does not work" not in client.get(reverse("shops:issues", args=[shop_a.pk])).text
