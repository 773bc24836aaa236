"""Disputes and chargebacks. Meta has no dispute API (META_API §6): what the data shows is
each chargeback transaction (with its reversal when the seller wins) and each refund Meta
made itself (`FACEBOOK_INITIATED`: a buyer's dispute claim decided for the buyer).

The deadline: "If you don't agree that a chargeback is valid, you have ten days from the date
and time of the chargeback to respond" (Meta Business Help Centre, "About chargebacks in
Commerce Manager"; "About post-purchase support": "You must respond to chargebacks within ten
days"). The response is made in Commerce Manager (Orders → Disputes)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.utils import timezone

from finance.models import Transaction
from kernel.money import Money

RESPONSE_WINDOW = timedelta(days=10)
#: an open chargeback this close to its deadline is a must-fix shop issue
NEAR_DEADLINE = timedelta(days=3)


@dataclass(frozen=True)
class Dispute:
    kind: str  # "chargeback" or "meta_refund"
    opened_at: datetime
    amount: Money
    meta_order_id: str
    order: object | None
    deadline: datetime | None
    state: str  # "open", "won", "lost", "decided"

    @property
    def is_open(self) -> bool:
        return self.state == "open"

    @property
    def overdue(self) -> bool:
        return self.is_open and self.deadline is not None and self.deadline < timezone.now()

    @property
    def near_deadline(self) -> bool:
        return self.is_open and self.deadline is not None and self.deadline - timezone.now() <= NEAR_DEADLINE


def disputes(shop) -> list[Dispute]:
    """Every dispute the archive shows, newest first. A chargeback is won when a reversal of
    the same order follows it; it is open while its response window runs and no reversal came,
    and "decided" (the card issuer's call, up to 75 days) once the window has passed."""
    from orders.models import Refund

    now = timezone.now()
    rows = list(Transaction.objects.filter(shop=shop, kind__in=[Transaction.Kind.CHARGEBACK,
                                                                Transaction.Kind.CHARGEBACK_REVERSAL])
                .select_related("order").order_by("transaction_date", "pk"))
    reversals: dict[str, list] = {}
    for row in rows:
        if row.kind == Transaction.Kind.CHARGEBACK_REVERSAL:
            reversals.setdefault(row.meta_order_id, []).append(row)
    out = []
    for row in rows:
        if row.kind != Transaction.Kind.CHARGEBACK:
            continue
        deadline = row.transaction_date + RESPONSE_WINDOW
        later = [r for r in reversals.get(row.meta_order_id, []) if r.transaction_date >= row.transaction_date]
        if later:
            reversals[row.meta_order_id].remove(later[0])
            state = "won"
        else:
            state = "open" if deadline >= now else "decided"
        out.append(Dispute("chargeback", row.transaction_date, Money(-row.gross_minor, row.currency),
                           row.meta_order_id, row.order, deadline, state))
    for refund in (Refund.objects.filter(order__shop=shop, reason_code=Refund.Reason.FACEBOOK_INITIATED)
                   .select_related("order")):
        out.append(Dispute("meta_refund", refund.created_at, refund.order.money(refund.total_minor),
                           refund.order.meta_order_id, refund.order, None, "lost"))
    return sorted(out, key=lambda d: d.opened_at, reverse=True)
