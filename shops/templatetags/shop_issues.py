"""`{% issue_summary shop as s %}`: counts of every app's issue cards for the dashboard."""

from __future__ import annotations

from django import template

from kernel.issues import issue_cards

register = template.Library()


@register.simple_tag(takes_context=True)
def issue_summary(context, shop) -> dict:
    from shops.views import _severity_counts

    cards = issue_cards(shop, context.get("request")) if shop is not None else []
    return {
        "total": sum(c.count for c in cards),
        "by_severity": _severity_counts(cards),
        "top": cards[0] if cards else None,
    }


@register.filter
def ago(value) -> str:
    """"just now" or "5 minutes ago", translated."""
    from datetime import timedelta

    from django.utils import timezone
    from django.utils.timesince import timesince
    from django.utils.translation import gettext as _

    if not value:
        return ""
    if timezone.now() - value < timedelta(minutes=1):
        return _("just now")
    return _("%(when)s ago") % {"when": timesince(value)}
