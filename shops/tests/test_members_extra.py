from __future__ import annotations

from django.contrib.auth import get_user_model
from django.urls import reverse

from catalog.models import Product
from shops.models import Membership
from shops.services import add_member


def test_inviting_an_email_that_is_someone_elses_username_creates_a_new_account(shop_a):
    get_user_model().objects.create_user(username="dora@example.com", email="other@example.com")
    membership, created = add_member(shop_a, email="dora@example.com", role=Membership.Role.VIEWER)
    assert created and membership.user.email == "dora@example.com"
    assert membership.user.username != "dora@example.com"


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
