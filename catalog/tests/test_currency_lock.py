"""The shop's currency locks once the catalog holds prices in it (catalog registers the check
with shops.hooks; the shops app never imports the catalog)."""

from __future__ import annotations

from django.urls import reverse

from catalog.models import Product


def test_the_currency_is_locked_once_the_shop_has_products(alice_client, shop_a):
    url = reverse("shops:settings", args=[shop_a.pk])
    assert alice_client.get(url).context["form"].fields["currency"].disabled is False
    Product.objects.create(shop=shop_a, retailer_id="SKU-1", title="Tea", price_minor=100, currency="USD")
    form = alice_client.get(url).context["form"]
    assert form.fields["currency"].disabled is True
    alice_client.post(url, {"name": "Shop A", "storefront_url": "https://a.example", "country": "US",
                            "currency": "JPY", "timezone": "UTC", "business_vertical": "ECOMMERCE"})
    shop_a.refresh_from_db()
    assert shop_a.currency == "USD"
