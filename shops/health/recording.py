"""Step 3, record (database): checks onto the connection, one open ``ShopIssue`` per failed check."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from shops import checks as C
from shops.health.judging import _text
from shops.models import MetaConnection, Shop, ShopIssue


@transaction.atomic
def record(shop: Shop, conn: MetaConnection, results: list[C.Check], cms: dict | None, *,
           now: datetime | None = None) -> dict:
    """Store one check's results and bring the shop's issues in line. Returns counts."""
    now = now or timezone.now()
    counts = {"opened": 0, "refreshed": 0, "resolved": 0, "unknown": 0}
    cms_id = conn.commerce_merchant_settings_id
    if cms:
        conn.merchant_status = _text(cms.get("merchant_status"))[:40]
        conn.cta = _text(cms.get("cta"))[:40]
    conn.checks = [r.as_json() for r in results]
    conn.last_checked_at = now
    conn.save(update_fields=["merchant_status", "cta", "checks", "last_checked_at"])

    open_issues = {i.kind: i for i in ShopIssue.objects.select_for_update().filter(shop=shop, resolved_at__isnull=True)}
    for result in results:
        kind = C.BY_KEY[result.key]
        issue = open_issues.get(kind.issue_kind)
        if result.ok is None:
            counts["unknown"] += 1
            continue
        if result.ok:
            if issue is not None:
                issue.resolved_at = now
                issue.save(update_fields=["resolved_at"])
                counts["resolved"] += 1
            continue
        url, external = C.cta_url(kind, shop=shop, cms_id=cms_id)
        values = {
            "severity": kind.severity,
            "title": C.fill(_english(kind.title), result.params),
            "explanation": C.fill(_english(kind.explanation), result.params),
            "cta_label": _english(kind.cta_label),
            "cta_url": url,
            "cta_external": external,
            "params": result.params or {},
            "last_seen": now,
        }
        if issue is None:
            ShopIssue.objects.create(shop=shop, kind=kind.issue_kind, first_seen=now, **values)
            counts["opened"] += 1
        else:
            for name, value in values.items():
                setattr(issue, name, value)
            issue.save()
            counts["refreshed"] += 1
    return counts


def _english(text) -> str:
    from django.utils import translation

    with translation.override("en"):
        return str(text)


def open_issue(shop: Shop, check_key: str, params: dict | None = None, *, now: datetime | None = None) -> ShopIssue:
    """Open (or refresh) the issue of one failed check outside a full health check, e.g. when
    Meta tells us by webhook that the seller uninstalled."""
    conn = shop.meta_connection
    now = now or timezone.now()
    kind = C.BY_KEY[check_key]
    url, external = C.cta_url(kind, shop=shop, cms_id=conn.commerce_merchant_settings_id)
    issue, created = ShopIssue.objects.get_or_create(
        shop=shop, kind=kind.issue_kind, resolved_at=None,
        defaults={"severity": kind.severity, "title": C.fill(_english(kind.title), params),
                  "explanation": C.fill(_english(kind.explanation), params), "cta_label": _english(kind.cta_label),
                  "cta_url": url, "cta_external": external, "params": params or {}, "first_seen": now,
                  "last_seen": now},
    )
    if not created:
        issue.last_seen = now
        issue.save(update_fields=["last_seen"])
    return issue


def resolve_all(shop: Shop, *, now: datetime | None = None) -> int:
    """Resolve every open shop issue (the seller disconnected on purpose: they no longer apply)."""
    return ShopIssue.objects.filter(shop=shop, resolved_at__isnull=True).update(resolved_at=now or timezone.now())
