"""The sandbox's own Meta arithmetic (meta_sandbox/money.py, meta_sandbox/allocation.py) against
figures worked out by hand, in JPY (no decimals), USD (2) and KWD (3). No product code: these
are Meta's rules as the sandbox reads them, so a product that reads them differently fails its
end-to-end tests against the sandbox."""

from __future__ import annotations

import random
from decimal import Decimal

import pytest

from meta_sandbox import allocation, money

# --- amounts -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("text, currency, minor", [
    ("12.34", "USD", 1234),
    ("5.5", "USD", 550),  # Meta's own currency_amount example: fewer decimals than the currency
    ("0.05", "USD", 5),
    ("-1.02", "USD", -102),  # refund_amount.tax may be negative (META_API §3.10)
    ("9.990", "USD", 999),  # extra zeros change nothing
    ("1000", "JPY", 1000),
    (" 7 ", "JPY", 7),
    ("1000.00", "JPY", 1000),
    ("1.234", "KWD", 1234),
    ("0.5", "KWD", 500),
    ("0.005", "KWD", 5),
    ("12.34", "usd", 1234),
])
def test_decimal_amounts_become_minor_units(text, currency, minor):
    assert money.to_minor(text, currency) == minor


def test_whole_numbers_are_major_units():
    assert (money.to_minor(5, "USD"), money.to_minor(5, "JPY"), money.to_minor(5, "KWD")) == (500, 5, 5000)
    assert money.to_minor(Decimal("2.50"), "USD") == 250


@pytest.mark.parametrize("text, currency", [
    ("9.999", "USD"), ("1.5", "JPY"), ("1.2345", "KWD"),
])
def test_more_decimals_than_the_currency_has_are_refused_not_rounded(text, currency):
    with pytest.raises(ValueError, match="decimal places"):
        money.to_minor(text, currency)


@pytest.mark.parametrize("text", ["", "abc", "1e3", "+1", ".5", "5.", "1,000.00", "1.0.0", "NaN", "１２", "1" * 31])
def test_what_is_not_a_plain_decimal_is_refused(text):
    with pytest.raises(ValueError):
        money.to_minor(text, "USD")


@pytest.mark.parametrize("value", [1.5, True, None, ["1"]])
def test_floats_and_other_types_are_refused(value):
    with pytest.raises(TypeError):
        money.to_minor(value, "USD")


@pytest.mark.parametrize("code", ["XYZ", "US", "", None, 840])
def test_unknown_currencies_are_refused(code):
    assert not money.is_currency(code)
    with pytest.raises(money.UnknownCurrency):
        money.to_minor("1", code)


def test_exponents_and_offsets_follow_iso_4217():
    assert [money.exponent(c) for c in ("JPY", "KRW", "USD", "EUR", "TWD", "HUF", "KWD", "BHD", "JOD")] == [
        0, 0, 2, 2, 2, 2, 3, 3, 3]
    assert (money.offset("JPY"), money.offset("USD"), money.offset("KWD")) == (1, 100, 1000)


def test_currency_amounts_and_price_strings_are_parsed():
    assert money.parse_amount({"amount": "2.50", "currency": "usd"}) == (250, "USD")
    assert money.parse_amount({"amount": "980", "currency": "JPY"}) == (980, "JPY")
    assert money.parse_price("15.00 USD") == (1500, "USD")
    assert money.parse_price("14 GBP") == (1400, "GBP")
    assert money.parse_price(" 0.250   kwd ") == (250, "KWD")
    for bad in ({"amount": "1"}, {"currency": "USD"}):
        with pytest.raises(ValueError):
            money.parse_amount(bad)
    with pytest.raises(TypeError):
        money.parse_amount("2.50 USD")
    for bad in ("9.99USD", "9.99 US", "USD 9.99", "9.999 USD"):
        with pytest.raises(ValueError):
            money.parse_price(bad)


@pytest.mark.parametrize("minor, currency, text", [
    (1234, "USD", "12.34"), (5, "USD", "0.05"), (0, "USD", "0.00"), (-102, "USD", "-1.02"),
    (1000, "JPY", "1000"), (-7, "JPY", "-7"), (1234, "KWD", "1.234"), (5, "KWD", "0.005"),
])
def test_minor_units_are_written_as_meta_writes_them(minor, currency, text):
    assert money.decimal_text(minor, currency) == text
    assert money.amount(minor, currency) == {"amount": text, "currency": currency}
    assert money.price_text(minor, currency) == f"{text} {currency}"
    assert money.to_minor(text, currency) == minor


@pytest.mark.parametrize("minor, percent, off", [
    (999, "10", 99),  # 0.999 → 0.99: never more than the offer promises
    (1999, "15", 299),  # 2.9985 → 2.99
    (800, "12.5", 100),
    (300, "33.333", 99),  # 99.999 → 99
    (999, "100", 999),
    (999, "0", 0),
    (1001, "10", 100),  # JPY
    (8638, "10", 863),  # KWD 8.638 → 0.863
])
def test_percentages_round_down(minor, percent, off):
    assert money.percent_of(minor, Decimal(percent)) == off


@pytest.mark.parametrize("minor, percent", [(-1, "10"), (100, "101"), (100, "-1"), (100, "NaN")])
def test_percentages_outside_the_range_are_refused(minor, percent):
    with pytest.raises(ValueError):
        money.percent_of(minor, Decimal(percent))


# --- across lines: largest remainder ---------------------------------------------------------------------


def test_three_equal_lines_give_the_extra_cent_to_the_first():
    assert allocation.largest_remainder(400, [200, 200, 200]) == [134, 133, 133]


def test_seven_lines_in_yen_give_the_three_left_to_the_largest_remainders():
    # 1000 over 100..700 (2800): floors 35, 71, 107, 142, 178, 214, 250 = 997; remainders (per
    # 2800) 2000, 1200, 400, 2400, 1600, 800, 0 → one each to lines 4, 1 and 5.
    weights = [100 * i for i in range(1, 8)]
    assert allocation.largest_remainder(1000, weights) == [36, 71, 107, 143, 179, 214, 250]


def test_kwd_quarter_off_four_lines():
    # 25 % of 2.000 = 0.500 over 0.333/0.333/0.334/1.000: 83.25, 83.25, 83.5, 250 → line 3 gets the fils.
    assert allocation.largest_remainder(500, [333, 333, 334, 1000]) == [83, 83, 84, 250]


def test_ties_go_to_the_earlier_line_and_zero_weights_get_nothing():
    assert allocation.largest_remainder(1, [1, 1]) == [1, 0]
    assert allocation.largest_remainder(2, [1, 1, 1]) == [1, 1, 0]
    assert allocation.largest_remainder(5, [0, 10]) == [0, 5]
    assert allocation.largest_remainder(0, [3, 4]) == [0, 0]
    assert allocation.largest_remainder(0, [0, 0]) == [0, 0]
    with pytest.raises(ValueError):
        allocation.largest_remainder(1, [0, 0])
    with pytest.raises(ValueError):
        allocation.largest_remainder(-1, [1])
    with pytest.raises(TypeError):
        allocation.largest_remainder(1.0, [1])


def test_largest_remainder_always_sums_and_stays_within_a_unit_of_the_exact_share():
    rng = random.Random(2026)
    for _ in range(500):
        weights = [rng.randint(0, 5000) for _ in range(rng.randint(1, 8))]
        if not sum(weights):
            continue
        total = rng.randint(0, sum(weights))
        parts = allocation.largest_remainder(total, weights)
        assert sum(parts) == total
        for part, weight in zip(parts, weights, strict=True):
            exact = total * weight / sum(weights)
            assert exact - 1 < part < exact + 1 and 0 <= part <= weight


# --- across units: Meta's cumulative rule ----------------------------------------------------------------


def test_metas_own_example_one_dollar_over_three_units():
    # "The expected discount after 1 item is 33.3 cents, which is rounded to 33 cents ... after 2
    # ... 66.7 cents, which is rounded to 66 cents ... the expected 100 cents minus the 66 cents
    # allocated so far, which equals 34 cents."
    assert [allocation.cumulative(100, 3, k) for k in range(4)] == [0, 33, 66, 100]
    assert allocation.per_unit(100, 3) == [33, 33, 34]


def test_the_cumulative_figure_is_rounded_down_not_to_the_nearest():
    # 2.00 over 3: 66.67 → 66, 133.33 → 133, 200: units 66, 67, 67 (not 66, 66, 68).
    assert allocation.per_unit(200, 3) == [66, 67, 67]


def test_yen_and_kwd_units():
    assert allocation.per_unit(100, 7) == [14, 14, 14, 15, 14, 14, 15]  # ¥14, 28, 42, 57, 71, 85, 100
    assert allocation.units_share(863, 7, 0, 3) == 369  # floor(2589 / 7)
    assert allocation.units_share(863, 7, 3, 4) == 494  # the rest


def test_units_are_counted_in_the_order_they_are_fulfilled_or_cancelled():
    # 5.00 over 7 units: ship 2, cancel 1, ship 4 → 142, 72, 286, and nothing is lost.
    steps = [allocation.units_share(500, 7, 0, 2), allocation.units_share(500, 7, 2, 1),
             allocation.units_share(500, 7, 3, 4)]
    assert steps == [142, 72, 286] and sum(steps) == 500


def test_one_cent_over_two_units_lands_on_the_last():
    assert allocation.per_unit(1, 2) == [0, 1]
    assert allocation.units_share(1, 2, 0, 0) == 0


# --- proportions and Meta's part of refunds ---------------------------------------------------------------


def test_tax_comes_back_in_proportion_cumulatively():
    # 2.48 of tax on a line worth 30.00, refunded 10.00 at a time: 0.82, 0.83, 0.83.
    steps = [allocation.proportional_step(248, 3000, before, 1000) for before in (0, 1000, 2000)]
    assert steps == [82, 83, 83] and sum(steps) == 248
    assert allocation.proportional(50, 0, 0) == 0


def test_meta_funded_offer_is_refunded_to_meta_in_proportion():
    # Meta funds 10 % of 29.97 = 2.99; each unit refunds 9.99: Meta's part 99, then 100, 100.
    parts, meta_so_far = [], 0
    for before in (0, 999, 1998):
        part = allocation.meta_part(999, paid=2997, meta_paid=299, refunded_before=before,
                                    meta_refunded_before=meta_so_far)
        parts.append(part)
        meta_so_far += part
    assert parts == [99, 100, 100] and meta_so_far == 299


def test_kwd_meta_amount_in_steps():
    # Meta funds 0.500 of 7.000: refunds of 3.000, 2.000, 2.000 → 0.214, 0.143, 0.143.
    assert allocation.meta_part(3000, paid=7000, meta_paid=500, refunded_before=0, meta_refunded_before=0) == 214
    assert allocation.meta_part(2000, paid=7000, meta_paid=500, refunded_before=3000, meta_refunded_before=214) == 143
    assert allocation.meta_part(2000, paid=7000, meta_paid=500, refunded_before=5000, meta_refunded_before=357) == 143


def test_meta_part_follows_what_was_paid_at_fulfilment_as_it_grows():
    # ¥1000 × 2 with a Meta-funded 10 %: the first unit fulfilled (paid 1000, Meta 100), ¥500
    # refunded → Meta 50; the second fulfilled (2000, Meta 200), the other ¥1500 refunded → 150.
    first = allocation.meta_part(500, paid=1000, meta_paid=100, refunded_before=0, meta_refunded_before=0)
    second = allocation.meta_part(1500, paid=2000, meta_paid=200, refunded_before=500, meta_refunded_before=first)
    assert (first, second) == (50, 150)


def test_meta_part_never_exceeds_the_refund_nor_goes_below_zero():
    assert allocation.meta_part(10, paid=10, meta_paid=10, refunded_before=0, meta_refunded_before=0) == 10
    assert allocation.meta_part(1, paid=1000, meta_paid=100, refunded_before=0, meta_refunded_before=5) == 0
    with pytest.raises(ValueError):
        allocation.meta_part(1, paid=10, meta_paid=11, refunded_before=0, meta_refunded_before=0)
