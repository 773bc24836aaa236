"""What the offer modules share: node types' names, the feed vocabulary, the offers switch."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from ...models import Node, Switch

CATALOG_PERMS = ("catalog_management",)
FEED = "product_feed"
UPLOAD = "product_feed_upload"
OFFER = "offer"
SWITCH = "offers"
DEFAULT_SWITCH = {"reject": [], "manual_processing": False}

FEED_TYPES = ("PRODUCTS", "OFFER", "PRODUCT_RATINGS_AND_REVIEWS", "LOCAL_INVENTORY", "LANGUAGE", "COUNTRY",
              "SUPPLEMENTARY", "PROMOTIONS", "AUTOMOTIVE_MODEL", "VEHICLE_OFFER", "DESTINATION", "FLIGHT",
              "HOME_LISTING", "HOTEL", "HOTEL_ROOM", "MEDIA_TITLE", "VEHICLES", "TRANSACTABLE_ITEMS")
MAX_BYTES = 100 * 1024 * 1024
MAX_PUBLIC_COUPONS = 10

COLUMNS = (
    "offer_id", "title", "value_type", "percent_off", "fixed_amount_off", "application_type", "target_type",
    "target_shipping_option_types", "target_granularity", "target_selection", "start_date_time", "end_date_time",
    "coupon_codes", "public_coupon_code", "target_filter", "target_product_retailer_ids",
    "target_product_group_retailer_ids", "target_product_set_retailer_ids", "redeem_limit_per_user",
    "min_subtotal", "min_quantity", "offer_terms", "target_quantity", "prerequisite_filter",
    "prerequisite_product_retailer_ids", "prerequisite_product_group_retailer_ids",
    "prerequisite_product_set_retailer_ids", "exclude_sale_priced_products", "usage_count", "usage_limit",
    "redemption_limit_per_order", "description",
)
VALUE_TYPES = ("PERCENTAGE", "FIXED_AMOUNT")
APPLICATION_TYPES = ("BUYER_APPLIED", "AUTOMATIC_AT_CHECKOUT", "SALE")
TARGET_TYPES = ("LINE_ITEM", "SHIPPING")
GRANULARITIES = ("ITEM_LEVEL", "ORDER_LEVEL")
SELECTIONS = ("ALL_CATALOG_PRODUCTS", "SPECIFIC_PRODUCTS")
SHIPPING_OPTIONS = ("STANDARD", "RUSH", "EXPEDITED", "TWO_DAY")
YES_NO = ("YES", "NO")
TARGET_LISTS = ("target_filter", "target_product_retailer_ids", "target_product_group_retailer_ids",
                "target_product_set_retailer_ids")
PREREQUISITES = ("prerequisite_filter", "prerequisite_product_retailer_ids",
                 "prerequisite_product_group_retailer_ids", "prerequisite_product_set_retailer_ids")
COUPON_RE = re.compile(r"[A-Za-z0-9_-]{1,30}")
MAX_COUPON_CODES = 100
MAX_PUBLIC_CODE_LENGTH = 20


def switch() -> dict:
    row = Switch.objects.filter(key=SWITCH).first()
    return {**DEFAULT_SWITCH, **(row.value if row and isinstance(row.value, dict) else {})}


def save_switch(value: dict) -> dict:
    Switch.objects.update_or_create(key=SWITCH, defaults={"value": value})
    return value


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S+0000")


def offers_of(catalog_gid: str):
    return Node.objects.of_type(OFFER).filter(parent_id=catalog_gid)
