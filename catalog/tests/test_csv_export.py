"""CSV export streams every product in the import's own columns and reads back unchanged."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from decimal import Decimal

from django.urls import reverse

from catalog import csv_io, imports, services
from catalog.models import ImportJob, Product
from catalog.tests.factories import make_product


def _export(client, shop) -> str:
    response = client.get(reverse("catalog:export", args=[shop.pk]))
    assert response.status_code == 200 and response.streaming
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment" in response["Content-Disposition"]
    return b"".join(response.streaming_content).decode("utf-8")


def test_the_export_has_metas_columns_and_values(owner, shop_a, shop_b):
    make_product(shop_a, retailer_id="TEA-1", price_minor=1250, sale_price_minor=999,
                 sale_starts_at=datetime(2026, 11, 1, tzinfo=UTC), sale_ends_at=datetime(2026, 11, 30, 23, 59, tzinfo=UTC),
                 additional_image_links=["https://t.example.com/a.jpg", "https://t.example.com/b.jpg"],
                 shipping_weight_value=Decimal("1.500"), shipping_weight_unit="kg", internal_labels=["gift"])
    make_product(shop_b, retailer_id="NOT-MINE")
    text = _export(owner, shop_a)
    assert text.startswith("\ufeff")
    rows = list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))
    assert [r["id"] for r in rows] == ["TEA-1"]
    row = rows[0]
    assert list(row) == csv_io.COLUMNS
    assert row["price"] == "12.50 USD" and row["sale_price"] == "9.99 USD"
    assert row["sale_price_effective_date"] == "2026-11-01T00:00+00:00/2026-11-30T23:59+00:00"
    assert row["additional_image_link"] == "https://t.example.com/a.jpg,https://t.example.com/b.jpg"
    assert row["shipping_weight"] == "1.5 kg" and row["internal_label"] == "gift" and row["status"] == "active"


def test_deleted_products_are_not_exported(owner, shop_a):
    make_product(shop_a, retailer_id="KEEP")
    services.delete_product(shop_a, make_product(shop_a, retailer_id="GONE"))
    assert "GONE" not in _export(owner, shop_a)


def test_an_export_imported_again_changes_nothing(owner, shop_a, shop_b):
    make_product(shop_a, retailer_id="TEA-1", title='Tea "special", 100 g', description="Line one\nline two",
                 sale_price_minor=500, sale_starts_at=datetime(2026, 11, 1, 8, 30, tzinfo=UTC),
                 sale_ends_at=datetime(2026, 12, 1, tzinfo=UTC), gtin="4006381333931", gender="unisex",
                 quantity_to_sell_on_facebook=0, shipping_weight_value=Decimal("0.250"), shipping_weight_unit="lb",
                 additional_image_links=["https://t.example.com/a.jpg"], internal_labels=["a b", "c"],
                 custom_label_2="=SUM(A1)", status="archived", item_group_id="G-1")
    make_product(shop_a, retailer_id="PLAIN")
    text = _export(owner, shop_a)
    assert "'=SUM(A1)" in text  # spreadsheet programs must not run it as a formula
    job = imports.start_import(shop_a, user=None, filename="export.csv", text=text.lstrip("\ufeff"))
    job.refresh_from_db()
    assert job.counts == {"create": 0, "update": 0, "unchanged": 2, "error": 0, "warning": 0}, job.errors
    # ... and into an empty shop of the same currency it recreates the same products.
    shop_b.currency = "USD"
    shop_b.save()
    job = imports.start_import(shop_b, user=None, filename="export.csv", text=text)
    imports.start_apply(ImportJob.objects.get(pk=job.pk))
    copy = Product.objects.get(shop=shop_b, retailer_id="TEA-1")
    original = Product.objects.get(shop=shop_a, retailer_id="TEA-1")
    assert copy.slow_hash == original.slow_hash and copy.fast_hash == original.fast_hash
    assert copy.custom_label_2 == "=SUM(A1)"


def test_a_viewer_may_export(client, bob, shop_a):
    make_product(shop_a, retailer_id="TEA-1")
    client.force_login(bob)
    assert "TEA-1" in _export(client, shop_a)
