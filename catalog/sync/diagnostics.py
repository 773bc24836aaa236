"""Meta's view of the products (errors, review) and the catalog's diagnostics, as issues."""

from __future__ import annotations

import json

from django.utils import timezone

from catalog.issues import Reported, from_item_errors, record_issues
from catalog.models import CatalogSync, Product, ProductIssue
from catalog.sync.config import setting
from catalog.sync.state import connection_for

Source = ProductIssue.Source


def item_checks(client, shop, catalog_id: str, retailer_ids: list[str] | None = None) -> dict:
    """Read Meta's `errors` and `review_status` of products and record them as issues.

    `retailer_ids` None: every product Meta reports with an error of any priority or a rejected
    review (the hourly check); the products with open issues of these sources are checked too, so
    that what Meta no longer reports resolves. Otherwise just those products.
    """
    fields = "retailer_id,errors,review_status,review_rejection_reasons"
    found: dict[str, dict] = {}

    def read(params: dict) -> None:
        for item in client.paginate(f"{catalog_id}/products", {"fields": fields, **params}, limit=1000):
            if item.get("retailer_id") is not None:
                found[str(item["retailer_id"])] = item

    if retailer_ids is None:
        for priority in ("HIGH", "MEDIUM", "LOW"):
            read({"error_priority": priority})
        read({"filter": json.dumps({"review_status": {"eq": "rejected"}})})
        checked = list(ProductIssue.objects.open().filter(shop=shop, source__in=(Source.ITEM_ERRORS, Source.REVIEW))
                       .values_list("product__retailer_id", flat=True).distinct())
        retailer_ids = sorted({*found, *(r for r in checked if r)})
        missing = [r for r in retailer_ids if r not in found]
    else:
        missing = list(retailer_ids)
    for start in range(0, len(missing), 1000):
        read({"filter": json.dumps({"retailer_id": {"is_any": missing[start:start + 1000]}})})
    ids = dict(Product.objects.filter(shop=shop, retailer_id__in=retailer_ids, deleted_at__isnull=True)
               .values_list("retailer_id", "pk"))
    errors_reports, review_reports = {}, {}
    for rid, pid in ids.items():
        item = found.get(rid) or {}
        errors_reports[pid] = from_item_errors(item.get("errors") or [])
        review = []
        if str(item.get("review_status") or "").lower() == "rejected":
            reasons = ", ".join(str(r) for r in item.get("review_rejection_reasons") or [])
            review.append(Reported(code="REVIEW_REJECTED", message=reasons, title="Rejected by Meta's review"))
        review_reports[pid] = review
    counts = record_issues(shop, Source.ITEM_ERRORS, errors_reports)
    review_counts = record_issues(shop, Source.REVIEW, review_reports)
    return {"checked": len(ids), **{f"errors_{k}": v for k, v in counts.items()},
            **{f"review_{k}": v for k, v in review_counts.items()}}


def _group_code(group) -> str:
    """Our issue code for a diagnostics group: Meta's `type` (an enum), with its numeric
    `error_code` (an int at Meta) when it gives one."""
    kind = str(group.get("type") or "DIAGNOSTIC")
    code = group.get("error_code")
    return f"{kind}_{code}" if code not in (None, "") else kind


def catalog_diagnostics(client, shop, catalog_id: str) -> dict:
    """The catalog's diagnostics → catalog-level issues (product-level groups come from the item
    checks, with each product named; recording them twice would double the to-do list)."""
    reports: list[Reported] = []
    for group in client.paginate(f"{catalog_id}/diagnostics", {}, limit=100):
        if group.get("affected_entity") == "product_item":
            continue
        from catalog.issues import severity_from_meta

        reports.append(Reported(
            code=_group_code(group), title=str(group.get("title", ""))[:255],
            message=str(group.get("subtitle") or ""), severity=severity_from_meta(group.get("severity", "")),
            affected_count=int(group.get("number_of_affected_items") or group.get("number_of_affected_entities") or 1)))
    return record_issues(shop, Source.DIAGNOSTICS, {None: reports})


def run_diagnostics(shop_id: int) -> dict:
    conn = connection_for(shop_id)
    if conn is None:
        return {}
    from shops.graph import client_for_shop

    client = client_for_shop(conn, max_wait=float(setting("CATALOG_SYNC_MAX_WAIT", 10)))
    counts = {"catalog": catalog_diagnostics(client, conn.shop, conn.catalog_id),
              "items": item_checks(client, conn.shop, conn.catalog_id)}
    CatalogSync.objects.filter(shop_id=shop_id).update(last_diagnostics_at=timezone.now())
    return counts
