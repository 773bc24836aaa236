"""What Meta checks in a catalog item: field names, enums, lengths, prices, URLs, and the armed review rules."""

from __future__ import annotations

import re
from decimal import Decimal
from fnmatch import fnmatchcase
from urllib.parse import urlsplit

from ...money import EXPONENTS as CURRENCY_EXPONENTS

CATALOG_PERMS = ("catalog_management",)
MAX_REQUESTS = 5000
MAX_BYTES = 28 * 1024 * 1024
SWITCH = "catalog"
DEFAULT_SWITCH = {"batch_delay_seconds": 0, "batch_progress": ["started"], "batch_outcome": "finished", "rules": [],
                  "diagnostics": {}}

ITEM_TYPES = ("PRODUCT_ITEM", "HOTEL", "FLIGHT", "VEHICLE", "DESTINATION", "HOME_LISTING", "APP_AND_SOFTWARE",
              "STORE_PRODUCT_ITEM", "VEHICLE_OFFER", "MEDIA_TITLE", "LOCAL_SERVICE_BUSINESS", "TRANSACTABLE_ITEM")
ITEM_SUB_TYPES = ("APPLIANCES", "BABY_FEEDING", "BABY_TRANSPORT", "BEAUTY", "BEDDING", "CAMERAS",
                  "CELL_PHONES_AND_SMART_WATCHES", "CLEANING_SUPPLIES", "CLOTHING", "CLOTHING_ACCESSORIES",
                  "COMPUTERS_AND_TABLETS", "DIAPERING_AND_POTTY_TRAINING", "ELECTRONICS_ACCESSORIES", "FURNITURE",
                  "HEALTH", "HOME_GOODS", "JEWELRY", "NURSERY", "PRINTERS_AND_SCANNERS", "PROJECTORS",
                  "SHOES_AND_FOOTWEAR", "SOFTWARE", "TOYS", "TVS_AND_MONITORS",
                  "VIDEO_GAME_CONSOLES_AND_VIDEO_GAMES", "WATCHES")
METHODS = ("CREATE", "UPDATE", "DELETE")
REQUIRED = ("title", "description", "availability", "condition", "price", "link", "brand")
ENUMS = {
    "availability": ("in stock", "out of stock", "available for order", "discontinued", "preorder", "pending",
                     "mark_as_sold", "mark_as_expired"),
    "condition": ("new", "refurbished", "used", "used_like_new", "used_good", "used_fair", "cpo", "open_box_new"),
    "gender": ("female", "male", "unisex"),
    "age_group": ("adult", "all ages", "infant", "kids", "newborn", "teen", "toddler"),
    "visibility": ("published", "staging", "hidden", "whitelist_only"),
}
#: Length limits (META_API §2.5; title: Meta's batch reference says 150, see catalog/README.md).
LENGTHS = {"id": 100, "title": 150, "description": 5000, "rich_text_description": 9999, "brand": 100,
           "color": 100, "size": 100, "pattern": 100, "material": 200, "gtin": 70, "mpn": 70, "product_type": 750,
           "google_product_category": 250, "fb_product_category": 250, "item_group_id": 100,
           **{f"custom_label_{n}": 100 for n in range(5)}}
URL_FIELDS = ("link", "image_link", "checkout_url", "mobile_link")
KNOWN = frozenset({
    "id", "title", "description", "rich_text_description", "availability", "condition", "price", "sale_price",
    "sale_price_effective_date", "link", "image", "image_link", "additional_image_link", "brand", "item_group_id",
    "quantity_to_sell_on_facebook", "inventory", "additional_variant_attribute", "color", "size", "pattern",
    "material", "gender", "age_group", "gtin", "mpn", "product_type", "google_product_category",
    "fb_product_category", "custom_label_0", "custom_label_1", "custom_label_2", "custom_label_3", "custom_label_4",
    "custom_number_0", "custom_number_1", "custom_number_2", "custom_number_3", "custom_number_4", "internal_label",
    "disabled_capabilities", "shipping", "shipping_weight", "video", "expiration_date", "origin_country",
    "importer_name", "importer_address", "mobile_link", "vendor_id", "ordering_index", "rating_count",
    "user_rating", "applink", "checkout_url", "visibility", "commerce_tax_category", "status",
})
PRICE_RE = re.compile(r"^(\d+)(?:\.(\d+))? ([A-Z]{3})$")
WEIGHT_RE = re.compile(r"^\d+(\.\d+)? (g|kg|lb|oz)$")
DATE_RANGE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?([+-]\d{2}:?\d{2}|Z)?/"
                           r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?([+-]\d{2}:?\d{2}|Z)?$")
SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥", "CNY": "¥", "INR": "₹", "KRW": "₩"}

#: Titles and descriptions of the error types the rules can raise (ProductItem.ErrorType).
ERROR_TEXT = {
    "IMAGE_RESOLUTION_LOW": ("Image resolution too low", "The main image must be at least 500 × 500 pixels."),
    "BAD_QUALITY_IMAGE": ("Low-quality image", "The image is blurry or has text or borders over the product."),
    "IMAGE_FETCH_FAILED": ("Image could not be downloaded", "Meta could not download the image at image_link."),
    "QUALITY_ITEM_LINK_BROKEN": ("Broken product link", "The page at link could not be opened."),
    "UNIQUE_PRODUCT_IDENTIFIER_MISSING": ("Missing GTIN", "Add a GTIN so buyers can find the product."),
    "SHOPS_POLICY_VIOLATION": ("Policy violation", "The item does not comply with Meta's Commerce Policies."),
}
DIAGNOSTIC_TYPES = ("AR_VISIBILITY_ISSUES", "ATTRIBUTES_INVALID", "ATTRIBUTES_MISSING", "CATEGORY", "CHECKOUT",
                    "DA_VISIBILITY_ISSUES", "EVENT_SOURCE_ISSUES", "IMAGE_QUALITY",
                    "LOW_QUALITY_TITLE_AND_DESCRIPTION", "POLICY_VIOLATION", "SHOPS_VISIBILITY_ISSUES")
FILTER_OPS = ("eq", "neq", "is_any", "is_not_any", "i_contains", "i_not_contains", "contains", "not_contains",
              "starts_with", "lt", "lte", "gt", "gte")


def catalog_switch(ctx_or_config) -> dict:
    config = getattr(ctx_or_config, "config", ctx_or_config)
    return {**DEFAULT_SWITCH, **(config.get(SWITCH) or {})}


def _price_text(data: dict, key: str) -> str | None:
    value = data.get(key)
    match = PRICE_RE.match(value) if isinstance(value, str) else None
    if not match:
        return None
    whole, frac, currency = match.groups()
    exponent = CURRENCY_EXPONENTS.get(currency, 2)
    amount = f"{int(whole):,}" + (f".{(frac or '').ljust(exponent, '0')}" if exponent else "")
    symbol = SYMBOLS.get(currency)
    return f"{symbol}{amount}" if symbol else f"{currency}{amount}"


def _currency(data: dict) -> str | None:
    match = PRICE_RE.match(data.get("price") or "")
    return match.group(3) if match else None


def _is_url(value) -> bool:
    if not isinstance(value, str):
        return False
    try:
        parts = urlsplit(value)
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def _check_price(name: str, value) -> str | None:
    if value == "" and name == "sale_price":
        return None
    match = PRICE_RE.match(value) if isinstance(value, str) else None
    if not match:
        return f'The value of {name} must look like "9.99 USD" (an amount and an ISO 4217 currency): got "{value}".'
    whole, frac, currency = match.groups()
    if currency not in CURRENCY_EXPONENTS:
        return f"Unknown currency {currency} in {name}."
    if len(frac or "") > CURRENCY_EXPONENTS[currency]:
        return f"{name}: {currency} has {CURRENCY_EXPONENTS[currency]} decimal places; got \"{value}\"."
    if name == "price" and Decimal(f"{whole}.{frac or 0}") <= 0:
        return "The price must be greater than zero (ITEM_PRICE_NOT_POSITIVE)."
    return None


def missing_required(data: dict) -> list[str]:
    """The required fields a record that creates an item lacks."""
    missing = [f for f in REQUIRED if data.get(f) in (None, "")]
    if not data.get("image_link") and not data.get("image"):
        missing.append("image_link")
    return missing


def missing_field_message(line: int, rid: str, name: str) -> str:
    """Meta's wording in check_batch_request_status (the "Get batch request" guide's sample:
    'Invalid value: Value passed at position 0 (id=retailer-199) is invalid: "You cannot create a
    EntProductItem without required field Availability"')."""
    return (f'Invalid value: Value passed at position {line} (id={rid}) is invalid: "You cannot create a '
            f'ProductItem without required field {name}"')


def validate_item(method: str, data: dict, *, creating: bool) -> tuple[list[str], list[str]]:
    """(errors, warnings) of one record found at submission, as Meta's messages. Missing
    required fields are not among them: Meta reports those in the batch status only
    (`missing_required`)."""
    errs: list[str] = []
    warns: list[str] = []
    if method == "DELETE":
        return errs, warns
    for key in data:
        if key not in KNOWN:
            warns.append(f"Unrecognised field: the field '{key}' is not a known product field and was ignored.")
    for name, limit in LENGTHS.items():
        value = data.get(name)
        if isinstance(value, str) and len(value) > limit:
            code = " (TITLE_TOO_LONG)" if name == "title" else ""
            errs.append(f"The value of {name} is too long: {len(value)} characters, at most {limit}{code}.")
    for name, allowed in ENUMS.items():
        value = data.get(name)
        if value not in (None, "") and value not in allowed:
            errs.append(f'Invalid value for {name}: "{value}". Allowed values: {", ".join(allowed)}.')
    for name in ("price", "sale_price"):
        if name in data:
            problem = _check_price(name, data[name])
            if problem:
                errs.append(problem)
    for name in URL_FIELDS:
        value = data.get(name)
        if value not in (None, "") and not _is_url(value):
            errs.append(f"The value of {name} is not a valid http(s) URL: \"{value}\".")
    extra = data.get("additional_image_link")
    if extra not in (None, ""):
        if not isinstance(extra, list) or not all(_is_url(u) for u in extra):
            errs.append("additional_image_link must be a list of http(s) URLs.")
        elif len(extra) > 20:
            errs.append("additional_image_link has more than 20 images.")
    qty = data.get("quantity_to_sell_on_facebook")
    if qty is not None and (isinstance(qty, bool) or not isinstance(qty, int) or qty < 0):
        errs.append("quantity_to_sell_on_facebook must be a whole number of at least 0.")
    weight = data.get("shipping_weight")
    if weight not in (None, "") and not (isinstance(weight, str) and WEIGHT_RE.match(weight)):
        errs.append(f'shipping_weight must look like "1.5 kg" (g, kg, lb or oz): got "{weight}".')
    dates = data.get("sale_price_effective_date")
    if dates not in (None, "") and not (isinstance(dates, str) and DATE_RANGE_RE.match(dates)):
        errs.append("sale_price_effective_date must be two ISO 8601 times separated by '/'.")
    labels = data.get("internal_label")
    if labels is not None and (not isinstance(labels, list) or len(labels) > 5000
                               or any(not isinstance(x, str) or len(x) > 110 for x in labels)):
        errs.append("internal_label must be a list of at most 5000 labels of at most 110 characters.")
    return errs, warns


def _price_minor(value) -> int | None:
    match = PRICE_RE.match(value) if isinstance(value, str) else None
    if not match:
        return None
    whole, frac, currency = match.groups()
    exponent = CURRENCY_EXPONENTS.get(currency, 2)
    return int(whole) * 10**exponent + int((frac or "").ljust(exponent, "0") or 0)


def _field_matches(data: dict, field: str, pattern: str) -> bool:
    value = data.get(field)
    if isinstance(value, list):
        return any(fnmatchcase(str(v), pattern) for v in value)
    return fnmatchcase("" if value is None else str(value), pattern)


def matching_rules(rules: list[dict], retailer_id: str, data: dict) -> list[dict]:
    found = []
    for rule in rules:
        if not fnmatchcase(retailer_id, rule.get("retailer_id") or "*"):
            continue
        if all(_field_matches(data, f, p) for f, p in (rule.get("when") or {}).items()):
            found.append(rule)
    return found


def _error_entry(rule: dict) -> dict:
    code = rule.get("error_type") or "IMAGE_RESOLUTION_LOW"
    title, description = ERROR_TEXT.get(code, (code.replace("_", " ").capitalize(), ""))
    return {"error_type": code, "error_priority": rule.get("priority") or "HIGH",
            "title": rule.get("title") or title, "description": rule.get("message") or description,
            "call_to_action": rule.get("call_to_action") or "Update the product in your catalog."}


def _reject_message(rule: dict) -> str:
    entry = _error_entry(rule)
    return f"{entry['title']}: {entry['description']} ({entry['error_type']})"
