"""One row of an offer feed, validated like Meta would (the columns and enums of META_API §4.1)."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime

from ... import errors, money
from ...models import Node
from ..catalog.products import check_filter
from .common import (
    APPLICATION_TYPES,
    COUPON_RE,
    GRANULARITIES,
    MAX_COUPON_CODES,
    MAX_PUBLIC_CODE_LENGTH,
    PREREQUISITES,
    SELECTIONS,
    SHIPPING_OPTIONS,
    TARGET_LISTS,
    TARGET_TYPES,
    VALUE_TYPES,
    YES_NO,
)


class RowError(Exception):
    def __init__(self, column: str, summary: str, description: str, severity: str = "fatal"):
        super().__init__(description)
        self.column, self.summary, self.description, self.severity = column, summary, description, severity


# --- one row ----------------------------------------------------------------------------------------


def _enum(row: dict, column: str, allowed: tuple, *, required: bool = True) -> str | None:
    value = row.get(column, "")
    if not value:
        if required:
            raise RowError(column, "Missing required field", f"{column} is required.")
        return None
    if value not in allowed:
        raise RowError(column, "Invalid value", f"{column} must be one of {', '.join(allowed)}, not {value!r}.")
    return value


def _int(row: dict, column: str, *, low: int = 0, high: int | None = None) -> int | None:
    value = row.get(column, "")
    if not value:
        return None
    if not re.fullmatch(r"[0-9]+", value):
        raise RowError(column, "Invalid value", f"{column} must be a whole number, not {value!r}.")
    number = int(value)
    if number < low or (high is not None and number > high):
        bounds = f"between {low} and {high}" if high is not None else f"at least {low}"
        raise RowError(column, "Invalid value", f"{column} must be {bounds}, not {number}.")
    return number


def _price(row: dict, column: str, currency: str | None) -> dict | None:
    value = row.get(column, "")
    if not value:
        return None
    try:
        minor, currency_given = money.parse_price(value)
    except (TypeError, ValueError):
        raise RowError(column, "Invalid price", f"{column} must be an amount and a currency such as "
                                                f"\"15.00 USD\" (with the currency's decimals), not {value!r}.")
    if minor <= 0:
        raise RowError(column, "Invalid price", f"{column} must be more than zero.")
    if currency and currency_given != currency:
        raise RowError(column, "Invalid currency", f"{column} is in {currency_given}; this feed uses {currency}.")
    return {"minor": minor, "currency": currency_given, "text": money.price_text(minor, currency_given)}


def _list(row: dict, column: str) -> list[str]:
    value = row.get(column, "")
    if not value:
        return []
    if value.startswith("["):
        try:
            parsed = json.loads(value)
        except ValueError:
            raise RowError(column, "Invalid list", f"{column} is not a valid JSON array.")
        if not isinstance(parsed, list) or not all(isinstance(v, (str, int)) for v in parsed):
            raise RowError(column, "Invalid list", f"{column} must be an array of strings.")
        return [str(v).strip() for v in parsed if str(v).strip()]
    return [part.strip() for part in value.split(",") if part.strip()]


def _filter(row: dict, column: str):
    value = row.get(column, "")
    if not value:
        return None
    try:
        rule = json.loads(value)
        check_filter(rule)
    except (ValueError, errors.GraphError):
        raise RowError(column, "Invalid filter", f"{column} is not a valid product filter, e.g. "
                                                 '{"or":[{"retailer_id":{"eq":"sku1"}}]}.')
    return rule


def _date(row: dict, column: str, *, required: bool) -> int | None:
    value = row.get(column, "")
    if not value:
        if required:
            raise RowError(column, "Missing required field", f"{column} is required.")
        return None
    if re.fullmatch(r"[0-9]{9,11}", value):
        return int(value)
    for parse in (lambda v: datetime.strptime(v, "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC),
                  lambda v: datetime.fromisoformat(v)):
        try:
            moment = parse(value)
        except ValueError:
            continue
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        return int(moment.timestamp())
    raise RowError(column, "Invalid date", f"{column} must be a unix timestamp or YYYY-MM-DD HH:MM:SS, "
                                           f"not {value!r}.")


def validate_row(row: dict, context: dict) -> dict:
    """The offer a row describes; RowError for the first thing Meta would refuse."""
    offer_id = row.get("offer_id", "")
    if not offer_id:
        raise RowError("offer_id", "Missing required field", "offer_id is required.")
    if len(offer_id) > 100:
        raise RowError("offer_id", "Invalid value", "offer_id is longer than 100 characters.")
    title = row.get("title", "")
    if not title:
        raise RowError("title", "Missing required field", "title is required.")
    value_type = _enum(row, "value_type", VALUE_TYPES)
    percent = _int(row, "percent_off", low=0, high=100)
    fixed = _price(row, "fixed_amount_off", context.get("currency"))
    if value_type == "PERCENTAGE":
        if percent is None:
            raise RowError("percent_off", "Missing required field", "percent_off is required when value_type is "
                                                                    "PERCENTAGE.")
        if fixed is not None:
            raise RowError("fixed_amount_off", "Conflicting fields", "fixed_amount_off must be empty when "
                                                                     "value_type is PERCENTAGE.")
    else:
        if fixed is None:
            raise RowError("fixed_amount_off", "Missing required field", "fixed_amount_off is required when "
                                                                         "value_type is FIXED_AMOUNT.")
        if percent is not None:
            raise RowError("percent_off", "Conflicting fields", "percent_off must be empty when value_type is "
                                                                "FIXED_AMOUNT.")
    application = _enum(row, "application_type", APPLICATION_TYPES)
    target_type = _enum(row, "target_type", TARGET_TYPES)
    granularity = _enum(row, "target_granularity", GRANULARITIES)
    selection = _enum(row, "target_selection", SELECTIONS)
    shipping_options = _list(row, "target_shipping_option_types")
    for option in shipping_options:
        if option not in SHIPPING_OPTIONS:
            raise RowError("target_shipping_option_types", "Invalid value",
                           f"target_shipping_option_types must hold {', '.join(SHIPPING_OPTIONS)}, not {option!r}.")
    if target_type == "SHIPPING":
        if granularity != "ORDER_LEVEL":
            raise RowError("target_granularity", "Invalid value", "A shipping offer must be ORDER_LEVEL.")
        if not shipping_options:
            raise RowError("target_shipping_option_types", "Missing required field",
                           "target_shipping_option_types is required for a shipping offer.")
    elif shipping_options:
        raise RowError("target_shipping_option_types", "Conflicting fields",
                       "target_shipping_option_types applies to shipping offers only.")
    targets = {column: (_filter(row, column) if column.endswith("filter") else _list(row, column))
               for column in TARGET_LISTS}
    if selection == "SPECIFIC_PRODUCTS" and not any(targets.values()):
        raise RowError("target_selection", "Missing target", "SPECIFIC_PRODUCTS needs target_filter or target "
                                                             "retailer ids.")
    if selection == "ALL_CATALOG_PRODUCTS" and any(targets.values()):
        column = next(c for c, v in targets.items() if v)
        raise RowError(column, "Conflicting fields", f"{column} must be empty with ALL_CATALOG_PRODUCTS.")
    start = _date(row, "start_date_time", required=True)
    end = _date(row, "end_date_time", required=False)
    if end is not None and end <= start:
        raise RowError("end_date_time", "Invalid date", "end_date_time must be after start_date_time.")
    codes = _list(row, "coupon_codes")
    for code in codes:
        if not COUPON_RE.fullmatch(code):
            raise RowError("coupon_codes", "Invalid coupon code", f"Coupon code {code!r} must be 1 to 30 letters, "
                                                                  "digits, '-' or '_'.")
    public = row.get("public_coupon_code", "")
    # Meta's Offers API (developers.facebook.com/documentation/ads-commerce/catalog/guides/offers-api):
    # coupon_codes only with BUYER_APPLIED, at most 100, "If this field is set, public_coupon_code
    # must be null"; public_coupon_code is one code, at most 20 characters, merchandised and prefilled.
    if application == "BUYER_APPLIED":
        if not codes and not public:
            raise RowError("coupon_codes", "Missing required field", "coupon_codes or public_coupon_code is required "
                                                                     "when application_type is BUYER_APPLIED.")
        if codes and public:
            raise RowError("public_coupon_code", "Conflicting fields", "public_coupon_code must be empty when "
                                                                       "coupon_codes is set.")
        if len(codes) > MAX_COUPON_CODES:
            raise RowError("coupon_codes", "Too many coupon codes", f"At most {MAX_COUPON_CODES} coupon codes.")
        if public and not (COUPON_RE.fullmatch(public) and len(public) <= MAX_PUBLIC_CODE_LENGTH):
            raise RowError("public_coupon_code", "Invalid coupon code",
                           f"public_coupon_code must be 1 to {MAX_PUBLIC_CODE_LENGTH} letters, digits, '-' or '_'.")
    elif codes or public:
        raise RowError("coupon_codes", "Conflicting fields", "Coupon codes apply to BUYER_APPLIED offers only.")
    prerequisites = {column: (_filter(row, column) if column.endswith("filter") else _list(row, column))
                     for column in PREREQUISITES}
    min_quantity = _int(row, "min_quantity", low=1)
    target_quantity = _int(row, "target_quantity", low=1)
    if any(prerequisites.values()) and min_quantity is None:
        raise RowError("min_quantity", "Missing required field", "min_quantity is required with prerequisite "
                                                                 "products (buy X, get Y).")
    if target_quantity is not None:
        if min_quantity is None:
            raise RowError("min_quantity", "Missing required field", "A buy X, get Y offer (target_quantity) needs "
                                                                     "min_quantity.")
        if granularity != "ITEM_LEVEL" or target_type != "LINE_ITEM":
            raise RowError("target_quantity", "Invalid value", "A buy X, get Y offer must be ITEM_LEVEL and "
                                                               "LINE_ITEM.")
    min_subtotal = _price(row, "min_subtotal", context.get("currency"))
    exclude = _enum(row, "exclude_sale_priced_products", YES_NO, required=False)
    offer = {
        "offer_id": offer_id, "title": title, "value_type": value_type, "percent_off": percent,
        "fixed_amount_off": fixed["text"] if fixed else None, "application_type": application,
        "target_type": target_type, "target_shipping_option_types": shipping_options,
        "target_granularity": granularity, "target_selection": selection, "start_date_time": start,
        "end_date_time": end, "coupon_codes": codes, "public_coupon_code": public or None,
        **targets, **prerequisites,
        "redeem_limit_per_user": _int(row, "redeem_limit_per_user", low=1),
        "min_subtotal": min_subtotal["text"] if min_subtotal else None, "min_quantity": min_quantity,
        "target_quantity": target_quantity, "offer_terms": row.get("offer_terms") or None,
        "exclude_sale_priced_products": exclude, "usage_limit": _int(row, "usage_limit", low=1),
        "redemption_limit_per_order": _int(row, "redemption_limit_per_order", low=1),
        "description": row.get("description") or None,
    }
    return offer


def _warnings(offer: dict, catalog_gid: str, problems: list[RowError]) -> dict:
    """Targets the catalog does not know: product sets are fatal (Meta cannot resolve the offer),
    unknown products a warning (they may arrive with the next catalog sync)."""
    sets = offer.get("target_product_set_retailer_ids") or []
    sets += offer.get("prerequisite_product_set_retailer_ids") or []
    if sets:
        known = set(Node.objects.of_type("product_set").filter(parent_id=catalog_gid, key__in=sets)
                    .values_list("key", flat=True))
        missing = [s for s in sets if s not in known]
        if missing:
            problems.append(RowError("target_product_set_retailer_ids", "Unknown product set",
                                     f"The catalog has no product set with retailer id {', '.join(missing)}."))
    products = (offer.get("target_product_retailer_ids") or []) + (offer.get("prerequisite_product_retailer_ids")
                                                                   or [])
    if products:
        known = set(Node.objects.of_type("product").filter(parent_id=catalog_gid, key__in=products)
                    .values_list("key", flat=True))
        missing = [p for p in products if p not in known]
        if missing:
            problems.append(RowError("target_product_retailer_ids", "Unknown products",
                                     f"The catalog has no product with retailer id {', '.join(missing[:10])}; the "
                                     "offer applies once they exist.", "warning"))
    return {}
