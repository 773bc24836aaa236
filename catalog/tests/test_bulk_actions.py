"""Bulk actions change the selected rows of the product list, and only this shop's."""

from __future__ import annotations

from django.urls import reverse

from catalog import services
from catalog.models import Product
from catalog.tests.factories import make_product, make_set


def _bulk(client, shop, **data):
    return client.post(reverse("catalog:bulk", args=[shop.pk]), data, follow=True)


def test_archive_and_unarchive_the_selected_products(owner, shop_a):
    a, b, untouched = make_product(shop_a), make_product(shop_a), make_product(shop_a)
    response = _bulk(owner, shop_a, action="archive", products=[a.pk, b.pk])
    assert "2 products changed" in response.content.decode()
    assert set(Product.objects.filter(status="archived").values_list("pk", flat=True)) == {a.pk, b.pk}
    _bulk(owner, shop_a, action="unarchive", products=[a.pk])
    assert set(Product.objects.filter(status="archived").values_list("pk", flat=True)) == {b.pk}
    untouched.refresh_from_db()
    assert untouched.status == "active"


def test_set_availability_marks_only_a_fast_sync(owner, shop_a):
    product = make_product(shop_a)
    services.confirm_synced(shop_a, [(product.pk, product.slow_hash, product.fast_hash)])
    _bulk(owner, shop_a, action="set_availability", availability="out of stock", products=[product.pk])
    product.refresh_from_db()
    assert product.availability == "out of stock"
    assert product.needs_sync_fast and not product.needs_sync_slow


def test_set_availability_needs_a_value(owner, shop_a):
    product = make_product(shop_a)
    response = _bulk(owner, shop_a, action="set_availability", products=[product.pk])
    assert "Choose the availability to set." in response.content.decode()
    product.refresh_from_db()
    assert product.availability == "in stock"


def test_nothing_selected_is_explained(owner, shop_a):
    response = _bulk(owner, shop_a, action="archive")
    assert "Select at least one product." in response.content.decode()


def test_another_shops_products_cannot_be_changed(owner, shop_a, shop_b):
    theirs = make_product(shop_b)
    mine = make_product(shop_a)
    _bulk(owner, shop_a, action="archive", products=[mine.pk, theirs.pk])
    theirs.refresh_from_db()
    mine.refresh_from_db()
    assert theirs.status == "active" and mine.status == "active"  # the whole request is refused


def test_adding_to_and_removing_from_a_picked_set(owner, shop_a):
    product = make_product(shop_a)
    product_set = make_set(shop_a, kind="picked", brand="")
    _bulk(owner, shop_a, action="add_to_set", product_set=product_set.pk, products=[product.pk])
    product.refresh_from_db()
    assert product.set_labels == [product_set.member_label] and product.needs_sync_slow
    assert list(product_set.products.all()) == [product]
    _bulk(owner, shop_a, action="remove_from_set", product_set=product_set.pk, products=[product.pk])
    product.refresh_from_db()
    assert product.set_labels == [] and not product_set.products.exists()


def test_another_shops_set_cannot_be_used(owner, shop_a, shop_b):
    product = make_product(shop_a)
    theirs = make_set(shop_b, kind="picked", brand="")
    response = _bulk(owner, shop_a, action="add_to_set", product_set=theirs.pk, products=[product.pk])
    assert response.status_code == 200
    assert not theirs.products.exists()


def test_a_viewer_cannot_run_bulk_actions(client, bob, shop_a):
    product = make_product(shop_a)
    client.force_login(bob)
    response = client.post(reverse("catalog:bulk", args=[shop_a.pk]), {"action": "archive", "products": [product.pk]})
    assert response.status_code == 403
    product.refresh_from_db()
    assert product.status == "active"


def test_bulk_actions_only_redirect_within_the_site(owner, shop_a):
    product = make_product(shop_a)
    response = owner.post(reverse("catalog:bulk", args=[shop_a.pk]),
                          {"action": "archive", "products": [product.pk], "next": "https://evil.example.com/"})
    assert response["Location"] == reverse("catalog:products", args=[shop_a.pk])
