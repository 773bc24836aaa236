"""Meta's order payloads in and out: the one place where Meta's shapes meet our fields.

Amounts arrive as decimal strings (`{"amount": "5.50", "currency": "USD"}`) and become integer
minor units here, through kernel.money, never float. Requests we send address items by Meta's
item id (`item_id`), which works for every order and is the only way for buy-X-get-Y orders
(META_API §3.5).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import lru_cache

from kernel.money import Money

ITEM_FIELDS = ("id,retailer_id,product_id,product_name,quantity,price_per_unit,tax_details,promotion_details,"
               "amount_available_for_refund")
ORDER_FIELDS = (
    "id,order_status,created,last_updated,channel,merchant_order_id,ship_by_date,is_test_order,"
    "buyer_details{name,email,email_remarketing_option,phone_number},"
    "shipping_address{name,first_name,last_name,street1,street2,city,state,postal_code,country},"
    "selected_shipping_option{name,reference_id,price,calculated_tax,estimated_shipping_time},"
    "estimated_payment_details,"
    f"items.limit(100){{{ITEM_FIELDS}}},"
    "promotion_details{promotion_id,retailer_id,campaign_name,coupon_code,applied_amount,applied_after_tax,"
    "sponsor,target_granularity,target_type}"
)
CHILD_FIELDS = (
    "shipments{id,external_shipment_id,tracking_info,items{id,quantity}},"
    "cancellations{id,cancel_reason,restock_items,items{id,quantity}},"
    "refunds{id,refund_reason,refund_amount,return_id,items{id,quantity,refund_subtotal,refund_tax}},"
    # Meta's return node (Returns API): `return_status`, with quantities and reasons keyed by item
    # id; it has no `status`, `created` or per-item quantity, and asking for one fails the poll.
    "returns{id,return_status,merchant_return_id,return_message,item_return_quantities,item_return_reasons}"
)
CHANGE_FIELDS = f"{ORDER_FIELDS},{CHILD_FIELDS}"


class PayloadError(ValueError):
    """Meta sent something we cannot read (kept in the ledger, the order is skipped)."""


def money(value, currency: str | None = None) -> int:
    """Minor units of a Meta currency_amount (checked against the order's currency)."""
    if not isinstance(value, Mapping):
        raise PayloadError(f"expected an amount, got {value!r}")
    amount, code = value.get("amount"), value.get("currency")
    if type(amount) is str and type(code) is str:
        minor, parsed_currency = _parsed(amount, code)  # the usual shape: a page repeats a few amounts
    else:
        minor, parsed_currency = _parse(value)
    if currency and parsed_currency != currency:
        raise PayloadError(f"amount in {parsed_currency} on an order in {currency}")
    return minor


def _parse(value: Mapping) -> tuple[int, str]:
    try:
        parsed = Money.from_meta_amount(value)
    except (TypeError, ValueError) as exc:
        raise PayloadError(str(exc)) from None
    return parsed.minor, parsed.currency


@lru_cache(maxsize=4096)
def _parsed(amount: str, currency: str) -> tuple[int, str]:
    """kernel.money's reading of `{"amount": amount, "currency": currency}`, remembered (a page
    of 100 orders holds about 2,000 amounts, mostly the same few; errors are not cached)."""
    return _parse({"amount": amount, "currency": currency})


def money_or_zero(value, currency: str) -> int:
    return money(value, currency) if isinstance(value, Mapping) and value.get("amount") not in (None, "") else 0


def plain_amount(text, currency: str) -> int:
    """refund_amount sub-fields are plain strings ("12.02")."""
    if text in (None, ""):
        return 0
    try:
        return Money.from_decimal(str(text), currency).minor
    except (TypeError, ValueError) as exc:
        raise PayloadError(str(exc)) from None


def timestamp(text) -> datetime | None:
    if not text:
        return None
    try:
        return datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    except ValueError:
        raise PayloadError(f"not a date-time: {text!r}") from None


def edge_data(value) -> list[dict]:
    if isinstance(value, Mapping):
        value = value.get("data")
    return [v for v in value or [] if isinstance(v, Mapping)]


@dataclass
class ItemData:
    meta_item_id: str
    retailer_id: str
    meta_product_id: str
    title: str
    quantity: int
    price_per_unit_minor: int
    tax_minor: int
    captured_tax_minor: int
    order_discount_minor: int
    meta_discount_minor: int
    promotions: list[dict]
    #: Meta's own figures for the line (None: not reported): they win over ours (orders.money.checks)
    meta_refundable_minor: int | None = None
    meta_captured_tax_minor: int | None = None


@dataclass
class OrderData:
    meta_order_id: str
    state: str
    channel: str
    currency: str
    placed_at: datetime
    meta_updated_at: datetime | None
    merchant_order_id: str
    ship_by_date: date | None
    is_test_order: bool
    buyer: dict
    shipping_address: dict
    shipping_option: dict
    items_subtotal_minor: int
    shipping_minor: int
    tax_minor: int
    total_minor: int
    tax_remitted: bool
    buyer_paid_minor: int | None
    meta_paid_minor: int | None
    order_discount_minor: int
    promotions: list[dict]
    items: list[ItemData]
    items_complete: bool
    raw: dict = field(repr=False)

    @property
    def updated_ts(self) -> int | None:
        return int(self.meta_updated_at.timestamp()) if self.meta_updated_at else None


def _is_order_level_on_items(promo: Mapping) -> bool:
    return promo.get("target_granularity") == "order_level" and promo.get("target_type") != "shipping"


def parse_item(raw: Mapping, currency: str) -> ItemData:
    try:
        quantity = int(raw["quantity"])
        item_id = str(raw["id"])
    except (KeyError, TypeError, ValueError):
        raise PayloadError(f"order item without id or quantity: {raw!r}") from None
    tax = raw.get("tax_details") or {}
    captured = (tax.get("captured_tax") or {}).get("total_tax")
    refundable = raw.get("amount_available_for_refund")
    promotions = [dict(p) for p in edge_data(raw.get("promotion_details"))]
    seller = meta_funded = 0
    for promo in promotions:
        if _is_order_level_on_items(promo):
            share = money_or_zero(promo.get("applied_amount"), currency)
            if promo.get("sponsor") == "facebook":
                meta_funded += share
            else:
                seller += share
    return ItemData(
        meta_item_id=item_id,
        retailer_id=str(raw.get("retailer_id") or ""),
        meta_product_id=str(raw.get("product_id") or ""),
        title=str(raw.get("product_name") or raw.get("retailer_id") or item_id)[:255],
        quantity=quantity,
        price_per_unit_minor=money(raw.get("price_per_unit"), currency),
        tax_minor=money_or_zero(tax.get("estimated_tax"), currency),
        captured_tax_minor=money_or_zero(captured, currency),
        order_discount_minor=seller,
        meta_discount_minor=meta_funded,
        promotions=promotions,
        meta_refundable_minor=_optional_money(refundable, currency),
        meta_captured_tax_minor=_optional_money(captured, currency),
    )


def _optional_money(value, currency: str) -> int | None:
    """A figure Meta may leave out (or send malformed): None then, never a refused order."""
    if not isinstance(value, Mapping) or value.get("amount") in (None, ""):
        return None
    try:
        return money(value, currency)
    except PayloadError:
        return None


def parse_order(raw: Mapping) -> OrderData:
    try:
        meta_id = str(raw["id"])
        state = str((raw.get("order_status") or {})["state"])
    except (KeyError, TypeError):
        raise PayloadError(f"order without id or state: {str(raw)[:200]}") from None
    payment = raw.get("estimated_payment_details") or {}
    total = payment.get("total_amount") or {}
    currency = str(total.get("currency") or "")
    if not currency:
        items = edge_data(raw.get("items"))
        currency = str(((items[0] if items else {}).get("price_per_unit") or {}).get("currency") or "")
    if not currency:
        raise PayloadError(f"order {meta_id} has no currency")
    subtotal = payment.get("subtotal") or {}
    buyer = raw.get("buyer_details") or {}
    option = raw.get("selected_shipping_option") or {}
    estimate = option.get("estimated_shipping_time") or {}
    promotions = [dict(p) for p in edge_data(raw.get("promotion_details"))]
    items_edge = raw.get("items") or {}
    items = [parse_item(item, currency) for item in edge_data(items_edge)]
    ship_by = raw.get("ship_by_date")
    try:
        ship_by_date = date.fromisoformat(ship_by) if ship_by else None
    except ValueError:
        ship_by_date = None
    return OrderData(
        meta_order_id=meta_id,
        state=state,
        channel=str(raw.get("channel") or "facebook").lower(),
        currency=currency,
        placed_at=timestamp(raw.get("created")) or timestamp(raw.get("last_updated")),
        meta_updated_at=timestamp(raw.get("last_updated")),
        merchant_order_id=str(raw.get("merchant_order_id") or ""),
        ship_by_date=ship_by_date,
        is_test_order=bool(raw.get("is_test_order")),
        buyer={"name": str(buyer.get("name") or "")[:200], "email": str(buyer.get("email") or "")[:254],
               "opt_in": bool(buyer.get("email_remarketing_option")),
               "phone": str(buyer.get("phone_number") or "")[:40]},
        shipping_address={k: str(v) for k, v in (raw.get("shipping_address") or {}).items() if v is not None},
        shipping_option={
            "name": str(option.get("name") or ""), "reference_id": str(option.get("reference_id") or ""),
            "price_minor": money_or_zero(option.get("price"), currency),
            "tax_minor": money_or_zero(option.get("calculated_tax"), currency),
            "min_days": estimate.get("min_days"), "max_days": estimate.get("max_days"),
        } if option else {},
        items_subtotal_minor=money_or_zero(subtotal.get("items"), currency),
        shipping_minor=money_or_zero(subtotal.get("shipping"), currency),
        tax_minor=money_or_zero(payment.get("tax"), currency),
        total_minor=money_or_zero(total, currency),
        tax_remitted=bool(payment.get("tax_remitted")),
        buyer_paid_minor=money(payment["buyer_paid_amount"], currency) if payment.get("buyer_paid_amount") else None,
        meta_paid_minor=money(payment["facebook_paid_amount"], currency) if payment.get("facebook_paid_amount") else None,
        order_discount_minor=sum(money_or_zero(p.get("applied_amount"), currency) for p in promotions
                                 if _is_order_level_on_items(p) and p.get("sponsor") != "facebook"),
        promotions=promotions,
        items=items,
        items_complete=not (isinstance(items_edge, Mapping) and (items_edge.get("paging") or {}).get("next")),
        raw=dict(raw),
    )


# --- children (changes made on Meta's side, or confirmations of ours) -----------------------------


@dataclass
class ChildItem:
    meta_item_id: str
    quantity: int
    amount_minor: int = 0
    tax_minor: int = 0
    reason: str = ""


def child_items(raw: Mapping, currency: str) -> list[ChildItem]:
    out = []
    for item in edge_data(raw.get("items")):
        out.append(ChildItem(
            meta_item_id=str(item.get("id") or ""),
            quantity=int(item.get("quantity") or 0),
            amount_minor=money_or_zero(item.get("refund_subtotal"), currency),
            tax_minor=money_or_zero(item.get("refund_tax"), currency),
            reason=str(item.get("reason") or "")[:500],
        ))
    return out


def return_items(raw: Mapping) -> list[ChildItem]:
    """A return's items from Meta's `item_return_quantities` / `item_return_reasons`
    ([{"key": item id, "value": ...}])."""
    reasons = {str(entry.get("key")): str(entry.get("value") or "")[:500]
               for entry in raw.get("item_return_reasons") or () if isinstance(entry, Mapping)}
    out = []
    for entry in raw.get("item_return_quantities") or ():
        if not isinstance(entry, Mapping):
            raise PayloadError(f"expected a key/value pair, got {entry!r}")
        try:
            quantity = int(entry.get("value") or 0)
        except (TypeError, ValueError):
            raise PayloadError(f"not a quantity: {entry.get('value')!r}") from None
        key = str(entry.get("key") or "")
        out.append(ChildItem(meta_item_id=key, quantity=quantity, reason=reasons.get(key, "")))
    return out


# --- requests ------------------------------------------------------------------------------------


def amount_param(minor: int, currency: str) -> dict:
    return Money(minor, currency).to_meta_amount()
