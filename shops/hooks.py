"""Questions the shops app asks of the apps above it, which register an answer (the shops app
never imports them): the same inversion as the issue-card providers.

- `register_money_data(check)`: `check(shop) -> bool` says whether the app holds amounts in the
  shop's currency; the currency is locked once any does.
- `register_checkout_products(provider)`: `provider(shop, limit) -> list[CheckoutProduct]`, a few
  products buyers can buy now (the catalog registers it), for the checkout link's check
  (shops.checkout), which opens the link with them the way Meta does.
- `register_checkout_coupons(provider)`: `provider(shop) -> list[str]`, the shop's live coupon
  codes, most widely applicable first (promotions registers it), for the same check.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

_MONEY_DATA: list[Callable] = []
_CHECKOUT_PRODUCTS: list[Callable] = []
_CHECKOUT_COUPONS: list[Callable] = []


def register_money_data(check: Callable) -> Callable:
    if check not in _MONEY_DATA:
        _MONEY_DATA.append(check)
    return check


def has_money_data(shop) -> bool:
    return any(check(shop) for check in _MONEY_DATA)


class CheckoutProduct(NamedTuple):
    #: the id Meta knows the item by, and so sends in the checkout link's `products`
    retailer_id: str
    title: str
    #: units the seller has, or None when stock is not tracked
    stock: int | None = None


def register_checkout_products(provider: Callable) -> Callable:
    if provider not in _CHECKOUT_PRODUCTS:
        _CHECKOUT_PRODUCTS.append(provider)
    return provider


def checkout_products(shop, limit: int) -> list[CheckoutProduct]:
    found: list[CheckoutProduct] = []
    for provider in _CHECKOUT_PRODUCTS:
        found += [p for p in provider(shop, limit) if p.retailer_id not in {f.retailer_id for f in found}]
    return found[:limit]


def register_checkout_coupons(provider: Callable) -> Callable:
    if provider not in _CHECKOUT_COUPONS:
        _CHECKOUT_COUPONS.append(provider)
    return provider


def checkout_coupons(shop) -> list[str]:
    return [code for provider in _CHECKOUT_COUPONS for code in provider(shop)]
