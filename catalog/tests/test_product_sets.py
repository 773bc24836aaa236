"""Product sets: Meta's filter JSON, local membership, and membership riding the item sync."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from catalog import services, sets
from catalog.models import Product, ProductSet
from catalog.tests.factories import make_product, make_set


def test_a_rules_set_becomes_an_and_of_metas_filter_leaves(shop_a):
    product_set = make_set(shop_a, kind="rules", brand="Acme", product_type="Shoes", price_min_minor=1000,
                           price_max_minor=5000)
    assert sets.meta_filter(product_set) == {"and": [
        {"brand": {"eq": "Acme"}},
        {"product_type": {"i_contains": "Shoes"}},
        {"price": {"gte": 1000}},
        {"price": {"lte": 5000}},
    ]}


def test_picked_and_label_sets_filter_on_internal_labels(shop_a):
    picked = make_set(shop_a, kind="picked", brand="")
    labelled = make_set(shop_a, kind="label", label="summer", brand="")
    assert sets.meta_filter(picked) == {"and": [{"internal_label": {"eq": picked.retailer_id}}]}
    assert sets.meta_filter(labelled) == {"and": [{"internal_label": {"eq": "summer"}}]}
    assert picked.retailer_id.startswith("ps_") and picked.member_label == picked.retailer_id


def test_local_membership_matches_the_rules(shop_a, shop_b):
    hit = make_product(shop_a, brand="Acme", product_type="Shoes > Running", price_minor=2000)
    make_product(shop_a, brand="Acme", product_type="Shoes", price_minor=9000)
    make_product(shop_a, brand="Other", product_type="Shoes", price_minor=2000)
    make_product(shop_b, brand="Acme", product_type="Shoes", price_minor=2000)
    product_set = make_set(shop_a, kind="rules", brand="Acme", product_type="shoes", price_max_minor=5000)
    assert list(sets.members(product_set)) == [hit]


def test_a_label_set_finds_products_carrying_the_label(shop_a):
    summer = make_product(shop_a, internal_labels=["summer", "gift"])
    make_product(shop_a, internal_labels=["summerish"])
    make_product(shop_a)
    product_set = make_set(shop_a, kind="label", label="summer", brand="")
    assert list(sets.members(product_set)) == [summer]


def test_picking_products_labels_them_so_membership_rides_the_item_sync(shop_a):
    a, b = make_product(shop_a), make_product(shop_a)
    services.confirm_synced(shop_a, [(p.pk, p.slow_hash, p.fast_hash) for p in (a, b)])
    product_set = make_set(shop_a, kind="picked", brand="")
    sets.add_products(shop_a, product_set, [a])
    a.refresh_from_db()
    b.refresh_from_db()
    assert a.set_labels == [product_set.member_label] and a.needs_sync_slow
    assert not b.needs_sync_slow
    assert list(sets.members(product_set)) == [a]
    sets.remove_products(shop_a, product_set, [a])
    a.refresh_from_db()
    assert a.set_labels == [] and not a.needs_sync_slow  # back to what Meta already has


def test_creating_a_picked_set_from_retailer_ids(owner, shop_a):
    make_product(shop_a, retailer_id="TEA-1")
    make_product(shop_a, retailer_id="TEA-2")
    response = owner.post(reverse("catalog:set_new", args=[shop_a.pk]),
                          {"name": "Bestsellers", "kind": "picked", "retailer_ids": "TEA-1, TEA-2"})
    assert response.status_code == 302
    product_set = ProductSet.objects.get(shop=shop_a, name="Bestsellers")
    assert set(product_set.products.values_list("retailer_id", flat=True)) == {"TEA-1", "TEA-2"}
    page = owner.get(response["Location"]).content.decode()
    assert "2 products in this set" in page
    assert json.dumps(sets.meta_filter(product_set)).replace('"', "&quot;") in page


def test_unknown_retailer_ids_are_named_in_the_error(owner, shop_a):
    response = owner.post(reverse("catalog:set_new", args=[shop_a.pk]),
                          {"name": "X", "kind": "picked", "retailer_ids": "NOPE-1\nNOPE-2"})
    assert response.status_code == 200
    assert response.context["form"].errors["retailer_ids"] == ["No product has these retailer ids: NOPE-1, NOPE-2"]


def test_another_shops_products_cannot_be_picked(owner, shop_a, shop_b):
    make_product(shop_b, retailer_id="THEIRS")
    response = owner.post(reverse("catalog:set_new", args=[shop_a.pk]),
                          {"name": "X", "kind": "picked", "retailer_ids": "THEIRS"})
    assert "retailer_ids" in response.context["form"].errors


@pytest.mark.parametrize("data,field", [
    ({"kind": "label"}, "label"),
    ({"kind": "rules"}, "__all__"),
    ({"kind": "rules", "price_min": "50", "price_max": "10"}, "price_max"),
    ({"kind": "rules", "price_min": "1.234"}, "price_min"),
])
def test_each_kind_needs_its_own_rule(owner, shop_a, data, field):
    response = owner.post(reverse("catalog:set_new", args=[shop_a.pk]), {"name": "Set", **data})
    assert field in response.context["form"].errors


def test_editing_a_set_keeps_its_retailer_id_and_marks_it_for_sync(owner, shop_a):
    product_set = make_set(shop_a, kind="rules", brand="Acme")
    ProductSet.objects.filter(pk=product_set.pk).update(needs_sync=False)
    url = reverse("catalog:set_edit", args=[shop_a.pk, product_set.pk])
    owner.post(url, {"name": "Acme goods", "kind": "rules", "brand": "Acme", "price_min": "5"})
    changed = ProductSet.objects.get(pk=product_set.pk)
    assert changed.retailer_id == product_set.retailer_id and changed.needs_sync
    assert changed.price_min_minor == 500


def test_switching_a_picked_set_to_rules_releases_its_products(owner, shop_a):
    product = make_product(shop_a, retailer_id="TEA-1")
    product_set = make_set(shop_a, kind="picked", brand="")
    sets.add_products(shop_a, product_set, [product])
    owner.post(reverse("catalog:set_edit", args=[shop_a.pk, product_set.pk]),
               {"name": "Now rules", "kind": "rules", "brand": "Acme"})
    product.refresh_from_db()
    assert product.set_labels == [] and not product_set.products.exists()


def test_deleting_a_set_unlabels_its_products_and_keeps_a_tombstone(owner, shop_a):
    product = make_product(shop_a)
    product_set = make_set(shop_a, kind="picked", brand="")
    sets.add_products(shop_a, product_set, [product])
    assert owner.post(reverse("catalog:set_delete", args=[shop_a.pk, product_set.pk])).status_code == 302
    product_set.refresh_from_db()
    product.refresh_from_db()
    assert product_set.deleted_at is not None and product_set.needs_sync
    assert product.set_labels == []
    assert owner.get(reverse("catalog:set_edit", args=[shop_a.pk, product_set.pk])).status_code == 404


def test_deleting_a_product_takes_it_out_of_its_sets(shop_a):
    product = make_product(shop_a)
    product_set = make_set(shop_a, kind="picked", brand="")
    sets.add_products(shop_a, product_set, [product])
    services.delete_product(shop_a, product)
    assert not product_set.products.exists()
    assert Product.objects.get(pk=product.pk).set_labels == []


def test_the_set_list_shows_each_sets_rule(owner, shop_a):
    make_set(shop_a, name="Cheap Acme", kind="rules", brand="Acme", price_max_minor=1000)
    html = owner.get(reverse("catalog:sets", args=[shop_a.pk])).content.decode()
    assert "Cheap Acme" in html and "brand Acme" in html and "$10.00" in html
