"""The catalog's answer to the checkout link check (shops.hooks.register_checkout_products): a
few products a buyer can buy now, to open the shop's checkout link with, as Meta would."""

from __future__ import annotations

from django.db.models import BooleanField, ExpressionWrapper, Q

from catalog import constants as c
from catalog.models import Product
from shops.hooks import CheckoutProduct


def checkout_products(shop, limit: int) -> list[CheckoutProduct]:
    """Live, active products in stock (or with no stock tracked), those Meta has confirmed first
    (Meta only sends buyers for items in its catalog), newest first."""
    rows = (Product.objects.live().filter(shop=shop, status=Product.Status.ACTIVE,
                                          availability=c.Availability.IN_STOCK)
            .filter(Q(quantity_to_sell_on_facebook__isnull=True) | Q(quantity_to_sell_on_facebook__gt=0))
            .exclude(retailer_id__contains=",").exclude(retailer_id__contains=":")
            .annotate(unsynced=ExpressionWrapper(Q(synced_at__isnull=True), output_field=BooleanField()))
            .order_by("unsynced", "-pk")
            .values_list("retailer_id", "title", "quantity_to_sell_on_facebook")[:limit])
    return [CheckoutProduct(rid, title, stock) for rid, title, stock in rows]
