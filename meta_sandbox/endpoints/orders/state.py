"""An order's full state for the control API and the tests, and order lookups."""

from __future__ import annotations

from django.db.models import Q

from ...models import Node
from .common import CANCELLATION, ORDER, PAYMENT, REFUND, RETURN, SHIPMENT, amount_str, children, currency_of
from .figures import available_for_refund, fulfilled_offers, refunded_to_meta

# --- full state (control API and tests) --------------------------------------------------------------


def state_of(order: Node) -> dict:
    """Everything about an order as the sandbox holds it, amounts as decimal strings."""
    cur = currency_of(order)

    def node_list(type: str) -> list[dict]:
        return [{"id": n.gid, **n.data} for n in children(type, order).order_by("pk")]

    data = order.data
    return {
        "id": order.gid,
        "state": data["state"],
        "channel": data["channel"],
        "currency": cur,
        "merchant_order_id": data.get("merchant_order_id") or None,
        "acknowledgements": [a for a in data.get("acks", [])],
        "totals": {k: amount_str(v, cur) for k, v in data["totals"].items()},
        "refunded": {k: amount_str(v, cur) for k, v in (data.get("refunded") or {}).items()},
        "items": [{**{k: v for k, v in item.items() if k not in ("ppu", "tax")},
                   "price_per_unit": amount_str(item["ppu"], cur), "tax": amount_str(item["tax"], cur),
                   "refunded_amount": amount_str(item["refunded_amount"], cur),
                   "refunded_meta": amount_str(refunded_to_meta(item), cur),
                   "fulfilled_offers": {pid: amount_str(v, cur) for pid, v in fulfilled_offers(item).items()},
                   "available_for_refund": amount_str(available_for_refund(item), cur)} for item in data["items"]],
        "promotions": [{**p, "amount": amount_str(p["amount"], cur)} for p in data.get("promotions", [])],
        "shipments": node_list(SHIPMENT),
        "payments": [{**p, "total": amount_str(p["total"], cur)} for p in node_list(PAYMENT)],
        "cancellations": node_list(CANCELLATION),
        "refunds": [{**r, **{k: amount_str(r[k], cur) for k in ("subtotal", "shipping", "tax", "deductions",
                                                                 "adjustment", "total", "buyer", "meta")},
                     "items": [{**i, **{k: amount_str(i[k], cur) for k in ("subtotal", "tax", "buyer", "meta")}}
                               for i in r["items"]]} for r in node_list(REFUND)],
        "returns": node_list(RETURN),
        "last_updated": data.get("last_updated"),
    }


def orders_of_business(business_id: str):
    return Node.objects.of_type(ORDER).filter(business_id=business_id)


def find_orders(*, cms_id: str | None = None, business_id: str | None = None, state: str | None = None):
    qs = Node.objects.of_type(ORDER)
    if cms_id:
        qs = qs.filter(parent_id=cms_id)
    if business_id:
        qs = qs.filter(business_id=business_id)
    if state:
        qs = qs.filter(Q(data__state=state))
    return qs.order_by("pk")
