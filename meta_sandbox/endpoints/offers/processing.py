"""Processing an OFFER upload: parse the file, validate each row, store the offers, record the errors."""

from __future__ import annotations

import csv
import io
from fnmatch import fnmatchcase

from django.utils import timezone

from ...models import Node
from .common import COLUMNS, MAX_PUBLIC_COUPONS, OFFER, iso, offers_of, switch
from .rows import RowError, _warnings, validate_row

# --- processing -------------------------------------------------------------------------------------


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
