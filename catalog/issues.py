"""Product issues, local part: record what Meta reports, resolve what it stops reporting, and
turn open issues into issue cards (one kind of problem, a count, ONE call to action).

`record_issues` is what phase 2's sync calls with each batch result, item check or diagnostics
read; `catalog_issue_cards` is registered with `kernel.issues` in CatalogConfig.ready().
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from urllib.parse import urlencode

from django.core.exceptions import FieldDoesNotExist
from django.db import transaction
from django.db.models import Case, Count, IntegerField, Max, Min, Q, Sum, Value, When
from django.urls import reverse
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext_lazy

from catalog.models import Product, ProductIssue
from kernel.issues import IssueCard

Severity = ProductIssue.Severity


@dataclass(frozen=True)
class IssueKind:
    short: str
    #: plural-aware title taking %(count)d
    title: object
    explanation: str
    #: our product form field to highlight ("" ⇒ open the product)
    field: str = ""
    #: only Meta can lift it: the call to action is an appeal in Commerce Manager
    policy: bool = False


_IMAGE_FETCH = IssueKind(
    gettext_lazy("Image could not be downloaded"),
    ngettext_lazy("%(count)d product has an image Meta could not download",
                  "%(count)d products have images Meta could not download", "count"),
    gettext_lazy("Meta fetches your images from their links. A broken, private or very large image keeps the "
                 "product out of your shops."),
    "image_link",
)
_PRICE = IssueKind(
    gettext_lazy("Price invalid"),
    ngettext_lazy("%(count)d product has a price Meta cannot use",
                  "%(count)d products have prices Meta cannot use", "count"),
    gettext_lazy("Products without a valid price above zero cannot be shown or sold."),
    "price",
)
_LINK = IssueKind(
    gettext_lazy("Product link broken"),
    ngettext_lazy("%(count)d product links to a page Meta cannot open",
                  "%(count)d products link to pages Meta cannot open", "count"),
    gettext_lazy("Buyers are sent to this page to check out; Meta hides products whose page is missing."),
    "link",
)
_POLICY = IssueKind(
    gettext_lazy("Rejected by Meta's policies"),
    ngettext_lazy("%(count)d product was rejected under Meta's commerce policies",
                  "%(count)d products were rejected under Meta's commerce policies", "count"),
    gettext_lazy("Rejected products are hidden from your shops. If you think Meta got it wrong, request a review "
                 "in Commerce Manager; otherwise edit or remove the products."),
    policy=True,
)

#: Meta's error types (ProductItem.ErrorType, diagnostics types) in plain language.
KINDS: dict[str, IssueKind] = {
    "IMAGE_RESOLUTION_LOW": IssueKind(
        gettext_lazy("Image too small"),
        ngettext_lazy("%(count)d product has an image that is too small",
                      "%(count)d products have images that are too small", "count"),
        gettext_lazy("Meta hides products whose main image is smaller than 500 × 500 pixels from Facebook and "
                     "Instagram shops. Upload a larger image and update the link."),
        "image_link",
    ),
    "BAD_QUALITY_IMAGE": IssueKind(
        gettext_lazy("Low-quality image"),
        ngettext_lazy("%(count)d product has a low-quality image",
                      "%(count)d products have low-quality images", "count"),
        gettext_lazy("Blurry images, or images with text or borders over the product, sell less and may be hidden."),
        "image_link",
    ),
    "INVALID_IMAGES": _IMAGE_FETCH,
    "IMAGE_FETCH_FAILED": _IMAGE_FETCH,
    "IMAGE_FETCH_FAILED_BAD_GATEWAY": _IMAGE_FETCH,
    "IMAGE_FETCH_FAILED_FILE_SIZE_EXCEEDED": _IMAGE_FETCH,
    "IMAGE_FETCH_FAILED_FORBIDDEN": _IMAGE_FETCH,
    "IMAGE_FETCH_FAILED_LINK_BROKEN": _IMAGE_FETCH,
    "IMAGE_FETCH_FAILED_TIMED_OUT": _IMAGE_FETCH,
    "NOT_ENOUGH_IMAGES": IssueKind(
        gettext_lazy("More images would help"),
        ngettext_lazy("%(count)d product could use more images",
                      "%(count)d products could use more images", "count"),
        gettext_lazy("Products with several images from different angles get more views and sales."),
        "additional_image_links",
    ),
    "UNIQUE_PRODUCT_IDENTIFIER_MISSING": IssueKind(
        gettext_lazy("Missing GTIN"),
        ngettext_lazy("%(count)d product is missing its GTIN (barcode number)",
                      "%(count)d products are missing their GTIN (barcode number)", "count"),
        gettext_lazy("Meta uses the GTIN to match your product with the right category and show it to more buyers."),
        "gtin",
    ),
    "TITLE_TOO_LONG": IssueKind(
        gettext_lazy("Title too long"),
        ngettext_lazy("%(count)d product has a title that is too long",
                      "%(count)d products have titles that are too long", "count"),
        gettext_lazy("Meta cuts long titles off in shops and its batch upload refuses titles over its limit. Keep "
                     "titles under 150 characters."),
        "title",
    ),
    "EMPTY_TITLE": IssueKind(
        gettext_lazy("Missing title"), ngettext_lazy("%(count)d product has no title", "%(count)d products have no title", "count"),
        gettext_lazy("Meta needs a title to show a product."), "title",
    ),
    "EMPTY_DESCRIPTION": IssueKind(
        gettext_lazy("Missing description"),
        ngettext_lazy("%(count)d product has no description", "%(count)d products have no description", "count"),
        gettext_lazy("Meta needs a description to show a product."), "description",
    ),
    "EMPTY_BRAND": IssueKind(
        gettext_lazy("Missing brand"), ngettext_lazy("%(count)d product has no brand", "%(count)d products have no brand", "count"),
        gettext_lazy("Meta needs a brand for every product; use your shop's name for your own goods."), "brand",
    ),
    "EMPTY_PRICE": _PRICE,
    "ITEM_PRICE_NOT_POSITIVE": _PRICE,
    "NEGATIVE_PRICE": _PRICE,
    "INVALID_SALE_PRICE": IssueKind(
        gettext_lazy("Sale price invalid"),
        ngettext_lazy("%(count)d product has a sale price Meta cannot use",
                      "%(count)d products have sale prices Meta cannot use", "count"),
        gettext_lazy("A sale price must be lower than the regular price and have valid dates."), "sale_price",
    ),
    "EMPTY_PRODUCT_URL": _LINK,
    "QUALITY_ITEM_LINK_BROKEN": _LINK,
    "QUALITY_ITEM_LINK_REDIRECTING": _LINK,
    "EMPTY_AVAILABILITY": IssueKind(
        gettext_lazy("Missing availability"),
        ngettext_lazy("%(count)d product has no availability", "%(count)d products have no availability", "count"),
        gettext_lazy("Meta needs to know whether a product is in stock."), "availability",
    ),
    "EMPTY_CONDITION": IssueKind(
        gettext_lazy("Missing condition"),
        ngettext_lazy("%(count)d product has no condition", "%(count)d products have no condition", "count"),
        gettext_lazy("Meta needs to know whether a product is new, refurbished or used."), "condition",
    ),
    "INVENTORY_ZERO_AVAILABILITY_IN_STOCK": IssueKind(
        gettext_lazy("In stock with zero inventory"),
        ngettext_lazy("%(count)d product is “in stock” with an inventory of 0",
                      "%(count)d products are “in stock” with an inventory of 0", "count"),
        gettext_lazy("Buyers cannot buy a product with no units to sell. Update the inventory or the availability."),
        "quantity_to_sell_on_facebook",
    ),
    "MISSING_COLOR": IssueKind(
        gettext_lazy("Missing colour"), ngettext_lazy("%(count)d variant has no colour", "%(count)d variants have no colour", "count"),
        gettext_lazy("Variants need the attribute they differ by, so buyers can choose."), "color",
    ),
    "MISSING_SIZE": IssueKind(
        gettext_lazy("Missing size"), ngettext_lazy("%(count)d variant has no size", "%(count)d variants have no size", "count"),
        gettext_lazy("Variants need the attribute they differ by, so buyers can choose."), "size",
    ),
    "UNSUPPORTED_PRODUCT_CATEGORY": IssueKind(
        gettext_lazy("Category not supported"),
        ngettext_lazy("%(count)d product has a category Meta does not support",
                      "%(count)d products have categories Meta does not support", "count"),
        gettext_lazy("Choose a Google or Facebook product category Meta accepts for shops."),
        "google_product_category",
    ),
    "SHOPS_POLICY_VIOLATION": _POLICY,
    "DA_POLICY_VIOLATION": _POLICY,
    "AR_POLICY_VIOLATED": _POLICY,
    "ITEM_NOT_APPROVED": _POLICY,
    "PRODUCT_NOT_APPROVED": _POLICY,
    "ILLEGAL_PRODUCT_CATEGORY": _POLICY,
    "POLICY_VIOLATION": _POLICY,
    "REVIEW_REJECTED": _POLICY,
}

#: Some of Meta's generic types name the field; (type, field) picks a clearer kind.
KINDS_BY_FIELD: dict[tuple[str, str], str] = {
    ("PROPERTY_VALUE_STRING_EXCEEDS_LENGTH", "title"): "TITLE_TOO_LONG",
    ("PROPERTY_VALUE_MISSING", "gtin"): "UNIQUE_PRODUCT_IDENTIFIER_MISSING",
    ("PROPERTY_VALUE_MISSING", "brand"): "EMPTY_BRAND",
}

_FALLBACK = IssueKind(
    gettext_lazy("Other problem"),
    ngettext_lazy("%(count)d product has a problem Meta reported",
                  "%(count)d products have a problem Meta reported", "count"),
    "",
)

#: items_batch field names → our form fields.
META_FIELDS = {
    "id": "retailer_id", "title": "title", "description": "description", "brand": "brand", "link": "link",
    "image_link": "image_link", "additional_image_link": "additional_image_links", "price": "price",
    "sale_price": "sale_price", "sale_price_effective_date": "sale_starts_at", "availability": "availability",
    "condition": "condition", "quantity_to_sell_on_facebook": "quantity_to_sell_on_facebook", "gtin": "gtin",
    "mpn": "mpn", "color": "color", "size": "size", "material": "material", "pattern": "pattern",
    "gender": "gender", "age_group": "age_group", "google_product_category": "google_product_category",
    "product_type": "product_type", "item_group_id": "item_group_id", "rich_text_description": "rich_text_description",
}


def kind_of(code: str, field: str = "") -> IssueKind:
    return KINDS.get(KINDS_BY_FIELD.get((code, field), code), _FALLBACK)


def describe_code(code: str) -> str:
    kind = KINDS.get(code)
    return str(kind.short) if kind else code.replace("_", " ").capitalize()


def field_label(name: str) -> str:
    model_name = {"price": "price_minor", "sale_price": "sale_price_minor"}.get(name, name)
    try:
        return capfirst(str(Product._meta.get_field(model_name).verbose_name))
    except FieldDoesNotExist:
        return name


# --- recording -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Reported:
    """One issue as Meta reported it, in our terms."""

    code: str
    message: str = ""
    severity: str = Severity.MUST_FIX
    field: str = ""
    title: str = ""
    affected_count: int = 1


def severity_from_meta(value: str) -> str:
    """Meta's error_priority (HIGH/MEDIUM/LOW) or diagnostics severity (MUST_FIX/OPPORTUNITY)."""
    return {"HIGH": Severity.MUST_FIX, "MUST_FIX": Severity.MUST_FIX, "MEDIUM": Severity.WARNING,
            "LOW": Severity.OPPORTUNITY, "OPPORTUNITY": Severity.OPPORTUNITY}.get((value or "").upper(),
                                                                                  Severity.WARNING)


def from_item_errors(errors: Iterable[Mapping]) -> list[Reported]:
    """`GET /{product_item_id}?fields=errors` entries → Reported (META_API §2.4)."""
    reported = []
    for error in errors:
        code = str(error.get("error_type", "UNKNOWN")).upper()
        reported.append(Reported(
            code=code, severity=severity_from_meta(error.get("error_priority", "")),
            field=kind_of(code).field, title=str(error.get("title", ""))[:255],
            message=str(error.get("description", "")),
        ))
    return reported


_WORD = re.compile(r"[a-z_]+")
_ERROR_TYPE = re.compile(r"\b[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+\b")


def from_batch_message(message: str) -> Reported:
    """An items_batch error (`{"line", "id", "message"}`) → Reported. Meta's batch errors carry
    only a message: when it names one of Meta's error types we know (e.g. "...
    (IMAGE_RESOLUTION_LOW)"), that is the code, so the card explains it; otherwise the code is
    BATCH_REJECTED. The field is the kind's field, else the first of Meta's field names the
    message mentions."""
    code = next((w for w in _ERROR_TYPE.findall(message) if w in KINDS), "BATCH_REJECTED")
    field = KINDS[code].field if code in KINDS else ""
    if not field:
        field = next((META_FIELDS[w] for w in _WORD.findall(message.lower()) if w in META_FIELDS and w != "id"), "")
    return Reported(code=code, message=message, field=field)


@transaction.atomic(savepoint=False)  # its writes are all or nothing with the caller's
def record_issues(shop, source: str, reports: Mapping[int | None, Iterable[Reported]], *, now=None,
                  open_issues: Iterable[ProductIssue] | None = None) -> dict:
    """Make the open issues of `source` for each product in `reports` (None: the catalog)
    exactly the reported ones: new ones open, known ones refresh `last_seen`, the rest resolve.
    Products absent from `reports` are left alone. Returns counts.

    `open_issues`: the open issues of `source` for those products, when the caller has just read
    them (locked) with others; otherwise they are read here."""
    now = now or timezone.now()
    if open_issues is None:
        product_ids = [pid for pid in reports if pid is not None]
        scope = Q(product_id__in=product_ids)
        if None in reports:
            scope |= Q(product__isnull=True)
        open_issues = ProductIssue.objects.open().select_for_update().filter(scope, shop=shop, source=source)
    open_issues = {(i.product_id, i.code, i.field): i for i in open_issues}
    new, seen = [], []
    for product_id, items in reports.items():
        for item in items:
            key = (product_id, item.code, item.field)
            issue = open_issues.pop(key, None)
            if issue is None:
                new.append(ProductIssue(
                    shop=shop, product_id=product_id, source=source, code=item.code, field=item.field,
                    severity=item.severity, title=item.title, message=item.message,
                    affected_count=item.affected_count, first_seen=now, last_seen=now,
                ))
                open_issues[key] = new[-1]  # the same issue twice in one report counts once
            elif issue.pk:
                issue.severity, issue.title, issue.message = item.severity, item.title, item.message
                issue.affected_count, issue.last_seen = item.affected_count, now
                seen.append(issue)
    gone = [i.pk for i in open_issues.values() if i.pk]
    ProductIssue.objects.bulk_create(new)
    ProductIssue.objects.bulk_update(seen, ["severity", "title", "message", "affected_count", "last_seen"])
    ProductIssue.objects.filter(pk__in=gone).update(resolved_at=now)
    return {"opened": len(new), "refreshed": len(seen), "resolved": len(gone)}


def record_product_issues(shop, product, source: str, items: Iterable[Reported]) -> dict:
    return record_issues(shop, source, {product.pk: list(items)})


def open_issue_codes(shop) -> list[str]:
    return list(
        ProductIssue.objects.open().filter(shop=shop, product__isnull=False)
        .order_by("code").values_list("code", flat=True).distinct()
    )


# --- issue cards -------------------------------------------------------------------------------

_RANK = Case(
    When(severity=Severity.MUST_FIX, then=Value(0)), When(severity=Severity.WARNING, then=Value(1)),
    default=Value(2), output_field=IntegerField(),
)
_BY_RANK = [Severity.MUST_FIX, Severity.WARNING, Severity.OPPORTUNITY]


def commerce_manager_issues_url(shop) -> str:
    from shops import links

    conn = getattr(shop, "meta_connection", None)  # read with the shop on seller pages (shops.tenancy)
    catalog_id = conn.catalog_id if conn else ""

    return links.catalog_issues(catalog_id or "")


def catalog_issue_cards(shop) -> list[IssueCard]:
    groups = (
        ProductIssue.objects.open().filter(shop=shop, product__isnull=False, product__deleted_at__isnull=True)
        .values("code", "field")
        .annotate(products=Count("product", distinct=True), rank=Min(_RANK), checked=Max("last_seen"),
                  one=Min("product_id"), message=Max("message"))
        .order_by("code", "field")
    )
    catalog_level = (
        ProductIssue.objects.open().filter(shop=shop, product__isnull=True)
        .values("code").annotate(items=Sum("affected_count"), rank=Min(_RANK), checked=Max("last_seen"),
                                 message=Max("message"), field=Max("field"))
        .order_by("code")
    )
    cm_url = None
    cards = []
    for group in [*groups, *catalog_level]:
        kind = kind_of(group["code"], group["field"])
        count = group.get("products") or group.get("items") or 1
        field = kind.field or group["field"]
        url, label, external = _call_to_action(shop, kind, group, count, field)
        if url is None:
            cm_url = cm_url or commerce_manager_issues_url(shop)
            url = cm_url
        cards.append(IssueCard(
            kind=f"catalog.{group['code']}" + (f".{group['field']}" if group["field"] else ""),
            severity=_BY_RANK[group["rank"]],
            title=kind.title % {"count": count},
            explanation=str(kind.explanation) or group["message"],
            cta_label=label, cta_url=url, cta_external=external, count=count, group="catalog",
            checked_at=group["checked"],
        ))
    return cards


def _call_to_action(shop, kind: IssueKind, group, count: int, field: str):
    """(url or None for Commerce Manager, label, external)."""
    if kind.policy or "one" not in group:
        return None, _("Request a review in Commerce Manager") if kind.policy else _("Open Commerce Manager"), True
    if count == 1:
        url = reverse("catalog:product_edit", args=[shop.pk, group["one"]])
        if field:
            return f"{url}?{urlencode({'focus': field})}", _("Edit %(field)s") % {"field": field_label(field)}, False
        return url, _("Open the product"), False
    url = reverse("catalog:products", args=[shop.pk]) + "?" + urlencode({"issue": group["code"]})
    return url, _("Show the %(count)d products") % {"count": count}, False
