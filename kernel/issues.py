"""The shop's to-do list: issue cards gathered from every app.

Apps register a provider (`register_provider`) that returns `IssueCard`s for a shop; the
Issues page, the dashboard and the navigation badge show them all, most severe first. A card
is one kind of problem with a count and ONE call to action (UI.md: "issues are a to-do list").

Reading every app's cards takes about ten queries, too many for every page's badge: the badge
and the dashboard summary read `recent_issue_cards`, one of the shop's cached summaries
(`kernel.shopcache`, per language). The Issues page always reads them anew (and refreshes the
cache); a seller's change to the shop (any POST through `shops.tenancy.shop_view`) and the end
of every job run of the shop start a new generation of the shop's summaries, so what a seller
fixes leaves the badge at once and what a job found shows when it ends; anything else within
`shopcache.SECONDS`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings
from django.utils.translation import get_language

from kernel import shopcache

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


def _memo(request) -> dict:
    """This request's readings {shop id: (cards, read live)}; a throwaway dict without a request."""
    if request is None:
        return {}
    if not hasattr(request, "_portal_issue_cards"):
        request._portal_issue_cards = {}
    return request._portal_issue_cards


def issue_cards(shop, request=None) -> list[IssueCard]:
    """Every app's cards for the shop read now, most severe first (and cached for the badge).
    With `request`, read once per request: the page, the dashboard summary and the navigation
    badge share one reading."""
    memo = _memo(request)
    if shop.pk in memo and memo[shop.pk][1]:
        return memo[shop.pk][0]
    generation = shopcache.current_generation(shop.pk)
    cards: list[IssueCard] = []
    for provider in _PROVIDERS:
        cards.extend(provider(shop))
    cards.sort(key=lambda c: (SEVERITY_ORDER.get(c.severity, 9), c.group, -c.count, c.kind))
    memo[shop.pk] = (cards, True)
    shopcache.store(shop.pk, _cache_name(), cards, generation=generation)
    return cards


def _cache_name() -> str:
    return f"issue_cards:{get_language() or settings.LANGUAGE_CODE}"


def recent_issue_cards(shop, request=None) -> list[IssueCard]:
    """The shop's cards as read at most `shopcache.SECONDS` ago, in the shop's current generation
    (in the user's language)."""
    memo = _memo(request)
    if shop.pk in memo:
        return memo[shop.pk][0]
    cards = shopcache.read(shop.pk, _cache_name())
    if cards is None:
        return issue_cards(shop, request)
    memo[shop.pk] = (cards, False)
    return cards
