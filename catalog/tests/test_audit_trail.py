"""Every change a seller makes to products, product sets and imports goes through a catalog
service that takes plain values and the actor and writes an audit event: each test drives the
seller's page end to end and reads the trail."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from catalog import services, sets
from catalog.models import ImportJob, Product, ProductSet
from catalog.tests.factories import CSV_HEADER, csv_row, make_product, make_set
from catalog.tests.test_forms import VALID
from shops.models import AuditEvent


def _events(shop, action) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(shop=shop, action=action).order_by("pk"))


def _event(shop, action) -> AuditEvent:
    return AuditEvent.objects.get(shop=shop, action=action)


# --- products -------------------------------------------------------------------------------------


def test_creating_a_product_through_the_form_is_audited(owner, alice, shop_a):
    response = owner.post(reverse("catalog:product_new", args=[shop_a.pk]), VALID)
    product = Product.objects.get(shop=shop_a, retailer_id="TEA-1")
    assert response["Location"] == reverse("catalog:product_edit", args=[shop_a.pk, product.pk])
    assert (product.price_minor, product.currency) == (999, "USD")
    event = _event(shop_a, "product.create")
    assert (event.actor, event.target_id, event.summary) == (alice, str(product.pk), "TEA-1")
    assert event.changes["price_minor"] == 999 and event.changes["title"] == "Green tea"


def test_editing_a_product_audits_what_changed(owner, alice, shop_a):
    owner.post(reverse("catalog:product_new", args=[shop_a.pk]), VALID)
    product = Product.objects.get(shop=shop_a, retailer_id="TEA-1")
    owner.post(reverse("catalog:product_edit", args=[shop_a.pk, product.pk]), {**VALID, "price": "12.50"})
    product.refresh_from_db()
    assert product.price_minor == 1250
    event = _event(shop_a, "product.update")
    assert event.actor == alice and event.changes == {"price_minor": [999, 1250]}


def test_a_product_of_another_shop_cannot_be_saved_by_id(shop_a, shop_b, alice):
    theirs = make_product(shop_b)
    with pytest.raises(Product.DoesNotExist):
        services.save_product(shop_a, theirs.pk, values={"title": "Mine now"}, actor=alice)
    with pytest.raises(ValueError):
        services.save_product(shop_a, values={"shop_id": shop_b.pk}, actor=alice)


def test_a_revived_tombstone_and_its_variant_group_are_audited(owner, alice, shop_a):
    original = make_product(shop_a, retailer_id="TEA-0", item_group_id="")
    old = make_product(shop_a, retailer_id="TEA-1")
    services.delete_product(shop_a, old)
    url = reverse("catalog:product_new", args=[shop_a.pk]) + f"?variant_of={original.pk}"
    owner.post(url, {**VALID, "item_group_id": "TEA"})
    assert Product.objects.get(shop=shop_a, retailer_id="TEA-1").pk == old.pk  # the tombstone, revived
    assert _event(shop_a, "product.create").target_id == str(old.pk)
    grouped = _event(shop_a, "product.update")
    assert (grouped.actor, grouped.target_id, grouped.changes) == (alice, str(original.pk), {"item_group_id": ["", "TEA"]})


def test_deleting_a_product_is_audited(owner, alice, shop_a):
    product = make_product(shop_a, retailer_id="TEA-1")
    owner.post(reverse("catalog:product_delete", args=[shop_a.pk, product.pk]))
    product.refresh_from_db()
    assert product.is_deleted
    assert (_event(shop_a, "product.delete").actor, _event(shop_a, "product.delete").summary) == (alice, "TEA-1")


def test_a_bulk_action_audits_each_changed_product(owner, alice, shop_a):
    a, b = make_product(shop_a), make_product(shop_a, status="archived")
    owner.post(reverse("catalog:bulk", args=[shop_a.pk]), {"action": "archive", "products": [a.pk, b.pk]})
    assert Product.objects.get(pk=a.pk).status == "archived"
    events = _events(shop_a, "product.set_status")
    assert [(e.actor, e.target_id, e.changes) for e in events] == [(alice, str(a.pk), {"status": ["active", "archived"]})]
    owner.post(reverse("catalog:bulk", args=[shop_a.pk]),
               {"action": "set_availability", "availability": "out of stock", "products": [a.pk, b.pk]})
    assert len(_events(shop_a, "product.set_availability")) == 2


# --- product sets ---------------------------------------------------------------------------------


def test_creating_a_picked_set_is_audited_with_its_products(owner, alice, shop_a):
    tea, cup = make_product(shop_a, retailer_id="TEA-1"), make_product(shop_a, retailer_id="CUP-1")
    owner.post(reverse("catalog:set_new", args=[shop_a.pk]),
               {"name": "Bestsellers", "kind": "picked", "retailer_ids": "TEA-1, CUP-1"})
    product_set = ProductSet.objects.get(shop=shop_a, name="Bestsellers")
    assert set(product_set.products.all()) == {tea, cup}
    event = _event(shop_a, "product_set.create")
    assert (event.actor, event.target_id) == (alice, str(product_set.pk))
    assert event.changes["kind"] == "picked" and event.changes["products_added"] == sorted([tea.pk, cup.pk])


def test_editing_a_set_audits_what_changed(owner, alice, shop_a):
    product_set = make_set(shop_a, name="Acme", kind="rules", brand="Acme")
    owner.post(reverse("catalog:set_edit", args=[shop_a.pk, product_set.pk]),
               {"name": "Acme", "kind": "rules", "brand": "Acme", "price_min": "5"})
    assert ProductSet.objects.get(pk=product_set.pk).price_min_minor == 500
    event = _event(shop_a, "product_set.update")
    assert event.actor == alice and event.changes == {"price_min_minor": [None, 500]}


def test_adding_to_a_set_from_the_product_list_is_audited(owner, alice, shop_a):
    product, product_set = make_product(shop_a), make_set(shop_a, kind="picked", brand="")
    owner.post(reverse("catalog:bulk", args=[shop_a.pk]),
               {"action": "add_to_set", "product_set": product_set.pk, "products": [product.pk]})
    assert list(product_set.products.all()) == [product]
    event = _event(shop_a, "product_set.add_products")
    assert event.actor == alice and event.changes == {"products": [product.pk]}
    owner.post(reverse("catalog:bulk", args=[shop_a.pk]),
               {"action": "remove_from_set", "product_set": product_set.pk, "products": [product.pk]})
    assert _event(shop_a, "product_set.remove_products").actor == alice


def test_deleting_a_set_is_audited(owner, alice, shop_a):
    product_set = make_set(shop_a, name="Old")
    owner.post(reverse("catalog:set_delete", args=[shop_a.pk, product_set.pk]))
    assert ProductSet.objects.get(pk=product_set.pk).deleted_at is not None
    assert (_event(shop_a, "product_set.delete").actor, _event(shop_a, "product_set.delete").summary) == (alice, "Old")


def test_another_shops_set_cannot_be_saved_by_id(shop_a, shop_b, alice):
    theirs = make_set(shop_b)
    with pytest.raises(ProductSet.DoesNotExist):
        sets.save_product_set(shop_a, theirs.pk, values={"name": "Mine now"}, actor=alice)


# --- imports --------------------------------------------------------------------------------------


def _upload(client, shop, text):
    upload = SimpleUploadedFile("products.csv", text.encode("utf-8"), content_type="text/csv")
    response = client.post(reverse("catalog:import_start", args=[shop.pk]), {"file": upload})
    return ImportJob.objects.get(pk=response["Location"].rstrip("/").split("/")[-1])


def test_an_import_is_audited_when_uploaded_and_applied(owner, alice, shop_a):
    job = _upload(owner, shop_a, CSV_HEADER + "\n" + csv_row("TEA-1") + "\n")
    assert _event(shop_a, "import.start").actor == alice
    owner.post(reverse("catalog:import_apply", args=[shop_a.pk, job.pk]))
    assert Product.objects.filter(shop=shop_a, retailer_id="TEA-1").exists()
    event = _event(shop_a, "import.apply")
    assert (event.actor, event.target_id, event.changes["create"]) == (alice, str(job.pk), 1)


def test_cancelling_an_import_is_audited(owner, alice, shop_a):
    job = _upload(owner, shop_a, CSV_HEADER + "\n" + csv_row("TEA-1") + "\n")
    owner.post(reverse("catalog:import_cancel", args=[shop_a.pk, job.pk]))
    assert ImportJob.objects.get(pk=job.pk).status == ImportJob.Status.CANCELLED
    assert _event(shop_a, "import.cancel").actor == alice
