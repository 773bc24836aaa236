"""The checkout check's words: each reason a link fails, and its shop issue (title, why it
matters, the call to action). Stored as codes and values; worded here in the reader's language."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from shops.checks import fill

ISSUE_KIND = "shop.checkout_link"
SEVERITY = "must_fix"
#: the Settings form field the issue's call to action highlights
FIELD = "checkout_url"

REASONS = {
    "missing": _("The shop has no checkout link."),
    "unreachable": _("Your website did not answer (%(detail)s)."),
    "timeout": _("Your website did not answer within %(seconds)s seconds."),
    "http_status": _("Your website answered with an error page (HTTP status %(status)s) instead of the checkout."),
    "too_many_redirects": _("Your website redirected the buyer more than %(max)s times."),
    "unsafe_redirect": _("Your website redirected the buyer to %(target)s, which we do not open: only public "
                         "https addresses are followed."),
    "unsafe_address": _("The checkout link points to %(host)s, which is not a public internet address."),
    "https_required": _("The checkout link must start with https://."),
    "products_missing": _("The checkout page did not show the products in the cart: %(products)s."),
    "coupon_missing": _("The checkout page did not show the coupon code %(coupon)s that came with the cart."),
    "no_products": _("There is no product in stock to try the checkout with."),
}

#: Where each URL came from, as the results table names it.
ORIGINS = {
    "facebook": _("Facebook shop, one product"),
    "instagram": _("Instagram shop, several products and a coupon"),
    "ad": _("Ad on Facebook, with campaign tracking"),
    "meta_shops": _("Commerce Manager's checkout test"),
}

TITLE_MISSING = _("Buyers from Facebook and Instagram cannot check out: the shop has no checkout link")
TITLE_FAILING = _("Buyers from Facebook and Instagram cannot check out: the checkout link does not work")
EXPLAIN_MISSING = _("Since 2025 buyers pay on your website: when they tap Buy on Facebook or Instagram, Meta sends "
                    "them to your checkout link with their cart. Enter the address of your website's checkout page "
                    "(for example https://shop.example.com/fb-checkout) in the shop settings, and submit the same "
                    "address in Commerce Manager.")
EXPLAIN_FAILING = _("We opened your checkout link the way Meta does, with products from your catalog: %(why)s "
                    "Buyers who tap Buy on Facebook or Instagram land there, so they cannot pay. Fix the page on "
                    "your website or correct the link, then check again.")
CTA_MISSING = _("Add the checkout link")
CTA_FAILING = _("Fix the checkout link")


def reason_text(code: str, params: dict | None) -> str:
    return fill(REASONS.get(code, REASONS["unreachable"]), params)


def is_checkout_issue(kind: str) -> bool:
    return kind == ISSUE_KIND


def texts(params: dict) -> tuple[str, str, str]:
    """(title, explanation, call-to-action label) of the issue, in the active language."""
    if params.get("reason") == "missing":
        return str(TITLE_MISSING), str(EXPLAIN_MISSING), str(CTA_MISSING)
    return str(TITLE_FAILING), fill(EXPLAIN_FAILING, {"why": reason_text(params.get("reason", ""), params)}), \
        str(CTA_FAILING)


def settings_url(shop_id: int) -> str:
    """The Settings page with the checkout link field highlighted."""
    return f"{reverse('shops:settings', args=[shop_id])}?field={FIELD}#id_{FIELD}"
