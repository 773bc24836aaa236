"""`{% load money %}` … `{{ order.total|money }}`: the one way templates show an amount."""

from __future__ import annotations

from django import template
from django.utils.translation import get_language

from kernel.money import Money, format_money

register = template.Library()


@register.filter(name="money")
def money(value: Money | None) -> str:
    """Format Money for the active language ("$1,234.56"; zh-hans "US$1,234.56").

    None or "" renders as an empty string. Anything else that is not Money is a programming
    error (a float or a bare Decimal has no currency), so it raises instead of printing a guess.
    """
    if value is None or value == "":
        return ""
    if not isinstance(value, Money):
        raise TypeError(f"The money filter takes Money, not {type(value).__name__}.")
    return format_money(value, get_language() or "en")
