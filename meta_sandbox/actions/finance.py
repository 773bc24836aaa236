"""Meta's payments side as an actor: payouts now, chargebacks opened and resolved, a look at a
commerce account's ledger, and the test helpers (a corrupted payout, a payout's status, a demo
history). The ledger and its rules are meta_sandbox/endpoints/finance.py and meta_sandbox/finance.py."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from django.db import transaction
from django.utils import timezone

from .. import finance, money
from ..endpoints import finance as ledger
from ..endpoints.orders.common import ORDER, PAYMENT, SHIPMENT, iso
from ..models import Node
from . import ControlError, not_found
from .orders import merchant


def _order(order_id: str) -> Node:
    order = Node.objects.of_type(ORDER).filter(pk=Node.pk_from_gid(str(order_id)) or 0).first()
    if order is None:
        raise not_found("order", order_id)
    return order


def _ts_text(ts: int) -> str:
    return iso(datetime.fromtimestamp(int(ts), tz=UTC))


def _dec(minor: int, currency: str) -> str:
    return money.decimal_text(int(minor), currency)


def payout_row(p: Node) -> dict:
    d = p.data
    txns = list(Node.objects.of_type(ledger.TRANSACTION).filter(parent_id=p.parent_id,
                                                                data__payout_reference_id=d["payout_reference_id"]))
    net = sum(t.data["net"] for t in txns)
    return {"id": p.gid, "payout_reference_id": d["payout_reference_id"], "transfer_id": d["transfer_id"],
            "status": d["status"], "payout_date": _ts_text(d["ts"]), "payout_ts": d["ts"], "currency": d["currency"],
            "amount": _dec(d["amount"], d["currency"]), "amount_minor": d["amount"],
            "transactions": [t.gid for t in sorted(txns, key=lambda t: t.pk)],
            "transactions_net_minor": net, "corrupted": d["amount"] != net}


def transaction_row(t: Node) -> dict:
    d = t.data
    cur = d["currency"]
    return {"id": t.gid, "transaction_type": d["kind"], "order_id": d["order_id"], "source_id": d["source_id"],
            "status": d["status"], "transaction_date": _ts_text(d["ts"]), "transaction_ts": d["ts"], "currency": cur,
            "amount": _dec(d["amount"], cur), "processing_fee": _dec(d["fee"], cur), "net": _dec(d["net"], cur),
            "amount_minor": d["amount"], "fee_minor": d["fee"], "net_minor": d["net"],
            "payout_reference_id": d["payout_reference_id"] or None, "transfer_id": d["transfer_id"] or None}


def chargeback_row(c: Node) -> dict:
    d = c.data
    return {"id": c.gid, "order_id": c.parent_id, "status": d["status"], "reason": d["reason"],
            "currency": d["currency"], "amount": _dec(d["amount"], d["currency"]), "amount_minor": d["amount"],
            "opened": _ts_text(d["opened_ts"]), "resolved": _ts_text(d["resolved_ts"]) if d.get("resolved_ts") else None}


def finance_state(cms_id: str) -> dict:
    """The account's payouts, transactions and chargebacks as the sandbox holds them (ledger
    brought up to date first), oldest first, with minor units for exact assertions."""
    cms = ledger.settle(merchant(cms_id))
    payouts = Node.objects.of_type(ledger.PAYOUT).filter(parent_id=cms.gid).order_by("pk")
    txns = Node.objects.of_type(ledger.TRANSACTION).filter(parent_id=cms.gid).order_by("pk")
    order_ids = set(Node.objects.of_type(ORDER).filter(parent_id=cms.gid).values_list("pk", flat=True))
    chargebacks = [c for c in Node.objects.of_type(ledger.CHARGEBACK).filter(business_id=cms.business_id).order_by("pk")
                   if Node.pk_from_gid(c.parent_id) in order_ids]
    return {"cms_id": cms.gid, "payouts": [payout_row(p) for p in payouts],
            "transactions": [transaction_row(t) for t in txns],
            "chargebacks": [chargeback_row(c) for c in chargebacks]}


def pay_out_now(cms_id: str) -> dict:
    """Meta pays out every pending transaction of the account now (PAID), hold or not."""
    made = ledger.pay_out_now(merchant(cms_id))
    return {"cms_id": str(cms_id), "payouts": [payout_row(p) for p in made]}


def open_chargeback(order_id: str, *, amount_minor: int | None = None, reason: str = "") -> dict:
    """The buyer's bank disputes the order: a CHARGEBACK of −amount (default: all the buyer paid
    and did not get back)."""
    try:
        chargeback = ledger.open_chargeback(_order(order_id), amount=amount_minor, reason=reason or "")
    except ValueError as exc:
        raise ControlError(str(exc))
    return chargeback_row(chargeback)


def resolve_chargeback(order_id: str, *, won: bool) -> dict:
    """The open chargeback ends: won (a CHARGEBACK_REVERSAL) or lost."""
    try:
        chargeback = ledger.resolve_chargeback(_order(order_id), won=bool(won))
    except ValueError as exc:
        raise ControlError(str(exc))
    return chargeback_row(chargeback)


def _payout(reference: str) -> Node:
    payout = Node.objects.of_type(ledger.PAYOUT).filter(key=str(reference)).first()
    if payout is None:
        raise not_found("payout", reference)
    return payout


def corrupt_payout(payout_reference_id: str, delta_minor: int) -> dict:
    """Test helper: the payout's amount differs from its transactions' net by `delta_minor`."""
    if isinstance(delta_minor, bool) or not isinstance(delta_minor, int):
        raise ControlError("delta_minor must be an int of minor units")
    with transaction.atomic():
        payout = _payout(payout_reference_id)
        payout.data["amount"] += delta_minor
        payout.data["corrupted"] = payout.data.get("corrupted", 0) + delta_minor
        payout.save(update_fields=["data", "updated"])
    return payout_row(payout)


def set_payout_status(payout_reference_id: str, status: str) -> dict:
    """Test helper: a payout is IN_PROGRESS, PAID or FAILED (and stays so)."""
    if status not in finance.PAYOUT_STATUSES:
        raise ControlError(f"status must be one of {', '.join(finance.PAYOUT_STATUSES)}")
    with transaction.atomic():
        payout = _payout(payout_reference_id)
        payout.data.update(status=status, held=True)
        payout.save(update_fields=["data", "updated"])
    return payout_row(payout)


# --- the demo's history ---------------------------------------------------------------------------------

DEMO_KEY = ledger.DEMO_KEY
DEMO_WEEKS = 12
_DEMO_LINES = [("DEMO-TEA", "Oolong tea", "14.00"), ("DEMO-CUP", "Tea cup", "9.50"), ("DEMO-POT", "Tea pot", "32.00")]


def _backdate(nodes, moment: datetime) -> None:
    for node in nodes:
        node.created = moment
        if "created" in node.data:
            node.data["created"] = iso(moment)
        Node.objects.filter(pk=node.pk).update(created=moment, data=node.data)


def seed_demo_finance(cms_id: str, *, currency: str = "USD", now: datetime | None = None) -> dict:
    """A few months of the account's history that ties out: an order shipped every week for
    DEMO_WEEKS weeks (one of them in two shipments, one partly refunded), weekly payouts of
    them, and one open chargeback on a recent order. Idempotent (once per account) and
    deterministic given `now`."""
    from ..endpoints.orders.refunds import refund
    from ..endpoints.orders.shipments import ship
    from .buyer import place

    cms = merchant(cms_id)
    if cms.data.get(DEMO_KEY):
        return {"cms_id": cms.gid, "seeded": False, **finance_state(cms.gid)}
    cms.data[DEMO_KEY] = "seeding"  # nested settles of the ledger must not seed again
    cms.save(update_fields=["data", "updated"])
    now = now or timezone.now()
    start = (now - timedelta(weeks=DEMO_WEEKS)).replace(hour=15, minute=0, second=0, microsecond=0)
    unit = money.offset(currency)
    orders = []
    with transaction.atomic():
        for week in range(DEMO_WEEKS):
            placed_at = start + timedelta(weeks=week)
            rid, name, price = _DEMO_LINES[week % len(_DEMO_LINES)]
            quantity = 1 + week % 3
            spec = {"currency": currency, "channel": "instagram" if week % 2 else "facebook",
                    "items": [{"retailer_id": rid, "product_name": name, "quantity": quantity,
                               "price": money.decimal_text(money.to_minor(price, "USD") * unit // 100, currency)}],
                    "shipping": {"name": "Standard", "reference_id": "standard",
                                 "price": money.decimal_text(5 * unit, currency)},
                    "tax_rate": "8.25", "buyer": {"name": f"Demo buyer {week + 1}"}}
            [order] = place(cms, spec, 1)
            order.data["state"] = "IN_PROGRESS"  # acknowledged in Commerce Manager
            order.data["merchant_order_id"] = f"DEMO-{week + 1:03d}"
            order.data["created"] = iso(placed_at)
            order.save(update_fields=["data"])
            Node.objects.filter(pk=order.pk).update(created=placed_at)
            line = order.data["items"][0]
            batches = [1, quantity - 1] if quantity > 1 and week % 4 == 1 else [quantity]
            for n, k in enumerate(batches):
                kinds = (PAYMENT, SHIPMENT)
                before = set(Node.objects.of_type(*kinds).filter(parent_id=order.gid).values_list("pk", flat=True))
                ship(order, items=[{"item_id": line["id"], "quantity": k}],
                     tracking_info={"carrier": "UPS", "tracking_number": f"1ZDEMO{week:03d}{n}"})
                made = Node.objects.of_type(*kinds).filter(parent_id=order.gid).exclude(pk__in=before)
                _backdate(list(made), placed_at + timedelta(days=1 + n))
            if week == 3:
                node = refund(order, reason_code="DAMAGED_GOODS", reason_text="One cup arrived broken",
                              items=[{"item_id": line["id"], "item_refund_quantity": 1}])
                _backdate([node], placed_at + timedelta(days=6))
            orders.append(order)
        cms = ledger.settle(merchant(cms.gid), int(now.timestamp()))
        cms.data[DEMO_KEY] = True
        cms.save(update_fields=["data", "updated"])
        ledger.open_chargeback(orders[-2], reason="Buyer says the parcel never arrived",
                               now=int((now - timedelta(days=1)).timestamp()))
    return {"cms_id": cms.gid, "seeded": True, **finance_state(cms.gid)}
