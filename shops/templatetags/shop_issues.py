"""`{% issue_summary shop as s %}`: counts of every app's issue cards for the dashboard."""

from __future__ import annotations

from django import template

from kernel.issues import recent_issue_cards

register = template.Library()


@register.simple_tag(takes_context=True)
def issue_summary(context, shop) -> dict:
    from shops.views import _severity_counts

    cards = recent_issue_cards(shop, context.get("request")) if shop is not None else []
    return {
        "total": sum(c.count for c in cards),
        "by_severity": _severity_counts(cards),
        "top": cards[0] if cards else None,
    }


@register.filter
def ago(value) -> str:
    """The age filter of `{% load dates %}` (kernel.dates.ago), also here for templates that load this library."""
    from kernel.dates import ago as age

    return age(value)
