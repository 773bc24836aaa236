"""Exact money: integer minor units plus an ISO 4217 currency, never float.

This is the project's one money module (DESIGN §7, STYLE §15-18):

- `Money(minor, currency)`: a frozen value in the currency's own minor unit (JPY 0 decimals,
  USD 2, KWD 3). Arithmetic and ordering only within one currency (`CurrencyMismatch`).
- Meta's amounts come in as decimal strings (`{"amount": "5.50", "currency": "USD"}`, or price
  strings `"9.99 USD"`); `Money.from_decimal`, `from_meta_amount` and `from_meta_price` are the
  only way in, `to_meta_amount`/`to_meta_price` the way out. An amount written with more decimals
  than the currency has ("9.999 USD", "1.5 JPY", and also "9.990 USD") is refused rather than
  rounded: a wrong exponent on either side should surface, not be guessed at.
- `allocate(total, weights)`: largest-remainder split whose parts always sum to the total.
- `format_money(m, locale)`: the only formatter (the `|money` template filter calls it).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import overload

# ISO 4217 minor-unit exponents. A currency that is not listed is refused (UnknownCurrency).
_ZERO = "BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX UYI VND VUV XAF XOF XPF"
_THREE = "BHD IQD JOD KWD LYD OMR TND"
_TWO = (
    "AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BMD BND BOB BRL BSD BTN BWP BYN BZD "
    "CAD CDF CHF CNY COP CRC CUP CVE CZK DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL GHS GIP GMD "
    "GTQ GYD HKD HNL HTG HUF IDR ILS INR IRR JMD KES KGS KHR KPW KYD KZT LAK LBP LKR LRD LSL MAD "
    "MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MYR MZN NAD NGN NIO NOK NPR NZD PAB PEN PGK PHP "
    "PKR PLN QAR RON RSD RUB SAR SBD SCR SDG SEK SGD SHP SLE SOS SRD SSP STN SVC SYP SZL THB TJS "
    "TMT TOP TRY TTD TWD TZS UAH USD UYU UZS VES WST XCD YER ZAR ZMW ZWL"
)
CURRENCY_EXPONENTS: dict[str, int] = {
    **{c: 2 for c in _TWO.split()},
    **{c: 0 for c in _ZERO.split()},
    **{c: 3 for c in _THREE.split()},
}

# Basis points in 100 %.
BASIS_POINTS = 10_000


class UnknownCurrency(ValueError):
    """The code is not an ISO 4217 currency we know the exponent of."""


class CurrencyMismatch(ValueError):
    """Two amounts in different currencies were combined or compared."""


def currency_exponent(currency: str) -> int:
    """Decimal places of `currency` (JPY 0, USD 2, KWD 3); `UnknownCurrency` if not ISO 4217."""
    try:
        return CURRENCY_EXPONENTS[currency]
    except (KeyError, TypeError):
        raise UnknownCurrency(f"Unknown currency {currency!r}: expected an ISO 4217 code such as 'USD'.") from None


def _normalize_currency(currency: str) -> str:
    if not isinstance(currency, str):
        raise UnknownCurrency(f"Unknown currency {currency!r}: expected an ISO 4217 code such as 'USD'.")
    code = currency.strip().upper()
    currency_exponent(code)
    return code


def _require_int(value: object, what: str) -> int:
    # bool is an int subclass; True as an amount or a quantity is always a bug.
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{what} must be an int, not {type(value).__name__}")
    return value


# A plain decimal as Meta writes it: optional minus, ASCII digits, optional fraction. No exponent,
# no grouping, no "+", no ".5" or "5.".
_DECIMAL_RE = re.compile(r"(-?)([0-9]+)(?:\.([0-9]+))?", re.ASCII)
_PRICE_RE = re.compile(r"\s*(\S+)\s+([A-Za-z]{3})\s*", re.ASCII)


def _parse_decimal_to_minor(text: str, exponent: int, currency: str) -> int:
    match = _DECIMAL_RE.fullmatch(text.strip())
    if match is None:
        raise ValueError(f"{text!r} is not a valid decimal amount (expected e.g. '9.99').")
    sign, whole, fraction = match.group(1), match.group(2), match.group(3) or ""
    if len(fraction) > exponent and not fraction[exponent:].strip("0"):
        # "1000.00" JPY or "9.990" USD: written with extra zeros but exact, so nothing is rounded.
        fraction = fraction[:exponent]
    if len(fraction) > exponent:
        raise ValueError(
            f"{text!r} has {len(fraction)} decimal places but {currency} allows {exponent}; refusing to round."
        )
    if len(whole.lstrip("0")) > 30:
        raise ValueError(f"{text[:40]!r}… is too large an amount.")
    minor = int(whole) * 10**exponent + int(fraction.ljust(exponent, "0") or "0")
    return -minor if sign else minor


@dataclass(frozen=True, slots=True)
class Money:
    """An exact amount: `minor` units of `currency` (999 USD minor = $9.99; 1000 JPY = ¥1,000)."""

    minor: int
    currency: str

    def __post_init__(self) -> None:
        _require_int(self.minor, "Money.minor")
        object.__setattr__(self, "currency", _normalize_currency(self.currency))

    # --- constructors -------------------------------------------------------------------------

    @classmethod
    def zero(cls, currency: str) -> Money:
        return cls(0, currency)

    @classmethod
    def from_decimal(cls, amount: str | Decimal | int, currency: str) -> Money:
        """`Money.from_decimal("9.99", "USD") == Money(999, "USD")`.

        Accepts a decimal string, a `Decimal` or an int of major units. Refuses floats
        (TypeError), non-decimals and more decimal places than the currency has (ValueError).
        """
        code = _normalize_currency(currency)
        exponent = CURRENCY_EXPONENTS[code]
        if isinstance(amount, float):
            raise TypeError("Money refuses float amounts; pass a decimal string or Decimal.")
        if isinstance(amount, bool):
            raise TypeError("Money refuses bool amounts.")
        if isinstance(amount, int):
            return cls(amount * 10**exponent, code)
        if isinstance(amount, Decimal):
            if not amount.is_finite():
                raise ValueError(f"{amount!r} is not a finite amount.")
            return cls(_parse_decimal_to_minor(format(amount, "f"), exponent, code), code)
        if isinstance(amount, str):
            return cls(_parse_decimal_to_minor(amount, exponent, code), code)
        raise TypeError(f"Cannot make Money from {type(amount).__name__}.")

    @classmethod
    def from_meta_amount(cls, value: Mapping[str, object]) -> Money:
        """Meta's currency_amount: `{"amount": "5.50", "currency": "USD"}` → Money(550, "USD")."""
        if not isinstance(value, Mapping):
            raise TypeError(f"Expected a mapping with 'amount' and 'currency', got {type(value).__name__}.")
        try:
            amount, currency = value["amount"], value["currency"]
        except KeyError as missing:
            raise ValueError(f"Meta amount {dict(value)!r} lacks {missing}.") from None
        if not isinstance(currency, str):
            raise UnknownCurrency(f"Unknown currency {currency!r}.")
        return cls.from_decimal(amount, currency)  # type: ignore[arg-type]  # from_decimal checks it

    @classmethod
    def from_meta_price(cls, text: str) -> Money:
        """Meta's price strings (catalog `price`, offer `fixed_amount_off`): `"9.99 USD"`."""
        if not isinstance(text, str):
            raise TypeError(f"Expected a price string such as '9.99 USD', got {type(text).__name__}.")
        match = _PRICE_RE.fullmatch(text)
        if match is None:
            raise ValueError(f"{text!r} is not a price string such as '9.99 USD'.")
        return cls.from_decimal(match.group(1), match.group(2))

    # --- conversions --------------------------------------------------------------------------

    @property
    def exponent(self) -> int:
        return CURRENCY_EXPONENTS[self.currency]

    def to_decimal(self) -> Decimal:
        """The exact Decimal, with the currency's number of places (`Decimal("9.99")`)."""
        return Decimal(self.to_decimal_str())

    def to_decimal_str(self) -> str:
        """`"9.99"` (USD), `"1000"` (JPY), `"1.234"` (KWD), `"-1.02"`."""
        sign = "-" if self.minor < 0 else ""
        if self.exponent == 0:
            return f"{sign}{abs(self.minor)}"
        whole, fraction = divmod(abs(self.minor), 10**self.exponent)
        return f"{sign}{whole}.{fraction:0{self.exponent}d}"

    def to_meta_amount(self) -> dict[str, str]:
        return {"amount": self.to_decimal_str(), "currency": self.currency}

    def to_meta_price(self) -> str:
        return f"{self.to_decimal_str()} {self.currency}"

    def __str__(self) -> str:
        return self.to_meta_price()

    # --- arithmetic (one currency only) -------------------------------------------------------

    def _same(self, other: object) -> Money:
        if not isinstance(other, Money):
            raise TypeError(f"Cannot combine Money with {type(other).__name__}.")
        if other.currency != self.currency:
            raise CurrencyMismatch(f"Cannot combine {self.currency} with {other.currency}.")
        return other

    def __add__(self, other: Money) -> Money:
        return Money(self.minor + self._same(other).minor, self.currency)

    def __sub__(self, other: Money) -> Money:
        return Money(self.minor - self._same(other).minor, self.currency)

    def __neg__(self) -> Money:
        return Money(-self.minor, self.currency)

    def __pos__(self) -> Money:
        return self

    def __abs__(self) -> Money:
        return Money(abs(self.minor), self.currency)

    def __mul__(self, factor: int) -> Money:
        if isinstance(factor, bool) or not isinstance(factor, int):
            return NotImplemented  # Decimal/float factors need a rounding rule: use percent_off
        return Money(self.minor * factor, self.currency)

    __rmul__ = __mul__

    def __lt__(self, other: Money) -> bool:
        return self.minor < self._same(other).minor

    def __le__(self, other: Money) -> bool:
        return self.minor <= self._same(other).minor

    def __gt__(self, other: Money) -> bool:
        return self.minor > self._same(other).minor

    def __ge__(self, other: Money) -> bool:
        return self.minor >= self._same(other).minor

    def percent_off(self, rate: int | Decimal) -> Money:
        """The discount for `rate`, rounded DOWN to the minor unit (never more than promised).

        `rate` is an int in basis points (1250 = 12.5 %) or a `Decimal` percent
        (`Decimal("12.5")`); it must lie in 0..100 %. The amount must not be negative.
        `Money(999, "USD").percent_off(1000)` is 0.99 (not 1.00); the price after it is
        `m - m.percent_off(rate)`.
        """
        if isinstance(rate, bool) or isinstance(rate, float):
            raise TypeError("percent_off takes int basis points or a Decimal percent, never float or bool.")
        if isinstance(rate, int):
            fraction = Fraction(rate, BASIS_POINTS)
        elif isinstance(rate, Decimal):
            if not rate.is_finite():
                raise ValueError(f"{rate!r} is not a finite percentage.")
            fraction = Fraction(rate) / 100
        else:
            raise TypeError(f"percent_off takes int basis points or a Decimal percent, not {type(rate).__name__}.")
        if not 0 <= fraction <= 1:
            raise ValueError(f"A percentage off must lie between 0 and 100 %, got {rate!r}.")
        if self.minor < 0:
            raise ValueError("percent_off applies to non-negative amounts.")
        return Money(math.floor(self.minor * fraction), self.currency)


# --- allocation --------------------------------------------------------------------------------


def _allocate_minor(total: int, weights: Sequence[int]) -> list[int]:
    if not weights:
        raise ValueError("allocate needs at least one weight.")
    for w in weights:
        _require_int(w, "weight")
        if w < 0:
            raise ValueError(f"Weights must not be negative, got {w}.")
    if total < 0:
        return [-part for part in _allocate_minor(-total, weights)]
    weight_sum = sum(weights)
    if weight_sum == 0:
        if total == 0:
            return [0] * len(weights)
        raise ValueError("Cannot allocate a non-zero amount over weights that sum to zero.")
    parts, remainders = [], []
    for w in weights:
        part, remainder = divmod(total * w, weight_sum)
        parts.append(part)
        remainders.append(remainder)
    leftover = total - sum(parts)  # < number of non-zero remainders, so zero weights get none
    # Largest fractional remainder first; ties go to the lowest index.
    for i in sorted(range(len(weights)), key=lambda i: (-remainders[i], i))[:leftover]:
        parts[i] += 1
    return parts


@overload
def allocate(total: Money, weights: Sequence[int]) -> list[Money]: ...
@overload
def allocate(total: int, weights: Sequence[int]) -> list[int]: ...
def allocate(total: Money | int, weights: Sequence[int]) -> list[Money] | list[int]:
    """Split `total` in proportion to `weights` by largest remainder (STYLE §18).

    Each part starts at floor(total * w_i / W); the units left over go one at a time to the
    largest fractional remainders, ties to the lowest index. The parts always sum to `total`,
    each lies between floor and ceil of its exact share, a zero weight gets nothing, and the
    result depends only on the inputs. `allocate(400, [200, 200, 200]) == [134, 133, 133]`.

    - Weights are non-negative ints (Money minor units are fine: pass `m.minor`).
    - All weights zero: a zero total gives all zeros; any other total is a ValueError.
    - A negative total is split symmetrically: `allocate(-t, w) == [-p for p in allocate(t, w)]`.

    Returns ints for an int total and Money (same currency) for a Money total.
    """
    if isinstance(total, Money):
        return [Money(part, total.currency) for part in _allocate_minor(total.minor, weights)]
    return _allocate_minor(_require_int(total, "total"), weights)


# --- formatting --------------------------------------------------------------------------------

# Currency symbols by language (after CLDR's short symbols). Others: "1,234.56 XXX".
_SYMBOLS_EN = {
    "USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥", "CNY": "CN¥", "HKD": "HK$", "TWD": "NT$",
    "CAD": "CA$", "AUD": "A$", "NZD": "NZ$", "MXN": "MX$", "BRL": "R$", "INR": "₹", "KRW": "₩",
    "ILS": "₪", "VND": "₫", "PHP": "₱",
}  # fmt: skip
_SYMBOLS_ZH = {
    "USD": "US$", "EUR": "€", "GBP": "£", "JPY": "JP¥", "CNY": "¥", "HKD": "HK$", "TWD": "NT$",
    "CAD": "CA$", "AUD": "AU$", "NZD": "NZ$", "MXN": "MX$", "BRL": "R$", "INR": "₹", "KRW": "￦",
    "ILS": "₪", "VND": "₫", "PHP": "₱",
}  # fmt: skip


def _symbols_for(locale: str) -> dict[str, str]:
    # Both languages we ship group by three with "," and use "." for decimals; only symbols differ.
    # Every Chinese variant gets the Simplified Chinese table (the portal ships zh-hans only).
    return _SYMBOLS_ZH if locale.lower().replace("_", "-").startswith("zh") else _SYMBOLS_EN


def format_money(money: Money, locale: str | None = None) -> str:
    """Display text: en "$1,234.56", "¥1,235"; zh-hans "US$1,234.56", "JP¥1,235", "¥8.00" (CNY).

    `locale` is a language code ("en", "zh-hans"); None uses Django's active language. A
    currency without a symbol in the table is written "1,234.567 KWD". Negative: "-$5.00".
    """
    if not isinstance(money, Money):
        raise TypeError(f"format_money takes Money, not {type(money).__name__}.")
    if locale is None:
        from django.utils.translation import get_language

        locale = get_language() or "en"
    whole, _, fraction = money.to_decimal_str().lstrip("-").partition(".")
    number = f"{int(whole):,}" + (f".{fraction}" if fraction else "")
    sign = "-" if money.minor < 0 else ""
    symbol = _symbols_for(locale).get(money.currency)
    if symbol is None:
        return f"{sign}{number} {money.currency}"
    return f"{sign}{symbol}{number}"
