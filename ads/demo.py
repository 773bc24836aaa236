"""Demo data for `make demo`: the connected demo shop's pixel connected to its catalog, three
days of browser and server events, website orders with their Purchases (the browser's copy
fired at the sandbox too, so Events Manager shows them deduplicated), and Purchases that mostly
carry no e-mail, so the Ads page and Issues show a match-quality issue. Idempotent: a shop that
has server events is left alone."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from ads.capi import event_ids
from ads.capi.queue import EventInput, meta_value, queue_events
from ads.models import ServerEvent
from shops.models import MetaConnection

BROWSER = {"client_user_agent": "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15",
           "client_ip_address": "203.0.113.24"}
ORDERS = 24
WITH_EMAIL = 8


def seed(shops, stdout=None) -> None:
    if not getattr(settings, "GRAPH_SANDBOX_ENABLED", False):
        return
    from meta_sandbox import facade as sandbox

    for shop in shops:
        conn = MetaConnection.objects.filter(shop=shop).first()
        if not (conn and conn.is_connected and conn.pixel_id) or ServerEvent.objects.filter(shop=shop).exists():
            continue
        with transaction.atomic():
            if conn.catalog_id:
                sandbox.connect_pixel_to_catalog(conn.catalog_id, conn.pixel_id)
            made = _seed_events(shop, conn.pixel_id, sandbox)
            if not conn.ad_account_id:  # an ad account with spend, for the Ads page's Insights figures
                account = sandbox.add_ad_account(conn.business_manager_id, currency=shop.currency, daily_spend="18.00")
                MetaConnection.objects.filter(pk=conn.pk).update(ad_account_id=account["ad_account_id"])
        if stdout is not None:
            stdout.write(f"Ads for {shop.name}: {made} server events queued, the browser's Purchases fired")


def _seed_events(shop, pixel_id: str, sandbox) -> int:
    from catalog.models import Product
    from orders.website import WebsiteLine, WebsiteOrder, record_website_order

    products = list(Product.objects.filter(shop=shop, deleted_at__isnull=True).order_by("pk")[:6])
    ids = [p.retailer_id for p in products] or ["DEMO-TEA"]
    now = timezone.now()
    items, backdate = [], {}
    for n in range(ORDERS):
        placed = now - timedelta(hours=3 * n + 1)
        product = products[n % len(products)] if products else None
        rid = product.retailer_id if product else ids[0]
        price = product.price_minor if product else 1200
        order_id = f"WEB-{1001 + n}"
        order, _created = record_website_order(shop, WebsiteOrder(
            order_id=order_id, currency=shop.currency, placed_at=placed, buyer_name=f"Website buyer {n + 1}",
            buyer_email=f"buyer{n + 1}@example.com" if n < WITH_EMAIL else "",
            lines=[WebsiteLine(retailer_id=rid, title=product.title if product else "Tea", quantity=1,
                               price_per_unit_minor=price)]))
        custom = {"value": meta_value(order.total_minor, shop.currency), "currency": shop.currency,
                  "content_ids": [rid], "content_type": "product", "order_id": order_id}
        user = {**BROWSER, **({"em": order.buyer_email} if order.buyer_email else {})}
        items.append(EventInput(event_name="Purchase", key=order_id, event_time=placed, user=user, custom=custom,
                                event_source_url="https://lotus-tea.example.com/thanks"))
        purchase_id = event_ids.order_event_id("Purchase", order_id)
        sandbox.fire_browser_event(pixel_id, event_name="Purchase", event_id=purchase_id,
                                   custom_data=custom, event_source_url="https://lotus-tea.example.com/thanks")
        backdate[purchase_id] = placed
        for m, name in enumerate(("ViewContent", "AddToCart")):
            key = f"demo{n}x{m}"
            items.append(EventInput(event_name=name, key=key, event_time=placed - timedelta(minutes=5 + m),
                                    user=BROWSER, custom={"content_ids": [rid], "content_type": "product"},
                                    event_source_url=f"https://lotus-tea.example.com/p/{rid}"))
            backdate[event_ids.event_id(name, key)] = placed - timedelta(minutes=5 + m)
    results = queue_events(shop, items)
    # The chart shows the days they happened: the demo's events were "received" then.
    for event_id, when in backdate.items():
        ServerEvent.objects.filter(shop=shop, event_id=event_id).update(queued_at=when)
    return sum(1 for r in results if r.status == "queued")
