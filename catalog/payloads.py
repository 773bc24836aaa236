"""Our products as Meta's items_batch records (META_API.md §2.1, §2.5): the one mapping of our
product fields to Meta's, used by every lane (the full, changes and fast syncs, the sync hashes a
save computes, the benchmark's transfer floor).

The mapping reads a **row**: a mapping of our field names (`ROW_FIELDS`) to their values, as
`Product.objects.values(*ROW_FIELDS)` returns them, so a sync streams rows from one query and
never builds model instances. A `Product` is accepted too (its fields are read into a row).

- `item_data(row)`: the full PRODUCT_ITEM `data` dict; `fast_item_data(row)`: only the
  volatile fields (price, sale price and its dates, availability, inventory).
- `item_request(row, fast=False)` / `delete_request(row)`: one `requests[]` record.

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

from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal
from functools import lru_cache

from kernel.money import Money

FAST_FIELDS = ("price", "sale_price", "sale_price_effective_date", "availability", "quantity_to_sell_on_facebook")

# Optional plain-text attributes sent under the same name as our model field.
_TEXT_FIELDS = (
    "rich_text_description", "item_group_id", "gtin", "mpn", "color", "size", "material", "pattern", "gender",
    "age_group", "google_product_category", "fb_product_category", "product_type",
    "custom_label_0", "custom_label_1", "custom_label_2", "custom_label_3", "custom_label_4",
)

#: The product fields the fast record reads.
FAST_ROW_FIELDS = ("retailer_id", "currency", "price_minor", "sale_price_minor", "sale_starts_at", "sale_ends_at",
                   "availability", "quantity_to_sell_on_facebook", "deleted_at")

#: Every product field the mapping reads (a `values()` row of these makes any record).
ROW_FIELDS = (*FAST_ROW_FIELDS, "status", "title", "description", "brand", "link", "image_link",
              "additional_image_links", "condition", "shipping_weight_value", "shipping_weight_unit",
              "internal_labels", "set_labels", *_TEXT_FIELDS)

_ARCHIVED = "archived"  # Product.Status.ARCHIVED (this module is imported by the model's module)


def row_of(product, names: tuple[str, ...] = ROW_FIELDS) -> Mapping:
    """A product's fields `names` as the mapping reads them (a `values()` row is passed through)."""
    if isinstance(product, Mapping):
        return product
    return {name: getattr(product, name) for name in names}


def effective_date(start: datetime | None, end: datetime | None) -> str:
    """Meta's `sale_price_effective_date`: "2026-11-01T00:00+00:00/2026-11-30T23:59+00:00" in UTC."""
    if start is None or end is None:
        return ""
    return f"{_meta_time(start)}/{_meta_time(end)}"


def _meta_time(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M+00:00")


def internal_labels(labels, set_labels) -> list[str]:
    """Meta's `internal_label`: the seller's own labels and those of the picked sets, sorted once each."""
    return sorted({*(labels or ()), *(set_labels or ())})


def shipping_weight(value: Decimal | None, unit: str) -> str:
    """Meta's `shipping_weight`: "0.15 kg", or "" without a weight or a unit."""
    if value is None or not unit:
        return ""
    return f"{value.normalize():f} {unit}"


@lru_cache(maxsize=8192)
def meta_price(minor: int, currency: str) -> str:
    """Meta's "9.99 USD" for an amount in minor units (kernel.money; the same prices recur
    across a catalog, so a sync formats each once)."""
    return Money(minor, currency).to_meta_price()


def fast_item_data(product) -> dict:
    row = row_of(product, FAST_ROW_FIELDS)
    on_sale = row["sale_price_minor"] is not None
    data = {
        "id": row["retailer_id"],
        "price": meta_price(row["price_minor"], row["currency"]),
        "sale_price": meta_price(row["sale_price_minor"], row["currency"]) if on_sale else "",
        "sale_price_effective_date": effective_date(row["sale_starts_at"], row["sale_ends_at"]) if on_sale else "",
        "availability": row["availability"],
    }
    if row["quantity_to_sell_on_facebook"] is not None:
        data["quantity_to_sell_on_facebook"] = row["quantity_to_sell_on_facebook"]
    return data


def item_data(product) -> dict:
    row = row_of(product)
    data = {
        "id": row["retailer_id"],
        "title": row["title"],
        "description": row["description"],
        "brand": row["brand"],
        "link": row["link"],
        "image_link": row["image_link"],
        "additional_image_link": list(row["additional_image_links"] or ()),
        "condition": row["condition"],
        "visibility": "staging" if row["status"] == _ARCHIVED else "published",
        "shipping_weight": shipping_weight(row["shipping_weight_value"], row["shipping_weight_unit"]),
        "internal_label": internal_labels(row["internal_labels"], row["set_labels"]),
    }
    for name in _TEXT_FIELDS:
        data[name] = row[name]
    data.update(fast_item_data(row))
    return data


def item_request(product, *, fast: bool = False) -> dict:
    row = row_of(product, FAST_ROW_FIELDS if fast else ROW_FIELDS)
    if row["deleted_at"] is not None:
        return delete_request(row)
    return {"method": "UPDATE", "data": fast_item_data(row) if fast else item_data(row)}


def delete_request(product) -> dict:
    return {"method": "DELETE", "data": {"id": row_of(product, ("retailer_id",))["retailer_id"]}}
