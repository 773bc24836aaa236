"""Bad input on catalog pages is the seller's error to fix, never a 500 (issue 12)."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from catalog.models import ImportJob, Product
from catalog.tests.factories import CSV_HEADER, csv_row, make_product


@pytest.mark.parametrize("nxt", ["x", "products", "javascript:alert(1)", "//evil.example.com/", "https://evil.example.com/",
                                 "", "\u00e9t\u00e9"])
def test_a_bulk_action_with_a_next_that_is_not_a_path_here_returns_to_the_product_list(owner, shop_a, nxt):
    product = make_product(shop_a)
    response = owner.post(reverse("catalog:bulk", args=[shop_a.pk]),
                          {"action": "archive", "products": [product.pk], "next": nxt})
    assert response.status_code == 302
    assert response["Location"] == reverse("catalog:products", args=[shop_a.pk])
    product.refresh_from_db()
    assert product.status == Product.Status.ARCHIVED


def test_a_bulk_action_returns_to_the_filtered_list_it_came_from(owner, shop_a):
    product = make_product(shop_a)
    back = reverse("catalog:products", args=[shop_a.pk]) + "?q=tea&after=3"
    response = owner.post(reverse("catalog:bulk", args=[shop_a.pk]),
                          {"action": "archive", "products": [product.pk], "next": back})
    assert response.status_code == 302 and response["Location"] == back


def test_an_invalid_bulk_action_with_next_x_shows_the_error_on_the_list(owner, shop_a):
    response = owner.post(reverse("catalog:bulk", args=[shop_a.pk]), {"action": "archive", "next": "x"}, follow=True)
    assert response.status_code == 200
    assert response.redirect_chain[-1][0] == reverse("catalog:products", args=[shop_a.pk])


def test_one_cell_over_128_kb_is_that_rows_error_and_the_other_rows_import(owner, shop_a):
    huge = "x" * 140_000
    text = "\n".join([CSV_HEADER, csv_row("TEA-1"), csv_row("TEA-2", title=huge), csv_row("TEA-3"),
                      csv_row("TEA-4").replace("Good tea", '"' + "a, b" * 50_000 + '"'), csv_row("TEA-5")]) + "\n"
    upload = SimpleUploadedFile("products.csv", text.encode(), content_type="text/csv")
    response = owner.post(reverse("catalog:import_start", args=[shop_a.pk]), {"file": upload})
    assert response.status_code == 302
    job = ImportJob.objects.get(shop=shop_a)
    assert job.status == ImportJob.Status.READY, job.fatal_error
    assert job.counts["create"] == 3 and job.counts["error"] == 2
    problems = {(e["row"], e["column"]): e["message"] for e in job.errors}
    assert problems == {
        (3, "title"): "This cell has 140000 characters; a cell may have at most 65536.",
        (5, "description"): "This cell has 200000 characters; a cell may have at most 65536.",
    }
    page = owner.get(reverse("catalog:import_detail", args=[shop_a.pk, job.pk]))
    assert page.status_code == 200 and huge not in page.content.decode()
    owner.post(reverse("catalog:import_apply", args=[shop_a.pk, job.pk]))
    assert sorted(Product.objects.filter(shop=shop_a).values_list("retailer_id", flat=True)) == [
        "TEA-1", "TEA-3", "TEA-5"]
