"""The checkout link's check: open real checkout URLs built from the shop's own catalog, the way
Meta builds them, judge each page, store the result on the shop and keep its shop issue in line.

What is opened (`plan`): up to three products buyers can buy now (`shops.hooks.checkout_products`,
the catalog's answer) and the shop's best live coupon code (`shops.hooks.checkout_coupons`,
promotions' answer; a made-up test code when it has none), in the four carts Meta sends
(package docstring; Meta's "Full List of URL Parameters"):

| origin | cart_origin | products | coupon | also |
|---|---|---|---|---|
| facebook | facebook | the first, ×1 | — | fbclid |
| instagram | instagram | all, the first ×2 | yes | fbclid |
| ad | facebook | all | yes | fbclid, utm_source/medium/campaign/content (Meta's examples) |
| meta_shops | meta_shops | all | yes | fbclid (Commerce Manager's checkout test) |

A URL passes when the website answers 2xx (after its redirects), the page names every product
(its retailer id or its title) and, for a real coupon of the shop, the coupon code. Meta asks
for the same ("Make sure the products you've selected appear in your website's checkout ... If
you've added a promo code, make sure it's been applied"). A made-up code is only reported: a
storefront rightly refuses a code it does not know (Meta: "If the coupon code is invalid or
expired, inform the user"). Quantities and prices are not judged (a number on a page is no
evidence of either).
"""

from __future__ import annotations

import html
import logging
import re
import secrets
from dataclasses import dataclass, field
from datetime import datetime

from django.db import transaction
from django.utils import timezone, translation

from kernel.jobs import heartbeat
from shops.checkout import texts
from shops.checkout.fetch import Page, fetch
from shops.checkout.links import build_checkout_url, supported_retailer_id
from shops.hooks import CheckoutProduct, checkout_coupons, checkout_products
from shops.models import MetaConnection, Shop, ShopIssue

log = logging.getLogger(__name__)

SAMPLE_PRODUCTS = 3
#: the coupon sent when the shop has no live coupon code of its own
TEST_COUPON = "CHECKOUTTEST"
#: Meta's own example values for the campaign parameters of ad traffic
AD_UTM = (("utm_source", "facebook"), ("utm_medium", "paid"), ("utm_campaign", "checkout-link-check"),
          ("utm_content", "portal"))
_SPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class Probe:
    origin: str
    cart_origin: str
    items: tuple[tuple[CheckoutProduct, int], ...]
    coupon: str = ""
    utm: tuple[tuple[str, str], ...] = ()

    def url(self, base: str, fbclid: str) -> str:
        extra = [("cart_origin", self.cart_origin), ("fbclid", fbclid), *self.utm]
        return build_checkout_url(base, [(p.retailer_id, qty) for p, qty in self.items], coupon=self.coupon,
                                  extra=extra)


@dataclass
class Result:
    url: str
    #: True: every URL worked; False: one did not (or there is no link); None: nothing to check with
    ok: bool | None
    reason: str = ""
    params: dict = field(default_factory=dict)
    rows: list[dict] = field(default_factory=list)


def plan(products: list[CheckoutProduct], coupon: str) -> list[Probe]:
    if not products:
        return []
    first = products[0]
    first_qty = 2 if first.stock is None or first.stock >= 2 else 1
    cart = ((first, first_qty), *((p, 1) for p in products[1:]))
    return [
        Probe("facebook", "facebook", ((first, 1),)),
        Probe("instagram", "instagram", cart, coupon),
        Probe("ad", "facebook", tuple((p, 1) for p in products), coupon, AD_UTM),
        Probe("meta_shops", "meta_shops", tuple((p, 1) for p in products), coupon),
    ]


def _text(body: str) -> str:
    return _SPACE.sub(" ", html.unescape(body)).casefold()


def _shown(text: str, *needles: str) -> bool:
    return any(n and _SPACE.sub(" ", n).casefold() in text for n in needles)


def judge(probe: Probe, url: str, page: Page, *, coupon_required: bool) -> dict:
    """One URL's row: what was asked, what the website answered, and whether it passes."""
    text = _text(page.body) if not page.error else ""
    items = [{"id": p.retailer_id, "title": p.title, "qty": qty, "shown": _shown(text, p.retailer_id, p.title)}
             for p, qty in probe.items]
    coupon_shown = _shown(text, probe.coupon) if probe.coupon and not page.error else None
    row = {"origin": probe.origin, "url": url, "status": page.status, "final_url": page.final_url[:500],
           "redirects": page.redirects, "truncated": page.truncated, "products": items, "coupon": probe.coupon,
           "coupon_required": coupon_required and bool(probe.coupon), "coupon_shown": coupon_shown,
           "ok": False, "reason": "", "params": {}}
    missing = [i for i in items if not i["shown"]]
    if page.error:
        row["reason"], row["params"] = page.error, dict(page.params or {})
    elif not (page.status and 200 <= page.status < 300):
        row["reason"], row["params"] = "http_status", {"status": page.status}
    elif missing:
        row["reason"] = "products_missing"
        row["params"] = {"products": ", ".join(f"{i['title']} ({i['id']})" if i["title"] else i["id"]
                                              for i in missing)}
    elif row["coupon_required"] and not coupon_shown:
        row["reason"], row["params"] = "coupon_missing", {"coupon": probe.coupon}
    else:
        row["ok"] = True
    return row


def run(shop: Shop) -> Result:
    """Open the shop's checkout URLs and judge them (network; no database writes)."""
    base = shop.checkout_url
    if not base:
        return Result(url="", ok=False, reason="missing")
    products = [p for p in checkout_products(shop, SAMPLE_PRODUCTS) if supported_retailer_id(p.retailer_id)]
    if not products:
        return Result(url=base, ok=None, reason="no_products")
    codes = [c for c in checkout_coupons(shop) if c]
    coupon = codes[0] if codes else TEST_COUPON
    rows = []
    for probe in plan(products, coupon):
        heartbeat()  # keeps the task's lease while slow websites answer
        url = probe.url(base, secrets.token_hex(16))
        rows.append(judge(probe, url, fetch(url), coupon_required=bool(codes)))
    failed = next((r for r in rows if not r["ok"]), None)
    if failed is None:
        return Result(url=base, ok=True, rows=rows)
    return Result(url=base, ok=False, reason=failed["reason"], rows=rows,
                  params={**failed["params"], "origin": failed["origin"]})


@transaction.atomic
def record(shop_id: int, result: Result, *, now: datetime | None = None) -> dict:
    """Store the result on the shop and open, refresh or resolve its issue. A result for a link
    the seller has changed since is dropped (the change queued a check of the new one)."""
    now = now or timezone.now()
    shop = Shop.objects.select_for_update().get(pk=shop_id)
    if shop.checkout_url != result.url:
        return {"stale": True}
    shop.checkout_checked_at, shop.checkout_ok = now, result.ok
    shop.checkout_reason, shop.checkout_results = result.reason, result.rows
    shop.save(update_fields=["checkout_checked_at", "checkout_ok", "checkout_reason", "checkout_results"])
    selling = MetaConnection.objects.usable().filter(shop=shop).exists()
    issue = ShopIssue.objects.select_for_update().filter(shop=shop, kind=texts.ISSUE_KIND,
                                                         resolved_at__isnull=True).first()
    if result.ok or (result.ok is False and not selling):
        # Working, or not selling on Meta (no buyer comes from there yet): nothing to fix.
        if issue is not None:
            issue.resolved_at = now
            issue.save(update_fields=["resolved_at"])
            return {"ok": result.ok, "resolved": 1}
        return {"ok": result.ok}
    if result.ok is None:
        return {"ok": None, "reason": result.reason}
    params = {**result.params, "reason": result.reason, "shop_id": shop.pk}
    with translation.override("en"):  # stored in English for history; pages word it again
        title, explanation, label = texts.texts(params)
    values = {"severity": texts.SEVERITY, "title": title[:200], "explanation": explanation, "cta_label": label[:100],
              "cta_url": texts.settings_url(shop.pk), "cta_external": False, "params": params, "last_seen": now}
    if issue is None:
        ShopIssue.objects.create(shop=shop, kind=texts.ISSUE_KIND, first_seen=now, **values)
        log.info("shop %s: checkout link issue opened (%s)", shop.pk, result.reason)
        return {"ok": False, "reason": result.reason, "opened": 1}
    for name, value in values.items():
        setattr(issue, name, value)
    issue.save()
    return {"ok": False, "reason": result.reason, "refreshed": 1}


def check_shop(shop_id: int) -> dict:
    """The whole check of one shop (the task's body)."""
    shop = Shop.objects.get(pk=shop_id)
    result = run(shop)
    counts = record(shop_id, result)
    counts["urls"] = len(result.rows)
    return counts
