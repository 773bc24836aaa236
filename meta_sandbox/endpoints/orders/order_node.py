"""The CommerceOrder node: its fields, its items and its promotion_details."""

from __future__ import annotations

from ...models import Node
from ...router import Computed, Value, edge, node_type
from .common import ORDER, READ_PERMS, _gated, amount, currency_of
from .figures import available_for_refund, captured_tax, remaining

# --- the order node -------------------------------------------------------------------------------


def _buyer_details(ctx, order: Node):
    buyer = order.data.get("buyer") or {}
    if order.data["state"] == "FB_PROCESSING" or order.data.get("cancelled_all"):
        # No PII before Meta's checks finish, and none left once the whole order is cancelled.
        return {"email_remarketing_option": bool(buyer.get("email_remarketing_option"))}
    return dict(buyer)


def _shipping_address(ctx, order: Node):
    if order.data["state"] == "FB_PROCESSING" or order.data.get("cancelled_all"):
        return None
    return dict(order.data.get("address") or {}) or None


def _shipping_option(ctx, order: Node):
    option = order.data.get("shipping_option")
    if not option:
        return None
    cur = currency_of(order)
    out = {"name": option["name"], "reference_id": option["reference_id"], "price": amount(option["price"], cur),
           "calculated_tax": amount(order.data.get("shipping_tax", 0), cur)}
    if option.get("min_days") is not None:
        out["estimated_shipping_time"] = {"min_days": option["min_days"], "max_days": option["max_days"]}
    return out


def _payment_details(ctx, order: Node):
    t, cur = order.data["totals"], currency_of(order)
    return {
        "subtotal": {"items": amount(t["items"], cur), "shipping": amount(t["shipping"], cur)},
        "tax": amount(t["tax"], cur),
        "total_amount": amount(t["total"], cur),
        "tax_remitted": bool(order.data.get("tax_remitted", True)),
        "facebook_paid_amount": amount(t["facebook_paid"], cur),
        "buyer_paid_amount": amount(t["buyer_paid"], cur),
    }


ORDER_DEFAULT_FIELDS = ("id", "order_status", "created", "last_updated")

node_type(ORDER, label="CommerceOrder", perms=READ_PERMS, default_fields=ORDER_DEFAULT_FIELDS, fields={
    "order_status": Computed(_gated(lambda ctx, n: {"state": n.data["state"]})),
    "created": Value(),
    "last_updated": Value(),
    "channel": Value(),
    "merchant_order_id": Computed(lambda ctx, n: n.data.get("merchant_order_id") or None),
    "ship_by_date": Value(),
    "is_test_order": Value(default=False),
    "is_group_buy": Value(default=False),
    "contains_bopis_items": Value(default=False),
    "buyer_details": Computed(_buyer_details),
    "shipping_address": Computed(_shipping_address),
    "selected_shipping_option": Computed(_shipping_option),
    "estimated_payment_details": Computed(_payment_details),
    "pre_order_details": Value(),
})


def render_item(order: Node, item: dict) -> dict:
    cur = currency_of(order)
    promos = {p["promotion_id"]: p for p in order.data.get("promotions", [])}
    details = []
    for promo in item.get("promos", []):
        meta = promos.get(promo["promotion_id"], {})
        details.append(_promotion_render(meta, promo["amount"], cur))
    for pid, share in item.get("order_shares", {}).items():
        details.append(_promotion_render(promos.get(pid, {"promotion_id": pid}), share, cur))
    return {
        "id": item["id"],
        "retailer_id": item["retailer_id"],
        "product_id": item["product_id"],
        "product_name": item["product_name"],
        "quantity": item["quantity"],
        "price_per_unit": amount(item["ppu"], cur),
        "tax_details": {"estimated_tax": amount(item["tax"], cur),
                        "captured_tax": {"total_tax": amount(captured_tax(item), cur)}},
        "promotion_details": {"data": details},
        "status": {"in_progress": remaining(item), "fulfilled": item["shipped"], "cancelled": item["cancelled"],
                   "refunded": item["refunded_qty"]},
        "amount_available_for_refund": amount(available_for_refund(item), cur),
    }


ITEM_FIELDS = ("id", "retailer_id", "product_id", "product_name", "quantity", "price_per_unit", "tax_details",
               "promotion_details", "status", "amount_available_for_refund", "selected_shipping_option",
               "customization")


@edge(ORDER, "items", item_label="CommerceOrderItem", item_fields=ITEM_FIELDS, perms=READ_PERMS)
@_gated
def order_items(ctx, order, args):
    return [render_item(order, item) for item in order.data["items"]]


def _promotion_render(promo: dict, applied_minor: int, currency: str) -> dict:
    out = {"promotion_id": promo.get("promotion_id"), "applied_amount": amount(applied_minor, currency)}
    for key in ("retailer_id", "campaign_name", "coupon_code", "sponsor", "target_granularity", "target_type",
                "applied_after_tax"):
        if promo.get(key) not in (None, ""):
            out[key] = promo[key]
    return out


PROMOTION_FIELDS = ("promotion_id", "retailer_id", "campaign_name", "coupon_code", "applied_amount",
                    "applied_after_tax", "sponsor", "target_granularity", "target_type")


@edge(ORDER, "promotion_details", paged=False, item_label="PromotionDetails", item_fields=PROMOTION_FIELDS,
      perms=READ_PERMS)
@_gated
def order_promotions(ctx, order, args):
    return [_promotion_render(p, p["amount"], currency_of(order)) for p in order.data.get("promotions", [])]
