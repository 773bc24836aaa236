"""Demo orders (`make demo`): registered in portal's seed_demo EXTRA_SEEDERS.

- A shop connected to the Graph sandbox gets buyers' orders placed at the sandbox, one per kind
  of discount (item-level, order-level spread over lines, Meta-funded, free shipping, buy X get
  Y) plus one still in Meta's checks; the next poll ingests and acknowledges them.
- A shop that is not connected gets a few website orders (the order pages are channel-neutral),
  whose actions are recorded here only.

Idempotent: a shop that already has orders (or demo orders waiting at the sandbox) is left alone.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from orders.models import Order, OrderEvent, OrderItem, Origin
from shops.models import MetaConnection

BUYERS = ["Lin Wei", "Grace Hopper", "Ada Lovelace", "Chen Jing", "Alan Turing", "Zhang Min"]


def _lines(shop, count: int) -> list[tuple[str, str, int]]:
    from catalog.models import Product

    products = list(Product.objects.live().filter(shop=shop).order_by("pk")[:count])
    if products:
        return [(p.retailer_id, p.title, p.sale_price_minor or p.price_minor) for p in products]
    return [(f"DEMO-{n}", f"Demo product {n}", 1500 + 250 * n) for n in range(1, count + 1)]


def _sandbox_specs(shop) -> list[dict]:
    from kernel.money import Money

    lines = _lines(shop, 4)

    def item(n: int, quantity: int = 1) -> dict:
        rid, title, price = lines[n % len(lines)]
        return {"retailer_id": rid, "product_name": title, "quantity": quantity,
                "price": Money(price, shop.currency).to_decimal_str()}

    shipping = {"name": "Standard", "reference_id": "standard", "price": Money(500, shop.currency).to_decimal_str()}
    base = {"currency": shop.currency, "shipping": shipping, "tax_rate": "8.25"}
    return [
        {**base, "channel": "instagram", "items": [item(0, 2), item(1)],
         "discounts": [{"type": "item", "retailer_id": lines[0][0], "percent_off": "10", "campaign_name": "10% off"}]},
        {**base, "channel": "facebook", "items": [item(1), item(2), item(3)],
         "discounts": [{"type": "order", "amount_off": Money(1000, shop.currency).to_decimal_str(),
                        "coupon_code": "WELCOME10", "campaign_name": "Welcome offer"}]},
        {**base, "channel": "instagram", "items": [item(2, 3)],
         "discounts": [{"type": "order", "percent_off": "15", "sponsor": "facebook"}]},
        {**base, "channel": "facebook", "items": [item(3)], "discounts": [{"type": "free_shipping"}]},
        {**base, "channel": "instagram", "items": [item(0)],
         "discounts": [{"type": "bxgy", "retailer_id": lines[0][0], "get_quantity": 1}]},
        {**base, "channel": "facebook", "items": [item(1)], "state": "FB_PROCESSING", "processing_minutes": 10},
    ]


def _seed_sandbox(shop, conn) -> int:
    from meta_sandbox import facade as sandbox

    cms_id = conn.commerce_merchant_settings_id
    try:
        if sandbox.has_orders(cms_id):
            return 0
        sandbox.register_order_app(cms_id, settings.META_APP_ID)
    except LookupError:  # the commerce account is not the sandbox's
        return 0
    placed = 0
    for n, spec in enumerate(_sandbox_specs(shop)):
        spec["buyer"] = {"name": BUYERS[n % len(BUYERS)]}
        placed += len(sandbox.place_orders(cms_id, spec, 1))
    return placed


def _seed_website(shop) -> int:
    now = timezone.now()
    lines = _lines(shop, 3)
    for n, (rid, title, price) in enumerate(lines):
        quantity = n + 1
        order = Order.objects.create(
            shop=shop, source=Order.Source.WEBSITE, channel=Order.Channel.WEBSITE, state=Order.State.IN_PROGRESS,
            placed_at=now - timedelta(hours=5 * n), buyer_name=BUYERS[n], currency=shop.currency,
            items_subtotal_minor=price * quantity, shipping_minor=500, total_minor=price * quantity + 500,
            units_to_ship=quantity, shipping_option={"name": "Standard", "price_minor": 500},
            shipping_address={"name": BUYERS[n], "street1": f"{10 + n} Harbour Road", "city": "Bristol",
                              "postal_code": "BS1 4RN", "country": "GB"})
        OrderItem.objects.create(order=order, retailer_id=rid, title=title, quantity=quantity,
                                 price_per_unit_minor=price)
        OrderEvent.objects.create(order=order, kind=OrderEvent.Kind.RECEIVED, origin=Origin.BUYER,
                                  message="Website order received")
    return len(lines)


def seed(shops, stdout=None) -> None:
    for shop in shops:
        with transaction.atomic():
            # Re-read: an earlier seeder may have connected the shop after it was loaded.
            conn = MetaConnection.objects.filter(shop=shop).first()
            connected = bool(conn and conn.is_connected and conn.commerce_merchant_settings_id)
            if connected and getattr(settings, "GRAPH_SANDBOX_ENABLED", False):
                placed = _seed_sandbox(shop, conn)
                note = f"{placed} buyer orders waiting at the sandbox" if placed else "sandbox orders already there"
            elif Order.objects.filter(shop=shop).exists():
                note = "orders already there"
            else:
                note = f"{_seed_website(shop)} website orders"
        if stdout is not None:
            stdout.write(f"Orders for {shop.name}: {note}")
