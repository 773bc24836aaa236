"""Customer information (`user_data`) for the Conversions API, normalised and hashed exactly as
Meta specifies per key, and the keys that must stay plain left plain.

Source: Meta, Conversions API, "Customer Information Parameters"
(developers.facebook.com/docs/marketing-api/conversions-api/parameters/customer-information-parameters)
and ../shared/META_API.md §7.3. Per key, Meta says:

- `em`: trim, lowercase. (Meta's example: "John_Smith@gmail.com" → "john_smith@gmail.com" →
  62a14e44…aa0f62f.)
- `ph`: remove symbols, letters and leading zeros; the number must carry its country code.
- `fn`, `ln`: lowercase, no punctuation; UTF-8 for other alphabets.
- `ge`: "f" or "m".
- `db`: YYYYMMDD.
- `ct`: lowercase, no punctuation, no special characters, no spaces.
- `st`: the two-letter code in lowercase (US); elsewhere lowercase, no punctuation, no
  special characters, no spaces.
- `zp`: lowercase, no spaces, no dash; the first five digits for US zip codes.
- `country`: ISO 3166-1 alpha-2, lowercase.
- `external_id`: hashing recommended (we hash it, trimmed, so the browser's advanced matching
  and the server send the same value).
- Not hashed: `client_ip_address`, `client_user_agent`, `fbc`, `fbp` (and Meta's other ids).

Values that are already a SHA-256 hex digest pass through (Meta accepts pre-hashed values).
Hashed keys are sent as lists, as Meta's SDK does; a value that cannot be normalised is left out
and named in the problems, never sent malformed (one bad value must not make Meta refuse a batch).
"""

from __future__ import annotations

import hashlib
import ipaddress
import re
import unicodedata
from collections.abc import Iterable, Mapping
from datetime import date

HASHED = ("em", "ph", "fn", "ln", "ge", "db", "ct", "st", "zp", "country", "external_id")
PLAIN = ("client_ip_address", "client_user_agent", "fbc", "fbp")

_SHA256 = re.compile(r"[0-9a-f]{64}")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_DATE = re.compile(r"(\d{4})-?(\d{2})-?(\d{2})")


class Unusable(ValueError):
    """A value Meta could not match on; its message says why (for the event's diagnostics)."""


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def _letters(text: str) -> str:
    """Only letters (any alphabet, with their combining marks), lowercased: no digits, spaces,
    punctuation or symbols. NFC first, so "São" typed either way hashes the same."""
    return "".join(ch for ch in _nfc(text).lower() if unicodedata.category(ch).startswith(("L", "M")))


def _no_punctuation(text: str) -> str:
    return "".join(ch for ch in _nfc(text).strip().lower()
                   if not unicodedata.category(ch).startswith(("P", "S"))).strip()


def _email(value: str) -> str:
    value = value.strip().lower()
    if not _EMAIL.fullmatch(value):
        raise Unusable("not an e-mail address")
    return value


def _phone(value: str, country: str = "") -> str:
    digits = re.sub(r"\D", "", value).lstrip("0")
    if not 7 <= len(digits) <= 15:
        raise Unusable("a phone number has 7 to 15 digits with its country code")
    if not value.strip().startswith(("+", "00")) and country.lower() in ("us", "ca") and len(digits) == 10:
        digits = "1" + digits  # a North American number written without its country code
    return digits


def _gender(value: str) -> str:
    text = value.strip().lower()
    if text in ("f", "female"):
        return "f"
    if text in ("m", "male"):
        return "m"
    raise Unusable("gender is f or m")


def _birth_date(value) -> str:
    if isinstance(value, date):
        return value.strftime("%Y%m%d")
    match = _DATE.fullmatch(str(value).strip())
    if not match:
        raise Unusable("a date of birth is YYYYMMDD")
    try:
        return date(*map(int, match.groups())).strftime("%Y%m%d")
    except ValueError:
        raise Unusable("not a real date") from None


def _zip(value: str, country: str = "") -> str:
    value = re.sub(r"\s", "", value.strip().lower())
    if country.lower() == "us" or re.fullmatch(r"\d{5}-\d{4}", value):  # a US zip (zip+4 too): 5 digits
        value = value.split("-")[0][:5]
    return value.replace("-", "")


def _country(value: str) -> str:
    code = _letters(value)
    if len(code) != 2:
        raise Unusable("a country is its two-letter ISO 3166-1 code")
    return code


def normalise(key: str, value, *, country: str = "") -> str:
    """The normalised text of one customer-information value (before hashing); `country` (the
    buyer's, as a two-letter code) completes phone numbers and zip codes."""
    if key in ("fn", "ln"):
        text = " ".join(_no_punctuation(str(value)).split())
    elif key == "em":
        text = _email(_nfc(str(value)))
    elif key == "ph":
        text = _phone(str(value), country)
    elif key == "ge":
        text = _gender(str(value))
    elif key == "db":
        text = _birth_date(value)
    elif key in ("ct", "st"):
        text = _letters(str(value))
    elif key == "zp":
        text = _zip(str(value), country)
    elif key == "country":
        text = _country(str(value))
    elif key == "external_id":
        text = str(value).strip()
    else:
        raise KeyError(key)
    if not text:
        raise Unusable("empty once normalised")
    return text


def hashed(key: str, value, *, country: str = "") -> str:
    """One value as Meta wants it: a SHA-256 digest passes through, anything else is normalised
    and hashed."""
    text = str(value).strip().lower() if isinstance(value, str) else ""
    if _SHA256.fullmatch(text):
        return text
    return sha256(normalise(key, value, country=country))


def _values(value) -> list:
    if value is None or value == "":
        return []
    if isinstance(value, str | date) or not isinstance(value, Iterable):
        return [value]
    return [v for v in value if v not in (None, "")]


def user_data(raw: Mapping, *, country: str = "") -> tuple[dict, dict]:
    """(user_data for Meta, {key: reason} for values left out). Hashed keys become lists of
    digests (duplicates removed, order kept); plain keys are passed as given, trimmed; unknown
    keys are refused by name."""
    if not country and raw.get("country"):
        try:
            country = _country(str(raw["country"]))
        except Unusable:
            country = ""
    data: dict = {}
    problems: dict = {}
    for key, value in raw.items():
        if key in PLAIN:
            text = str(value or "").strip()
            if key == "client_ip_address" and text:
                try:
                    text = str(ipaddress.ip_address(text))
                except ValueError:
                    problems[key] = "not an IP address"
                    continue
            if text:
                data[key] = text[:1000]
        elif key in HASHED:
            digests: list[str] = []
            for one in _values(value):
                try:
                    digest = hashed(key, one, country=country)
                except Unusable as error:
                    problems[key] = str(error)
                    continue
                if digest not in digests:
                    digests.append(digest)
            if digests:
                data[key] = digests
        else:
            problems[key] = "not a customer information parameter"
    return data, problems
