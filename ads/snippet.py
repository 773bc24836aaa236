"""The storefront snippet: the Meta Pixel's loader, the shop's `fbq('init')`, PageView, and the
event-id helper (`portalEventId`, `portalTrack`) that makes the browser's `eventID` the same as
the server event's `event_id` (the rule in `ads.capi.event_ids`, here in JavaScript).

The loader is the pixel's documented base code written out readably (META_API §7.6: it defines
the `fbq` queue and loads `https://connect.facebook.net/en_US/fbevents.js`); it runs on the
seller's storefront, never in the portal's own pages."""

from __future__ import annotations

from django.template.loader import render_to_string

#: the standard e-commerce events the snippet documents, with what each carries
EXAMPLES = [
    ("ViewContent", "{content_ids: ['TEA-1'], content_type: 'product', value: 12.00, currency: 'USD'}", ""),
    ("AddToCart", "{content_ids: ['TEA-1'], content_type: 'product', value: 12.00, currency: 'USD'}", ""),
    ("InitiateCheckout", "{content_ids: ['TEA-1', 'CUP-2'], content_type: 'product', num_items: 3}", ""),
    ("Search", "{search_string: 'jasmine'}", ""),
    ("Purchase", "{content_ids: ['TEA-1'], content_type: 'product', value: 32.34, currency: 'USD'}", "'W-1001'"),
]


def snippet(shop, pixel_id: str) -> str:
    return render_to_string("ads/snippet.js", {"pixel_id": pixel_id, "shop": shop, "examples": EXAMPLES}).strip()
