"""`{% meta_link shop "inbox" as url %}`: a shop's link into Meta's tools (shops.links), for pages
whose view does not pass it (an order's "Message the buyer"). One query for the connection, unless
the page already loaded it; "" when the shop has no id for it."""

from __future__ import annotations

from django import template

from shops import links

register = template.Library()


@register.simple_tag
def meta_link(shop, job: str) -> str:
    if job not in links.JOBS:
        raise template.TemplateSyntaxError(f"meta_link: unknown job {job!r} (one of {', '.join(links.JOBS)})")
    return links.for_connection(getattr(shop, "meta_connection", None))[job]
