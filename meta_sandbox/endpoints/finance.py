"""Finance: Meta's Finance API of the order era (v21-v25; META_API §6), `GET /{cms}/commerce_payouts`
and `GET /{cms}/commerce_transactions` (also on the commerce account's page, as Meta's
Transactions guide calls it), with the ledger behind them. The rules (fees, refunds of fees,
the payout schedule) are meta_sandbox/finance.py.

Behind the order API's gates: removed on v26+ and, with the `orders.removed` switch, on every
version (code 12, as the order endpoints). Permission: `commerce_account_read_reports`
(Meta's Finance Reporting setup), else (#200).

The ledger, computed from the orders the sandbox holds, whenever the edges are read, the
console acts or the facade is asked (`settle`):
- a SALE for each payment of an order (one per shipment: what the buyer paid for the units
  shipped, their tax and the shipping charged with the first), fee = the selling fee;
- a REFUND (negative) for each refund, seller's or Meta's: what went back to the buyer (a
  Meta-funded offer's part goes back to Meta, which the sandbox does not pay the seller in the
  first place), fee given back in proportion (negative);
- a CHARGEBACK (negative, no fee) when one is opened (`open_chargeback`), and a
  CHARGEBACK_REVERSAL (positive) when the seller wins it.
Transactions are nodes `commerce_transaction` (parent: the CMS; key: the source node and kind),
payouts `commerce_payout` (key: payout_reference_id), chargebacks `commerce_chargeback`
(parent: the order). A transaction is PENDING until a payout takes it (PAID_OUT, with the
payout's reference and transfer ids). A payout's amount is the sum of its transactions' net,
unless `corrupt_payout` made it differ (a test helper).

Lists are oldest first (creation order, which is event order), filtered on payout_date /
transaction_date with `start_time` inclusive and `end_time` exclusive (unix seconds or ISO
8601). Dates are ISO 8601 (`2026-01-14T19:17:31+00:00`), like the orders'.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from .. import finance, money
from ..models import Node, Switch
from ..params import P
from ..router import Computed, FieldDef, Value, edge, node_type, registry
from .orders.common import ORDER, PAYMENT, REFUND, REMOVED_IN, cms_for, gate, iso

REPORT_PERMS = ("commerce_account_read_reports",)
TRANSACTION = "commerce_transaction"
PAYOUT = "commerce_payout"
CHARGEBACK = "commerce_chargeback"
SEEN_KEY = "finance_seen_pk"
RUN_KEY = "finance_last_run"


def _now() -> int:
    return int(timezone.now().timestamp())


def _iso_ts(ts: int) -> str:
    return iso(datetime.fromtimestamp(int(ts), tz=UTC))


def _amount(minor: int, currency: str) -> dict:
    return money.amount(int(minor), currency)


# --- node types ------------------------------------------------------------------------------------------


class OrderDetails(FieldDef):
    """The transaction's order, rendered as the order node (`order_details{id,channel,...}`)."""

    def render(self, ctx, node, sel):
        order = ctx.peek(node.data["order_id"])
        if order is None:
            return {"id": node.data["order_id"]}
        return ctx.render(order, sel.children or None)


def _order_value(key: str):
    def value(ctx, node):
        order = ctx.peek(node.data["order_id"])
        return (order.data.get(key) or None) if order is not None else None

    return value


def _address_value(key: str):
    def value(ctx, node):
        order = ctx.peek(node.data["order_id"])
        return ((order.data.get("address") or {}).get(key) or None) if order is not None else None

    return value


def tax_rate_of(order: Node | None) -> str | None:
    """The order's tax rate as a percentage string ("8.25"): the buyer's rate when the order kept
    it, else the rate its items' tax works out to, to two decimals."""
    if order is None:
        return None
    if order.data.get("tax_rate") not in (None, ""):
        return str(order.data["tax_rate"])
    from .orders.figures import line_value

    base = sum(line_value(item) for item in order.data.get("items", []))
    tax = sum(item.get("tax", 0) for item in order.data.get("items", []))
    if base <= 0:
        return "0"
    return format((Decimal(tax) * 100 / Decimal(base)).quantize(Decimal("0.01")).normalize(), "f")


TRANSACTION_FIELDS = ("order_id", "merchant_order_id", "order_created", "transaction_date", "transaction_type",
                      "net_payment_amount", "processing_fee", "tax_rate", "postal_code", "state",
                      "payout_reference_id", "transfer_id")

node_type(TRANSACTION, label="CommerceOrderTransactionDetail", perms=REPORT_PERMS, addressable=False,
          default_fields=("id", *TRANSACTION_FIELDS), fields={
              "order_id": Value(),
              "merchant_order_id": Computed(_order_value("merchant_order_id")),
              "order_created": Computed(_order_value("created")),
              "transaction_date": Computed(lambda ctx, n: _iso_ts(n.data["ts"])),
              "transaction_type": Value(key="kind"),
              "net_payment_amount": Computed(lambda ctx, n: _amount(n.data["net"], n.data["currency"])),
              "processing_fee": Computed(lambda ctx, n: _amount(n.data["fee"], n.data["currency"])),
              "tax_rate": Computed(lambda ctx, n: tax_rate_of(ctx.peek(n.data["order_id"]))),
              "postal_code": Computed(_address_value("postal_code")),
              "state": Computed(_address_value("state")),
              "payout_reference_id": Computed(lambda ctx, n: n.data.get("payout_reference_id") or None),
              "transfer_id": Computed(lambda ctx, n: n.data.get("transfer_id") or None),
              "order_details": OrderDetails(),
          })

PAYOUT_FIELDS = ("amount", "payout_date", "payout_reference_id", "status", "transfer_id")

node_type(PAYOUT, label="CommercePayout", perms=REPORT_PERMS, addressable=False,
          default_fields=("id", *PAYOUT_FIELDS), fields={
              "amount": Computed(lambda ctx, n: _amount(n.data["amount"], n.data["currency"])),
              "payout_date": Computed(lambda ctx, n: _iso_ts(n.data["ts"])),
              "payout_reference_id": Value(),
              "status": Value(),
              "transfer_id": Value(),
          })


# --- the ledger ------------------------------------------------------------------------------------------


def _txn(cms: Node, *, kind: str, order: Node, source: Node, amount: int, fee: int, ts: int) -> Node:
    return Node.objects.create(
        type=TRANSACTION, business_id=cms.business_id, parent_id=cms.gid, key=f"{source.gid}:{kind}",
        created=datetime.fromtimestamp(ts, tz=UTC),
        data={"kind": kind, "order_id": order.gid, "source_id": source.gid, "currency": order.data["currency"],
              "amount": amount, "fee": fee, "net": amount - fee, "ts": ts, "status": finance.PENDING,
              "payout_reference_id": "", "transfer_id": ""})


def order_transactions(order_gid: str):
    return Node.objects.of_type(TRANSACTION).filter(data__order_id=order_gid)


def _order_figures(order_gid: str) -> dict:
    """What the order's recorded transactions add up to: paid (sales), fees, refunded, fees back,
    charged back (open or lost chargebacks, less reversals)."""
    out = {"paid": 0, "fees": 0, "refunded": 0, "fees_back": 0, "charged_back": 0}
    for t in order_transactions(order_gid):
        d = t.data
        if d["kind"] == finance.SALE:
            out["paid"] += d["amount"]
            out["fees"] += d["fee"]
        elif d["kind"] == finance.REFUND:
            out["refunded"] += -d["amount"]
            out["fees_back"] += -d["fee"]
        elif d["kind"] == finance.CHARGEBACK:
            out["charged_back"] += -d["amount"]
        elif d["kind"] == finance.CHARGEBACK_REVERSAL:
            out["charged_back"] -= d["amount"]
    return out


def _ts_of(node: Node) -> int:
    return int(node.created.timestamp())


def record(cms: Node) -> int:
    """Record a transaction for every payment and refund of the account's orders not seen yet
    (in creation order, which is event order); returns how many. The account keeps the highest
    node pk it looked at (`finance_seen_pk`), so a read costs one query when nothing happened."""
    seen = int(cms.data.get(SEEN_KEY) or 0)
    sources = list(Node.objects.of_type(PAYMENT, REFUND).filter(business_id=cms.business_id, pk__gt=seen)
                   .order_by("pk"))
    if not sources:
        return 0
    orders: dict[str, Node | None] = {}
    made = 0
    for source in sources:
        if source.parent_id not in orders:
            orders[source.parent_id] = Node.objects.filter(pk=Node.pk_from_gid(source.parent_id) or 0,
                                                           type=ORDER).first()
        order = orders[source.parent_id]
        if order is None or order.parent_id != cms.gid:
            continue
        currency = order.data["currency"]
        ts = _ts_of(source)
        if source.type == PAYMENT:
            paid = int(source.data["total"])
            _txn(cms, kind=finance.SALE, order=order, source=source, amount=paid,
                 fee=finance.selling_fee(paid, currency), ts=ts)
        else:
            back = int(source.data["total"]) - int(source.data.get("meta") or 0)  # the buyer's part
            if back <= 0:
                continue
            fig = _order_figures(order.gid)
            fee_back = finance.refund_fee(fees=fig["fees"], paid=fig["paid"], refunded_before=fig["refunded"],
                                          refund=back, fees_back_before=fig["fees_back"])
            _txn(cms, kind=finance.REFUND, order=order, source=source, amount=-back, fee=-fee_back, ts=ts)
        made += 1
    cms.data[SEEN_KEY] = sources[-1].pk
    cms.save(update_fields=["data", "updated"])
    return made


def _next_reference() -> tuple[str, str]:
    # Meta's sample reference is "FBMP123123"; transfer ids are the bank transfer's (format inferred).
    last = Node.objects.filter(type=PAYOUT).order_by("-pk").values_list("pk", flat=True).first() or 0
    n = last + 1
    return f"FBMP{n:09d}", f"{7_100_000_000_000 + n}"


def _pay(cms: Node, txns: list[Node], *, ts: int, status: str) -> list[Node]:
    """Payouts (one per currency with a positive total) of these PENDING transactions."""
    by_currency: dict[str, list[Node]] = {}
    for t in txns:
        by_currency.setdefault(t.data["currency"], []).append(t)
    payouts = []
    for currency in sorted(by_currency):
        group = by_currency[currency]
        total = sum(t.data["net"] for t in group)
        if total <= 0:
            continue  # carried forward until the balance is positive
        ref, transfer = _next_reference()
        payout = Node.objects.create(
            type=PAYOUT, business_id=cms.business_id, parent_id=cms.gid, key=ref,
            created=datetime.fromtimestamp(ts, tz=UTC),
            data={"currency": currency, "amount": total, "ts": ts, "status": status, "payout_reference_id": ref,
                  "transfer_id": transfer, "transactions": [t.gid for t in group], "corrupted": 0})
        for t in group:
            t.data.update(status=finance.PAID_OUT, payout_reference_id=ref, transfer_id=transfer)
            t.save(update_fields=["data", "updated"])
        payouts.append(payout)
    return payouts


def pending(cms: Node) -> list[Node]:
    return list(Node.objects.of_type(TRANSACTION).filter(parent_id=cms.gid, data__status=finance.PENDING)
                .order_by("pk"))


def run_schedule(cms: Node, now: int) -> list[Node]:
    """Meta's scheduled payouts due up to `now` (finance.py: weekly, transactions held 7 days)."""
    waiting = pending(cms)
    made: list[Node] = []
    hold = finance.HOLD_DAYS * finance.DAY
    if waiting:
        first_due = min(t.data["ts"] for t in waiting) + hold
        last = cms.data.get(RUN_KEY)
        for run in finance.run_times(last, now, first_due):
            due = [t for t in waiting if t.data["ts"] <= run - hold and t.data["status"] == finance.PENDING]
            if due:
                made += _pay(cms, due, ts=run, status=finance.payout_status(run, now))
            cms.data[RUN_KEY] = run
    for payout in Node.objects.of_type(PAYOUT).filter(parent_id=cms.gid, data__status=finance.IN_PROGRESS):
        if finance.payout_status(payout.data["ts"], now) == finance.PAID and not payout.data.get("held"):
            payout.data["status"] = finance.PAID
            payout.save(update_fields=["data", "updated"])
    cms.save(update_fields=["data", "updated"])
    return made


def locked_cms(cms_gid: str) -> Node | None:
    return Node.objects.select_for_update().filter(pk=Node.pk_from_gid(str(cms_gid)) or 0,
                                                   type="commerce_merchant_settings", deleted=False).first()


#: Switch: `{"demo_businesses": [external business ids]}`: accounts of these businesses get the
#: demo's finance history (actions/finance.py) the first time their ledger is settled.
SWITCH_KEY = "finance"
DEMO_KEY = "finance_demo"


def _demo_pending(cms: Node) -> bool:
    if cms.data.get(DEMO_KEY):
        return False
    row = Switch.objects.filter(key=SWITCH_KEY).first()
    wanted = (row.value or {}).get("demo_businesses") if row and isinstance(row.value, dict) else None
    if not wanted:
        return False
    return Node.objects.of_type("business").filter(pk=Node.pk_from_gid(cms.business_id) or 0, key__in=wanted).exists()


def settle(cms: Node, now: int | None = None) -> Node:
    """Bring the account's ledger up to date: new transactions, then the payouts due. Serialised
    on the account's row; returns the account as re-read."""
    if _demo_pending(cms):
        from ..actions.finance import seed_demo_finance

        seed_demo_finance(cms.gid)
    with transaction.atomic():
        locked = locked_cms(cms.gid) or cms
        record(locked)
        run_schedule(locked, _now() if now is None else now)
        return locked


def pay_out_now(cms: Node, now: int | None = None) -> list[Node]:
    """Meta pays out at once every PENDING transaction of the account, hold or not (per currency
    with a positive total), PAID."""
    with transaction.atomic():
        cms = settle(cms, now)
        return _pay(cms, pending(cms), ts=_now() if now is None else now, status=finance.PAID)


def open_chargeback(order: Node, *, amount: int | None = None, reason: str = "", now: int | None = None) -> Node:
    """The buyer's bank opens a chargeback on the order: a CHARGEBACK transaction of −amount
    (default: what the buyer paid and has not had back). One open chargeback per order."""
    cms = Node.objects.filter(pk=Node.pk_from_gid(order.parent_id) or 0).first()
    if cms is None:
        raise ValueError("the order has no commerce account")
    with transaction.atomic():
        cms = settle(cms, now)
        if Node.objects.of_type(CHARGEBACK).filter(parent_id=order.gid, data__status=finance.CHARGEBACK_OPEN).exists():
            raise ValueError(f"order {order.gid} already has an open chargeback")
        fig = _order_figures(order.gid)
        left = fig["paid"] - fig["refunded"] - fig["charged_back"]
        if left <= 0:
            raise ValueError(f"nothing paid on order {order.gid} is left to charge back (ship it first)")
        amount = left if amount is None else amount
        if isinstance(amount, bool) or not isinstance(amount, int) or not 0 < amount <= left:
            raise ValueError(f"a chargeback on order {order.gid} is between 1 and {left} minor units")
        ts = _now() if now is None else now
        chargeback = Node.objects.create(
            type=CHARGEBACK, business_id=order.business_id, parent_id=order.gid,
            created=datetime.fromtimestamp(ts, tz=UTC),
            data={"currency": order.data["currency"], "amount": amount, "reason": reason or "",
                  "status": finance.CHARGEBACK_OPEN, "opened_ts": ts, "resolved_ts": None})
        _txn(cms, kind=finance.CHARGEBACK, order=order, source=chargeback, amount=-amount, fee=0, ts=ts)
        return chargeback


def resolve_chargeback(order: Node, *, won: bool, now: int | None = None) -> Node:
    """The dispute ends: won → a CHARGEBACK_REVERSAL of the amount; lost → the money stays with
    the buyer."""
    cms = Node.objects.filter(pk=Node.pk_from_gid(order.parent_id) or 0).first()
    with transaction.atomic():
        if cms is not None:
            cms = settle(cms, now)
        chargeback = (Node.objects.select_for_update().filter(type=CHARGEBACK, deleted=False, parent_id=order.gid,
                                                              data__status=finance.CHARGEBACK_OPEN).first())
        if chargeback is None:
            raise ValueError(f"order {order.gid} has no open chargeback")
        ts = _now() if now is None else now
        chargeback.data.update(status=finance.CHARGEBACK_WON if won else finance.CHARGEBACK_LOST, resolved_ts=ts)
        chargeback.save(update_fields=["data", "updated"])
        if won and cms is not None:
            _txn(cms, kind=finance.CHARGEBACK_REVERSAL, order=order, source=chargeback,
                 amount=chargeback.data["amount"], fee=0, ts=ts)
        return chargeback


# --- the edges -------------------------------------------------------------------------------------------


def _window(qs, args):
    if args.get("start_time") is not None:
        qs = qs.filter(data__ts__gte=args["start_time"])
    if args.get("end_time") is not None:
        qs = qs.filter(data__ts__lt=args["end_time"])
    return qs


TIME_PARAMS = (P("start_time", "datetime"), P("end_time", "datetime"))


@edge(("commerce_merchant_settings", "page"), "commerce_payouts", item_label="CommercePayout", perms=REPORT_PERMS,
      params=TIME_PARAMS)
def commerce_payouts(ctx, node, args):
    gate(ctx)
    cms = settle(cms_for(node))
    return _window(Node.objects.of_type(PAYOUT).filter(parent_id=cms.gid), args)


@edge(("commerce_merchant_settings", "page"), "commerce_transactions", item_label="CommerceOrderTransactionDetail",
      perms=REPORT_PERMS, params=(*TIME_PARAMS, P("payout_reference_id")))
def commerce_transactions(ctx, node, args):
    gate(ctx)
    cms = settle(cms_for(node))
    qs = _window(Node.objects.of_type(TRANSACTION).filter(parent_id=cms.gid), args)
    if args.get("payout_reference_id"):
        qs = qs.filter(data__payout_reference_id=str(args["payout_reference_id"]).strip().strip('"'))
    return qs


def _gate_routes() -> None:
    """Removed on v26+ like the order edges (the handlers also call `gate` for the switch)."""
    for r in registry.node_routes:
        if r.method == "GET" and len(r.segs) == 2 and r.segs[1] in ("commerce_payouts", "commerce_transactions"):
            r.removed_in = REMOVED_IN


_gate_routes()
