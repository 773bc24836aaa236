"""Meta's amounts as the sandbox reads and writes them: ISO 4217 currencies and their minor
units, decimal strings (`{"amount": "12.34", "currency": "USD"}`) and price strings
(`"12.34 USD"`). Amounts are ints of minor units everywhere inside the sandbox; never float.

This is the sandbox's own reading of Meta's documentation, independent of the portal's money
code, so that a mistake on either side shows up as a failing test:

- Commerce amounts are `currency_amount` objects: "amount: Amount in decimal format. Example:
  5.5" and "currency: Three digit ISO-4217-3 code for the amount, e.g. USD"
  (https://developers.facebook.com/documentation/ads-commerce/commerce-platform/reporting/promotions,
  the `currency_amount` object; the order, payment and refund pages use the same object).
  So "5.5" is read as 5.50 USD: fewer decimals than the currency has are fine.
- Catalog prices are "<amount> <ISO 4217 code>", e.g. "9.99 USD" (items_batch / feed `price`,
  META_API §2.2); offer feeds write `fixed_amount_off` and `min_subtotal` the same way.
- The number of decimals is ISO 4217's minor unit (JPY 0, USD 2, KWD 3). Meta's Marketing API
  currency table (https://developers.facebook.com/documentation/ads-commerce/marketing-api/currencies)
  lists an "offset" per currency for ad budgets sent as integers; it is not ISO's minor unit
  for every currency (TWD, HUF, COP, CRC and IDR have offset 1, BHD and JOD 100) and commerce
  amounts are decimal strings, so the sandbox does not use it. `offset()` here is ISO's
  10**exponent: how many minor units make one major unit.

Choices where Meta says nothing (the sandbox refuses rather than guesses): an amount with more
decimals than its currency is refused unless the extra digits are zeros ("9.990 USD" is 9.99);
no exponent, sign other than a leading "-", grouping, or bare ".5"/"5."; at most 30 digits
before the point.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from decimal import Decimal
from functools import lru_cache

# ISO 4217 minor units of the active currencies (funds codes and precious metals left out).
_NO_DECIMALS = "BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX UYI VND VUV XAF XOF XPF"
_THREE_DECIMALS = "BHD IQD JOD KWD LYD OMR TND"
_TWO_DECIMALS = """
    AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BMD BND BOB BRL BSD BTN BWP BYN BZD CAD CDF CHF CNY
    COP CRC CUP CVE CZK DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL GHS GIP GMD GTQ GYD HKD HNL HTG HUF IDR ILS
    INR IRR JMD KES KGS KHR KPW KYD KZT LAK LBP LKR LRD LSL MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MYR
    MZN NAD NGN NIO NOK NPR NZD PAB PEN PGK PHP PKR PLN QAR RON RSD RUB SAR SBD SCR SDG SEK SGD SHP SLE SOS SRD
    SSP STN SVC SYP SZL THB TJS TMT TOP TRY TTD TWD TZS UAH USD UYU UZS VES WST XCD YER ZAR ZMW ZWL
"""
EXPONENTS: dict[str, int] = {
    **dict.fromkeys(_TWO_DECIMALS.split(), 2),
    **dict.fromkeys(_NO_DECIMALS.split(), 0),
    **dict.fromkeys(_THREE_DECIMALS.split(), 3),
}

MAX_WHOLE_DIGITS = 30
_AMOUNT = re.compile(r"(-)?(\d+)(?:\.(\d+))?", re.ASCII)
_PRICE = re.compile(r"\s*(\S+)\s+([A-Za-z]{3})\s*", re.ASCII)


class UnknownCurrency(ValueError):
    """Not an ISO 4217 code the sandbox knows."""


@lru_cache(maxsize=1024)
def _known_code(text: str) -> str | None:
    code = text.strip().upper()
    return code if code in EXPONENTS else None


def currency_code(value) -> str:
    """The upper-case ISO 4217 code (`" usd "` → `"USD"`); UnknownCurrency otherwise."""
    code = _known_code(value) if isinstance(value, str) else None
    if code is None:
        raise UnknownCurrency(f"Unknown currency {value!r}: use an ISO 4217 code such as USD.")
    return code


def is_currency(value) -> bool:
    try:
        currency_code(value)
    except UnknownCurrency:
        return False
    return True


def exponent(currency: str) -> int:
    """Decimals of the currency: JPY 0, USD 2, KWD 3."""
    return EXPONENTS[currency_code(currency)]


def offset(currency: str) -> int:
    """Minor units per major unit (ISO 4217): JPY 1, USD 100, KWD 1000."""
    return 10 ** exponent(currency)


def to_minor(value, currency: str) -> int:
    """Minor units of a decimal amount in `currency`: `"12.34"`/USD → 1234, `"5.5"`/USD → 550,
    `"1000"`/JPY → 1000, `"1.234"`/KWD → 1234, `"-1.02"`/USD → -102. An int is whole units
    (5/USD → 500). Floats and bools are refused (TypeError), anything else that is not a plain
    decimal, or has more decimals than the currency, is a ValueError."""
    places = exponent(currency)
    if isinstance(value, bool) or isinstance(value, float):
        raise TypeError(f"An amount must be a decimal string, not {type(value).__name__}.")
    if isinstance(value, int):
        return value * 10**places
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError(f"{value!r} is not an amount.")
        value = format(value, "f")
    if not isinstance(value, str):
        raise TypeError(f"An amount must be a decimal string, not {type(value).__name__}.")
    match = _AMOUNT.fullmatch(value.strip())
    if match is None:
        raise ValueError(f"{value!r} is not a decimal amount such as 12.34.")
    minus, whole, decimals = match.group(1), match.group(2), match.group(3) or ""
    if len(decimals) > places:
        if decimals[places:].strip("0"):
            raise ValueError(f"{value!r} has {len(decimals)} decimal places; {currency_code(currency)} has "
                             f"{places}. The sandbox does not round amounts.")
        decimals = decimals[:places]
    if len(whole.lstrip("0")) > MAX_WHOLE_DIGITS:
        raise ValueError(f"{value[:40]!r}… is too large an amount.")
    minor = int(whole) * 10**places + int(decimals.ljust(places, "0") or 0)
    return -minor if minus else minor


def parse_amount(value: Mapping) -> tuple[int, str]:
    """Meta's `currency_amount` → (minor units, currency): `{"amount": "2.50", "currency": "usd"}`
    → (250, "USD")."""
    if not isinstance(value, Mapping):
        raise TypeError(f"A currency amount is an object with amount and currency, not {type(value).__name__}.")
    if "amount" not in value or "currency" not in value:
        raise ValueError("A currency amount needs both amount and currency.")
    currency = currency_code(value["currency"])
    return to_minor(value["amount"], currency), currency


def parse_price(text) -> tuple[int, str]:
    """A price string → (minor units, currency): `"15.00 USD"` → (1500, "USD")."""
    if not isinstance(text, str):
        raise TypeError(f"A price is a string such as '9.99 USD', not {type(text).__name__}.")
    match = _PRICE.fullmatch(text)
    if match is None:
        raise ValueError(f"{text!r} is not a price such as '9.99 USD'.")
    currency = currency_code(match.group(2))
    return to_minor(match.group(1), currency), currency


@lru_cache(maxsize=65536, typed=True)
def decimal_text(minor: int, currency: str) -> str:
    """Minor units as Meta writes them: 1234/USD → "12.34", 1000/JPY → "1000", 1234/KWD → "1.234",
    -102/USD → "-1.02". Cached (a pure function of two immutable values): a page of 100 orders
    writes about 1,800 amounts, mostly the same few."""
    places = exponent(currency)
    sign = "-" if minor < 0 else ""
    whole, part = divmod(abs(int(minor)), 10**places)
    return f"{sign}{whole}.{part:0{places}d}" if places else f"{sign}{whole}"


def amount(minor: int, currency: str) -> dict:
    """Meta's `currency_amount`: 550/USD → `{"amount": "5.50", "currency": "USD"}`."""
    return {"amount": decimal_text(minor, currency), "currency": currency_code(currency)}


def price_text(minor: int, currency: str) -> str:
    """A price string: 1500/USD → "15.00 USD"."""
    return f"{decimal_text(minor, currency)} {currency_code(currency)}"


def percent_of(minor: int, percent: Decimal) -> int:
    """`percent` % of a non-negative amount, rounded down to the minor unit.

    Meta documents percentage offers (`percent_off`) but not their rounding; the sandbox rounds
    down, so an offer never takes more than it promises: 10 % of 9.99 is 0.99."""
    if minor < 0:
        raise ValueError("A percentage is taken of a non-negative amount.")
    if not isinstance(percent, Decimal) or not percent.is_finite() or not 0 <= percent <= 100:
        raise ValueError("A percentage is a Decimal between 0 and 100.")
    numerator, denominator = percent.as_integer_ratio()
    return minor * numerator // (denominator * 100)
