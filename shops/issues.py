"""The shops app's IssueCard provider: one card per open shop issue (kernel.issues)."""

from __future__ import annotations

from kernel.issues import IssueCard
from shops import checks as C
from shops.checkout import texts as checkout_texts
from shops.health import jobs
from shops.models import ShopIssue


def shop_issue_cards(shop) -> list[IssueCard]:
    if shop is None:
        return []
    issues = list(ShopIssue.objects.filter(shop=shop, resolved_at__isnull=True))
    if not issues:
        return []
    conn = getattr(shop, "meta_connection", None)  # read with the shop on seller pages (shops.tenancy)
    checked_at = conn.last_checked_at if conn else None
    return [card_for(issue, checked_at=checked_at) for issue in issues]


def card_for(issue: ShopIssue, *, checked_at=None) -> IssueCard:
    kind = C.BY_ISSUE_KIND.get(issue.kind)
    if jobs.is_job_issue(issue.kind):  # a periodic job that keeps failing (shops.health.jobs)
        title, explanation, label, _url, _critical = jobs.texts(issue.kind, issue.params or {})
    elif checkout_texts.is_checkout_issue(issue.kind):  # the checkout link (shops.checkout), its own check
        title, explanation, label = checkout_texts.texts(issue.params or {})
        checked_at = issue.last_seen
    elif kind is None:  # a kind from an older version of the catalogue: show what was recorded
        title, explanation, label = issue.title, issue.explanation, issue.cta_label
    else:
        title = C.fill(kind.title, issue.params)
        explanation = C.fill(kind.explanation, issue.params)
        label = str(kind.cta_label)
    return IssueCard(
        kind=issue.kind,
        severity=issue.severity,
        title=title,
        explanation=explanation,
        cta_label=label,
        cta_url=issue.cta_url,
        cta_external=issue.cta_external,
        group="shop",
        checked_at=checked_at or issue.last_seen,
    )
