"""Staff change products and product sets in the admin through the sellers' services: the same
rules, the same fast lane to Meta, an audit event naming the staff member; a deleted product is a
tombstone (Meta still has to delete its copy), never a row gone; the system's records are
read-only."""

from __future__ import annotations

from django.urls import reverse

from catalog.models import ImportJob, Product, ProductIssue, ProductSet
from catalog.tests.factories import make_issue, make_product
from catalog.tests.test_forms import VALID
from shops.models import AuditEvent


def _seller_product(owner, shop) -> Product:
    response = owner.post(reverse("catalog:product_new", args=[shop.pk]), VALID)
    assert response.status_code == 302
    product = Product.objects.get(shop=shop, retailer_id=VALID["retailer_id"])
    Product.objects.filter(pk=product.pk).update(needs_sync_fast=False, needs_sync_slow=False)
    return product


def test_a_staff_edit_of_a_product_goes_through_the_service(owner, shop_a, staff_client, admin_form):
    product = _seller_product(owner, shop_a)
    url = reverse("admin:catalog_product_change", args=[product.pk])
    data = admin_form(staff_client.get(url), price_minor="1250", title="Jasmine tea, 100 g")
    response = staff_client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    product.refresh_from_db()
    assert (product.price_minor, product.title) == (1250, "Jasmine tea, 100 g")
    assert product.needs_sync_fast  # the price goes to Meta by the fast lane, as a seller's edit does
    event = AuditEvent.objects.get(shop=shop_a, action="product.update")
    assert event.actor_label == "staff:stella" and event.changes["price_minor"] == [999, 1250]


def test_the_shop_of_a_product_cannot_be_changed_in_the_admin(owner, shop_a, shop_b, staff_client, admin_form):
    product = _seller_product(owner, shop_a)
    url = reverse("admin:catalog_product_change", args=[product.pk])
    response = staff_client.get(url)
    assert "shop" not in response.context["adminform"].form.fields
    staff_client.post(url, {**admin_form(response), "shop": str(shop_b.pk)})
    product.refresh_from_db()
    assert product.shop_id == shop_a.pk


def test_a_staff_delete_leaves_a_tombstone_for_meta(owner, shop_a, staff_client):
    product = _seller_product(owner, shop_a)
    url = reverse("admin:catalog_product_delete", args=[product.pk])
    assert staff_client.post(url, {"post": "yes"}).status_code == 302
    product.refresh_from_db()
    assert product.deleted_at is not None
    assert AuditEvent.objects.get(shop=shop_a, action="product.delete").actor_label == "staff:stella"
    # a tombstone is history: it can be looked at, not changed or deleted again
    change = reverse("admin:catalog_product_change", args=[product.pk])
    assert staff_client.get(change).status_code == 200
    assert staff_client.post(change, {"title": "back"}).status_code == 403
    assert staff_client.post(url, {"post": "yes"}).status_code == 403


def test_a_staff_edit_of_a_picked_set_keeps_to_the_shops_own_products(owner, shop_a, shop_b, staff_client,
                                                                     admin_form):
    mine = _seller_product(owner, shop_a)
    theirs = make_product(shop_b)
    product_set = ProductSet.objects.create(shop=shop_a, name="Picked", kind=ProductSet.Kind.PICKED)
    url = reverse("admin:catalog_productset_change", args=[product_set.pk])
    data = admin_form(staff_client.get(url), name="Staff picks", products=f"{mine.pk},{theirs.pk}")
    response = staff_client.post(url, data)
    assert response.status_code == 302
    product_set.refresh_from_db()
    assert product_set.name == "Staff picks" and product_set.needs_sync
    assert list(product_set.products.values_list("pk", flat=True)) == [mine.pk]
    event = AuditEvent.objects.get(shop=shop_a, action="product_set.update")
    assert event.actor_label == "staff:stella" and event.changes["products_added"] == [mine.pk]


def test_the_catalogs_system_records_are_read_only(shop_a, staff_client):
    issue = make_issue(shop_a)
    job = ImportJob.objects.create(shop=shop_a, filename="a.csv")
    for name, pk in (("productissue", issue.pk), ("importjob", job.pk)):
        url = reverse(f"admin:catalog_{name}_change", args=[pk])
        assert staff_client.get(url).status_code == 200
        assert staff_client.post(url, {"message": "edited"}).status_code == 403
        assert staff_client.get(reverse(f"admin:catalog_{name}_add")).status_code == 403
    issue.refresh_from_db()
    assert issue.message == "Image too small" and ProductIssue.objects.count() == 1
