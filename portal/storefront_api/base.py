"""What every storefront API endpoint shares: the key, the rate, the body, the error shapes, and
the few value parsers (times, amounts) whose mistakes must be a field error, never a 500."""

from __future__ import annotations

import json
import math
import time
from datetime import UTC, datetime

from django.conf import settings
from django.core.cache import cache
from django.http import JsonResponse
from django.utils.dateparse import parse_datetime
from django.views.decorators.csrf import csrf_exempt

from kernel.money import Money
from shops.api_keys import authenticate

MAX_BODY = 1024 * 1024
#: The largest amount the API takes, in minor units (10^12: ten billion dollars, a trillion yen):
#: far past any order, well inside a 64-bit column and Meta's number range.
MAX_MINOR = 10**12
#: A unix time past this (the year 5138) is taken for milliseconds, the usual mistake.
MAX_UNIX_SECONDS = 1e11


class FieldError(ValueError):
    """A value the storefront must fix; `field` names it (dotted, with list indexes)."""

    def __init__(self, message: str, field: str = ""):
        super().__init__(message)
        self.field = field


class Invalid(ValueError):
    """Several field errors at once: answered as 400 `{"errors": {field: message}}`."""

    def __init__(self, errors: dict):
        super().__init__("invalid")
        self.errors = errors


def error(status: int, code: str, message: str, **headers) -> JsonResponse:
    response = JsonResponse({"error": {"code": code, "message": message}}, status=status)
    for name, value in headers.items():
        response[name.replace("_", "-")] = value
    return response


def field_errors(errors: dict) -> JsonResponse:
    return JsonResponse({"errors": errors}, status=400)


def _rate_limited(key) -> JsonResponse | None:
    limit = int(getattr(settings, "STOREFRONT_API_RATE_PER_MINUTE", 600))
    window = int(time.time() // 60)
    name = f"storefront-api:{key.pk}:{window}"
    cache.add(name, 0, timeout=120)
    try:
        count = cache.incr(name)
    except ValueError:  # expired between add and incr
        cache.set(name, 1, timeout=120)
        count = 1
    if count > limit:
        retry = max(1, int((window + 1) * 60 - time.time()))
        return error(429, "rate_limited", f"More than {limit} requests a minute with this key; try again in "
                                          f"{retry} s.", Retry_After=str(retry))
    return None


def api(view):
    """POST only, a valid key, within its rate, a JSON object body: then view(request, shop, body, **kwargs)."""

    @csrf_exempt
    def wrapper(request, **kwargs):
        if request.method != "POST":
            return error(405, "method_not_allowed", "Use POST.", Allow="POST")
        header = request.headers.get("Authorization", "")
        key = authenticate(header[7:] if header.startswith("Bearer ") else "")
        if key is None:
            return error(401, "unauthorized", "Send a valid storefront API key: Authorization: Bearer <key>.")
        limited = _rate_limited(key)
        if limited is not None:
            return limited
        if len(request.body) > MAX_BODY:
            return error(413, "too_large", "The body is over 1 MB; send fewer events per request.")
        try:
            body = json.loads(request.body or b"null")
        except (ValueError, UnicodeDecodeError, RecursionError):
            return error(400, "invalid_json", "The body is not JSON.")
        if not isinstance(body, dict):
            return error(400, "invalid_json", "The body is a JSON object.")
        request.storefront_key = key
        try:
            return view(request, key.shop, body, **kwargs)
        except Invalid as invalid:
            return field_errors(invalid.errors)

    return wrapper


def parse_time(value, field: str) -> datetime:
    """A unix time in seconds (a number, or digits) or an ISO 8601 date-time with its zone."""
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if isinstance(value, bool):
        raise FieldError("a unix time in seconds or an ISO 8601 date-time", field)
    if isinstance(value, int | float):
        if not math.isfinite(value) or value < 0:
            raise FieldError("a unix time in seconds", field)
        if value > MAX_UNIX_SECONDS:
            raise FieldError("a unix time in seconds, not milliseconds", field)
        try:
            return datetime.fromtimestamp(int(value), tz=UTC)
        except (ValueError, OverflowError, OSError):
            raise FieldError("a unix time in seconds", field) from None
    try:
        parsed = parse_datetime(value) if isinstance(value, str) else None
    except ValueError:  # well formed but not a real date, e.g. 2026-02-30
        raise FieldError("not a real date and time", field) from None
    if parsed is None or parsed.tzinfo is None:
        raise FieldError("a unix time in seconds or an ISO 8601 date-time with its time zone", field)
    return parsed


def parse_minor(value, currency: str, field: str, errors: dict, *, required: bool = False) -> int:
    """An amount as a decimal string (or number) in `currency`, as minor units; a problem goes
    into `errors[field]` and 0 is returned."""
    if value in (None, ""):
        if required:
            errors[field] = "required"
        return 0
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        errors[field] = f"a decimal amount in {currency}, e.g. \"12.50\""
        return 0
    try:
        minor = Money.from_decimal(str(value), currency).minor
    except (ValueError, ArithmeticError) as exc:
        errors[field] = f"a decimal amount in {currency}: {exc}"
        return 0
    if minor < 0:
        errors[field] = "must not be negative"
        return 0
    if minor > MAX_MINOR:
        errors[field] = "too large"
        return 0
    return minor


def text(value, limit: int) -> str:
    return str(value or "")[:limit] if isinstance(value, str | int) and not isinstance(value, bool) else ""
