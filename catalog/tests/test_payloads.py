"""Products become Meta's items_batch records, field for field."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from catalog import payloads
from catalog.tests.factories import make_product


def _full_product(shop):
    return make_product(
        shop, retailer_id="TEA-GREEN-100", title="Green tea 100 g", description="Spring picking.",
        rich_text_description="<p>Spring picking.</p>", brand="Lotus", link="https://tea.example.com/green",
        image_link="https://tea.example.com/green.jpg",
        additional_image_links=["https://tea.example.com/green-2.jpg", "https://tea.example.com/green-3.jpg"],
        price_minor=1250, sale_price_minor=999,
        sale_starts_at=datetime(2026, 11, 1, 0, 0, tzinfo=UTC), sale_ends_at=datetime(2026, 11, 30, 23, 59, tzinfo=UTC),
        availability="in stock", condition="new", quantity_to_sell_on_facebook=40, item_group_id="TEA-GREEN",
        gtin="4006381333931", mpn="LT-100", color="green", size="100 g", material="", pattern="", gender="unisex",
        age_group="adult", google_product_category="Food, Beverages & Tobacco > Beverages > Tea & Infusions",
        fb_product_category="", product_type="Tea > Green", custom_label_0="spring", custom_label_3="bestseller",
        shipping_weight_value=Decimal("0.150"), shipping_weight_unit="kg", internal_labels=["summer", "gift"],
    )


def test_the_full_payload_has_every_field_in_metas_format(shop_a):
    product = _full_product(shop_a)
    assert payloads.item_data(product) == {
        "id": "TEA-GREEN-100",
        "title": "Green tea 100 g",
        "description": "Spring picking.",
        "rich_text_description": "<p>Spring picking.</p>",
        "brand": "Lotus",
        "link": "https://tea.example.com/green",
        "image_link": "https://tea.example.com/green.jpg",
        "additional_image_link": ["https://tea.example.com/green-2.jpg", "https://tea.example.com/green-3.jpg"],
        "condition": "new",
        "visibility": "published",
        "price": "12.50 USD",
        "sale_price": "9.99 USD",
        "sale_price_effective_date": "2026-11-01T00:00+00:00/2026-11-30T23:59+00:00",
        "availability": "in stock",
        "quantity_to_sell_on_facebook": 40,
        "item_group_id": "TEA-GREEN",
        "gtin": "4006381333931",
        "mpn": "LT-100",
        "color": "green",
        "size": "100 g",
        "material": "",
        "pattern": "",
        "gender": "unisex",
        "age_group": "adult",
        "google_product_category": "Food, Beverages & Tobacco > Beverages > Tea & Infusions",
        "fb_product_category": "",
        "product_type": "Tea > Green",
        "custom_label_0": "spring",
        "custom_label_1": "",
        "custom_label_2": "",
        "custom_label_3": "bestseller",
        "custom_label_4": "",
        "shipping_weight": "0.15 kg",
        "internal_label": ["gift", "summer"],
    }


def test_the_fast_payload_carries_only_price_and_stock(shop_a):
    product = _full_product(shop_a)
    assert payloads.fast_item_data(product) == {
        "id": "TEA-GREEN-100",
        "price": "12.50 USD",
        "sale_price": "9.99 USD",
        "sale_price_effective_date": "2026-11-01T00:00+00:00/2026-11-30T23:59+00:00",
        "availability": "in stock",
        "quantity_to_sell_on_facebook": 40,
    }
    assert payloads.item_request(product, fast=True) == {"method": "UPDATE",
                                                         "data": payloads.fast_item_data(product)}


def test_without_a_sale_the_sale_fields_are_sent_empty_to_clear_them(shop_a):
    product = make_product(shop_a, retailer_id="A1", price_minor=500)
    assert payloads.fast_item_data(product) == {
        "id": "A1", "price": "5.00 USD", "sale_price": "", "sale_price_effective_date": "",
        "availability": "in stock",
    }


def test_prices_use_the_currencys_own_decimals(shop_b):
    product = make_product(shop_b, price_minor=1500, sale_price_minor=1200)
    data = payloads.fast_item_data(product)
    assert data["price"] == "1500 JPY" and data["sale_price"] == "1200 JPY"


def test_sale_dates_in_other_time_zones_are_sent_in_utc(shop_a):
    from zoneinfo import ZoneInfo

    shanghai = ZoneInfo("Asia/Shanghai")
    assert payloads.effective_date(datetime(2026, 11, 1, 8, 0, tzinfo=shanghai),
                                   datetime(2026, 11, 2, 7, 59, tzinfo=shanghai)) == \
        "2026-11-01T00:00+00:00/2026-11-01T23:59+00:00"


def test_archived_products_are_hidden_not_deleted(shop_a):
    product = make_product(shop_a, status="archived")
    assert payloads.item_request(product)["method"] == "UPDATE"
    assert payloads.item_data(product)["visibility"] == "staging"


def test_set_labels_join_the_sellers_internal_labels(shop_a):
    product = make_product(shop_a, internal_labels=["summer"], set_labels=["ps_abc"])
    assert payloads.item_data(product)["internal_label"] == ["ps_abc", "summer"]


def test_a_deleted_product_becomes_a_delete_record(shop_a):
    from catalog import services

    product = make_product(shop_a, retailer_id="GONE-1")
    services.delete_product(shop_a, product)
    product.refresh_from_db()
    assert payloads.item_request(product) == {"method": "DELETE", "data": {"id": "GONE-1"}}
