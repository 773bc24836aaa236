""""Check now" on the Issues page also refreshes the products' diagnostics from Meta, not only
the shop's health (issue 12; before, product diagnostics came with the hourly sweep only)."""

from __future__ import annotations

from django.urls import reverse

from catalog import sync
from catalog.models import ProductIssue
from catalog.tests.factories import make_product
from kernel.models import JobRun


def test_check_now_reads_metas_review_of_the_products(meta_shop, django_capture_on_commit_callbacks):
    shop = meta_shop.shop
    product = make_product(shop, retailer_id="T-1")
    assert sync.sync_shop(shop.pk, "full").status == "succeeded"
    meta_shop.catalog.review(meta_shop.catalog_id, ["T-1"], "rejected")
    assert not ProductIssue.objects.open().filter(product=product).exists()
    with django_capture_on_commit_callbacks(execute=True):
        response = meta_shop.client.post(reverse("shops:check_now", args=[shop.pk]))
    assert response.status_code == 302
    assert JobRun.objects.filter(job="catalog.diagnostics", shop=shop).exists()
    issue = ProductIssue.objects.open().get(product=product)
    assert issue.source == ProductIssue.Source.REVIEW


def test_check_now_on_a_shop_not_connected_queues_no_diagnostics(owner, shop_a, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        owner.post(reverse("shops:check_now", args=[shop_a.pk]))
    assert not JobRun.objects.filter(job="catalog.diagnostics").exists()
