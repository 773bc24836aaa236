"""Product issues: recorded per source, resolved when Meta stops reporting them, shown as cards."""

from __future__ import annotations

from datetime import timedelta

from django.urls import reverse
from django.utils import timezone

from catalog import services
from catalog.issues import Reported, catalog_issue_cards, from_batch_message, from_item_errors, record_issues
from catalog.models import ProductIssue
from catalog.tests.factories import make_product
from kernel.issues import issue_cards

SMALL = Reported(code="IMAGE_RESOLUTION_LOW", message="Image is 300 × 300.", field="image_link")
GTIN = Reported(code="UNIQUE_PRODUCT_IDENTIFIER_MISSING", field="gtin", severity="opportunity")
ITEM = ProductIssue.Source.ITEM_ERRORS


def test_reported_issues_open_and_are_refreshed_when_seen_again(shop_a):
    product = make_product(shop_a)
    first = timezone.now() - timedelta(hours=2)
    assert record_issues(shop_a, ITEM, {product.pk: [SMALL]}, now=first) == {"opened": 1, "refreshed": 0,
                                                                             "resolved": 0}
    assert record_issues(shop_a, ITEM, {product.pk: [SMALL]}) == {"opened": 0, "refreshed": 1, "resolved": 0}
    issue = ProductIssue.objects.get()
    assert issue.first_seen == first and issue.last_seen > first and issue.is_open


def test_issues_no_longer_reported_are_resolved_and_kept_as_history(shop_a):
    product = make_product(shop_a)
    record_issues(shop_a, ITEM, {product.pk: [SMALL, GTIN]})
    assert record_issues(shop_a, ITEM, {product.pk: [GTIN]})["resolved"] == 1
    resolved = ProductIssue.objects.get(code="IMAGE_RESOLUTION_LOW")
    assert resolved.resolved_at is not None
    record_issues(shop_a, ITEM, {product.pk: [SMALL]})  # it comes back: a new row, history intact
    assert ProductIssue.objects.filter(code="IMAGE_RESOLUTION_LOW").count() == 2
    assert ProductIssue.objects.open().filter(code="IMAGE_RESOLUTION_LOW").count() == 1


def test_each_source_and_product_is_reconciled_separately(shop_a):
    a, b = make_product(shop_a), make_product(shop_a)
    record_issues(shop_a, ITEM, {a.pk: [SMALL], b.pk: [SMALL]})
    record_issues(shop_a, ProductIssue.Source.BATCH, {a.pk: [from_batch_message("Invalid price")]})
    record_issues(shop_a, ITEM, {a.pk: []})
    assert set(ProductIssue.objects.open().values_list("product_id", "source")) == {(b.pk, "item_errors"),
                                                                                   (a.pk, "batch")}


def test_catalog_level_diagnostics_are_issues_without_a_product(shop_a):
    diag = Reported(code="LOW_QUALITY_TITLE_AND_DESCRIPTION", severity="opportunity", affected_count=42,
                    title="Improve titles")
    record_issues(shop_a, ProductIssue.Source.DIAGNOSTICS, {None: [diag]})
    record_issues(shop_a, ProductIssue.Source.DIAGNOSTICS, {None: [diag]})
    issue = ProductIssue.objects.open().get()
    assert issue.product is None and issue.affected_count == 42
    record_issues(shop_a, ProductIssue.Source.DIAGNOSTICS, {None: []})
    assert not ProductIssue.objects.open().exists()


def test_metas_item_errors_become_reported_issues():
    errors = [{"error_type": "IMAGE_RESOLUTION_LOW", "error_priority": "HIGH", "title": "Image too small",
               "description": "Use at least 500 × 500."},
              {"error_type": "MISSING_COLOR", "error_priority": "LOW", "title": "", "description": ""}]
    assert from_item_errors(errors) == [
        Reported(code="IMAGE_RESOLUTION_LOW", severity="must_fix", field="image_link", title="Image too small",
                 message="Use at least 500 × 500."),
        Reported(code="MISSING_COLOR", severity="opportunity", field="color"),
    ]


def test_a_batch_error_names_the_field_it_mentions():
    reported = from_batch_message("A required field is missing: availability.")
    assert (reported.code, reported.field) == ("BATCH_REJECTED", "availability")
    assert from_batch_message("Invalid value for additional_image_link").field == "additional_image_links"


def test_one_product_with_an_issue_gets_an_edit_button_for_that_field(shop_a):
    product = make_product(shop_a)
    record_issues(shop_a, ITEM, {product.pk: [SMALL]})
    [card] = catalog_issue_cards(shop_a)
    assert card.kind == "catalog.IMAGE_RESOLUTION_LOW.image_link"
    assert card.title == "1 product has an image that is too small"
    assert card.severity == "must_fix" and card.count == 1 and card.group == "catalog"
    assert "500 × 500" in card.explanation
    assert card.cta_label == "Edit Main image link"
    assert card.cta_url == reverse("catalog:product_edit", args=[shop_a.pk, product.pk]) + "?focus=image_link"
    assert not card.cta_external and card.checked_at is not None


def test_many_products_with_one_issue_get_a_filtered_list(shop_a):
    products = [make_product(shop_a) for _ in range(12)]
    record_issues(shop_a, ITEM, {p.pk: [SMALL] for p in products})
    record_issues(shop_a, ProductIssue.Source.BATCH, {products[0].pk: [SMALL]})  # same kind, counted once
    [card] = catalog_issue_cards(shop_a)
    assert card.title == "12 products have images that are too small" and card.count == 12
    assert card.cta_url == reverse("catalog:products", args=[shop_a.pk]) + "?issue=IMAGE_RESOLUTION_LOW"
    assert card.cta_label == "Show the 12 products"


def test_policy_rejections_send_the_seller_to_commerce_manager(shop_a):
    shop_a.meta_connection.catalog_id = "987654"
    shop_a.meta_connection.save()
    product = make_product(shop_a)
    record_issues(shop_a, ProductIssue.Source.REVIEW, {product.pk: [Reported(code="SHOPS_POLICY_VIOLATION")]})
    [card] = catalog_issue_cards(shop_a)
    assert card.cta_url == "https://business.facebook.com/commerce/catalogs/987654/issues"
    assert card.cta_external and card.cta_label == "Request a review in Commerce Manager"


def test_unknown_kinds_use_metas_own_message(shop_a):
    product = make_product(shop_a)
    record_issues(shop_a, ITEM, {product.pk: [Reported(code="SOMETHING_NEW", message="Meta explains it.",
                                                         severity="warning")]})
    [card] = catalog_issue_cards(shop_a)
    assert card.title == "1 product has a problem Meta reported"
    assert card.explanation == "Meta explains it." and card.severity == "warning"
    assert card.cta_label == "Open the product"


def test_the_worst_severity_of_a_group_wins_and_catalog_cards_come_too(shop_a):
    a, b = make_product(shop_a), make_product(shop_a)
    record_issues(shop_a, ITEM, {a.pk: [Reported(code="MISSING_SIZE", field="size", severity="opportunity")],
                                 b.pk: [Reported(code="MISSING_SIZE", field="size", severity="must_fix")]})
    record_issues(shop_a, ProductIssue.Source.DIAGNOSTICS,
                  {None: [Reported(code="IMAGE_QUALITY", severity="opportunity", affected_count=30)]})
    cards = {c.kind: c for c in catalog_issue_cards(shop_a)}
    assert cards["catalog.MISSING_SIZE.size"].severity == "must_fix"
    assert cards["catalog.IMAGE_QUALITY"].count == 30 and cards["catalog.IMAGE_QUALITY"].cta_external


def test_resolved_issues_and_deleted_products_leave_the_cards(shop_a):
    product, gone = make_product(shop_a), make_product(shop_a)
    record_issues(shop_a, ITEM, {product.pk: [SMALL], gone.pk: [GTIN]})
    services.delete_product(shop_a, gone)
    record_issues(shop_a, ITEM, {product.pk: []})
    assert catalog_issue_cards(shop_a) == []


def test_the_provider_is_registered_with_the_portal(shop_a, shop_b):
    product = make_product(shop_a)
    record_issues(shop_a, ITEM, {product.pk: [SMALL]})
    assert "catalog.IMAGE_RESOLUTION_LOW.image_link" in [c.kind for c in issue_cards(shop_a)]
    assert not [c for c in issue_cards(shop_b) if c.group == "catalog"]


def test_the_catalog_page_and_the_list_show_open_issues(client, alice, shop_a):
    product = make_product(shop_a)
    record_issues(shop_a, ITEM, {product.pk: [SMALL]})
    client.force_login(alice)
    overview = client.get(reverse("catalog:index", args=[shop_a.pk])).content.decode()
    assert "1 product has an image that is too small" in overview and "?focus=image_link" in overview
    listing = client.get(reverse("catalog:products", args=[shop_a.pk])).content.decode()
    assert "Image too small" in listing and "Needs you" in listing
