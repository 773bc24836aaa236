"""Meta's money on a commerce account's payouts, as the sandbox reads it: the selling fee, what a
refund gives back of it, and the payout schedule. Ints of minor units, never float; the
sandbox's own reading of Meta's documentation (no code shared with the portal).

- Selling fee (Meta Business Help Center, "About selling fees", in force since 2021; read through
  a mirror of the page, facebookshop.vn, and the quote in helcim.com's "Beware the Costs of
  Instagram Shop and Facebook Pay"): 5 % per shipment, or a flat 0.40 USD for shipments of
  8.00 USD or less; Meta's example: a first shipment of 10.00 pays 0.50, a second of 6.00 pays
  the flat 0.40; the fee includes taxes and payment processing. `selling_fee`: 5 % of what the
  buyer paid for the shipment (its units, their tax, and the shipping charged with it: what
  "a shipment of $10.00" reads as), rounded half up to the minor unit (Meta gives no rounding:
  the sandbox's choice), or the flat 0.40 USD when the shipment is 8.00 USD or less. Meta
  states the flat fee in US dollars only (checkout paid out in USD), so other currencies pay
  the 5 % alone. A fee never exceeds the shipment (a 0.30 USD shipment pays 0.30: a choice).
- Refunds (Meta documents no fee refund rule): the fee comes back in proportion to what is
  refunded of what the buyer paid, cumulatively over the order (`refund_fee`): after refunds of
  B out of S paid on fees F, floor(F·B/S) has come back, all of F once everything paid is
  refunded. The same cumulative rule the sandbox uses for refunded tax and Meta's part of a
  refund (allocation.py), so partial refunds never return more than their share and a full
  refund returns exactly the fees charged.
- Chargebacks carry no fee (Meta publishes no dispute fee); a won chargeback reverses the
  amount.
- Payouts (Meta's Help Center, "About payouts in Commerce Manager": payouts arrive within 30
  days of the order being marked shipped, faster for sellers who keep delivering as expected;
  the schedule itself is not published): every Monday 00:00 UTC (`run_times`) Meta pays out, per currency, every PENDING
  transaction at least HOLD_DAYS (7) old; a currency whose pending total is not positive is
  carried forward. A scheduled payout is IN_PROGRESS for SETTLE_DAYS (2) after its date, then
  PAID. These figures are the sandbox's choices.
"""

from __future__ import annotations

from . import allocation, money

SALE = "SALE"
REFUND = "REFUND"
CHARGEBACK = "CHARGEBACK"
CHARGEBACK_REVERSAL = "CHARGEBACK_REVERSAL"
TRANSACTION_TYPES = (SALE, REFUND, CHARGEBACK, CHARGEBACK_REVERSAL)

PENDING = "PENDING"
PAID_OUT = "PAID_OUT"
TRANSACTION_STATUSES = (PENDING, PAID_OUT)

PAID = "PAID"
IN_PROGRESS = "IN_PROGRESS"
FAILED = "FAILED"
PAYOUT_STATUSES = (PAID, IN_PROGRESS, FAILED)

CHARGEBACK_OPEN, CHARGEBACK_WON, CHARGEBACK_LOST = "OPEN", "WON", "LOST"

FEE_PERCENT = 5
#: currency → (threshold, flat fee) in minor units: shipments of the threshold or less pay the flat fee.
FLAT_FEES = {"USD": (800, 40)}

DAY = 86_400
WEEK = 7 * DAY
HOLD_DAYS = 7
SETTLE_DAYS = 2
#: 1970-01-05 00:00 UTC, a Monday: payouts run at FIRST_MONDAY + k·WEEK.
FIRST_MONDAY = 4 * DAY


def selling_fee(amount: int, currency: str) -> int:
    """Meta's selling fee on a shipment the buyer paid `amount` (minor units) for."""
    if isinstance(amount, bool) or not isinstance(amount, int):
        raise TypeError("amount must be an int of minor units")
    if amount <= 0:
        return 0
    code = money.currency_code(currency)
    flat = FLAT_FEES.get(code)
    if flat is not None and amount <= flat[0]:
        return min(flat[1], amount)
    return min((amount * FEE_PERCENT * 2 + 100) // 200, amount)  # 5 %, half up


def refund_fee(*, fees: int, paid: int, refunded_before: int, refund: int, fees_back_before: int) -> int:
    """What a refund of `refund` (a positive magnitude) gives back of the order's selling fees:
    cumulatively floor(fees · refunded / paid), all of `fees` once everything paid is refunded,
    less what earlier refunds gave back; never below zero nor above the fees left."""
    if refund <= 0 or paid <= 0:
        return 0
    after = allocation.proportional(fees, paid, refunded_before + refund)
    return max(0, min(after - fees_back_before, fees - fees_back_before))


def run_times(after: int | None, until: int, first_due: int) -> list[int]:
    """The payout runs (unix seconds) later than `after` (None: none yet) and not later than
    `until`, starting with the first run at or after `first_due`."""
    start = max(first_due, (after + 1) if after is not None else first_due)
    k = -(-(start - FIRST_MONDAY) // WEEK)  # ceil
    runs = []
    t = FIRST_MONDAY + k * WEEK
    while t <= until:
        runs.append(t)
        t += WEEK
    return runs


def payout_status(payout_ts: int, now: int) -> str:
    return IN_PROGRESS if now < payout_ts + SETTLE_DAYS * DAY else PAID
