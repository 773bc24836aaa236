"""Catalog endpoints (META_API.md §2): items_batch, check_batch_request_status, products,
product sets and diagnostics.

- `POST {catalog}/items_batch` validates every record like Meta (item_type, ≤ 5000 requests,
  ≤ 28 MB, methods, required fields on CREATE and on upserted UPDATEs, lengths, enums, prices as
  "9.99 USD" with at most the currency's decimals, http(s) URLs; unknown fields are warnings),
  applies the valid ones at once (bulk inserts and one UPDATE statement per batch, so 100,000
  products stay fast) and answers `{"handles": [...], "validation_status": [...]}`.
- `GET {catalog}/check_batch_request_status?handle=` answers `started` until the batch's delay
  has passed (switch `catalog.batch_delay_seconds`, default 0), then `finished` with the errors,
  warnings and (with `load_ids_of_invalid_requests=true`) the invalid ids.
- Rules armed through the control API (`_control/catalog/rules`) play Meta's own checks: a
  record whose retailer id (and fields) match a rule is rejected in the batch status
  (`mode: reject`), ingested with an item error (`flag`) or ingested and rejected by review
  (`policy`). The rules are evaluated again on every write, so fixing the field fixes the item.
- `GET {catalog}/products` (filter, fields incl. errors and review_status, error_priority),
  `GET/DELETE {product}`; `GET/POST {catalog}/product_sets`, `POST/DELETE {product_set}`;
  `GET {catalog}/diagnostics` (groups computed from item errors plus catalog-level ones set
  through the control API).

Stored as nodes: `product` (parent = catalog, key = retailer id, data = the items_batch fields
plus `price_minor`, `errors`, `review_status`), `product_set` (key = its retailer id) and
`catalog_batch` (key = handle; not addressable).
"""

from __future__ import annotations

import json
import re
import secrets
import time
from decimal import Decimal
from fnmatch import fnmatchcase
from urllib.parse import urlsplit

from django.db import connection
from django.db.models import Q
from django.utils import timezone

from kernel.money import CURRENCY_EXPONENTS

from .. import errors
from ..models import Node
from ..params import P
from ..router import Computed, Ref, Reply, Value, edge, node_type, route

CATALOG_PERMS = ("catalog_management",)
MAX_REQUESTS = 5000
MAX_BYTES = 28 * 1024 * 1024
SWITCH = "catalog"
DEFAULT_SWITCH = {"batch_delay_seconds": 0, "rules": [], "diagnostics": {}}

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


# --- product items ----------------------------------------------------------------------------


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


_PRODUCT_VALUES = ("description", "availability", "condition", "brand", "visibility", "color", "size", "gender",
                   "age_group", "gtin", "mpn", "material", "pattern", "product_type", "google_product_category",
                   "fb_product_category", "rich_text_description", "custom_label_0", "custom_label_1",
                   "custom_label_2", "custom_label_3", "custom_label_4", "shipping_weight", "checkout_url")

node_type("product", label="ProductItem", perms=CATALOG_PERMS, buc="catalog_management",
          default_fields=("id", "retailer_id", "name"), fields={
              "retailer_id": Computed(lambda ctx, n: n.key),
              "name": Value(key="title"),
              **{name: Value() for name in _PRODUCT_VALUES},
              "price": Computed(lambda ctx, n: _price_text(n.data, "price")),
              "sale_price": Computed(lambda ctx, n: _price_text(n.data, "sale_price")),
              "currency": Computed(lambda ctx, n: _currency(n.data)),
              "url": Value(key="link"),
              "image_url": Value(key="image_link"),
              "additional_image_urls": Value(key="additional_image_link"),
              "quantity_to_sell_on_facebook": Value(),
              "inventory": Value(key="quantity_to_sell_on_facebook"),
              "retailer_product_group_id": Value(key="item_group_id"),
              "internal_labels": Value(key="internal_label"),
              "errors": Value(default=[]),
              "review_status": Value(default="approved"),
              "review_rejection_reasons": Value(default=[]),
              "image_fetch_status": Computed(lambda ctx, n: "FETCHED"),
              "product_catalog": Ref(key="_catalog"),
          })


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


def validate_item(method: str, data: dict, *, creating: bool) -> tuple[list[str], list[str]]:
    """(errors, warnings) of one record, as Meta's messages."""
    errs: list[str] = []
    warns: list[str] = []
    if method == "DELETE":
        return errs, warns
    for key in data:
        if key not in KNOWN:
            warns.append(f"Unrecognised field: the field '{key}' is not a known product field and was ignored.")
    if creating:
        missing = [f for f in REQUIRED if data.get(f) in (None, "")]
        if not data.get("image_link") and not data.get("image"):
            missing.append("image_link")
        for name in missing:
            errs.append(f"A required field is missing: {name}.")
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


@route("POST", "{catalog:catalog}/items_batch", buc="catalog_batch", params=(
    P("item_type", "enum", required=True, enum=ITEM_TYPES),
    P("requests", "json", required=True),
    P("allow_upsert", "bool", default=True),
    P("item_sub_type", "enum", enum=ITEM_SUB_TYPES),
    P("version", "int"),
))
def items_batch(ctx):
    catalog = ctx.node
    size = int(ctx.request.META.get("CONTENT_LENGTH") or 0)
    if size > MAX_BYTES:
        raise errors.invalid_param(f"The request is too large: {size} bytes, at most {MAX_BYTES} (28 MB)",
                                   error_data={"blame_field_specs": [["requests"]]})
    records = ctx.args["requests"]
    if not isinstance(records, list):
        raise errors.bad_type("requests", "a JSON array of objects")
    if len(records) > MAX_REQUESTS:
        raise errors.invalid_param(f"Too many requests in one batch: {len(records)}, at most {MAX_REQUESTS}",
                                   error_data={"blame_field_specs": [["requests"]]})
    if ctx.args["item_type"] != "PRODUCT_ITEM":
        raise errors.invalid_param(f"The sandbox supports item_type PRODUCT_ITEM only, not {ctx.args['item_type']}")
    upsert = ctx.args["allow_upsert"]
    switch = catalog_switch(ctx)
    rules = switch.get("rules") or []

    ids = [str(r["data"]["id"]) for r in records
           if isinstance(r, dict) and isinstance(r.get("data"), dict) and r["data"].get("id") not in (None, "")]
    existing = {key: (pk, data) for pk, key, data in Node.objects.filter(
        type="product", parent_id=catalog.gid, deleted=False, key__in=ids).values_list("pk", "key", "data")}
    status_errors, status_warnings, validation, invalid = [], [], [], []
    refused = 0
    creates: dict[str, dict] = {}
    updates: dict[int, dict] = {}
    deletes: set[int] = set()
    for line, record in enumerate(records):
        rid, errs, warns = "", [], []
        if not isinstance(record, dict) or not isinstance(record.get("data"), dict):
            errs.append("Each request needs a method and a data object.")
        else:
            method = str(record.get("method") or "").upper()
            data = record["data"]
            rid = "" if data.get("id") in (None, "") else str(data["id"])
            if method not in METHODS:
                errs.append(f'Invalid method "{record.get("method")}": use CREATE, UPDATE or DELETE.')
            elif not rid:
                errs.append("A required field is missing: id.")
            else:
                known = creates.get(rid) or (existing[rid][1] if rid in existing else None)
                if method == "UPDATE" and known is None and not upsert:
                    errs.append(f"The item {rid} does not exist and allow_upsert is false.")
                else:
                    creating = method == "CREATE" or known is None
                    errs, warns = validate_item(method, data, creating=method != "DELETE" and creating)
                if not errs:
                    if method == "DELETE":
                        if rid in existing:
                            deletes.add(existing[rid][0])
                        creates.pop(rid, None)
                    else:
                        merged = {**(known or {}), **{k: v for k, v in data.items() if k in KNOWN and k != "id"}}
                        hits = matching_rules(rules, rid, merged)
                        rejected = [h for h in hits if h.get("mode", "reject") == "reject"]
                        if rejected:
                            status_errors += [{"line": line, "id": rid, "message": _reject_message(h)}
                                              for h in rejected]
                            invalid.append(rid)
                            continue
                        merged["errors"] = [_error_entry(h) for h in hits if h.get("mode") == "flag"]
                        policy = [h for h in hits if h.get("mode") == "policy"]
                        merged["review_status"] = "rejected" if policy else "approved"
                        merged["review_rejection_reasons"] = [h.get("error_type") or "SHOPS_POLICY_VIOLATION"
                                                              for h in policy]
                        merged["price_minor"] = _price_minor(merged.get("price"))
                        if rid in existing and existing[rid][0] not in deletes:
                            updates[existing[rid][0]] = merged
                        else:
                            creates[rid] = merged
        if errs or warns:
            validation.append({"retailer_id": rid, "errors": [{"message": m} for m in errs],
                               "warnings": [{"message": m} for m in warns]})
        status_errors += [{"line": line, "id": rid, "message": m} for m in errs]
        status_warnings += [{"line": line, "id": rid, "message": m} for m in warns]
        if errs:
            invalid.append(rid)
            refused += 1

    now = timezone.now()
    if deletes:
        Node.objects.filter(pk__in=deletes).update(deleted=True, updated=now)
    if updates:
        _bulk_update_data(updates, now)
    if creates:
        Node.objects.bulk_create([
            Node(type="product", business_id=catalog.business_id, parent_id=catalog.gid, key=rid,
                 data={**data, "_catalog": catalog.gid}, created=now, updated=now)
            for rid, data in creates.items()], batch_size=500)
    if records and refused == len(records):  # nothing ingested: no handle, as Meta
        return {"handles": [], "validation_status": validation}
    handle = secrets.token_urlsafe(18)
    delay = float(switch.get("batch_delay_seconds") or 0)
    Node.objects.create(type="catalog_batch", business_id=catalog.business_id, parent_id=catalog.gid, key=handle,
                        data={"finish_at": time.time() + delay, "errors": status_errors, "warnings": status_warnings,
                              "invalid": sorted(set(invalid)), "requests": len(records)})
    return {"handles": [handle], "validation_status": validation}


def _bulk_update_data(updates: dict[int, dict], now) -> None:
    """One statement for all updated nodes (executemany), instead of a save() per row."""
    field = Node._meta.get_field("data")
    table = Node._meta.db_table
    rows = [(field.get_db_prep_save(data, connection), now, pk) for pk, data in updates.items()]
    with connection.cursor() as cursor:
        cursor.executemany(f"UPDATE {table} SET data = %s, updated = %s WHERE id = %s", rows)


@route("GET", "{catalog:catalog}/check_batch_request_status", buc="catalog_management", paging=True, params=(
    P("handle", required=True),
    P("load_ids_of_invalid_requests", "bool", default=False),
    P("error_priority", "enum", enum=("HIGH", "MEDIUM", "LOW")),
))
def check_batch_request_status(ctx):
    batch = Node.objects.filter(type="catalog_batch", parent_id=ctx.node.gid, key=ctx.args["handle"]).first()
    if batch is None:
        raise errors.invalid_param(f"Invalid handle: {ctx.args['handle']}",
                                   error_data={"blame_field_specs": [["handle"]]})
    data = batch.data
    if time.time() < float(data.get("finish_at") or 0):
        return {"data": [{"handle": batch.key, "status": "started", "errors_total_count": 0,
                          "warnings_total_count": 0, "errors": [], "warnings": [], "ids_of_invalid_requests": []}]}
    return {"data": [{
        "handle": batch.key, "status": "finished",
        "errors_total_count": len(data["errors"]), "warnings_total_count": len(data["warnings"]),
        "errors": data["errors"], "warnings": data["warnings"],
        "ids_of_invalid_requests": data["invalid"] if ctx.args["load_ids_of_invalid_requests"] else [],
    }]}


# --- products edge ------------------------------------------------------------------------------


def _leaf_q(field: str, op: str, value) -> Q | None:
    """An ORM condition for one filter leaf, or None when it must be evaluated in Python."""
    if field == "retailer_id":
        column = "key"
    elif field == "product_item_id":
        if op == "eq":
            return Q(pk=Node.pk_from_gid(str(value)) or 0)
        if op == "is_any" and isinstance(value, list):
            return Q(pk__in=[Node.pk_from_gid(str(v)) or 0 for v in value])
        return None
    elif field == "price":
        column = "data__price_minor"
    elif field in ("availability", "brand", "condition", "product_type", "item_group_id", "review_status",
                   "visibility", "color", "size", "gender", "age_group"):
        column = f"data__{field}"
    else:
        return None
    if op == "eq":
        return Q(**{column: value})
    if op == "neq":
        return ~Q(**{column: value})
    if op == "is_any" and isinstance(value, list):
        return Q(**{f"{column}__in": value})
    if op == "is_not_any" and isinstance(value, list):
        return ~Q(**{f"{column}__in": value})
    if op in ("lt", "lte", "gt", "gte"):
        return Q(**{f"{column}__{op}": value})
    if op == "i_contains":
        return Q(**{f"{column}__icontains": value})
    if op == "contains":
        return Q(**{f"{column}__contains": value})
    if op == "starts_with":
        return Q(**{f"{column}__startswith": value})
    return None


def check_filter(rule) -> None:
    """Refuse a malformed filter like Meta (2500)."""
    if not isinstance(rule, dict) or len(rule) != 1:
        raise errors.syntax_error(f"in filter: expected one key per object, got {json.dumps(rule)[:200]}")
    (key, value), = rule.items()
    if key in ("and", "or"):
        if not isinstance(value, list):
            raise errors.syntax_error(f"in filter: '{key}' takes a list")
        for part in value:
            check_filter(part)
        return
    if not isinstance(value, dict) or len(value) != 1 or next(iter(value)) not in FILTER_OPS:
        raise errors.syntax_error(f"in filter: unknown operator for {key}: {json.dumps(value)[:200]}")


def filter_q(rule) -> Q | None:
    (key, value), = rule.items()
    if key in ("and", "or"):
        parts = [filter_q(p) for p in value]
        if any(p is None for p in parts):
            return None
        combined = Q()
        for part in parts:
            combined = (combined & part) if key == "and" else (combined | part)
        return combined
    (op, operand), = value.items()
    return _leaf_q(key, op, operand)


def _values(node: Node, field: str) -> list:
    data = node.data
    if field == "retailer_id":
        return [node.key]
    if field == "product_item_id":
        return [node.gid]
    if field == "price":
        return [data.get("price_minor")]
    if field in ("internal_label", "internal_labels"):
        return list(data.get("internal_label") or [])
    value = data.get(field)
    return list(value) if isinstance(value, list) else [value]


def matches(rule, node: Node) -> bool:
    (key, value), = rule.items()
    if key == "and":
        return all(matches(p, node) for p in value)
    if key == "or":
        return any(matches(p, node) for p in value)
    (op, operand), = value.items()
    values = _values(node, key)

    def one(v) -> bool:
        text = "" if v is None else str(v)
        if op == "eq":
            return v == operand or text == str(operand)
        if op == "is_any":
            return v in operand or text in [str(o) for o in operand]
        if op in ("i_contains", "contains"):
            return (str(operand).lower() in text.lower()) if op == "i_contains" else str(operand) in text
        if op == "starts_with":
            return text.startswith(str(operand))
        if op in ("lt", "lte", "gt", "gte"):
            if v is None:
                return False
            return {"lt": v < operand, "lte": v <= operand, "gt": v > operand, "gte": v >= operand}[op]
        return False

    if op in ("neq", "is_not_any", "i_not_contains", "not_contains"):
        positive = {"neq": "eq", "is_not_any": "is_any", "i_not_contains": "i_contains",
                    "not_contains": "contains"}[op]
        return not matches({key: {positive: operand}}, node)
    return any(one(v) for v in values)


def products_of(catalog_gid: str):
    return Node.objects.filter(type="product", parent_id=catalog_gid, deleted=False)


def filtered_products(catalog_gid: str, rule):
    qs = products_of(catalog_gid)
    if rule is None:
        return qs
    check_filter(rule)
    q = filter_q(rule)
    if q is not None:
        return qs.filter(q)
    return [node for node in qs.order_by("pk").iterator(chunk_size=2000) if matches(rule, node)]


@edge("catalog", "products", summary=True, item_label="ProductItem", max_limit=1000, params=(
    P("filter", "map"), P("bulk_pagination", "bool"), P("error_priority", "enum", enum=("HIGH", "MEDIUM", "LOW")),
    P("error_type"), P("return_only_approved_products", "bool"),
))
def catalog_products(ctx, node, args):
    listing = filtered_products(node.gid, args.get("filter"))
    priority, error_type = args.get("error_priority"), args.get("error_type")
    approved_only = args.get("return_only_approved_products")
    if priority or error_type or approved_only:
        items = listing if isinstance(listing, list) else listing.order_by("pk").iterator(chunk_size=2000)
        listing = [n for n in items
                   if (not approved_only or n.data.get("review_status", "approved") == "approved")
                   and (not priority or any(e.get("error_priority") == priority for e in n.data.get("errors") or []))
                   and (not error_type or any(e.get("error_type") == error_type for e in n.data.get("errors") or []))]
    return listing


@route("DELETE", "{product:product}")
def delete_product(ctx):
    ctx.node.deleted = True
    ctx.node.save(update_fields=["deleted", "updated"])
    return Reply({"success": True})


# --- product sets -------------------------------------------------------------------------------


def _set_count(ctx, node: Node) -> int:
    rule = node.data.get("filter")
    if not rule:
        return products_of(node.parent_id).count()
    listing = filtered_products(node.parent_id, rule)
    return len(listing) if isinstance(listing, list) else listing.count()


node_type("product_set", label="ProductSet", perms=CATALOG_PERMS, buc="catalog_management",
          default_fields=("id", "name"), fields={
              "name": Value(),
              "filter": Computed(lambda ctx, n: json.dumps(n.data["filter"]) if n.data.get("filter") else None),
              "retailer_id": Computed(lambda ctx, n: n.key or None),
              "product_count": Computed(_set_count),
              "latest_metadata": Value(key="metadata"),
              "live_metadata": Value(key="metadata"),
              "ordering_info": Value(),
              "product_catalog": Ref(key="_catalog"),
          })

_SET_PARAMS = (P("name"), P("filter", "map"), P("retailer_id"), P("metadata", "map"), P("ordering_info", "json"),
               P("publish_to_shops", "json"))


def _set_values(ctx) -> dict:
    values = {k: v for k, v in ctx.args.items() if v is not None and k != "retailer_id"}
    if "filter" in values:
        check_filter(values["filter"])
    if "name" in values and not str(values["name"]).strip():
        raise errors.required_param("name")
    return values


@route("POST", "{catalog:catalog}/product_sets", params=_SET_PARAMS)
def create_product_set(ctx):
    if not ctx.args.get("name"):
        raise errors.required_param("name")
    values = _set_values(ctx)
    key = ctx.args.get("retailer_id") or ""
    if key and Node.objects.filter(type="product_set", parent_id=ctx.node.gid, key=key, deleted=False).exists():
        raise errors.invalid_param(f"A product set with retailer_id {key} already exists in this catalog",
                                   error_data={"blame_field_specs": [["retailer_id"]]})
    node = Node.objects.create(type="product_set", business_id=ctx.node.business_id, parent_id=ctx.node.gid,
                               key=key, data={**values, "_catalog": ctx.node.gid})
    return {"id": node.gid}


@edge("catalog", "product_sets", summary=True, item_label="ProductSet", params=(
    P("retailer_id"), P("parent_id"), P("ancestor_id"), P("has_children", "bool"),
))
def catalog_product_sets(ctx, node, args):
    qs = Node.objects.filter(type="product_set", parent_id=node.gid, deleted=False)
    if args.get("retailer_id"):
        qs = qs.filter(key=args["retailer_id"])
    return qs


@route("POST", "{product_set:product_set}", params=(*_SET_PARAMS, P("allow_live_product_set_deletion", "bool")))
def update_product_set(ctx):
    ctx.node.data.update(_set_values(ctx))
    ctx.node.data.pop("allow_live_product_set_deletion", None)
    ctx.node.save(update_fields=["data", "updated"])
    return Reply({"success": True})


@route("DELETE", "{product_set:product_set}", params=(P("allow_live_product_set_deletion", "bool"),))
def delete_product_set(ctx):
    ctx.node.deleted = True
    ctx.node.save(update_fields=["deleted", "updated"])
    return Reply({"success": True})


# --- diagnostics --------------------------------------------------------------------------------

_DIAG_OF = {"IMAGE": "IMAGE_QUALITY", "POLICY": "POLICY_VIOLATION", "TITLE": "LOW_QUALITY_TITLE_AND_DESCRIPTION",
            "DESCRIPTION": "LOW_QUALITY_TITLE_AND_DESCRIPTION", "MISSING": "ATTRIBUTES_MISSING"}


def _diagnostic_type(error_type: str) -> str:
    for word, kind in _DIAG_OF.items():
        if word in error_type:
            return kind
    return "ATTRIBUTES_INVALID"


def diagnostics_for(catalog: Node) -> list[dict]:
    groups: dict[str, dict] = {}
    flagged = products_of(catalog.gid).filter(data__errors__0__isnull=False)
    for node in flagged.order_by("pk").iterator(chunk_size=2000):
        for error in node.data.get("errors") or []:
            code = error.get("error_type", "UNKNOWN")
            group = groups.setdefault(code, {
                "type": _diagnostic_type(code), "title": error.get("title") or code, "subtitle": error.get(
                    "description", ""), "error_code": code,
                "severity": "MUST_FIX" if error.get("error_priority") == "HIGH" else "OPPORTUNITY",
                "affected_entity": "product_item", "affected_channels": ["shops", "ads"], "affected_features": [],
                "number_of_affected_items": 0, "number_of_affected_entities": 0, "sample_affected_items": [],
                "diagnostics": []})
            group["number_of_affected_items"] += 1
            group["number_of_affected_entities"] += 1
            if len(group["sample_affected_items"]) < 10:
                group["sample_affected_items"].append({"id": node.gid})
    stored = catalog_switch(catalog_config()).get("diagnostics", {}).get(catalog.gid, [])
    return [*groups.values(), *stored]


def catalog_config() -> dict:
    from ..config import get_config

    return get_config()


@edge("catalog", "diagnostics", item_label="ProductCatalogDiagnosticGroup", item_fields=(
    "affected_channels", "affected_entity", "affected_features", "diagnostics", "error_code",
    "number_of_affected_entities", "number_of_affected_items", "severity", "subtitle", "title", "type",
    "sample_affected_items"), params=(
    P("affected_channels", "list"), P("affected_entities", "list"), P("affected_features", "list"),
    P("severities", "list<enum>", enum=("MUST_FIX", "OPPORTUNITY")),
    P("types", "list<enum>", enum=DIAGNOSTIC_TYPES),
))
def catalog_diagnostics(ctx, node, args):
    groups = diagnostics_for(node)
    if args.get("severities"):
        groups = [g for g in groups if g.get("severity") in args["severities"]]
    if args.get("types"):
        groups = [g for g in groups if g.get("type") in args["types"]]
    if args.get("affected_entities"):
        groups = [g for g in groups if g.get("affected_entity") in args["affected_entities"]]
    return groups
