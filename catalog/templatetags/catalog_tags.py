"""`{% load catalog_tags %}`: the product list's rows and the sync pill, written in Python.

The product list shows 50 rows; rendered through the template engine (an include, a URL per row
and per issue, choice labels, money) they were most of the page's CPU. The HTML is the same.
"""

from __future__ import annotations

from urllib.parse import quote

from django import template
from django.contrib.humanize.templatetags.humanize import intcomma
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from kernel.templatetags.money import money
from kernel.urls import url_maker

register = template.Library()

_PILL = '<span class="pill {}">{}</span>'


def _sync_pill(p) -> str:
    html = format_html(_PILL + " ", "pill-idle", _("Archived")) if p.is_archived else mark_safe("")
    if p.has_blocking_issue:
        html += format_html(_PILL, "pill-needs", _("Needs you"))
    elif p.needs_sync:
        html += format_html(_PILL, "pill-working", _("Waiting to sync") if p.synced_at else _("Not yet on Meta"))
    else:
        html += format_html(_PILL, "pill-ok", _("Synced"))
    return html


@register.simple_tag
def sync_pill(p) -> str:
    """`{% sync_pill product %}`: archived, needs the seller, waiting to sync, not yet on Meta, or
    synced (the product list, the product page)."""
    return _sync_pill(p)


@register.simple_tag
def product_rows(products, shop, can_write) -> str:
    """`{% product_rows page.products shop can_write %}`: the `<tr>` of each product of the list
    (each with its prefetched `open_issues`)."""
    from catalog import constants

    edit = url_maker("catalog:product_edit", shop.pk)
    availability = {value: str(label) for value, label in constants.Availability.choices}
    variants, dash = _("variants"), mark_safe('<span class="muted">—</span>')
    rows = []
    for p in products:
        href = edit(p.pk)
        select = format_html(
            '<td><input type="checkbox" name="products" value="{}" id="sel-{}" aria-label="{}"></td>',
            p.pk, p.pk, _("Select %(title)s") % {"title": p.title}) if can_write else ""
        group = format_html(' · <a href="?group={}">{}</a>', quote(p.item_group_id, safe="/"), variants) \
            if p.item_group_id else ""
        if p.on_sale:
            price = format_html('<s class="muted">{}</s> {}', money(p.price), money(p.sale_price))
        else:
            price = money(p.price)
        quantity = dash if p.quantity_to_sell_on_facebook is None else intcomma(p.quantity_to_sell_on_facebook)
        issues = format_html_join(" ", '<a class="sev sev-{}" href="{}{}">{}</a>', (
            (i.severity, href, f"?focus={i.field}" if i.field else "", i.code_label) for i in p.open_issues)) or dash
        rows.append(format_html(
            "<tr>\n        {}\n"
            '        <td><a href="{}">{}</a><br><small class="muted">{}{}</small></td>\n'
            "        <td>{}</td>\n        <td>{}</td>\n        <td>{}</td>\n        <td>{}</td>\n"
            "        <td>{}</td>\n      </tr>",
            select, href, p.title, p.retailer_id, group, price,
            availability.get(p.availability, p.availability), quantity, _sync_pill(p), issues))
    return mark_safe("\n    ".join(rows))  # each row is format_html's
