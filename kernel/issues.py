"""The shop's to-do list: issue cards gathered from every app.

Apps register a provider (`register_provider`) that returns `IssueCard`s for a shop; the
Issues page, the dashboard and the navigation badge show them all, most severe first. A card
is one kind of problem with a count and ONE call to action (UI.md: "issues are a to-do list").
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

SEVERITY_ORDER = {"critical": 0, "must_fix": 1, "warning": 2, "opportunity": 3}


@dataclass(frozen=True)
class IssueCard:
    #: stable kind, e.g. "shop.token_invalid" or "catalog.IMAGE_RESOLUTION_LOW"
    kind: str
    #: "critical" | "must_fix" | "warning" | "opportunity"
    severity: str
    #: plain-language title, already translated ("12 products have images that are too small")
    title: str
    #: why it matters, already translated
    explanation: str
    cta_label: str
    cta_url: str
    #: True when the call to action leaves the portal (Commerce Manager deep link)
    cta_external: bool = False
    #: POST forms (e.g. "Check now") instead of links
    cta_method: str = "get"
    count: int = 1
    #: "shop" | "catalog" | "orders" | ... for grouping on the page
    group: str = "shop"
    checked_at: datetime | None = None
    #: optional detail rows: [(label, url)]
    samples: list[tuple[str, str]] = field(default_factory=list)


Provider = Callable[["object"], list[IssueCard]]
_PROVIDERS: list[Provider] = []


def register_provider(provider: Provider) -> Provider:
    if provider not in _PROVIDERS:
        _PROVIDERS.append(provider)
    return provider


def issue_cards(shop, request=None) -> list[IssueCard]:
    """Every app's cards for the shop, most severe first. With `request`, computed once per
    request: the page, the dashboard summary and the navigation badge share one reading."""
    memo = getattr(request, "_portal_issue_cards", None) if request is not None else None
    if memo is not None and shop.pk in memo:
        return memo[shop.pk]
    cards: list[IssueCard] = []
    for provider in _PROVIDERS:
        cards.extend(provider(shop))
    cards.sort(key=lambda c: (SEVERITY_ORDER.get(c.severity, 9), c.group, -c.count, c.kind))
    if request is not None:
        if memo is None:
            memo = request._portal_issue_cards = {}
        memo[shop.pk] = cards
    return cards


def issue_count(shop) -> int:
    return sum(1 for _ in issue_cards(shop))
