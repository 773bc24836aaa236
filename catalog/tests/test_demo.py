"""The demo seed gives each demo shop a catalog with variants, idempotently."""

from __future__ import annotations

import io

from catalog import demo
from catalog.models import Product, ProductIssue, ProductSet
from shops.services import create_shop


def test_seeding_twice_creates_each_product_once(alice):
    shops = [create_shop(owner=alice, name="Lotus Tea House", currency="USD", storefront_url="https://lotus.example.com"),
             create_shop(owner=alice, name="Harbour Ceramics", currency="GBP")]
    out = io.StringIO()
    demo.seed(shops, stdout=out)
    counts = [Product.objects.filter(shop=s).count() for s in shops]
    assert all(25 <= n <= 35 for n in counts), counts
    assert Product.objects.filter(shop=shops[0], item_group_id="JASMINE").count() == 3
    assert set(Product.objects.filter(shop=shops[1]).values_list("currency", flat=True)) == {"GBP"}
    assert "new products for Lotus Tea House" in out.getvalue()
    edited = Product.objects.get(shop=shops[0], retailer_id="GAIWAN")
    edited.title = "Changed by the demo user"
    edited.save()
    demo.seed(shops, stdout=io.StringIO())
    assert [Product.objects.filter(shop=s).count() for s in shops] == counts
    assert Product.objects.get(pk=edited.pk).title == "Changed by the demo user"
    assert ProductSet.objects.filter(name="Bestsellers").count() == 2
    assert ProductIssue.objects.open().filter(shop=shops[0]).count() == 4


def test_the_seed_command_hook_accepts_any_number_of_shops(alice):
    demo.seed([create_shop(owner=alice, name="Only one")])
    assert Product.objects.count() > 20


def test_the_demo_command_runs_the_catalog_seeder_twice_without_duplicates(db):
    from django.core.management import call_command

    call_command("seed_demo", stdout=io.StringIO())
    first = Product.objects.count()
    call_command("seed_demo", stdout=io.StringIO())
    assert first >= 50 and Product.objects.count() == first
