"""The buyer as an actor: placing orders with every discount type (`POST _control/orders`).

The spec of `POST orders` (amounts as decimal strings in the order's currency):

    {"cms_id": "...", "channel": "instagram", "currency": "USD", "state": "CREATED",
     "items": [{"retailer_id": "TEA-1", "quantity": 2, "price": "12.00", "product_name": "Tea"}],
     "shipping": {"name": "Standard", "reference_id": "std", "price": "5.00", "min_days": 3, "max_days": 5},
     "tax_rate": "8.25",
     "discounts": [
        {"type": "item", "retailer_id": "TEA-1", "amount_off": "1.00"},          # or percent_off
        {"type": "order", "amount_off": "5.00", "sponsor": "merchant"},           # spread over lines
        {"type": "order", "percent_off": "10", "sponsor": "facebook"},            # Meta-funded
        {"type": "free_shipping"},
        {"type": "bxgy", "retailer_id": "TEA-1", "get_quantity": 1, "percent_off": "100"}],
     "buyer": {"name": "Ada L", "email": "...", "email_remarketing_option": false, "phone_number": "..."},
     "address": {"name": "Ada L", "street1": "1 Main St", "city": "Austin", "state": "TX", ...},
     "processing_minutes": 30, "count": 1}
"""

from __future__ import annotations

import secrets
from datetime import timedelta
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.utils import timezone

from .. import money
from ..allocation import largest_remainder
from ..endpoints.orders.common import ORDER, iso, new_item_id, new_promotion_id
from ..endpoints.orders.figures import line_total, line_value, meta_share, seller_share
from ..endpoints.orders.listing import count_processing
from ..models import Node
from . import ControlError, NotFound

CHANNELS = ("facebook", "instagram")
DEFAULT_BUYER = {"name": "Ada Lovelace", "email": "", "email_remarketing_option": False,
                 "phone_number": "+15125550100"}
DEFAULT_ADDRESS = {"name": "Ada Lovelace", "first_name": "Ada", "last_name": "Lovelace", "street1": "1 Main St",
                   "street2": "", "city": "Austin", "state": "TX", "postal_code": "78701", "country": "US"}
BULK_BATCH = 1000


def _money(value, currency: str, what: str) -> int:
    if value in (None, ""):
        raise ControlError(f"{what} is required")
    try:
        minor = money.to_minor(str(value), currency)
    except (TypeError, ValueError) as exc:
        raise ControlError(f"{what}: {exc}")
    if minor < 0:
        raise ControlError(f"{what} must not be negative")
    return minor


def _percent(value, what: str) -> Decimal:
    try:
        rate = Decimal(str(value))
    except InvalidOperation:
        raise ControlError(f"{what} must be a decimal percentage such as '10'")
    if not rate.is_finite() or not 0 <= rate <= 100:
        raise ControlError(f"{what} must lie between 0 and 100")
    return rate


# --- placing orders -------------------------------------------------------------------------------


def build_order_data(cms: Node, spec: dict, *, n: int = 0, products: dict | None = None) -> dict:
    """The stored data of one order placed by the buyer (validated; amounts in minor units)."""
    currency = str(spec.get("currency") or "USD").upper()
    if not money.is_currency(currency):
        raise ControlError(f"Unknown currency {currency!r}: use an ISO 4217 code such as USD.")
    channel = spec.get("channel") or "instagram"
    if channel not in CHANNELS:
        raise ControlError(f"channel must be one of {', '.join(CHANNELS)}")
    state = spec.get("state") or "CREATED"
    if state not in ("FB_PROCESSING", "CREATED"):
        raise ControlError("state must be FB_PROCESSING or CREATED (a buyer places new orders)")
    raw_items = spec.get("items")
    if not isinstance(raw_items, list) or not raw_items:
        raise ControlError("items must be a non-empty list of {retailer_id, quantity, price}")
    if products is None:
        products = _catalog_products(cms, [str(i.get("retailer_id") or "") for i in raw_items])
    lines = []
    for k, raw in enumerate(raw_items):
        retailer_id = str(raw.get("retailer_id") or "")
        if not retailer_id:
            raise ControlError(f"items[{k}].retailer_id is required")
        quantity = raw.get("quantity", 1)
        if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity < 1:
            raise ControlError(f"items[{k}].quantity must be a positive integer")
        product = products.get(retailer_id)
        list_price = _money(raw.get("price"), currency, f"items[{k}].price")
        name = raw.get("product_name") or (product.data.get("name") if product else None) or retailer_id
        lines.append(_line(retailer_id, quantity, list_price, name, product.gid if product else None))
    promotions: list[dict] = []
    shipping_spec = spec.get("shipping") or {"name": "Standard", "reference_id": "standard", "price": "0"}
    shipping_list = _money(shipping_spec.get("price", "0"), currency, "shipping.price")
    shipping_charged = shipping_list
    order_level: list[tuple[dict, int]] = []
    for k, discount in enumerate(spec.get("discounts") or []):
        kind = discount.get("type")
        campaign = discount.get("campaign_name") or ""
        code = discount.get("coupon_code") or ""
        if kind == "item":
            targets = [line for line in lines if line["retailer_id"] == discount.get("retailer_id") and
                       not line.get("bxgy")]
            if not targets:
                raise ControlError(f"discounts[{k}]: no line with retailer_id {discount.get('retailer_id')}")
            promo = _promotion(campaign or "Item discount", code, "item_level", "merchant")
            total = 0
            for line in targets:
                off = _unit_off(discount, line["list_price"], currency, k)
                line["ppu"] = line["list_price"] - off
                line["promos"].append({"promotion_id": promo["promotion_id"], "amount": off * line["quantity"]})
                total += off * line["quantity"]
            promotions.append({**promo, "amount": total})
        elif kind == "bxgy":
            source = next((line for line in lines if line["retailer_id"] == discount.get("retailer_id")), None)
            if source is None:
                raise ControlError(f"discounts[{k}]: no line with retailer_id {discount.get('retailer_id')}")
            get = discount.get("get_quantity", 1)
            if isinstance(get, bool) or not isinstance(get, int) or get < 1:
                raise ControlError(f"discounts[{k}].get_quantity must be a positive integer")
            rate = _percent(discount.get("percent_off", "100"), f"discounts[{k}].percent_off")
            off = money.percent_of(source["list_price"], rate)
            promo = _promotion(campaign or "Buy one, get one", code, "item_level", "merchant")
            free = _line(source["retailer_id"], get, source["list_price"], source["product_name"], source["product_id"])
            free["ppu"] = source["list_price"] - off
            free["bxgy"] = True
            free["promos"].append({"promotion_id": promo["promotion_id"], "amount": off * get})
            lines.append(free)
            promotions.append({**promo, "amount": off * get})
        elif kind == "order":
            sponsor = discount.get("sponsor") or "merchant"
            if sponsor not in ("merchant", "facebook"):
                raise ControlError(f"discounts[{k}].sponsor must be merchant or facebook")
            default_name = "Meta-funded discount" if sponsor == "facebook" else "Order discount"
            promo = _promotion(campaign or default_name, code, "order_level", sponsor)
            order_level.append((promo, k))
        elif kind == "free_shipping":
            promo = _promotion(campaign or "Free shipping", code, "order_level", "merchant")
            promo["target_type"] = "shipping"
            promotions.append({**promo, "amount": shipping_list})
            shipping_charged = 0
        else:
            raise ControlError(f"discounts[{k}].type must be item, order, free_shipping or bxgy")
    # Order-level offers on items: largest remainder over the line totals (after item offers).
    for promo, k in order_level:
        discount = (spec.get("discounts") or [])[k]
        base = sum(line_total(line) for line in lines)
        if discount.get("amount_off") not in (None, ""):
            off = _money(discount["amount_off"], currency, f"discounts[{k}].amount_off")
        else:
            off = money.percent_of(base, _percent(discount.get("percent_off"), f"discounts[{k}].percent_off"))
        shares = largest_remainder(off, [line_total(line) for line in lines]) if base else [0] * len(lines)
        for line, share in zip(lines, shares, strict=True):
            if share:
                line["order_shares"][promo["promotion_id"]] = share
                line["share_sponsor"][promo["promotion_id"]] = promo["sponsor"]
        for line in lines:
            if sum(line["order_shares"].values()) > line_total(line):
                raise ControlError(f"discounts[{k}]: the order discounts exceed the items' value")
        promotions.append({**promo, "amount": off, "applied_after_tax": promo["sponsor"] == "facebook"})
    rate = _percent(spec.get("tax_rate", "0"), "tax_rate")
    for line in lines:
        line["tax"] = _tax(line_value(line), rate)
    shipping_tax = _tax(shipping_charged, rate)
    items_total = sum(line_total(line) for line in lines)
    seller_off = sum(seller_share(line) for line in lines)
    meta_off = sum(meta_share(line) for line in lines)
    tax = sum(line["tax"] for line in lines) + shipping_tax
    total = items_total - seller_off + shipping_charged + tax
    now = timezone.now()
    processing = spec.get("processing_minutes", 30)
    release_ts = int((now + timedelta(minutes=float(processing))).timestamp()) if state == "FB_PROCESSING" else None
    if state == "CREATED" and not cms.data.get("order_management_apps"):
        state = "IN_PROGRESS"  # no order management app: Commerce Manager takes the order
    buyer = {**DEFAULT_BUYER, **(spec.get("buyer") or {})}
    if n:
        buyer["name"] = f"{buyer['name']} {n}"
    if not buyer.get("email"):
        buyer["email"] = f"{secrets.token_hex(4)}@marketplace.facebook.com"
    data = {
        "state": state,
        "channel": channel,
        "currency": currency,
        "created": iso(now),
        "last_updated": iso(now),
        "updated_ts": int(now.timestamp()),
        "release_ts": release_ts,
        "merchant_order_id": "",
        "ship_by_date": (now + timedelta(days=3)).strftime("%Y-%m-%d"),
        "is_test_order": bool(spec.get("is_test_order", True)),
        "buyer": buyer,
        "address": {**DEFAULT_ADDRESS, "name": buyer["name"], **(spec.get("address") or {})},
        "shipping_option": {"name": shipping_spec.get("name") or "Standard",
                            "reference_id": shipping_spec.get("reference_id") or "standard",
                            "price": shipping_list, "min_days": shipping_spec.get("min_days", 3),
                            "max_days": shipping_spec.get("max_days", 5)},
        "shipping_tax": shipping_tax,
        "tax_rate": format(rate.normalize(), "f"),  # percent, for the finance reports (endpoints/finance.py)
        "tax_remitted": bool(spec.get("tax_remitted", True)),
        "items": lines,
        "promotions": promotions,
        "totals": {"items": items_total, "order_discount": seller_off, "shipping": shipping_charged, "tax": tax,
                   "total": total, "facebook_paid": meta_off, "buyer_paid": total - meta_off},
        "refunded": {"subtotal": 0, "shipping": 0, "tax": 0, "deductions": 0, "total": 0},
        "acks": [],
    }
    return data


def _line(retailer_id: str, quantity: int, list_price: int, name: str, product_id: str | None) -> dict:
    return {"id": new_item_id(), "retailer_id": retailer_id, "product_id": product_id or new_item_id()[:15],
            "product_name": name, "quantity": quantity, "list_price": list_price, "ppu": list_price, "tax": 0,
            "promos": [], "order_shares": {}, "share_sponsor": {}, "shipped": 0, "cancelled": 0, "refunded_qty": 0,
            "refunded_amount": 0, "refunded_meta": 0, "allocated": 0, "fulfilled_offers": {}}


def _promotion(campaign: str, code: str, granularity: str, sponsor: str) -> dict:
    return {"promotion_id": new_promotion_id(), "retailer_id": code or "", "campaign_name": campaign,
            "coupon_code": code or "", "sponsor": sponsor, "target_granularity": granularity,
            "applied_after_tax": sponsor == "facebook"}


def _unit_off(discount: dict, list_price: int, currency: str, k: int) -> int:
    if discount.get("amount_off") not in (None, ""):
        off = _money(discount["amount_off"], currency, f"discounts[{k}].amount_off")
    else:
        off = money.percent_of(list_price, _percent(discount.get("percent_off"), f"discounts[{k}].percent_off"))
    if off > list_price:
        raise ControlError(f"discounts[{k}]: the discount is larger than the price")
    return off


def _tax(base: int, rate: Decimal) -> int:
    # Half up to the minor unit, on non-negative amounts.
    return int((Decimal(base) * rate / 100 + Decimal("0.5")) // 1) if base > 0 else 0


def _catalog_products(cms: Node, retailer_ids: list[str]) -> dict[str, Node]:
    """Products of the merchant's sandbox catalog with these retailer ids, when they exist."""
    catalog_ids = [Node.pk_from_gid(gid) for gid in cms.data.get("catalog_ids", [])]
    gids = [str(Node(pk=pk).gid) for pk in catalog_ids if pk]
    if not gids:
        return {}
    found = Node.objects.of_type("product").filter(parent_id__in=gids, key__in=retailer_ids)
    return {node.key: node for node in found}


def place_orders(spec: dict, count: int = 1) -> list[str]:
    """The buyer places `count` orders like `spec` (its merchant by `cms_id` or `business_id`);
    the new orders' ids. Bulk inserts, so 100,000 orders stay quick."""
    if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= 100_000:
        raise ControlError("count must be an integer between 1 and 100000")
    with transaction.atomic():
        return [node.gid for node in place(merchant_of(spec), spec, count)]


def merchant_of(spec: dict) -> Node:
    """The commerce merchant settings a spec names (`cms_id`, else the business's first)."""
    cms_id, business_id = spec.get("cms_id"), spec.get("business_id")
    qs = Node.objects.of_type("commerce_merchant_settings")
    if cms_id:
        cms = qs.filter(pk=Node.pk_from_gid(str(cms_id)) or 0).first()
    elif business_id:
        cms = qs.filter(business_id=str(business_id)).order_by("pk").first()
    else:
        raise ControlError("cms_id (or business_id) is required")
    if cms is None:
        raise NotFound(f"no commerce merchant settings {cms_id or business_id}")
    return cms


def place(cms: Node, spec: dict, count: int = 1) -> list[Node]:
    """Place `count` orders like `spec` for this merchant (bulk inserts for large counts)."""
    created: list[Node] = []
    batch: list[Node] = []
    raw_items = spec.get("items") if isinstance(spec.get("items"), list) else []
    products = _catalog_products(cms, [str(i.get("retailer_id") or "") for i in raw_items if isinstance(i, dict)])
    for n in range(count):
        data = build_order_data(cms, spec, n=n + 1 if count > 1 else 0, products=products)
        batch.append(Node(type=ORDER, business_id=cms.business_id, parent_id=cms.gid, data=data))
        if len(batch) >= BULK_BATCH:
            created.extend(Node.objects.bulk_create(batch))
            batch = []
    if batch:
        created.extend(Node.objects.bulk_create(batch))
    count_processing(cms, sum(1 for node in created if node.data["state"] == "FB_PROCESSING"))
    return created
