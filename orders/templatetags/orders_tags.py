"""`{% load orders_tags %}`: small helpers of the order pages."""

from __future__ import annotations

from django import template
from django.utils import dateformat
from django.utils.formats import get_format
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.timezone import localtime
from django.utils.translation import gettext as _

from kernel.money import Money
from kernel.templatetags.money import money
from kernel.urls import url_maker
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


# --- the orders list's rows and the state pill: written in Python, not one template render each ---
#
# The orders list shows 50 rows; rendered through the template engine (an include, two dates,
# two choice labels and a URL each) they were most of the page's CPU. The HTML is the same.

_PILL = '<span class="pill {}">{}</span>'


def _labels(choices) -> dict[str, str]:
    """{value: label} of a model's choices in the active language, translated once per call."""
    return {value: str(label) for value, label in choices}


def _state_pill(order, states: dict[str, str], extra: dict[str, str]) -> str:
    state = order.state
    if state == "COMPLETED":
        html = format_html(_PILL, "pill-ok", states.get(state, state))
    elif state == "CREATED":
        html = format_html(_PILL, "pill-needs", states.get(state, state))
    elif state == "IN_PROGRESS" and order.units_to_ship:
        html = format_html(_PILL, "pill-needs", extra["to_ship"])
    elif state == "FB_PROCESSING":
        html = format_html(_PILL, "pill-idle", states.get(state, state))
    else:
        html = format_html(_PILL, "pill-working", states.get(state, state))
    if order.open_returns:
        html += format_html(" " + _PILL, "pill-needs", extra["return_waiting"])
    if order.failed_pushes:
        html += format_html(" " + _PILL, "pill-failed", extra["sync_failed"])
    if order.ack_state == "failed":
        html += format_html(" " + _PILL, "pill-failed", extra["not_acknowledged"])
    return html


def _pill_words() -> dict[str, str]:
    return {"to_ship": _("To ship"), "return_waiting": _("Return waiting"), "sync_failed": _("Sync failed"),
            "not_acknowledged": _("Not acknowledged")}


@register.simple_tag
def state_pill(order) -> str:
    """`{% state_pill order %}`: the order's state as a pill, with its open return, failed change
    or failed acknowledgement beside it (the orders list, the order page)."""
    from orders.models import Order

    return _state_pill(order, _labels(Order.State.choices), _pill_words())


@register.simple_tag
def order_rows(orders, shop) -> str:
    """`{% order_rows page.orders shop %}`: the `<tr>` of each order of the list (each order with
    its `units`)."""
    from orders.models import Order

    detail = url_maker("orders:detail", shop.pk)
    states, channels, words = _labels(Order.State.choices), _labels(Order.Channel.choices), _pill_words()
    test = _("test")
    datetime_format = get_format("DATETIME_FORMAT")
    rows = []
    for order in orders:
        placed = localtime(order.placed_at)
        rows.append(format_html(
            '<tr>\n      <td><a href="{}">{}</a>{}</td>\n'
            '      <td><time datetime="{}">{}</time></td>\n'
            "      <td>{}</td>\n      <td>{}{}</td>\n      <td>{}</td>\n"
            '      <td class="num">{}</td>\n      <td>{}</td>\n    </tr>',
            detail(order.pk), order.reference,
            format_html('<br><small class="muted">{}</small>', order.meta_order_id) if order.meta_order_id else "",
            placed.isoformat(), dateformat.format(placed, datetime_format),
            order.buyer_name or "—",
            channels.get(order.channel, order.channel),
            format_html(' <small class="muted">{}</small>', test) if order.is_test_order else "",
            order.units, money(order.total),
            _state_pill(order, states, words)))
    return mark_safe("\n  ".join(rows))  # noqa: S308 (each row is format_html's)
