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


# --- a bulk history, for benchmarks ----------------------------------------------------------------------

BULK_KEY = "finance_bulk"
BULK_CHUNK = 2000
#: the latest event after an order is placed: its refund, 1 + 3 days later (and an hour to spare)
_BULK_LAST_EVENT = 4 * finance.DAY + 3600


def _bulk_amount(i: int, currency: str) -> int:
    """What the buyer paid for order i's one shipment: 4.00 to 93.99 (in USD units), so some
    shipments pay the flat fee and most the 5 %."""
    return (400 + (i * 7919) % 9000) * money.offset(currency) // 100


def seed_finance_bulk(cms_id: str, *, orders: int, days: int = 365, refund_every: int = 20, currency: str = "USD",
                      now: datetime | None = None) -> dict:
    """A year (`days`) of the account's history written in bulk, for benchmarks: `orders` minimal
    order nodes (placed evenly over the period, each shipped once a day later), a SALE for each
    (the selling fee of finance.py), a REFUND of half of every `refund_every`-th order three days
    after its sale (fee back as finance.refund_fee), and Meta's weekly payouts of them as
    run_schedule would have made them (each the sum of its transactions' net; transactions
    newer than the hold stay PENDING). No payment or refund nodes: the ledger's later settles
    see nothing new (the account's `finance_seen_pk` and `finance_last_run` are moved on).
    Once per account. Returns `{cms_id, orders: [{id, merchant_order_id, placed_ts, paid_minor,
    refunded_minor}], transactions, payouts, pending}`."""
    if isinstance(orders, bool) or not isinstance(orders, int) or orders < 1:
        raise ControlError("orders must be a positive int")
    code = money.currency_code(currency)
    cms = merchant(cms_id)
    if cms.data.get(BULK_KEY) or Node.objects.of_type(ledger.TRANSACTION).filter(parent_id=cms.gid).exists():
        raise ControlError(f"commerce account {cms.gid} already has a finance history")
    end = int((now or timezone.now()).timestamp())
    start = end - days * finance.DAY
    # placed from `days` ago to a little more than a refund's delay ago: every event is in the past
    step = (days * finance.DAY - _BULK_LAST_EVENT) / orders
    hold = finance.HOLD_DAYS * finance.DAY
    out_orders: list[dict] = []
    with transaction.atomic():
        cms = ledger.locked_cms(cms.gid) or cms
        # the orders: minimal nodes with what a transaction's fields read (created, merchant
        # order id, tax rate, address)
        for first in range(0, orders, BULK_CHUNK):
            batch = []
            for i in range(first, min(orders, first + BULK_CHUNK)):
                placed = int(start + i * step)
                batch.append(Node(type=ORDER, business_id=cms.business_id, parent_id=cms.gid,
                                  created=datetime.fromtimestamp(placed, tz=UTC),
                                  data={"state": "COMPLETED", "channel": "instagram", "currency": code,
                                        "created": _ts_text(placed), "merchant_order_id": f"BULK-{i + 1:07d}",
                                        "tax_rate": "8.25", "items": [],
                                        "address": {"state": "TX", "postal_code": f"{78700 + i % 100}",
                                                    "country": "US"}}))
            for i, node in enumerate(Node.objects.bulk_create(batch), start=first):
                paid = _bulk_amount(i, code)
                refunded = paid // 2 if refund_every and (i + 1) % refund_every == 0 else 0
                out_orders.append({"id": node.gid, "merchant_order_id": node.data["merchant_order_id"],
                                   "placed_ts": int(node.created.timestamp()), "paid_minor": paid,
                                   "refunded_minor": refunded})
        # the transactions, in event order: (ts, kind, order, amount, fee)
        events = []
        for o in out_orders:
            paid = o["paid_minor"]
            fee = finance.selling_fee(paid, code)
            sale_ts = o["placed_ts"] + finance.DAY
            events.append((sale_ts, finance.SALE, o["id"], paid, fee))
            if o["refunded_minor"]:
                back = o["refunded_minor"]
                fee_back = finance.refund_fee(fees=fee, paid=paid, refunded_before=0, refund=back, fees_back_before=0)
                events.append((sale_ts + 3 * finance.DAY, finance.REFUND, o["id"], -back, -fee_back))
        events.sort(key=lambda e: e[0])
        # the weekly runs (finance.run_times): each pays what is at least HOLD_DAYS old, when positive
        last_run = cms.data.get(ledger.RUN_KEY)
        runs = finance.run_times(last_run, end, events[0][0] + hold)
        reference_base = Node.objects.filter(type=ledger.PAYOUT).order_by("-pk").values_list("pk", flat=True).first() or 0
        paid_by: list[tuple[str, str] | None] = [None] * len(events)
        payouts: list[Node] = []
        waiting = 0  # events[waiting:] are not paid out yet
        carried: list[int] = []  # indexes of due events carried forward (their total was not positive)
        for run in runs:
            due = list(carried)
            while waiting < len(events) and events[waiting][0] <= run - hold:
                due.append(waiting)
                waiting += 1
            total = sum(events[k][3] - events[k][4] for k in due)
            if not due or total <= 0:
                carried = due
                last_run = run
                continue
            n = reference_base + len(payouts) + 1
            ref, transfer = f"FBMP{n:09d}", f"{7_100_000_000_000 + n}"
            for k in due:
                paid_by[k] = (ref, transfer)
            payouts.append(Node(type=ledger.PAYOUT, business_id=cms.business_id, parent_id=cms.gid, key=ref,
                                created=datetime.fromtimestamp(run, tz=UTC),
                                data={"currency": code, "amount": total, "ts": run,
                                      "status": finance.payout_status(run, end), "payout_reference_id": ref,
                                      "transfer_id": transfer, "transactions": [], "corrupted": 0}))
            carried = []
            last_run = run
        for first in range(0, len(events), BULK_CHUNK):
            batch = []
            for k in range(first, min(len(events), first + BULK_CHUNK)):
                ts, kind, order_gid, amount, fee = events[k]
                ref, transfer = paid_by[k] or ("", "")
                batch.append(Node(type=ledger.TRANSACTION, business_id=cms.business_id, parent_id=cms.gid,
                                  key=f"{order_gid}:{kind}", created=datetime.fromtimestamp(ts, tz=UTC),
                                  data={"kind": kind, "order_id": order_gid, "source_id": order_gid,
                                        "currency": code, "amount": amount, "fee": fee, "net": amount - fee,
                                        "ts": ts, "status": finance.PAID_OUT if ref else finance.PENDING,
                                        "payout_reference_id": ref, "transfer_id": transfer}))
            made = Node.objects.bulk_create(batch)
            for k, node in enumerate(made, start=first):
                if paid_by[k]:
                    paid_by[k] = (*paid_by[k], node.gid)
        by_ref: dict[str, list[str]] = {}
        for entry in paid_by:
            if entry:
                by_ref.setdefault(entry[0], []).append(entry[2])
        for payout in payouts:
            payout.data["transactions"] = by_ref[payout.key]
        Node.objects.bulk_create(payouts, batch_size=BULK_CHUNK)
        cms.data[BULK_KEY] = True
        if last_run is not None:
            cms.data[ledger.RUN_KEY] = last_run
        cms.save(update_fields=["data", "updated"])
    return {"cms_id": cms.gid, "orders": out_orders, "transactions": len(events), "payouts": len(payouts),
            "pending": sum(1 for entry in paid_by if not entry)}
