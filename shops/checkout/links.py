"""The checkout link setting's rules, and the URLs Meta builds from it.

Meta's format ("Set Up a Checkout URL", Full List of URL Parameters; see the package docstring):
`products` is a comma-separated list of `<id>:<quantity>` where the id is the product's id in
the Meta catalog (our retailer id), commas (%2C) and colons (%3A) escaped according to RFC 3986;
"products with comma (,) or colon (:) characters in their ID are not supported". The other
parameters are added to whatever query the seller's own link already has ("any parameters you
have set in your Checkout URL"), so the link may carry its own (e.g. ``?clear=true``, Meta's
example) but not the ones Meta adds.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from urllib.parse import parse_qsl, quote, urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

#: What Meta adds to the checkout link (the seller's link must not carry them itself).
META_PARAMS = ("products", "coupon", "cart_origin", "fbclid", "utm_source", "utm_medium", "utm_campaign",
               "utm_content")
#: `cart_origin` values: "facebook", "instagram" and "meta_shops" ("for Facebook, Instagram and
#: Commerce Manager respectively").
CART_ORIGINS = ("facebook", "instagram", "meta_shops")
MAX_LENGTH = 2000
LOCAL_NAMES = ("localhost",)


def allow_local_urls() -> bool:
    """Whether links to this machine (http://localhost, 127.0.0.1) are allowed: in development
    (DEBUG) and in tests (CHECKOUT_ALLOW_LOCAL_URLS), so a local stand-in storefront works.
    Production takes only public https addresses."""
    value = getattr(settings, "CHECKOUT_ALLOW_LOCAL_URLS", None)
    return bool(settings.DEBUG if value is None else value)


def is_local_host(host: str) -> bool:
    """A name or address that is not on the public internet (loopback, private, link-local...)."""
    host = (host or "").strip("[]").rstrip(".").lower()
    if host in LOCAL_NAMES or host.endswith(".localhost"):
        return True
    try:
        return not ipaddress.ip_address(host).is_global
    except ValueError:
        return False


def is_loopback_host(host: str) -> bool:
    host = (host or "").strip("[]").rstrip(".").lower()
    if host in LOCAL_NAMES or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def validate_checkout_url(value: str, *, allow_local: bool | None = None) -> str:
    """The link as it is stored ("" clears it), or ValidationError with what to change."""
    url = (value or "").strip()
    if not url:
        return ""
    if "://" not in url and not url.startswith(("/", "http:", "https:")):
        url = f"https://{url}"  # "shop.example.com/fb-checkout": the scheme is the one part sellers leave out
    local_ok = allow_local_urls() if allow_local is None else allow_local
    if len(url) > MAX_LENGTH:
        raise ValidationError(_("Use an address of at most %(max)s characters."), code="too_long",
                              params={"max": MAX_LENGTH})
    try:
        parts = urlsplit(url)
        host, _port = parts.hostname or "", parts.port
    except ValueError:
        raise ValidationError(_("Enter a web address such as https://shop.example.com/fb-checkout."),
                              code="invalid") from None
    if parts.scheme not in ("http", "https") or not host or any(c.isspace() for c in url):
        raise ValidationError(_("Enter the full address of the checkout page, starting with https://, "
                                "such as https://shop.example.com/fb-checkout."), code="invalid")
    if parts.username is not None or parts.password is not None:
        raise ValidationError(_("Remove the user name and password from the address: buyers open the link "
                                "as it is, and a password must never be in a link."), code="credentials")
    if parts.fragment or url.endswith("#"):
        raise ValidationError(_("Remove the part from # onwards: Meta adds the cart to the address, and a # "
                                "part would hide it from your website."), code="fragment")
    given = sorted({name for name, _v in parse_qsl(parts.query, keep_blank_values=True) if name in META_PARAMS})
    if given:
        raise ValidationError(_("Leave out %(names)s: Meta adds them to the address itself for every buyer."),
                              code="meta_params", params={"names": ", ".join(f"{n}=" for n in given)})
    if is_local_host(host):
        if not (local_ok and is_loopback_host(host)):
            raise ValidationError(_("Use your website's public address: buyers and Meta cannot reach %(host)s."),
                                  code="private", params={"host": host})
    elif parts.scheme != "https":
        raise ValidationError(_("Use an https:// address: Meta only sends buyers to secure checkout pages."),
                              code="https")
    return url


def _encode(value: str) -> str:
    # RFC 3986: everything but the unreserved characters is percent-encoded (Meta escapes the
    # commas and colons of `products` as %2C and %3A).
    return quote(str(value), safe="")


def supported_retailer_id(retailer_id: str) -> bool:
    """Meta cannot put an id with a comma or a colon in `products`."""
    return bool(retailer_id) and "," not in retailer_id and ":" not in retailer_id


def build_checkout_url(base: str, items: Iterable[tuple[str, int]], *, coupon: str = "",
                       extra: Iterable[tuple[str, str]] = ()) -> str:
    """The URL Meta opens for a cart: the seller's link with `products` (and `coupon`, then the
    `extra` parameters, e.g. cart_origin, fbclid and UTM) added to its own query."""
    products = ",".join(f"{rid}:{int(qty)}" for rid, qty in items)
    params = [("products", products)]
    if coupon:
        params.append(("coupon", coupon))
    params += list(extra)
    query = "&".join(f"{name}={_encode(value)}" for name, value in params)
    head = base.rstrip("?&")
    return f"{head}{'&' if urlsplit(head).query else '?'}{query}"


def item_checkout_url(checkout_url: str, retailer_id: str) -> str:
    """A catalog item's `checkout_url`: the shop's checkout link with that one product (quantity
    1), as Meta would open it; "" when the shop has no link or Meta cannot carry the id.

    `checkout_url` is a ProductItem field (Meta's Business SDK 26, adobjects/productitem.py:
    string) and a column of Meta's WooCommerce plugin's feed (includes/fbproductfeed.php); that
    plugin means to send it per product (includes/fbproduct.php), but its `build_checkout_url`
    has returned nothing since 2020, so in practice it relies on the shop-level link, which Meta's
    guide has the seller submit in Commerce Manager. Optional for Meta, then: see shops/README.md."""
    if not checkout_url or not supported_retailer_id(retailer_id):
        return ""
    return build_checkout_url(checkout_url, [(retailer_id, 1)])
