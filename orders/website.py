"""Website orders: orders placed on the seller's own website (checkout moved there in 2025),
reported by the storefront through the storefront API, kept in the same channel-neutral order
pages as Meta's. One order per storefront order id: a second report of the same order changes
nothing that was already recorded (its lines and amounts stay as first reported; the seller's
actions on it live here), and says so."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone

from catalog.models import Product
from catalog.services import move_stock
from orders import hooks
from orders.models import Order, OrderEvent, OrderItem
from orders.models.common import Origin
from orders.money.rules import allocate_order_discount_to_lines


@dataclass(frozen=True)
class WebsiteLine:
    retailer_id: str
    title: str
    quantity: int
    price_per_unit_minor: int
    tax_minor: int = 0


@dataclass(frozen=True)
class WebsiteOrder:
    """A website order in minor units of its currency (the API parsed and checked it)."""

    order_id: str
    currency: str
    placed_at: datetime
    lines: list[WebsiteLine]
    shipping_minor: int = 0
    discount_minor: int = 0
    buyer_name: str = ""
    buyer_email: str = ""
    buyer_phone: str = ""
    shipping_address: dict = field(default_factory=dict)

    @property
    def items_subtotal_minor(self) -> int:
        return sum(line.quantity * line.price_per_unit_minor for line in self.lines)

    @property
    def tax_minor(self) -> int:
        return sum(line.tax_minor for line in self.lines)

    @property
    def total_minor(self) -> int:
        return self.items_subtotal_minor - self.discount_minor + self.shipping_minor + self.tax_minor


def record_website_order(shop, data: WebsiteOrder) -> tuple[Order, bool]:
    """Record a website order (its stock taken from the catalog) or return the one recorded
    under that storefront order id. Returns (order, created)."""
    existing = Order.objects.filter(shop=shop, website_order_id=data.order_id).first()
    if existing is not None:
        return existing, False
    try:
        with transaction.atomic():
            order = _create(shop, data)
    except IntegrityError:  # the same order reported twice at the same moment
        return Order.objects.get(shop=shop, website_order_id=data.order_id), False
    return order, True


def _create(shop, data: WebsiteOrder) -> Order:
    order = Order.objects.create(
        shop=shop, source=Order.Source.WEBSITE, channel=Order.Channel.WEBSITE, website_order_id=data.order_id,
        state=Order.State.IN_PROGRESS, placed_at=data.placed_at or timezone.now(), buyer_name=data.buyer_name,
        buyer_email=data.buyer_email, buyer_phone=data.buyer_phone, shipping_address=data.shipping_address,
        currency=data.currency, items_subtotal_minor=data.items_subtotal_minor,
        order_discount_minor=data.discount_minor, shipping_minor=data.shipping_minor, tax_minor=data.tax_minor,
        total_minor=data.total_minor, units_to_ship=sum(line.quantity for line in data.lines), stock_taken=True)
    products = dict(Product.objects.filter(shop=shop, deleted_at__isnull=True,
                                           retailer_id__in=[line.retailer_id for line in data.lines])
                    .values_list("retailer_id", "pk"))
    stock: Counter = Counter()
    items = []
    # An order-wide discount is spread over the lines by our rule (largest remainder), so every
    # line's figures add up to the order's.
    shares = allocate_order_discount_to_lines(data.discount_minor,
                                              [line.quantity * line.price_per_unit_minor for line in data.lines])
    for position, (line, share) in enumerate(zip(data.lines, shares, strict=True)):
        product_id = products.get(line.retailer_id)
        items.append(OrderItem(order=order, position=position, retailer_id=line.retailer_id, product_id=product_id,
                               title=line.title, quantity=line.quantity, price_per_unit_minor=line.price_per_unit_minor,
                               order_discount_minor=share, tax_minor=line.tax_minor))
        if product_id:
            stock[product_id] -= line.quantity
    OrderItem.objects.bulk_create(items)
    OrderEvent.objects.create(order=order, kind=OrderEvent.Kind.RECEIVED, origin=Origin.BUYER,
                              message=f"Website order {data.order_id} received",
                              params={"state": order.state, "channel": order.channel})
    hooks.orders_created([order], {order.pk: items})
    move_stock(shop, stock, reason=f"website order {data.order_id}")
    return order
