"""Reconciliation: do Meta's payouts, its transactions and the seller's orders tie out?

- A payout ties out when its amount equals the sum of its transactions' net amounts, to the
  minor unit (Meta pays out the net of the transactions it gathers).
- An order ties out when, over its transactions, sales − refunds − fees = net (each
  transaction's gross is its net plus its fee), when what Meta's transactions refunded equals
  the refunds the order records, and when its sales never exceed what the order cost.
- An order shipped more than `FINANCE_MISSING_AFTER_DAYS` (7) days ago with no sale transaction
  is a difference too: Meta makes the sale when units ship.

Every figure comes from the archive (no call to Meta); the differences are shop issues
(finance.issues) and the Payments page's reconciliation summary.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.db.models import Count, Exists, F, Max, OuterRef, Q, Subquery, Sum
from django.db.models.functions import Coalesce, TruncMonth
from django.utils import timezone

from finance.models import Payout, Transaction
from kernel.money import Money


def missing_after() -> timedelta:
    return timedelta(days=int(getattr(settings, "FINANCE_MISSING_AFTER_DAYS", 7)))


@dataclass(frozen=True)
class Difference:
    kind: str  # "payout", "order_net", "order_refunds", "order_oversold", "order_undersold", "order_missing"
    label: str
    expected: Money
    actual: Money
    payout: Payout | None = None
    order: object | None = None
    #: when it happened (the payout's date, the order's placing), for the period it belongs to
    when: datetime | None = None
    payout_pk: int | None = None
    order_pk: int | None = None

    def __post_init__(self):
        if self.payout is not None:
            object.__setattr__(self, "payout_pk", self.payout.pk)
            object.__setattr__(self, "when", self.when or self.payout.payout_date)
        if self.order is not None:
            object.__setattr__(self, "order_pk", self.order.pk)
            object.__setattr__(self, "when", self.when or getattr(self.order, "placed_at", None))

    @property
    def delta(self) -> Money:
        return self.actual - self.expected


@dataclass
class PeriodSummary:
    start: date
    end: date
    currency: str
    sales: int = 0
    refunds: int = 0
    chargebacks: int = 0
    fees: int = 0
    net: int = 0
    paid_out: int = 0
    payouts: int = 0
    transactions: int = 0
    differences: list[Difference] = field(default_factory=list)
    #: per month of the period (its first day): {"paid", "sales", "refunds"} in minor units, the chart's bars
    months: dict[date, dict[str, int]] = field(default_factory=dict)

    def month(self, when) -> dict[str, int]:
        day = when.date() if hasattr(when, "date") else when
        return self.months.setdefault(day, {"paid": 0, "sales": 0, "refunds": 0})

    def money(self, minor: int) -> Money:
        return Money(minor, self.currency)

    @property
    def tied_out(self) -> bool:
        return not self.differences

    def rows(self) -> list[tuple[str, Money]]:
        """The summary's lines for the page: (label, amount)."""
        from django.utils.translation import gettext as _

        return [(_("Sales"), self.money(self.sales)), (_("Refunds"), self.money(-self.refunds)),
                (_("Chargebacks"), self.money(-self.chargebacks)), (_("Meta's fees"), self.money(-self.fees)),
                (_("Net of the transactions"), self.money(self.net)), (_("Paid out"), self.money(self.paid_out))]


def payout_differences(shop, payouts=None) -> list[Difference]:
    """Payouts whose amount is not the sum of their transactions' net."""
    query = Payout.objects.filter(shop=shop) if payouts is None else payouts
    sums = query.annotate(net=Sum("transactions__net_minor"), n=Count("transactions"))
    out = []
    for payout in sums:
        net = payout.net or 0
        if net != payout.amount_minor:
            out.append(Difference("payout", payout.reference_id, Money(net, payout.currency), payout.amount, payout=payout))
    return out


def order_differences(shop, orders=None) -> list[Difference]:
    """Orders whose transactions do not agree with themselves or with the order. The sums are
    made by the database, per order, and only the orders that differ come back (HAVING): the
    Payments page asks this of a whole period's orders. `orders`: ids or a subquery of them."""
    from orders.models import Cancellation, Order, Refund, SyncState

    query = Transaction.objects.filter(shop=shop, order__isnull=False)
    if orders is not None:
        query = query.filter(order__in=orders)
    kind = Transaction.Kind
    # What the order's refunds gave back to the buyer, once Meta accepted them (a Meta-funded
    # offer's part goes back to Meta, not through the seller's transactions).
    refunded = (Refund.objects.filter(order_id=OuterRef("order_id"))
                .filter(Q(push__isnull=True) | Q(push__state=SyncState.SYNCED))
                .values("order_id").annotate(total=Sum(F("total_minor") - F("meta_part_minor"))).values("total"))
    cancelled = Cancellation.objects.filter(order_id=OuterRef("order_id"))
    books = (query.values("order_id")
             .annotate(sales=Sum("gross_minor", filter=Q(kind=kind.SALE), default=0),
                       refunds=Sum("gross_minor", filter=Q(kind=kind.REFUND), default=0),
                       chargebacks=Sum("gross_minor", filter=Q(kind__in=[kind.CHARGEBACK, kind.CHARGEBACK_REVERSAL]),
                                       default=0),
                       other=Sum("gross_minor", filter=Q(kind=kind.OTHER), default=0),
                       fee=Sum("fee_minor"), net=Sum("net_minor"), total=Max(Coalesce("order__buyer_paid_minor", "order__total_minor")),
                       refunded=Coalesce(Subquery(refunded), 0), to_ship=Max("order__units_to_ship"),
                       cancelled=Exists(cancelled))
             .filter(~Q(net=F("sales") + F("refunds") + F("chargebacks") + F("other") - F("fee"))
                     | ~Q(refunded=-F("refunds")) | Q(sales__gt=F("total"))
                     | (Q(to_ship=0, cancelled=False) & ~Q(sales=F("total"))))
             .order_by())
    per_order = {row["order_id"]: row for row in books}
    if not per_order:
        return []
    out = []
    for order in Order.objects.filter(pk__in=per_order).only("pk", "reference", "currency", "total_minor",
                                                            "meta_order_id", "shop_id", "placed_at"):
        book = per_order[order.pk]
        sales, refunds = book["sales"], -book["refunds"]
        chargebacks = -book["chargebacks"]
        expected_net = sales - refunds - chargebacks + book["other"] - book["fee"]
        refunded_here = book["refunded"] or 0
        if expected_net != book["net"]:
            out.append(Difference("order_net", order.reference, order.money(expected_net), order.money(book["net"]),
                                  order=order))
        if refunds != refunded_here:
            out.append(Difference("order_refunds", order.reference, order.money(refunded_here),
                                  order.money(refunds), order=order))
        # what the buyer paid (Meta pays a Meta-funded offer's part to the seller apart)
        paid = book["total"]
        if sales > paid:
            out.append(Difference("order_oversold", order.reference, order.money(paid), order.money(sales),
                                  order=order))
        elif not book["to_ship"] and not book["cancelled"] and sales != paid:
            # every unit shipped, none cancelled: Meta's sales are what the buyer paid, all of it
            out.append(Difference("order_undersold", order.reference, order.money(paid), order.money(sales),
                                  order=order))
    return out


def orders_missing_transactions(shop, *, now: datetime | None = None):
    """Meta orders shipped more than a week ago that have no sale transaction (while the
    finance archive covers their time)."""
    from orders.models import Order

    now = now or timezone.now()
    cutoff = now - missing_after()
    first = Transaction.objects.filter(shop=shop).order_by("transaction_date").values_list(
        "transaction_date", flat=True).first()
    if first is None:
        return Order.objects.none()
    return (Order.objects.filter(shop=shop, source=Order.Source.META, shipments__created_at__lt=cutoff,
                                 shipments__created_at__gte=first)
            .exclude(finance_transactions__kind=Transaction.Kind.SALE).distinct())


def differences(shop) -> list[Difference]:
    out = payout_differences(shop) + order_differences(shop)
    for order in orders_missing_transactions(shop)[:200]:
        out.append(Difference("order_missing", order.reference, order.money(order.total_minor), order.money(0),
                              order=order))
    return out


def day_range(start: date, end: date) -> tuple[datetime, datetime]:
    """[start 00:00, the day after end 00:00) in the current time zone: the same rows as
    `__date__gte=start, __date__lte=end`, as bounds an index on the date column can use."""
    return (timezone.make_aware(datetime.combine(start, time.min)),
            timezone.make_aware(datetime.combine(end + timedelta(days=1), time.min)))


def _stored(rows: list[dict]) -> list[Difference]:
    return [Difference(r["kind"], r["label"], Money(r["expected"], r["currency"]), Money(r["actual"], r["currency"]),
                       when=datetime.fromisoformat(r["when"]) if r.get("when") else None,
                       payout_pk=r.get("payout"), order_pk=r.get("order")) for r in rows]


def summary(shop, start: date, end: date, stored: dict | None = None) -> list[PeriodSummary]:
    """One summary per currency for transactions and payouts dated in [start, end]. With
    `stored` (the feed's `reconciliation`, what the last sync found), the differences are the
    stored ones of the period, so a page costs a few sums, not a reconciliation; without it they
    are computed now."""
    lo, hi = day_range(start, end)
    tx = Transaction.objects.filter(shop=shop, transaction_date__gte=lo, transaction_date__lt=hi)
    payouts = Payout.objects.filter(shop=shop, payout_date__gte=lo, payout_date__lt=hi)
    by_currency: dict[str, PeriodSummary] = {}

    def of(currency: str) -> PeriodSummary:
        return by_currency.setdefault(currency, PeriodSummary(start, end, currency))

    # One grouped query each for transactions and payouts, by month: the totals and the chart's bars.
    for row in (tx.annotate(month=TruncMonth("transaction_date")).values("currency", "kind", "month")
                .annotate(gross=Sum("gross_minor"), fee=Sum("fee_minor"), net=Sum("net_minor"), n=Count("pk"))):
        s = of(row["currency"])
        if row["kind"] == Transaction.Kind.SALE:
            s.sales += row["gross"]
            s.month(row["month"])["sales"] += abs(row["gross"])
        elif row["kind"] == Transaction.Kind.REFUND:
            s.refunds -= row["gross"]
            s.month(row["month"])["refunds"] += abs(row["gross"])
        elif row["kind"] in (Transaction.Kind.CHARGEBACK, Transaction.Kind.CHARGEBACK_REVERSAL):
            s.chargebacks -= row["gross"]
        s.fees += row["fee"]
        s.net += row["net"]
        s.transactions += row["n"]
    for row in (payouts.annotate(month=TruncMonth("payout_date")).values("currency", "month")
                .annotate(total=Sum("amount_minor"), n=Count("pk"))):
        s = of(row["currency"])
        s.paid_out += row["total"]
        s.payouts += row["n"]
        s.month(row["month"])["paid"] += row["total"]
    if stored is not None:
        found = [d for d in _stored((stored.get("payouts") or []) + (stored.get("orders") or [])
                                    + (stored.get("missing") or []))
                 if d.when is None or lo <= d.when < hi]
    else:
        period_orders = tx.exclude(order__isnull=True).values("order_id")  # a subquery, not a list of ids
        found = payout_differences(shop, payouts) + order_differences(shop, period_orders)
    for diff in found:
        of(diff.expected.currency).differences.append(diff)
    return sorted(by_currency.values(), key=lambda s: s.currency)


def _row(diff: Difference) -> dict:
    return {"kind": diff.kind, "label": diff.label, "currency": diff.expected.currency,
            "expected": diff.expected.minor, "actual": diff.actual.minor,
            "payout": diff.payout_pk, "order": diff.order_pk, "when": diff.when.isoformat() if diff.when else None}


def store(shop) -> dict:
    """Reconcile the shop's whole archive and keep what was found on its feed (the issue cards
    and the dashboard read it without recomputing)."""
    from finance.disputes import disputes
    from finance.models import FinanceFeed

    found = differences(shop)
    failed = list(Payout.objects.filter(shop=shop, status__iexact="FAILED").only("pk", "reference_id"))
    result = {
        "payouts": [_row(d) for d in found if d.kind == "payout"][:100],
        "orders": [_row(d) for d in found if d.kind.startswith("order_") and d.kind != "order_missing"][:100],
        "missing": [_row(d) for d in found if d.kind == "order_missing"][:100],
        "failed": [{"label": p.reference_id, "payout": p.pk} for p in failed][:100],
        "counts": {"failed": len(failed), "payouts": sum(d.kind == "payout" for d in found),
                   "orders": sum(d.kind.startswith("order_") and d.kind != "order_missing" for d in found),
                   "missing": sum(d.kind == "order_missing" for d in found)},
        "disputes": [{"meta_order_id": d.meta_order_id, "order": d.order.pk if d.order else None,
                      "reference": d.order.reference if d.order else "",
                      "currency": d.amount.currency, "amount": d.amount.minor,
                      "deadline": d.deadline.isoformat() if d.deadline else None}
                     for d in disputes(shop) if d.is_open][:100],
    }
    FinanceFeed.objects.filter(shop=shop).update(reconciliation=result, reconciled_at=timezone.now())
    return result["counts"]
