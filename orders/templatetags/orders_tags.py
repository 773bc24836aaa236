"""`{% load orders_tags %}`: small helpers of the order pages."""

from __future__ import annotations

from django import template

from kernel.money import Money
from orders.carriers import carrier_label

register = template.Library()


@register.filter
def meta_money(value) -> Money | None:
    """A Meta currency_amount dict (as stored in promotion_details) as Money, for `|money`."""
    if not isinstance(value, dict):
        return None
    try:
        return Money.from_meta_amount(value)
    except (TypeError, ValueError):
        return None


@register.filter
def minor(value, currency: str) -> Money | None:
    """`{{ option.price_minor|minor:order.currency|money }}`."""
    if value is None or value == "":
        return None
    return Money(int(value), currency)


@register.filter
def carrier(code: str) -> str:
    return carrier_label(code)


@register.filter
def reason(code: str) -> str:
    """A refund or cancellation reason code in the reader's language."""
    from orders.forms import CANCEL_REASONS
    from orders.models import Refund

    labels = {**dict(Refund.Reason.choices), **dict(CANCEL_REASONS)}
    return str(labels.get(code, code or ""))


@register.filter
def return_status(code: str) -> str:
    from orders.models import Return

    return str(dict(Return.Status.choices).get(code, code or ""))


@register.filter
def order_state(code: str) -> str:
    from orders.models import Order

    return str(dict(Order.State.choices).get(code, code or ""))


@register.filter
def return_decision(code: str) -> str:
    from orders.models import ReturnDecision

    return str(dict(ReturnDecision.Event.choices).get(code, code or ""))
