"""Meta's splits of money to the minor unit: an order-level offer across an order's lines and
across a line's units, a refund between the buyer and Meta, and shares in proportion.

Written from Meta's "Build Offers Integration" guide (Requirement 1, "Process Orders with
Associated Offers and Discounts",
https://developers.facebook.com/documentation/ads-commerce/commerce-platform/partners/build-offers-integration;
META_API §3.5), independently of the portal's own allocation code:

- Across lines: "At order creation time, the discount value is allocated across those line
  items according to their relative values." Meta does not say how it rounds. The sandbox's
  choice is the largest remainder (`largest_remainder`): each line gets the floor of its exact
  share, and the minor units left over go one each to the lines with the largest fractional
  remainders, ties to the earlier line. The parts add up to the discount and each is within one
  minor unit of its exact share.
- Across units: "the allocated discount is as close to the expected unrounded value as
  possible, for cumulative number of units fulfilled or canceled. For example, ... a quantity
  of 3 and a discount of 1 USD ... The expected discount after 1 item is 33.3 cents, which is
  rounded to 33 cents ... After 2 fulfillments, the expected discount is 66.7 cents, which is
  rounded to 66 cents ... on the last fulfillment, the allocation is the expected 100 cents
  minus the 66 cents allocated so far, which equals 34 cents." 66.7 becomes 66, so the
  cumulative figure is rounded down, not to the nearest: after k of n units, floor(D·k/n),
  and all of D at k = n (`cumulative`). A fulfilment or cancellation of units start..start+k
  gets cumulative(start + k) − cumulative(start) (`units_share`), counting the line's units in
  the order they were fulfilled or cancelled.
- Refunds with a Meta-funded offer: "Meta attempts to proportionally distribute a refund amount
  to a portion being refunded to the buyer, and a portion being refunded back to Meta ... in
  the same proportion as the relative amounts that were paid by the buyer and Meta when the
  item was fulfilled ... this distribution has no effect on the total amount refunded."
  Rounding is not documented; the sandbox's choice (`meta_part`) rounds Meta's cumulative part
  down (the odd minor unit goes to the buyer) and makes it exact once everything paid is
  refunded.

Every function takes and returns ints of minor units.
"""

from __future__ import annotations

from collections.abc import Sequence


def _check_int(value, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{what} must be an int of minor units, not {type(value).__name__}")
    return value


def largest_remainder(total: int, weights: Sequence[int]) -> list[int]:
    """Split `total` (≥ 0) in proportion to `weights` (≥ 0) by largest remainder.

    `largest_remainder(400, [200, 200, 200]) == [134, 133, 133]`; a zero weight gets nothing;
    weights that are all zero take only a zero total."""
    _check_int(total, "total")
    weights = [_check_int(w, "weight") for w in weights]
    if total < 0 or any(w < 0 for w in weights):
        raise ValueError("largest_remainder splits a non-negative total over non-negative weights")
    whole = sum(weights)
    if whole == 0:
        if total:
            raise ValueError("nothing to split the total over: every weight is zero")
        return [0] * len(weights)
    floors = [total * w // whole for w in weights]
    remainders = [total * w % whole for w in weights]
    left = total - sum(floors)  # fewer than the number of non-zero remainders
    for i in sorted(range(len(weights)), key=lambda i: (-remainders[i], i))[:left]:
        floors[i] += 1
    return floors


def cumulative(total: int, count: int, done: int) -> int:
    """What the first `done` of `count` units carry of `total`: floor(total·done/count), and
    exactly `total` once done reaches count (Meta's example: 100 over 3 → 33, 66, 100)."""
    _check_int(total, "total")
    if count <= 0:
        raise ValueError("count must be at least 1")
    if done < 0:
        raise ValueError("done must not be negative")
    if done >= count:
        return total
    return total * done // count


def units_share(total: int, count: int, start: int, k: int) -> int:
    """The part of `total` that units start+1..start+k of `count` carry (0 for no unit)."""
    if k <= 0:
        return 0
    return cumulative(total, count, start + k) - cumulative(total, count, start)


def per_unit(total: int, count: int) -> list[int]:
    """Each unit's part when units go one at a time: 100 over 3 → [33, 33, 34]."""
    return [units_share(total, count, n, 1) for n in range(count)]


def proportional(total: int, whole: int, part: int) -> int:
    """`total` in proportion part/whole, rounded down; all of it once part reaches whole (and
    nothing when whole is zero)."""
    if whole <= 0:
        return 0
    if part >= whole:
        return total
    return total * part // whole


def proportional_step(total: int, whole: int, before: int, amount: int) -> int:
    """What `amount` more (after `before`) carries of `total` spread over `whole`, cumulatively:
    steps that add up to `whole` add up to `total` exactly."""
    return proportional(total, whole, before + amount) - proportional(total, whole, before)


def meta_part(refund: int, *, paid: int, meta_paid: int, refunded_before: int, meta_refunded_before: int) -> int:
    """Meta's part of a refund of `refund` on a line with a Meta-funded offer.

    `paid` is what the buyer and Meta together paid for the line's fulfilled units (Meta's part
    of it: `meta_paid`); `refunded_before` and `meta_refunded_before` are what earlier refunds
    of the line returned in all and to Meta. Meta's cumulative part after this refund is
    floor(meta_paid · refunded / paid), all of `meta_paid` once everything paid is refunded;
    this refund takes the difference with what Meta already got back, never below zero nor
    above the refund (the paid figures grow as more units are fulfilled)."""
    for value, what in ((refund, "refund"), (paid, "paid"), (meta_paid, "meta_paid"),
                        (refunded_before, "refunded_before"), (meta_refunded_before, "meta_refunded_before")):
        _check_int(value, what)
    if not 0 <= meta_paid <= paid or refund < 0 or refunded_before < 0:
        raise ValueError("meta_part needs 0 <= meta_paid <= paid and non-negative refunds")
    after = proportional(meta_paid, paid, refunded_before + refund)
    return max(0, min(refund, after - meta_refunded_before))
