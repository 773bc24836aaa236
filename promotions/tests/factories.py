"""Discounts for tests."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from promotions.models import Discount


def make_discount(shop, **fields) -> Discount:
    values = {"title": "Spring sale", "kind": Discount.Kind.PERCENT, "percent_off": 10, "currency": shop.currency,
              "starts_at": timezone.now() - timedelta(hours=1)}
    values.update(fields)
    products = values.pop("products", None)
    discount = Discount.objects.create(shop=shop, **values)
    if products:
        discount.products.set(products)
    return discount
