"""Offers: a catalog's data feed of type OFFER and its uploads (META_API §2.8, §4.1).

- `POST {catalog}/product_feeds` (`name`, `feed_type`, schedule...) → `{"id"}`;
  `GET {catalog}/product_feeds`; `GET/POST/DELETE {feed}`.
- `POST {feed}/uploads` with the file as multipart `file` (or a `url` the sandbox fetches) →
  `{"id": <upload session>}`. An OFFER upload is parsed (CSV, or TSV when the header has tabs)
  and every row validated like Meta would (columns and enums of META_API §4.1); valid rows
  become `offer` nodes of the catalog (key = offer_id); with a replace upload (the default,
  `update_only` false) offers absent from the file are deleted. Rejection rules armed through
  the control API (`_control/offers/reject`) play Meta's own review.
- `GET {feed}/uploads` (newest first), `GET {upload}` (`end_time` once processed,
  `error_count`, `warning_count`, `num_detected_items`, `num_persisted_items`,
  `num_deleted_items`...), `GET {upload}/errors` → `{id, summary, description, severity
  (fatal | warning), row_number, column_number, column_name}`; `error_priority=HIGH` keeps the
  fatal ones.

Sandbox choices (Meta documents less): row numbers count the header as row 1; an unknown column
is a warning on row 1; arrays (coupon codes, retailer ids, shipping option types) are JSON
arrays or comma lists; `fixed_amount_off` and `min_subtotal` are price strings ("15.00 USD",
with at most the currency's decimals) in the feed's currency (its `default_currency`, else the
catalog's products' currency is not checked); dates are unix seconds, `YYYY-MM-DD HH:MM:SS`
(UTC) or ISO 8601; at most 10 offers with a public coupon code per catalog; an upload is
processed at once unless the switch `offers.manual_processing` is on, in which case it stays
in progress until `_control/offers/uploads/<id>/process`.
"""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import UTC, datetime
from fnmatch import fnmatchcase

from django.utils import timezone

from kernel.money import Money

from .. import errors
from ..models import Node, Switch
from ..params import P
from ..router import Computed, Ref, Reply, Value, edge, node_type, route
from .catalog import check_filter

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


def switch() -> dict:
    row = Switch.objects.filter(key=SWITCH).first()
    return {**DEFAULT_SWITCH, **(row.value if row and isinstance(row.value, dict) else {})}


def save_switch(value: dict) -> dict:
    Switch.objects.update_or_create(key=SWITCH, defaults={"value": value})
    return value


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S+0000")


# --- feeds -------------------------------------------------------------------------------------------

node_type(FEED, label="ProductFeed", perms=CATALOG_PERMS, buc="catalog_management",
          default_fields=("id", "name"), fields={
              "name": Value(),
              "feed_type": Value(),
              "country": Value(),
              "default_currency": Value(),
              "deletion_enabled": Value(),
              "delimiter": Value(),
              "encoding": Value(),
              "file_name": Value(),
              "schedule": Value(),
              "update_schedule": Value(),
              "created_time": Value(),
              "latest_upload": Ref(default_fields=("id", "end_time")),
              "product_count": Computed(lambda ctx, n: offers_of(n.parent_id).count() if n.data.get("feed_type") == "OFFER"
                                        else 0),
          })

FEED_PARAMS = (P("name"), P("schedule", "map"), P("update_schedule", "map"), P("country"), P("default_currency"),
               P("deletion_enabled", "bool"), P("delimiter"), P("encoding"), P("file_name"),
               P("quoted_fields_mode"), P("override_type"), P("ingestion_source_type"), P("item_sub_type"),
               P("primary_feeds", "list"), P("rules", "list"), P("migrated_from_feed_id"),
               P("selected_override_fields", "list"), P("fbe_external_business_id"))


def _feed_values(ctx) -> dict:
    values = {k: v for k, v in ctx.args.items() if v is not None and k != "feed_type"}
    if "default_currency" in values:
        try:
            Money.zero(values["default_currency"])
        except ValueError:
            raise errors.invalid_param(f"default_currency {values['default_currency']!r} is not a currency",
                                       error_data={"blame_field_specs": [["default_currency"]]})
        values["default_currency"] = values["default_currency"].upper()
    if "name" in values and not str(values["name"]).strip():
        raise errors.required_param("name")
    return values


@route("POST", "{catalog:catalog}/product_feeds", params=(*FEED_PARAMS, P("feed_type", "enum", enum=FEED_TYPES)))
def create_feed(ctx):
    if not ctx.args.get("name"):
        raise errors.required_param("name")
    data = {**_feed_values(ctx), "feed_type": ctx.args.get("feed_type") or "PRODUCTS",
            "created_time": iso(timezone.now())}
    node = Node.objects.create(type=FEED, business_id=ctx.node.business_id, parent_id=ctx.node.gid, data=data)
    return {"id": node.gid}


@edge("catalog", "product_feeds", summary=True, item_label="ProductFeed")
def catalog_feeds(ctx, node, args):
    return Node.objects.of_type(FEED).filter(parent_id=node.gid)


@route("POST", f"{{feed:{FEED}}}", params=FEED_PARAMS)
def update_feed(ctx):
    ctx.node.data.update(_feed_values(ctx))
    ctx.node.save(update_fields=["data", "updated"])
    return Reply({"success": True})


@route("DELETE", f"{{feed:{FEED}}}")
def delete_feed(ctx):
    ctx.node.deleted = True
    ctx.node.save(update_fields=["deleted", "updated"])
    return Reply({"success": True})


# --- uploads ----------------------------------------------------------------------------------------

node_type(UPLOAD, label="ProductFeedUpload", perms=CATALOG_PERMS, buc="catalog_management",
          default_fields=("id", "start_time", "end_time"), fields={
              name: Value() for name in ("start_time", "end_time", "error_count", "warning_count", "input_method",
                                         "filename", "url", "num_detected_items", "num_persisted_items",
                                         "num_deleted_items", "error_report")
          })


class FileParam(P):
    """A multipart file part (Django's UploadedFile), or file content sent as a plain string."""

    def parse(self, value):
        if hasattr(value, "read"):
            return value
        if isinstance(value, (dict, list)):
            raise errors.bad_type(self.name, "a file")
        return str(value)


def _read_file(value) -> tuple[str, bytes]:
    if hasattr(value, "read"):
        if getattr(value, "size", 0) and value.size > MAX_BYTES:
            raise errors.invalid_param("The file is larger than 100 MB")
        return getattr(value, "name", "") or "upload.csv", value.read()
    return "upload.csv", value.encode("utf-8")


def _fetch(url: str) -> bytes:
    import requests

    if not re.match(r"https?://", url):
        raise errors.invalid_param("url must be an http(s) URL", error_data={"blame_field_specs": [["url"]]})
    try:
        response = requests.get(url, timeout=10, allow_redirects=False)
    except requests.RequestException as exc:
        raise errors.invalid_param(f"The file at url could not be fetched ({type(exc).__name__})")
    if response.status_code != 200:
        raise errors.invalid_param(f"The file at url could not be fetched (HTTP {response.status_code})")
    return response.content


@route("POST", f"{{feed:{FEED}}}/uploads", params=(
    FileParam("file"), P("url"), P("update_only", "bool", default=False), P("username"), P("password"),
    P("fbe_external_business_id"),
))
def create_upload(ctx):
    feed = ctx.node
    a = ctx.args
    if (a.get("file") is None) == (not a.get("url")):
        raise errors.invalid_param("Give the feed file either as a multipart file or as a url",
                                   error_data={"blame_field_specs": [["file"]]})
    if feed.data.get("feed_type") != "OFFER":
        raise errors.invalid_param("The sandbox processes uploads of OFFER feeds only")
    if a.get("file") is not None:
        filename, content = _read_file(a["file"])
        method, url = "Manual Upload", None
    else:
        content, filename, method, url = _fetch(a["url"]), a["url"].rsplit("/", 1)[-1], "Server Upload", a["url"]
    upload = Node.objects.create(type=UPLOAD, business_id=feed.business_id, parent_id=feed.gid, data={
        "start_time": iso(timezone.now()), "input_method": method, "filename": filename, "url": url,
        "update_only": bool(a.get("update_only")), "content": content.decode("utf-8", errors="replace"),
        "errors": [],
    })
    feed.data["latest_upload"] = upload.gid
    feed.save(update_fields=["data", "updated"])
    if not switch().get("manual_processing"):
        process(upload)
    return {"id": upload.gid}


@edge(FEED, "uploads", item_label="ProductFeedUpload", newest_first=True)
def feed_uploads(ctx, node, args):
    return Node.objects.of_type(UPLOAD).filter(parent_id=node.gid)


ERROR_FIELDS = ("id", "summary", "description", "severity", "row_number", "column_number", "column_name",
                "error_type", "total_count")


@edge(UPLOAD, "errors", item_label="ProductFeedUploadError", item_fields=ERROR_FIELDS,
      params=(P("error_priority", "enum", enum=("HIGH", "MEDIUM", "LOW")),))
def upload_errors(ctx, node, args):
    found = node.data.get("errors") or []
    if args.get("error_priority") == "HIGH":
        found = [e for e in found if e["severity"] == "fatal"]
    elif args.get("error_priority") in ("MEDIUM", "LOW"):
        found = [e for e in found if e["severity"] == "warning"]
    return found


# --- processing -------------------------------------------------------------------------------------


class RowError(Exception):
    def __init__(self, column: str, summary: str, description: str, severity: str = "fatal"):
        super().__init__(description)
        self.column, self.summary, self.description, self.severity = column, summary, description, severity


def offers_of(catalog_gid: str):
    return Node.objects.of_type(OFFER).filter(parent_id=catalog_gid)


def _catalog_currency(feed: Node) -> str | None:
    return feed.data.get("default_currency") or None


def process(upload: Node) -> None:
    """Parse and validate the file, store the valid offers, record the errors; end the upload."""
    feed = Node.objects.get(pk=Node.pk_from_gid(upload.parent_id))
    catalog_gid = feed.parent_id
    text = upload.data.pop("content", "")
    found: list[dict] = []
    persisted, detected, deleted = 0, 0, 0
    try:
        header, rows = _parse(text)
    except RowError as exc:
        found.append(_error(len(found), exc, 1, 0))
        header, rows = [], []
    positions = {name: i + 1 for i, name in enumerate(header)}
    for name in header:
        if name not in COLUMNS:
            found.append(_error(len(found), RowError(name, "Unknown column",
                                                     f"The column {name} is not an offer column and was ignored.",
                                                     "warning"), 1, positions[name]))
    if header and "offer_id" not in header:
        found.append(_error(len(found), RowError("offer_id", "Missing required column",
                                                 "The file has no offer_id column: no offer was read."), 1, 0))
        rows = []
    rules = switch().get("reject") or []
    seen: set[str] = set()
    public = 0
    good: dict[str, dict] = {}
    context = {"currency": _catalog_currency(feed), "catalog": catalog_gid}
    listed: set[str] = set()
    for number, values in rows:
        detected += 1
        row = {name: (values[i].strip() if i < len(values) else "") for i, name in enumerate(header)}
        listed.add(row.get("offer_id", ""))
        problems: list[RowError] = []
        try:
            offer = validate_row(row, context)
        except RowError as exc:
            problems.append(exc)
            offer = None
        if offer is not None:
            if offer["offer_id"] in seen:
                problems.append(RowError("offer_id", "Duplicate offer_id",
                                         f"offer_id {offer['offer_id']} appears more than once in the file."))
            elif offer.get("public_coupon_code"):
                public += 1
                if public > MAX_PUBLIC_COUPONS:
                    problems.append(RowError("public_coupon_code", "Too many public coupon codes",
                                             f"A catalog can have at most {MAX_PUBLIC_COUPONS} offers with a public "
                                             "coupon code."))
            for rule in rules:
                if rule.get("catalog_id") not in (None, "", catalog_gid):
                    continue
                if fnmatchcase(offer["offer_id"], str(rule.get("offer_id") or "*")):
                    problems.append(RowError(rule.get("column") or "offer_id", rule.get("summary") or "Offer rejected",
                                             rule.get("message") or "This offer was rejected by review."))
            offer.update(_warnings(offer, catalog_gid, problems))
        for problem in problems:
            found.append(_error(len(found), problem, number, positions.get(problem.column, 0)))
        if offer is not None:
            seen.add(offer["offer_id"])
            if not any(p.severity == "fatal" for p in problems):
                good[offer["offer_id"]] = offer
    now = timezone.now()
    existing = {n.key: n for n in offers_of(catalog_gid)}
    for offer_id, offer in good.items():
        node = existing.get(offer_id)
        if node is None:
            Node.objects.create(type=OFFER, business_id=feed.business_id, parent_id=catalog_gid, key=offer_id,
                                data={**offer, "feed_id": feed.gid, "upload_id": upload.gid})
        else:
            node.data = {**offer, "feed_id": feed.gid, "upload_id": upload.gid}
            node.save(update_fields=["data", "updated"])
        persisted += 1
    if not upload.data.get("update_only") and header and "offer_id" in header:
        # A replace upload: offers of this feed that the file no longer lists are removed
        # (a row that failed validation keeps its previous version).
        for offer_id, node in existing.items():
            if offer_id not in listed and node.data.get("feed_id") == feed.gid:
                node.deleted = True
                node.save(update_fields=["deleted", "updated"])
                deleted += 1
    upload.data.update({
        "errors": found, "end_time": iso(now),
        "error_count": sum(1 for e in found if e["severity"] == "fatal"),
        "warning_count": sum(1 for e in found if e["severity"] == "warning"),
        "num_detected_items": detected, "num_persisted_items": persisted, "num_deleted_items": deleted,
    })
    upload.save(update_fields=["data", "updated"])


def _error(n: int, exc: RowError, row: int, column: int) -> dict:
    return {"id": str(10**12 + n), "summary": exc.summary, "description": exc.description, "severity": exc.severity,
            "row_number": row, "column_number": column, "column_name": exc.column,
            "error_type": exc.summary.upper().replace(" ", "_"), "total_count": 1}


def _parse(text: str) -> tuple[list[str], list[tuple[int, list[str]]]]:
    text = text.lstrip("\ufeff")
    if not text.strip():
        raise RowError("", "Empty file", "The file has no header row.")
    first = text.splitlines()[0]
    delimiter = "\t" if "\t" in first else ","
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    try:
        header = [h.strip() for h in next(reader)]
        rows = [(reader.line_num, values) for values in reader if any(v.strip() for v in values)]
    except csv.Error as exc:
        raise RowError("", "Malformed file", f"The file could not be read as CSV: {exc}")
    return header, rows


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
        money = Money.from_meta_price(value)
    except (TypeError, ValueError):
        raise RowError(column, "Invalid price", f"{column} must be an amount and a currency such as "
                                                f"\"15.00 USD\" (with the currency's decimals), not {value!r}.")
    if money.minor <= 0:
        raise RowError(column, "Invalid price", f"{column} must be more than zero.")
    if currency and money.currency != currency:
        raise RowError(column, "Invalid currency", f"{column} is in {money.currency}; this feed uses {currency}.")
    return {"minor": money.minor, "currency": money.currency, "text": money.to_meta_price()}


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
    if application == "BUYER_APPLIED":
        if not codes:
            raise RowError("coupon_codes", "Missing required field", "coupon_codes is required when "
                                                                     "application_type is BUYER_APPLIED.")
        if public and public not in codes:
            raise RowError("public_coupon_code", "Invalid value", "public_coupon_code must be one of coupon_codes.")
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
