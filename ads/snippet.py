"""The storefront snippet: the Meta Pixel's loader, the shop's `fbq('init')`, PageView, and the
event-id helper (`portalEventId`, `portalTrack`) that makes the browser's `eventID` the same as
the server event's `event_id` (the rule in `ads.capi.event_ids`, here in JavaScript).

The loader is the pixel's documented base code written out readably (META_API §7.6: it defines
the `fbq` queue and loads `https://connect.facebook.net/en_US/fbevents.js`); it runs on the
seller's storefront, never in the portal's own pages."""

from __future__ import annotations

from django.template.loader import render_to_string


def examples(currency: str) -> list[tuple[str, str, str]]:
    """The standard e-commerce events the snippet documents, with what each carries, in the
    shop's currency: (event name, data, key)."""
    return [
        ("ViewContent", f"{{content_ids: ['TEA-1'], content_type: 'product', value: 12.00, currency: '{currency}'}}", ""),
        ("AddToCart", f"{{content_ids: ['TEA-1'], content_type: 'product', value: 12.00, currency: '{currency}'}}", ""),
        ("InitiateCheckout", "{content_ids: ['TEA-1', 'CUP-2'], content_type: 'product', num_items: 3}", ""),
        ("Search", "{search_string: 'jasmine'}", ""),
        ("Purchase", f"{{content_ids: ['TEA-1'], content_type: 'product', value: 32.34, currency: '{currency}'}}",
         "'W-1001'"),
    ]


#: Meta's pixel code and image endpoint (META_API §7.6)
META_SCRIPT_URL = "https://connect.facebook.net/en_US/fbevents.js"
META_TR_URL = "https://www.facebook.com/tr"


def urls(request) -> tuple[str, str]:
    """(script URL, image URL) the snippet loads: Meta's, or the Graph sandbox's when the portal
    runs against the sandbox (so the demo's snippet reaches the sandbox's Meta)."""
    from django.conf import settings
    from django.urls import reverse

    if getattr(settings, "GRAPH_SANDBOX_ENABLED", False):
        return (request.build_absolute_uri(reverse("sandbox:fbevents_js")),
                request.build_absolute_uri(reverse("sandbox:pixel_tr")))
    return META_SCRIPT_URL, META_TR_URL


def snippet(shop, pixel_id: str, *, script_url: str = META_SCRIPT_URL, tr_url: str = META_TR_URL) -> str:
    return render_to_string("ads/snippet.js", {"pixel_id": pixel_id, "shop": shop, "examples": examples(shop.currency),
                                               "script_url": script_url, "tr_url": tr_url}).strip()
