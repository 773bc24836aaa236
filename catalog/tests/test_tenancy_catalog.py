"""Every catalog view refuses another shop's objects (404) and a viewer's changes (403)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from catalog.models import ImportJob, Product, ProductSet
from catalog.tests.factories import make_import, make_product, make_set
from catalog.tests.tenancy import extra_kwargs

OBJECT_VIEWS = [
    ("catalog:product_edit", "product_id"), ("catalog:product_delete", "product_id"),
    ("catalog:import_detail", "job_id"), ("catalog:import_progress", "job_id"), ("catalog:import_apply", "job_id"),
    ("catalog:import_cancel", "job_id"), ("catalog:import_errors", "job_id"),
    ("catalog:set_edit", "set_id"), ("catalog:set_delete", "set_id"),
]


@pytest.mark.parametrize("name,kwarg", OBJECT_VIEWS)
def test_another_shops_object_is_not_found(client, alice, shop_a, shop_b, name, kwarg):
    client.force_login(alice)  # owner of A, stranger to B
    url = reverse(name, kwargs={"shop_id": shop_a.pk, **extra_kwargs(name, (kwarg,), shop_b)})
    assert client.get(url).status_code in (404, 405)
    assert client.post(url).status_code == 404


@pytest.mark.parametrize("name,kwarg", OBJECT_VIEWS)
def test_an_outsider_cannot_reach_a_shops_objects(client, charlie, shop_a, shop_b, name, kwarg):
    client.force_login(charlie)  # owner of B, stranger to A
    url = reverse(name, kwargs={"shop_id": shop_a.pk, **extra_kwargs(name, (kwarg,), shop_a)})
    assert client.get(url).status_code in (404, 405)
    assert client.post(url).status_code == 404


def test_a_viewer_cannot_change_anything(client, bob, shop_a):
    client.force_login(bob)
    product, product_set, job = make_product(shop_a), make_set(shop_a), make_import(shop_a)
    posts = [
        (reverse("catalog:product_new", args=[shop_a.pk]), {"retailer_id": "X"}),
        (reverse("catalog:product_edit", args=[shop_a.pk, product.pk]), {"title": "Hacked"}),
        (reverse("catalog:product_delete", args=[shop_a.pk, product.pk]), {}),
        (reverse("catalog:bulk", args=[shop_a.pk]), {"action": "archive", "products": [product.pk]}),
        (reverse("catalog:set_new", args=[shop_a.pk]), {"name": "X", "kind": "rules", "brand": "Y"}),
        (reverse("catalog:set_edit", args=[shop_a.pk, product_set.pk]), {"name": "Hacked"}),
        (reverse("catalog:set_delete", args=[shop_a.pk, product_set.pk]), {}),
        (reverse("catalog:import_apply", args=[shop_a.pk, job.pk]), {}),
        (reverse("catalog:import_cancel", args=[shop_a.pk, job.pk]), {}),
    ]
    for url, data in posts:
        assert client.post(url, data).status_code == 403, url
    product.refresh_from_db()
    product_set.refresh_from_db()
    assert product.title != "Hacked" and product.deleted_at is None and product.status == "active"
    assert product_set.name != "Hacked" and product_set.deleted_at is None
    assert ImportJob.objects.get(pk=job.pk).status == "ready"
    assert Product.objects.count() == 1 and ProductSet.objects.count() == 1


def test_a_viewer_reads_every_catalog_page(client, bob, shop_a):
    client.force_login(bob)
    product, product_set, job = make_product(shop_a), make_set(shop_a), make_import(shop_a)
    for url in [reverse("catalog:index", args=[shop_a.pk]), reverse("catalog:products", args=[shop_a.pk]),
                reverse("catalog:product_edit", args=[shop_a.pk, product.pk]),
                reverse("catalog:sets", args=[shop_a.pk]), reverse("catalog:set_edit", args=[shop_a.pk, product_set.pk]),
                reverse("catalog:import_start", args=[shop_a.pk]),
                reverse("catalog:import_detail", args=[shop_a.pk, job.pk])]:
        response = client.get(url)
        assert response.status_code == 200, url
        assert b"view-only access" in response.content
