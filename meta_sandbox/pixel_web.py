"""The pixel's browser side, as Meta serves it to a website, and a stand-in website.

- `fbevents.js`: what `connect.facebook.net/en_US/fbevents.js` does for the snippet, reduced to
  what the sandbox needs: it takes over the `fbq` queue, remembers `init`ed pixels and, for
  each `track`, requests `/tr` with the pixel id, event name, `eventID`, page URL and custom
  data, as an image request like Meta's pixel (META_API §7.6: `www.facebook.com/tr?id=…&ev=…`).
- `tr`: records the browser event (`actions.pixel.fire_browser_event`), deduplicated with the
  server copy by Meta's rule, and answers a 1×1 GIF.
- `storefront/`: a stand-in for the seller's website (no login: it is "the internet"). Paste
  the portal's snippet, install it, then view, add to cart and buy: each fires the pixel; the
  page can also post the order to the portal's storefront API with a key, as the seller's own
  server would, so the demo shows Meta keeping one Purchase from the two copies.
"""

from __future__ import annotations

import json

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from .actions import NotFound
from .actions import pixel as pixel_actions

#: a transparent 1×1 GIF, what Meta's /tr answers an image request with
GIF = (b"GIF89a\x01\x00\x01\x00\x80\x00\x00\xff\xff\xff\x00\x00\x00!\xf9\x04\x01\x00\x00\x00\x00"
       b",\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;")

SCRIPT = r"""(function (w, d) {
  var fbq = w.fbq;
  if (!fbq) return;
  var me = d.currentScript && d.currentScript.src;
  var tr = me ? me.replace(/fbevents\.js.*$/, "tr") : "/graph-sandbox/tr";
  var pixels = [];
  fbq.callMethod = function () {
    var a = Array.prototype.slice.call(arguments);
    if (a[0] === "init") { if (pixels.indexOf(String(a[1])) < 0) pixels.push(String(a[1])); return; }
    if (a[0] !== "track" && a[0] !== "trackCustom") return;
    var options = a[3] || {};
    pixels.forEach(function (id) {
      var query = "id=" + encodeURIComponent(id) + "&ev=" + encodeURIComponent(a[1]) +
        "&eid=" + encodeURIComponent(options.eventID || "") + "&dl=" + encodeURIComponent(w.location.href) +
        "&cd=" + encodeURIComponent(JSON.stringify(a[2] || {}));
      (new Image()).src = tr + "?" + query;
    });
  };
  var queued = fbq.queue || [];
  fbq.queue = [];
  queued.forEach(function (args) { fbq.callMethod.apply(fbq, args); });
})(window, document);
"""


@require_GET
def fbevents_js(request: HttpRequest) -> HttpResponse:
    return HttpResponse(SCRIPT, content_type="application/javascript")


@require_GET
def tr(request: HttpRequest) -> HttpResponse:
    try:
        custom = json.loads(request.GET.get("cd") or "{}")
    except ValueError:
        custom = {}
    try:
        pixel_actions.fire_browser_event(
            request.GET.get("id", ""), event_name=request.GET.get("ev", "")[:40] or "PageView",
            event_id=request.GET.get("eid", "")[:100], custom_data=custom if isinstance(custom, dict) else {},
            event_source_url=request.GET.get("dl", "")[:500])
    except NotFound:
        pass  # Meta's pixel answers the image whatever it was sent
    return HttpResponse(GIF, content_type="image/gif")


@require_GET
def storefront(request: HttpRequest) -> HttpResponse:
    return render(request, "sandbox/storefront.html", {})


def fb_checkout(request: HttpRequest) -> HttpResponse:
    """The stand-in website's checkout URL, as Meta's website checkout opens it ("Set Up a
    Checkout URL": `products=<retailer id>:<quantity>,…`, optional `coupon`, plus `cart_origin`,
    `fbclid` and UTM parameters, which a website ignores or records). Like the checkout Meta's
    WooCommerce plugin implements (`/fb-checkout`), it empties the cart, adds each product and
    applies the coupon, and shows the cart. A malformed `products` is the shopper's 400 page."""
    cart, bad = [], []
    for part in filter(None, request.GET.get("products", "").split(",")):
        rid, sep, qty = part.rpartition(":")
        if sep and rid and qty.isdigit() and 0 < int(qty) <= 999:
            cart.append((rid, int(qty)))
        else:
            bad.append(part)
    coupon = request.GET.get("coupon", "").strip()[:64]
    status = 400 if bad or not cart else 200
    return render(request, "sandbox/fb_checkout.html", {
        "cart": cart, "bad": bad, "coupon": coupon, "origin": request.GET.get("cart_origin", "")}, status=status)
