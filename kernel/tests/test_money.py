"""Money: construction, arithmetic, Meta's decimal strings in and out, percent off, formatting."""

from __future__ import annotations

import dataclasses
from decimal import Decimal
from fractions import Fraction

import pytest
from django.utils import translation
from hypothesis import given, settings
from hypothesis import strategies as st

from kernel.money import (
    CURRENCY_EXPONENTS,
    CurrencyMismatch,
    Money,
    UnknownCurrency,
    currency_exponent,
    format_money,
)

CURRENCIES = ["JPY", "USD", "KWD"]
minors = st.integers(min_value=-(10**15), max_value=10**15)
monies = st.builds(Money, minors, st.sampled_from(CURRENCIES))


def usd(text: str) -> Money:
    return Money.from_decimal(text, "USD")


# --- the value ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("currency", "exponent"), [("JPY", 0), ("USD", 2), ("KWD", 3), ("CNY", 2), ("KRW", 0)])
def test_each_currency_uses_its_own_exponent(currency, exponent):
    assert currency_exponent(currency) == exponent == Money(1, currency).exponent


@pytest.mark.parametrize("code", ["XXX", "US", "", "usd ", None, 840])
def test_unknown_currency_is_refused(code):
    if code == "usd ":  # case and spaces are normalised, not refused
        assert Money(1, code).currency == "USD"
        return
    with pytest.raises(UnknownCurrency):
        Money(1, code)


def test_exponent_table_keeps_its_public_name():
    assert CURRENCY_EXPONENTS["JPY"] == 0 and CURRENCY_EXPONENTS["USD"] == 2 and CURRENCY_EXPONENTS["KWD"] == 3
    assert "XXX" not in CURRENCY_EXPONENTS


@pytest.mark.parametrize("minor", [1.5, Decimal("1"), "100", True, None])
def test_minor_units_must_be_an_int(minor):
    with pytest.raises(TypeError):
        Money(minor, "USD")


def test_money_is_frozen_and_hashable():
    m = Money(999, "USD")
    with pytest.raises(dataclasses.FrozenInstanceError):
        m.minor = 1
    assert {m, Money(999, "USD")} == {m}
    assert Money.zero("JPY") == Money(0, "JPY")


def test_arithmetic_within_one_currency():
    a, b = Money(999, "USD"), Money(1, "USD")
    assert a + b == Money(1000, "USD")
    assert a - b == Money(998, "USD")
    assert -a == Money(-999, "USD")
    assert abs(Money(-5, "USD")) == Money(5, "USD")
    assert a * 3 == 3 * a == Money(2997, "USD")
    assert sum([a, b, b], Money.zero("USD")) == Money(1001, "USD")
    assert b < a and b <= a and a > b and a >= b and a <= a and a >= a
    assert sorted([a, b]) == [b, a]


@pytest.mark.parametrize(
    "operation",
    [
        lambda a, b: a + b,
        lambda a, b: a - b,
        lambda a, b: a < b,
        lambda a, b: a <= b,
        lambda a, b: a > b,
        lambda a, b: a >= b,
    ],
)
def test_mixing_currencies_is_refused(operation):
    with pytest.raises(CurrencyMismatch):
        operation(Money(100, "USD"), Money(100, "EUR"))


def test_equality_across_currencies_is_simply_false():
    assert Money(100, "USD") != Money(100, "EUR")
    assert Money(100, "USD") != 100


@pytest.mark.parametrize(
    "operation",
    [
        lambda m: m + 1,
        lambda m: m - Decimal("1"),
        lambda m: m * 1.5,
        lambda m: m * Decimal("2"),
        lambda m: m * m,
        lambda m: m * True,
        lambda m: m < 5,
    ],
)
def test_non_money_operands_are_type_errors(operation):
    with pytest.raises(TypeError):
        operation(Money(100, "USD"))


# --- from Meta's decimal strings ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "currency", "minor"),
    [
        ("9.99", "USD", 999),
        ("0.5", "USD", 50),
        ("5.50", "USD", 550),
        ("-1.02", "USD", -102),
        ("007.50", "USD", 750),
        (" 27.06 ", "USD", 2706),
        ("1000", "JPY", 1000),
        ("0", "JPY", 0),
        ("1.234", "KWD", 1234),
        ("12.3", "KWD", 12300),
        ("0.001", "KWD", 1),
        (Decimal("9.99"), "USD", 999),
        (Decimal("1000"), "JPY", 1000),
        (5, "USD", 500),
        (5, "KWD", 5000),
        ("9.99", "usd", 999),
    ],
)
def test_from_decimal(amount, currency, minor):
    assert Money.from_decimal(amount, currency) == Money(minor, currency.upper())


@pytest.mark.parametrize(("amount", "currency", "minor"), [("9.990", "USD", 999), ("1000.00", "JPY", 1000), ("1.2340", "KWD", 1234)])
def test_extra_trailing_zeros_are_exact_and_accepted(amount, currency, minor):
    assert Money.from_decimal(amount, currency) == Money(minor, currency)


@pytest.mark.parametrize(
    ("amount", "currency", "message"),
    [
        ("9.999", "USD", "decimal places"),
        ("1.5", "JPY", "decimal places"),
        ("1.2345", "KWD", "decimal places"),
        (Decimal("9.999"), "USD", "decimal places"),
        ("1e3", "USD", "not a valid decimal"),
        ("abc", "USD", "not a valid decimal"),
        ("", "USD", "not a valid decimal"),
        ("1,000.00", "USD", "not a valid decimal"),
        ("+1", "USD", "not a valid decimal"),
        (".5", "USD", "not a valid decimal"),
        ("5.", "USD", "not a valid decimal"),
        ("1.0.0", "USD", "not a valid decimal"),
        ("NaN", "USD", "not a valid decimal"),
        ("Infinity", "USD", "not a valid decimal"),
        ("１２", "USD", "not a valid decimal"),  # full-width digits are a user-input matter
        (Decimal("NaN"), "USD", "finite"),
        (Decimal("-Infinity"), "USD", "finite"),
    ],
)
def test_from_decimal_rejects(amount, currency, message):
    with pytest.raises(ValueError, match=message):
        Money.from_decimal(amount, currency)


@pytest.mark.parametrize(("amount", "message"), [(9.99, "float"), (1.0, "float"), (True, "bool"), (None, "NoneType"),
                                                 (["9.99"], "list")])
def test_from_decimal_refuses_floats_and_other_types(amount, message):
    with pytest.raises(TypeError, match=message):
        Money.from_decimal(amount, "USD")


def test_from_decimal_unknown_currency():
    with pytest.raises(UnknownCurrency):
        Money.from_decimal("1.00", "ABC")


def test_from_meta_amount():
    assert Money.from_meta_amount({"amount": "5.50", "currency": "USD"}) == Money(550, "USD")
    assert Money.from_meta_amount({"amount": "1000", "currency": "JPY"}) == Money(1000, "JPY")
    with pytest.raises(ValueError, match="lacks"):
        Money.from_meta_amount({"amount": "5.50"})
    with pytest.raises(ValueError, match="decimal places"):
        Money.from_meta_amount({"amount": "5.505", "currency": "USD"})
    with pytest.raises(TypeError):
        Money.from_meta_amount({"amount": 5.5, "currency": "USD"})
    with pytest.raises(UnknownCurrency):
        Money.from_meta_amount({"amount": "5", "currency": None})
    with pytest.raises(TypeError):
        Money.from_meta_amount("5.50 USD")


@pytest.mark.parametrize(
    ("text", "money"),
    [
        ("9.99 USD", Money(999, "USD")),
        ("1000 JPY", Money(1000, "JPY")),
        ("1.234 KWD", Money(1234, "KWD")),
        ("  15.00 usd ", Money(1500, "USD")),
    ],
)
def test_from_meta_price(text, money):
    assert Money.from_meta_price(text) == money


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("9.99", ValueError),
        ("USD 9.99", ValueError),
        ("9.99USD", ValueError),
        ("9.999 USD", ValueError),
        ("10.5 JPY", ValueError),
        ("9.99 XYZ", UnknownCurrency),
        (9.99, TypeError),
    ],
)
def test_from_meta_price_rejects(text, error):
    with pytest.raises(error):
        Money.from_meta_price(text)


# --- out to Meta ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("money", "text"),
    [
        (Money(999, "USD"), "9.99"),
        (Money(5, "USD"), "0.05"),
        (Money(-102, "USD"), "-1.02"),
        (Money(-5, "USD"), "-0.05"),
        (Money(1000, "JPY"), "1000"),
        (Money(-7, "JPY"), "-7"),
        (Money(1234, "KWD"), "1.234"),
        (Money(1, "KWD"), "0.001"),
        (Money(0, "KWD"), "0.000"),
    ],
)
def test_to_decimal_str(money, text):
    assert money.to_decimal_str() == text
    assert money.to_decimal() == Decimal(text)
    assert money.to_meta_amount() == {"amount": text, "currency": money.currency}
    assert money.to_meta_price() == str(money) == f"{text} {money.currency}"


@settings(deadline=None)  # shared CI machines: judge results, not speed
@given(monies)
def test_meta_round_trips(m):
    assert Money.from_decimal(m.to_decimal_str(), m.currency) == m
    assert Money.from_decimal(m.to_decimal(), m.currency) == m
    assert Money.from_meta_amount(m.to_meta_amount()) == m
    assert Money.from_meta_price(m.to_meta_price()) == m
    assert m.to_decimal() == Decimal(m.minor).scaleb(-m.exponent)


# --- percent off ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("money", "rate", "discount"),
    [
        (Money(999, "USD"), 1000, Money(99, "USD")),  # 10 % of 9.99 = 0.999 -> 0.99
        (Money(999, "USD"), Decimal("10"), Money(99, "USD")),
        (Money(1999, "USD"), 1500, Money(299, "USD")),  # 2.9985 -> 2.99
        (Money(1999, "USD"), Decimal("12.5"), Money(249, "USD")),  # 2.49875 -> 2.49
        (Money(1000, "JPY"), Decimal("33.33"), Money(333, "JPY")),  # 333.3 -> 333
        (Money(999, "JPY"), 5000, Money(499, "JPY")),  # 499.5 -> 499
        (Money(1999, "KWD"), 1250, Money(249, "KWD")),  # 0.249875 -> 0.249
        (Money(1000, "KWD"), 1, Money(0, "KWD")),  # 0.01 % of 1.000 = 0.0001 -> 0
        (Money(1234, "USD"), 10_000, Money(1234, "USD")),
        (Money(1234, "USD"), Decimal("100"), Money(1234, "USD")),
        (Money(1234, "USD"), 0, Money(0, "USD")),
    ],
)
def test_percent_off_rounds_down(money, rate, discount):
    assert money.percent_off(rate) == discount


@pytest.mark.parametrize(
    ("rate", "error"),
    [(10_001, ValueError), (-1, ValueError), (Decimal("100.01"), ValueError), (Decimal("NaN"), ValueError),
     (0.1, TypeError), (True, TypeError), ("10", TypeError)],
)  # fmt: skip
def test_percent_off_rejects(rate, error):
    with pytest.raises(error):
        Money(1000, "USD").percent_off(rate)


def test_percent_off_refuses_negative_amounts():
    with pytest.raises(ValueError):
        Money(-1000, "USD").percent_off(1000)


@settings(deadline=None)  # shared CI machines: judge results, not speed
@given(
    st.integers(min_value=0, max_value=10**15),
    st.sampled_from(CURRENCIES),
    st.integers(min_value=0, max_value=10_000),
)
def test_percent_off_never_gives_more_than_promised(minor, currency, bp):
    exact = Fraction(minor * bp, 10_000)
    discount = Money(minor, currency).percent_off(bp)
    assert discount.currency == currency
    assert exact - 1 < discount.minor <= exact
    assert discount == Money(minor, currency).percent_off(Decimal(bp) / 100)


# --- formatting ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("money", "locale", "text"),
    [
        (Money(123456, "USD"), "en", "$1,234.56"),
        (Money(-500, "USD"), "en", "-$5.00"),
        (Money(0, "USD"), "en", "$0.00"),
        (Money(5, "EUR"), "en", "€0.05"),
        (Money(1235, "JPY"), "en", "¥1,235"),
        (Money(1234567, "JPY"), "en", "¥1,234,567"),
        (Money(800, "CNY"), "en", "CN¥8.00"),
        (Money(1234567, "KWD"), "en", "1,234.567 KWD"),
        (Money(123456, "SEK"), "en", "1,234.56 SEK"),
        (Money(-1234567, "KWD"), "en", "-1,234.567 KWD"),
        (Money(123456, "USD"), "zh-hans", "US$1,234.56"),
        (Money(1235, "JPY"), "zh-hans", "JP¥1,235"),
        (Money(123456, "CNY"), "zh-hans", "¥1,234.56"),
        (Money(1234567, "KWD"), "zh-hans", "1,234.567 KWD"),
        (Money(123456, "USD"), "zh_Hans", "US$1,234.56"),
        (Money(123456, "USD"), "en-us", "$1,234.56"),
        (Money(123456, "USD"), "fr", "$1,234.56"),  # languages we don't ship fall back to English
    ],
)
def test_format_money(money, locale, text):
    assert format_money(money, locale) == text


def test_format_money_uses_the_active_language_by_default():
    m = Money(123456, "USD")
    with translation.override("zh-hans"):
        assert format_money(m) == "US$1,234.56"
    with translation.override("en"):
        assert format_money(m) == "$1,234.56"


def test_format_money_takes_only_money():
    with pytest.raises(TypeError):
        format_money(Decimal("1.00"), "en")
