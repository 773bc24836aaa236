"""Our products as Meta's items_batch records (META_API.md §2.1, §2.5).

- `item_data(product)`: the full PRODUCT_ITEM `data` dict; `fast_item_data(product)`: only the
  volatile fields (price, sale price and its dates, availability, inventory).
- `item_request(product, fast=False)` / `delete_request(product)`: one `requests[]` record.

Rules we chose:
- The retailer id goes in `data.id` (not `retailer_id`), prices as "9.99 USD".
- Every optional field we manage is always present; an empty one is sent as "" (or [] for
  lists) because an UPDATE is partial at Meta: a key left out would keep Meta's old value, so a
  seller who clears a GTIN or ends a sale would see no change. (Meta's own WooCommerce plugin
  sends `sale_price: ""` and `sale_price_effective_date: ""` the same way.) The inventory is
  the exception: when we do not track stock, we leave Meta's count alone.
- Archived products stay in the catalog with `visibility: "staging"` (hidden from shops);
  deleting is a DELETE record, sent for the tombstone.
- Records use method UPDATE with `allow_upsert` (the default), so one record creates or updates.
"""

from __future__ import annotations

from datetime import UTC, datetime

FAST_FIELDS = ("price", "sale_price", "sale_price_effective_date", "availability", "quantity_to_sell_on_facebook")

# Optional plain-text attributes sent under the same name as our model field.
_TEXT_FIELDS = (
    "rich_text_description", "item_group_id", "gtin", "mpn", "color", "size", "material", "pattern", "gender",
    "age_group", "google_product_category", "fb_product_category", "product_type",
    "custom_label_0", "custom_label_1", "custom_label_2", "custom_label_3", "custom_label_4",
)


def effective_date(start: datetime | None, end: datetime | None) -> str:
    """Meta's `sale_price_effective_date`: "2026-11-01T00:00+00:00/2026-11-30T23:59+00:00" in UTC."""
    if start is None or end is None:
        return ""
    return f"{_meta_time(start)}/{_meta_time(end)}"


def _meta_time(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M+00:00")


def fast_item_data(product) -> dict:
    data = {
        "id": product.retailer_id,
        "price": product.price.to_meta_price(),
        "sale_price": product.sale_price.to_meta_price() if product.on_sale else "",
        "sale_price_effective_date": effective_date(product.sale_starts_at, product.sale_ends_at)
        if product.on_sale else "",
        "availability": product.availability,
    }
    if product.quantity_to_sell_on_facebook is not None:
        data["quantity_to_sell_on_facebook"] = product.quantity_to_sell_on_facebook
    return data


def item_data(product) -> dict:
    data = {
        "id": product.retailer_id,
        "title": product.title,
        "description": product.description,
        "brand": product.brand,
        "link": product.link,
        "image_link": product.image_link,
        "additional_image_link": list(product.additional_image_links),
        "condition": product.condition,
        "visibility": "staging" if product.is_archived else "published",
        "shipping_weight": product.shipping_weight,
        "internal_label": product.all_internal_labels,
    }
    for name in _TEXT_FIELDS:
        data[name] = getattr(product, name)
    data.update(fast_item_data(product))
    return data


def item_request(product, *, fast: bool = False) -> dict:
    if product.is_deleted:
        return delete_request(product)
    return {"method": "UPDATE", "data": fast_item_data(product) if fast else item_data(product)}


def delete_request(product) -> dict:
    return {"method": "DELETE", "data": {"id": product.retailer_id}}
