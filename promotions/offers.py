"""Our discounts as rows of Meta's offers feed (META_API §4.1): the one place where discount
fields meet Meta's offer columns.

Mappings (after Meta's WooCommerce plugin): percent off → PERCENTAGE; amount off →
FIXED_AMOUNT ("15.00 USD"); item or order level → ITEM_LEVEL / ORDER_LEVEL; free shipping →
target_type SHIPPING, PERCENTAGE 100, ORDER_LEVEL, STANDARD shipping; buy X get Y → the chosen
products as prerequisite and target, min_quantity X, target_quantity Y, PERCENTAGE (100 =
free), ITEM_LEVEL. Coupons → BUYER_APPLIED with coupon_codes, or public_coupon_code alone when
the seller shows the code (Meta: the two never together), else AUTOMATIC_AT_CHECKOUT or SALE. Dates are unix seconds; an ended
discount is sent with its end date, so Meta ends it too.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json

from promotions.models import Discount

COLUMNS = (
    "offer_id", "title", "value_type", "percent_off", "fixed_amount_off", "application_type", "target_type",
    "target_shipping_option_types", "target_granularity", "target_selection", "start_date_time", "end_date_time",
    "coupon_codes", "public_coupon_code", "target_filter", "target_product_retailer_ids",
    "target_product_group_retailer_ids", "target_product_set_retailer_ids", "redeem_limit_per_user",
    "min_subtotal", "min_quantity", "offer_terms", "target_quantity", "prerequisite_filter",
    "prerequisite_product_retailer_ids", "prerequisite_product_group_retailer_ids",
    "prerequisite_product_set_retailer_ids", "exclude_sale_priced_products", "usage_count", "usage_limit",
)

APPLICATION = {Discount.Application.AUTOMATIC: "AUTOMATIC_AT_CHECKOUT", Discount.Application.COUPON: "BUYER_APPLIED",
               Discount.Application.SALE: "SALE"}


def _json_list(values) -> str:
    values = [str(v) for v in values]
    return json.dumps(values, separators=(",", ":")) if values else ""


def _number(value) -> str:
    return "" if value is None else str(value)


def offer_row(discount: Discount) -> dict[str, str]:
    """One row of the offers file for a discount (every column, empty where unused)."""
    kind = discount.kind
    row = dict.fromkeys(COLUMNS, "")
    row["offer_id"] = discount.offer_id
    row["title"] = discount.title
    if kind == Discount.Kind.AMOUNT:
        row["value_type"] = "FIXED_AMOUNT"
        row["fixed_amount_off"] = discount.amount_off.to_meta_price()
    else:
        row["value_type"] = "PERCENTAGE"
        row["percent_off"] = "100" if kind == Discount.Kind.FREE_SHIPPING else _number(discount.percent_off)
    row["application_type"] = APPLICATION[discount.application]
    if discount.application == Discount.Application.COUPON:
        # Meta's Offers API: a shown code goes in public_coupon_code alone ("If [coupon_codes] is
        # set, public_coupon_code must be null"); a private one in coupon_codes.
        if discount.coupon_public:
            row["public_coupon_code"] = discount.coupon_code
        else:
            row["coupon_codes"] = _json_list([discount.coupon_code])
    if kind == Discount.Kind.FREE_SHIPPING:
        row["target_type"] = "SHIPPING"
        row["target_shipping_option_types"] = _json_list(["STANDARD"])
        row["target_granularity"] = "ORDER_LEVEL"
    else:
        row["target_type"] = "LINE_ITEM"
        level = Discount.Level.ITEM if kind == Discount.Kind.BXGY else discount.level
        row["target_granularity"] = "ORDER_LEVEL" if level == Discount.Level.ORDER else "ITEM_LEVEL"
    targets = _targets(discount)
    if kind == Discount.Kind.FREE_SHIPPING or not targets:
        row["target_selection"] = "ALL_CATALOG_PRODUCTS"
    else:
        row["target_selection"] = "SPECIFIC_PRODUCTS"
        row.update(targets)
    if kind == Discount.Kind.BXGY:
        row["min_quantity"] = _number(discount.buy_quantity)
        row["target_quantity"] = _number(discount.get_quantity)
        for column, value in targets.items():
            row[column.replace("target_", "prerequisite_", 1)] = value
    elif discount.min_quantity:
        row["min_quantity"] = _number(discount.min_quantity)
    row["start_date_time"] = str(int(discount.starts_at.timestamp()))
    end = discount.ended_at or discount.ends_at
    if end is not None:
        row["end_date_time"] = str(int(max(end, discount.starts_at).timestamp()) + (1 if end <= discount.starts_at
                                                                                   else 0))
    if discount.min_subtotal_minor:
        row["min_subtotal"] = discount.min_subtotal.to_meta_price()
    row["redeem_limit_per_user"] = _number(discount.limit_per_buyer)
    row["usage_limit"] = _number(discount.usage_limit)
    row["exclude_sale_priced_products"] = "YES" if discount.exclude_sale_items else "NO"
    return row


def _targets(discount: Discount) -> dict[str, str]:
    if discount.target == Discount.Target.PRODUCTS:
        ids = sorted(p.retailer_id for p in discount.products.all())
        return {"target_product_retailer_ids": _json_list(ids)} if ids else {}
    if discount.target == Discount.Target.PRODUCT_SET and discount.product_set is not None:
        return {"target_product_set_retailer_ids": _json_list([discount.product_set.retailer_id])}
    return {}


def offers_file(discounts) -> tuple[bytes, list[str], str]:
    """(CSV bytes, offer ids in row order, SHA-256 of the content) for a list of discounts."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    ids = []
    for discount in discounts:
        writer.writerow(offer_row(discount))
        ids.append(discount.offer_id)
    content = out.getvalue().encode("utf-8")
    return content, ids, hashlib.sha256(content).hexdigest()
