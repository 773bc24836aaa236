"""A small stand-in for a seller's website with Meta's checkout URL, served on 127.0.0.1 from a
thread, for the checkout link's tests.

`/fb-checkout` does what Meta asks of a checkout URL (and what Meta's WooCommerce plugin does,
includes/Checkout.php): a new cart each time, each product of `products=<id>:<qty>,…` added,
the `coupon` applied, then a redirect to `/checkout` that passes the tracking parameters along
("If you perform a redirect to a different URL, be sure to pass along these parameters"). The
cart lives in a session cookie, as on real shops. `/checkout` shows the cart.

Switches, to play a broken website: `status` (e.g. 404: every page answers it), `drop_coupon`
(the coupon is ignored), `redirect_to` (`/fb-checkout` sends the buyer elsewhere), `delay`
(seconds before answering), `padding` (bytes of filler before the cart, to test the size cap).
"""

from __future__ import annotations

import html
import secrets
import threading
import time
from http.cookies import SimpleCookie
from socketserver import ThreadingMixIn
from urllib.parse import parse_qs, urlencode
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

TRACKING = ("cart_origin", "fbclid", "utm_source", "utm_medium", "utm_campaign", "utm_content")


class _Server(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _Quiet(WSGIRequestHandler):
    def log_message(self, *args):
        pass


class FakeStorefront:
    def __init__(self, products: dict[str, str] | None = None, coupons=("SPRING10",)):
        #: retailer id -> title, what the shop sells
        self.products = dict(products or {})
        self.coupons = set(coupons)
        self.status = 200
        self.drop_coupon = False
        self.redirect_to = ""
        self.delay = 0.0
        self.padding = 0
        #: every request: (path, {name: value})
        self.requests: list[tuple[str, dict]] = []
        self._carts: dict[str, dict] = {}
        self._server = None

    # --- serving --------------------------------------------------------------------------------

    def start(self) -> FakeStorefront:
        self._server = make_server("127.0.0.1", 0, self.app, server_class=_Server, handler_class=_Quiet)
        threading.Thread(target=self._server.serve_forever, name="fake-storefront", daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    @property
    def checkout_url(self) -> str:
        return f"{self.base_url}/fb-checkout"

    # --- the website ----------------------------------------------------------------------------

    def app(self, environ, start_response):
        query = {k: v[0] for k, v in parse_qs(environ.get("QUERY_STRING", ""), keep_blank_values=True).items()}
        path = environ.get("PATH_INFO", "/")
        self.requests.append((path, query))
        if self.delay:
            time.sleep(self.delay)
        if self.status != 200:
            return self._page(start_response, f"{self.status} Error", "<h1>Page not found</h1>")
        if path == "/fb-checkout":
            return self._fb_checkout(query, start_response)
        if path == "/checkout":
            cookie = SimpleCookie(environ.get("HTTP_COOKIE", ""))
            cart = self._carts.get(cookie["sid"].value if "sid" in cookie else "", {})
            return self._page(start_response, "200 OK", self._render(cart))
        return self._page(start_response, "404 Not Found", "<h1>Page not found</h1>")

    def _fb_checkout(self, query, start_response):
        if self.redirect_to:
            start_response("302 Found", [("Location", self.redirect_to)])
            return [b""]
        cart = {"items": [], "notices": [], "coupon": ""}  # a new cart on every visit
        for entry in filter(None, query.get("products", "").split(",")):
            rid, _sep, qty = entry.partition(":")
            if rid in self.products and qty.isdigit() and int(qty) > 0:
                cart["items"].append((rid, int(qty)))
            else:
                cart["notices"].append("A product in your cart is no longer available")
        code = query.get("coupon", "")
        if code and not self.drop_coupon:
            if code in self.coupons:
                cart["coupon"] = code
            else:
                cart["notices"].append(f"The coupon {code} is not valid")
        sid = secrets.token_hex(8)
        self._carts[sid] = cart
        keep = urlencode({k: query[k] for k in TRACKING if k in query})
        start_response("302 Found", [("Location", f"/checkout?{keep}"), ("Set-Cookie", f"sid={sid}; Path=/")])
        return [b""]

    def _render(self, cart) -> str:
        if not cart.get("items"):
            return "<h1>Your cart is empty</h1>"
        lines = "".join(f"<li>{html.escape(self.products[rid])} × {qty}</li>" for rid, qty in cart["items"])
        notices = "".join(f"<p>{html.escape(n)}</p>" for n in cart["notices"])
        coupon = f"<p>Coupon {html.escape(cart['coupon'])} applied: 10% off</p>" if cart["coupon"] else ""
        return f"<h1>Checkout</h1>{'x' * self.padding}<ul>{lines}</ul>{coupon}{notices}<button>Pay</button>"

    def _page(self, start_response, status, body):
        data = f"<!doctype html><html><body>{body}</body></html>".encode()
        start_response(status, [("Content-Type", "text/html; charset=utf-8"), ("Content-Length", str(len(data)))])
        return [data]
