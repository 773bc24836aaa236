"""Each of Meta's product constraints is a field error in the product form."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from catalog.forms import ProductForm
from catalog.tests.factories import make_product

VALID = {
    "retailer_id": "TEA-1", "title": "Green tea", "description": "Spring picking.", "brand": "Lotus",
    "status": "active", "link": "https://tea.example.com/p/1", "image_link": "https://tea.example.com/1.jpg",
    "price": "9.99", "availability": "in stock", "condition": "new",
}


def _form(shop, **changes):
    data = {**VALID, **changes}
    return ProductForm({k: v for k, v in data.items() if v is not None}, shop=shop)


def test_a_complete_product_is_valid_and_its_price_is_stored_in_minor_units(shop_a):
    form = _form(shop_a)
    assert form.is_valid(), form.errors
    assert form.instance.price_minor == 999 and form.instance.currency == "USD"


@pytest.mark.parametrize("field", ["retailer_id", "title", "description", "brand", "link", "image_link", "price",
                                   "availability", "condition"])
def test_metas_required_fields_are_required(shop_a, field):
    form = _form(shop_a, **{field: ""})
    assert not form.is_valid()
    assert form.errors[field] == ["Meta needs this for every product."]


@pytest.mark.parametrize("field,value,code", [
    ("title", "x" * 201, "max_length"),
    ("description", "x" * 10000, "max_length"),
    ("retailer_id", "x" * 101, "max_length"),
    ("retailer_id", "has space", "retailer_id"),
    ("brand", "b" * 101, "max_length"),
    ("color", "c" * 101, "max_length"),
    ("material", "m" * 201, "max_length"),
    ("product_type", "t" * 751, "max_length"),
    ("custom_label_0", "l" * 101, "max_length"),
    ("availability", "maybe", "invalid_choice"),
    ("condition", "broken", "invalid_choice"),
    ("gender", "other", "invalid_choice"),
    ("age_group", "elderly", "invalid_choice"),
    ("link", "http://tea.example.com/p/1", "https"),
    ("image_link", "ftp://tea.example.com/1.jpg", "https"),
    ("image_link", "https://", "invalid"),
    ("gtin", "4006381333932", "gtin_checksum"),
    ("rich_text_description", "<p>Hi</p><script>alert(1)</script>", "unsafe_html"),
    ("rich_text_description", '<p onclick="x()">Hi</p>', "unsafe_html"),
    ("gtin", "12345", "gtin_format"),
    ("gtin", "40063813339AB", "gtin_format"),
    ("price", "9.999", "max_decimal_places"),
    ("price", "abc", "invalid"),
    ("price", "0", "price_positive"),
    ("price", "-1", "negative"),
])
def test_each_meta_constraint_is_a_field_error(shop_a, field, value, code):
    form = _form(shop_a, **{field: value})
    assert not form.is_valid()
    assert code in [e.code for e in form.errors.as_data()[field]], form.errors[field]


def test_the_title_length_error_names_metas_limit(shop_a):
    form = _form(shop_a, title="x" * 201)
    form.is_valid()
    assert form.errors["title"] == ["Meta accepts titles of up to 200 characters (this one has 201)."]


def test_price_decimals_follow_the_shops_currency(shop_b):
    assert not _form(shop_b, price="1500.5").is_valid()
    form = _form(shop_b, price="1500")
    assert form.is_valid(), form.errors
    assert form.instance.price_minor == 1500 and form.instance.currency == "JPY"


def test_simple_rich_text_is_accepted(shop_a):
    assert _form(shop_a, rich_text_description="<p>Spring <b>picking</b></p><ul><li>100 g</li></ul>").is_valid()


def test_a_valid_gtin_is_kept_without_spaces(shop_a):
    form = _form(shop_a, gtin="4006381 333931")
    assert form.is_valid(), form.errors
    assert form.instance.gtin == "4006381333931"


def test_more_than_twenty_additional_images_are_refused(shop_a):
    links = "\n".join(f"https://tea.example.com/{i}.jpg" for i in range(21))
    form = _form(shop_a, additional_image_links=links)
    assert not form.is_valid()
    assert "at most 20" in form.errors["additional_image_links"][0]
    form = _form(shop_a, additional_image_links="\n".join(links.splitlines()[:20]))
    assert form.is_valid(), form.errors
    assert len(form.instance.additional_image_links) == 20


def test_each_additional_image_must_be_https(shop_a):
    form = _form(shop_a, additional_image_links="https://ok.example.com/a.jpg\nhttp://bad.example.com/b.jpg")
    assert not form.is_valid()
    assert "http://bad.example.com/b.jpg" in form.errors["additional_image_links"][0]


def test_the_sale_price_must_be_below_the_price(shop_a):
    form = _form(shop_a, sale_price="9.99")
    assert not form.is_valid()
    assert form.errors["sale_price"] == ["The sale price must be lower than the price."]


def test_sale_dates_need_both_ends_a_sale_price_and_the_right_order(shop_a):
    form = _form(shop_a, sale_price="5", sale_starts_at="2026-11-01T00:00")
    assert not form.is_valid() and "sale_ends_at" in form.errors
    form = _form(shop_a, sale_starts_at="2026-11-01T00:00", sale_ends_at="2026-11-02T00:00")
    assert not form.is_valid() and "sale_price" in form.errors
    form = _form(shop_a, sale_price="5", sale_starts_at="2026-11-02T00:00", sale_ends_at="2026-11-01T00:00")
    assert not form.is_valid() and form.errors["sale_ends_at"] == ["The sale must end after it starts."]


def test_sale_dates_are_read_in_the_shops_time_zone(shop_a):
    shop_a.timezone = "Asia/Shanghai"
    form = _form(shop_a, sale_price="5", sale_starts_at="2026-11-01T08:00", sale_ends_at="2026-11-02T08:00")
    assert form.is_valid(), form.errors
    assert form.instance.sale_starts_at == datetime(2026, 11, 1, 0, 0, tzinfo=UTC)


def test_weight_and_unit_go_together(shop_a):
    form = _form(shop_a, shipping_weight_value="1.5")
    assert not form.is_valid() and "shipping_weight_unit" in form.errors
    form = _form(shop_a, shipping_weight_value="1.5", shipping_weight_unit="kg")
    assert form.is_valid(), form.errors


def test_labels_are_a_comma_separated_list_of_short_names(shop_a):
    form = _form(shop_a, internal_labels="summer, gift,summer")
    assert form.is_valid(), form.errors
    assert form.instance.internal_labels == ["summer", "gift"]
    form = _form(shop_a, internal_labels="x" * 111)
    assert not form.is_valid() and "internal_labels" in form.errors


def test_a_retailer_id_in_use_by_another_product_is_refused(shop_a, shop_b):
    make_product(shop_a, retailer_id="TEA-1")
    make_product(shop_b, retailer_id="OTHER-SHOP")
    form = _form(shop_a)
    assert not form.is_valid()
    assert form.errors["retailer_id"] == ["Another product already uses this retailer id."]
    assert _form(shop_a, retailer_id="OTHER-SHOP").is_valid()  # ids are per shop


def test_the_retailer_id_cannot_change_once_meta_has_the_product(shop_a):
    from django.utils import timezone

    product = make_product(shop_a, retailer_id="TEA-1", synced_at=timezone.now())
    form = ProductForm({**VALID, "retailer_id": "TEA-NEW"}, instance=product, shop=shop_a)
    assert not form.is_valid()
    assert "cannot change" in form.errors["retailer_id"][0]
    assert form.fields["retailer_id"].widget.attrs.get("readonly")


def test_before_the_first_sync_the_retailer_id_can_still_change(shop_a):
    product = make_product(shop_a, retailer_id="TEA-1")
    form = ProductForm({**VALID, "retailer_id": "TEA-NEW"}, instance=product, shop=shop_a)
    assert form.is_valid(), form.errors


def test_long_titles_and_descriptions_give_warnings_not_errors(shop_a):
    form = _form(shop_a, title="t" * 160, description="d" * 6000)
    assert form.is_valid(), form.errors
    assert [field for field, _m in form.warnings] == ["title", "description"]


def test_a_viewer_gets_a_disabled_form(shop_a):
    form = ProductForm(shop=shop_a, readonly=True)
    assert all(field.disabled for field in form.fields.values())


def test_focus_puts_autofocus_on_the_field(shop_a):
    form = ProductForm(shop=shop_a, focus="image_link")
    assert form.fields["image_link"].widget.attrs["autofocus"] is True
    assert ProductForm(shop=shop_a, focus="not_a_field").focus == ""
