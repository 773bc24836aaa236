"""CSV in Meta's feed columns: parse and check import rows, write the export.

Columns are Meta's feed names (`id`, `title`, `price` "9.99 USD" or "9.99", ...) plus friendly
aliases (`sku`, `name`, `inventory`, `colour`, ...). Each row is checked by `ProductForm`, the
same rules as the product page. A column left out of the file keeps the product's current
value, so a file with just `id,price,availability` updates prices and stock only; an empty
cell in a present column clears the value. The export writes every column and reads back as
"unchanged".
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from catalog.forms import ProductForm, product_form_data
from catalog.models import Product
from catalog.payloads import effective_date
from catalog.services import CONTENT_FIELDS, revive

#: Export order; also every column the import understands.
COLUMNS = [
    "id", "title", "description", "availability", "condition", "price", "sale_price", "sale_price_effective_date",
    "link", "image_link", "additional_image_link", "brand", "item_group_id", "quantity_to_sell_on_facebook",
    "gtin", "mpn", "color", "size", "material", "pattern", "gender", "age_group", "google_product_category",
    "fb_product_category", "product_type", "custom_label_0", "custom_label_1", "custom_label_2", "custom_label_3",
    "custom_label_4", "shipping_weight", "internal_label", "rich_text_description", "status",
]

ALIASES = {
    "retailer_id": "id", "sku": "id", "product_id": "id", "content_id": "id",
    "name": "title", "product_name": "title",
    "url": "link", "product_url": "link", "product_link": "link",
    "image": "image_link", "image_url": "image_link", "main_image": "image_link",
    "additional_image_links": "additional_image_link", "additional_images": "additional_image_link",
    "additional_image_urls": "additional_image_link",
    "inventory": "quantity_to_sell_on_facebook", "quantity": "quantity_to_sell_on_facebook",
    "stock": "quantity_to_sell_on_facebook", "qty": "quantity_to_sell_on_facebook",
    "group": "item_group_id", "group_id": "item_group_id", "variant_group": "item_group_id",
    "retailer_product_group_id": "item_group_id",
    "colour": "color", "ean": "gtin", "upc": "gtin", "barcode": "gtin",
    "internal_labels": "internal_label", "labels": "internal_label",
    "google_category": "google_product_category", "facebook_product_category": "fb_product_category",
    "sale_dates": "sale_price_effective_date",
}

#: Form field → the column its errors are reported under.
FIELD_COLUMNS = {
    "retailer_id": "id", "price": "price", "sale_price": "sale_price",
    "sale_starts_at": "sale_price_effective_date", "sale_ends_at": "sale_price_effective_date",
    "additional_image_links": "additional_image_link", "internal_labels": "internal_label",
    "shipping_weight_value": "shipping_weight", "shipping_weight_unit": "shipping_weight",
}

# Columns whose value is a lower-case enum; Meta's feeds also write "in_stock", "all_ages".
_ENUM_COLUMNS = ("availability", "condition", "gender", "age_group", "status")
# Columns that map one to one onto a ProductForm field of the same name.
_SIMPLE = [col for col in COLUMNS if col not in (
    "id", "price", "sale_price", "sale_price_effective_date", "additional_image_link", "shipping_weight",
    "internal_label",
)]
# Spreadsheet programs run cells starting with these as formulas; the export quotes them.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


#: The longest cell a row may have (characters). Every column's own limit is below it (the longest,
#: 20 additional image links, is about 40,000); a longer cell is that row's error.
CELL_MAX = 65_536


class FileError(ValueError):
    """The file as a whole cannot be read (no header, no id column)."""


def normalize_header(name: str) -> str:
    key = re.sub(r"[\s\-]+", "_", (name or "").strip().lower())
    return ALIASES.get(key, key)


@dataclass
class ParsedFile:
    columns: list[str]
    unknown: list[str]
    rows: list[tuple[int, dict[str, str]]]


def parse(text: str) -> ParsedFile:
    """Rows as (row number as a spreadsheet shows it, {column: value}); the header is row 1."""
    text = text.removeprefix("\ufeff")
    # Spreadsheets in many locales write ";" (or tabs); the header row tells which.
    first_line = text.split("\n", 1)[0]
    delimiter = max(",;\t|", key=first_line.count)
    # Python's csv refuses a field over its limit (131,072 characters by default) by raising in
    # the middle of the file, and the rows after it cannot be read any more. No field can be
    # longer than the file, so with the limit at the file's length every row is read, and an
    # over-long cell becomes its own row's error (check_row). The limit is process-wide and only
    # ever raised here.
    if csv.field_size_limit() <= len(text):
        csv.field_size_limit(len(text) + 1)
    reader = csv.reader(io.StringIO(text), delimiter=delimiter if first_line.count(delimiter) else ",")
    header = next(reader, None)
    if not header or not any(h.strip() for h in header):
        raise FileError(_("The file has no header row. The first row must name the columns, e.g. id,title,price."))
    columns = [normalize_header(h) for h in header]
    if "id" not in columns:
        raise FileError(_("The file has no id column (the retailer id of each product; “sku” works too)."))
    known = set(COLUMNS)
    unknown = [h for h, col in zip(header, columns, strict=True) if col not in known and h.strip()]
    rows = []
    for values in reader:
        if not any(v.strip() for v in values):
            continue
        row = {}
        for col, value in zip(columns, values, strict=False):
            if col in known and col not in row:
                row[col] = TooLong(value) if len(value) > CELL_MAX else _unquote_formula(value.strip())
        rows.append((reader.line_num, row))
    return ParsedFile(columns=[c for c in columns if c in known], unknown=unknown, rows=rows)


class TooLong(str):
    """An over-long cell: its first characters (what the results page shows) and its length;
    `check_row` makes it the row's error."""

    length: int

    def __new__(cls, value: str):
        cell = super().__new__(cls, value[:60] + "…")
        cell.length = len(value)
        return cell


def _unquote_formula(value: str) -> str:
    return value[1:] if len(value) > 1 and value[0] == "'" and value[1] in _FORMULA_START else value


# --- one row -----------------------------------------------------------------------------------


@dataclass
class RowResult:
    row: int
    retailer_id: str
    action: str = "error"  # create | update | unchanged | error
    product: Product | None = None
    errors: list[tuple[str, str]] = field(default_factory=list)
    warnings: list[tuple[str, str]] = field(default_factory=list)


def row_to_form_data(row: dict[str, str], base: dict, currency: str) -> tuple[dict, list[tuple[str, str]]]:
    """Overlay a CSV row on `base` form data; returns (data, errors of the CSV format itself)."""
    data, errors = dict(base), []
    for col in _SIMPLE:
        if col in row:
            value = row[col]
            if col in _ENUM_COLUMNS:
                value = value.lower().replace("_", " ")
            data[col] = value
    if "status" in row and not row["status"]:
        data["status"] = Product.Status.ACTIVE
    if "id" in row:
        data["retailer_id"] = row["id"]
    for col in ("price", "sale_price"):
        if col in row:
            amount, _sep, code = row[col].partition(" ")
            if code.strip() and code.strip().upper() != currency:
                errors.append((col, _("The price is in %(given)s but this shop sells in %(currency)s.")
                               % {"given": code.strip().upper(), "currency": currency}))
            data[col] = amount.strip()
    if "sale_price_effective_date" in row:
        value = row["sale_price_effective_date"]
        start, sep, end = value.partition("/")
        if value and not sep:
            errors.append(("sale_price_effective_date", _(
                "Write the sale dates as start/end, e.g. 2026-11-01T00:00+00:00/2026-11-30T23:59+00:00.")))
        data["sale_starts_at"], data["sale_ends_at"] = start.strip(), end.strip()
    if "additional_image_link" in row:
        data["additional_image_links"] = row["additional_image_link"]
    if "internal_label" in row:
        data["internal_labels"] = row["internal_label"]
    if "shipping_weight" in row:
        value = row["shipping_weight"]
        match = re.fullmatch(r"([0-9]+(?:\.[0-9]+)?)\s*([a-zA-Z]+)", value)
        if value and not match:
            errors.append(("shipping_weight", _("Write the weight as a number and a unit, e.g. 1.5 kg.")))
        data["shipping_weight_value"], data["shipping_weight_unit"] = (
            (match.group(1), match.group(2).lower()) if match else ("", ""))
    return data, errors


def check_row(shop, number: int, row: dict[str, str], existing: Product | None) -> RowResult:
    """Validate one row against its stored product (live, a tombstone, or None)."""
    result = RowResult(row=number, retailer_id=row.get("id", ""))
    too_long = [(col, value.length) for col, value in row.items() if isinstance(value, TooLong)]
    if too_long:
        result.errors = [(col, _("This cell has %(n)d characters; a cell may have at most %(max)d.")
                          % {"n": n, "max": CELL_MAX}) for col, n in too_long]
        return result
    if not result.retailer_id:
        result.errors.append(("id", _("The id (retailer id) is empty.")))
        return result
    live = existing if existing is not None and not existing.is_deleted else None
    base = product_form_data(live) if live else {"status": Product.Status.ACTIVE}
    data, result.errors = row_to_form_data(row, base, live.currency if live else shop.currency)
    before = {name: getattr(live, name) for name in CONTENT_FIELDS} if live else None
    form = ProductForm(data, instance=live, shop=shop, check_unique=False)
    if not form.is_valid():
        for name, messages in form.errors.items():
            column = FIELD_COLUMNS.get(name, name if name != "__all__" else "")
            result.errors.extend((column, str(m)) for m in messages)
    result.warnings = [(FIELD_COLUMNS.get(n, n), str(m)) for n, m in form.warnings]
    if result.errors:
        return result
    product = form.instance
    if live is None:
        result.action = "create"
        result.product = revive(existing, product) if existing is not None else product
    else:
        changed = any(getattr(product, name) != value for name, value in before.items())
        result.action = "update" if changed else "unchanged"
        result.product = product
    return result


# --- export ------------------------------------------------------------------------------------


def product_row(product: Product) -> list[str]:
    values = {
        "id": product.retailer_id,
        "price": product.price.to_meta_price(),
        "sale_price": product.sale_price.to_meta_price() if product.on_sale else "",
        "sale_price_effective_date": effective_date(product.sale_starts_at, product.sale_ends_at),
        "additional_image_link": ",".join(product.additional_image_links),
        "quantity_to_sell_on_facebook": "" if product.quantity_to_sell_on_facebook is None
        else str(product.quantity_to_sell_on_facebook),
        "shipping_weight": product.shipping_weight,
        "internal_label": ",".join(product.internal_labels),
    }
    return [safe_cell(values[col] if col in values else getattr(product, col)) for col in COLUMNS]


def safe_cell(value) -> str:
    """A CSV cell spreadsheet programs will not run as a formula (read back by `parse`)."""
    value = "" if value is None else str(value)
    return "'" + value if value.startswith(_FORMULA_START) else value


class _Echo:
    def write(self, value):
        return value


def export_rows(products: Iterable[Product]) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield "\ufeff" + writer.writerow(COLUMNS)  # BOM: spreadsheet programs then read UTF-8 correctly
    for product in products:
        yield writer.writerow(product_row(product))

