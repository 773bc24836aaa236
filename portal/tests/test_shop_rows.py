"""Every shop has the rows the apps need (Meta connection, catalog sync state, order feed,
promotion settings) however it was made: by a seller, by staff in the admin, by the demo
seeder. Pages read them and never create them on a GET."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.urls import reverse

from catalog.models import CatalogSync
from orders.models import OrderFeed
from promotions.models import PromotionSettings
from shops.models import MetaConnection, Shop

ROWS = (MetaConnection, CatalogSync, OrderFeed, PromotionSettings)


def _assert_has_its_rows(shop):
    for model in ROWS:
        assert model.objects.filter(shop=shop).count() == 1, model.__name__


def test_a_seller_made_shop_has_its_rows(shop_a):
    _assert_has_its_rows(shop_a)


def test_a_shop_added_in_the_admin_has_its_rows(staff_client):
    add = reverse("admin:shops_shop_add")
    page = staff_client.get(add)
    data = {"name": "Staff-made shop", "country": "US", "currency": "USD", "timezone": "UTC",
            "business_vertical": Shop._meta.get_field("business_vertical").default}
    for formset in page.context["inline_admin_formsets"]:
        management = formset.formset.management_form
        data.update({management.add_prefix(k): v for k, v in management.initial.items()})
    assert staff_client.post(add, data).status_code == 302
    _assert_has_its_rows(Shop.objects.get(name="Staff-made shop"))


@pytest.mark.django_db
def test_the_demo_shops_have_their_rows_and_a_second_seed_adds_none(settings, monkeypatch):
    from portal.management.commands import seed_demo

    settings.GRAPH_SANDBOX_ENABLED = False
    monkeypatch.setattr(seed_demo, "demo_seeders", lambda: [])
    call_command("seed_demo", stdout=io.StringIO())
    call_command("seed_demo", stdout=io.StringIO())
    shops = Shop.objects.filter(external_business_id__startswith="demo-")
    assert shops.count() == 2
    for shop in shops:
        _assert_has_its_rows(shop)
