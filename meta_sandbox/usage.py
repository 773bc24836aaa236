"""Rate-limit accounting from real call counts (the journal), in a rolling window.

- `X-App-Usage: {"call_count", "total_cputime", "total_time"}`: percentages of the app
  (Platform) budget, on calls under Platform limits. Over budget: code 4.
- `X-Business-Use-Case-Usage: {"<business id>": [{"type", "call_count", "total_cputime",
  "total_time", "estimated_time_to_regain_access"}]}`: on calls to an endpoint with a BUC type
  (catalog_management, catalog_batch, pages, ...), per business and type. Over budget: that
  type's code (80009, 80014, ...) with estimated_time_to_regain_access in minutes.

Which limit applies follows Meta's "Rate Limits" page (developers.facebook.com/docs/graph-api/
overview/rate-limiting): requests made with application or user tokens are under Platform limits,
requests made with system user or page tokens under Business Use Case limits, and "if both ...
can be applied to a request, BUC rate limits will be applied". So a system-user or page token
on an endpoint with a BUC type gets the BUC header only, is counted against the BUC budget only
and is not counted in the app's call count; everything else is Platform (with the BUC header too
where the endpoint has a BUC type).

CPU time is not measured separately: total_cputime reports the same share as total_time.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from datetime import timedelta

from django.db.models import Count, Sum
from django.utils import timezone

from . import errors
from .config import BUC_THROTTLE_CODES
from .models import RequestLog


def _pct(used: int, budget: int) -> int:
    if budget <= 0:
        return 100
    return min(100, used * 100 // budget)


@dataclass
class Usage:
    app_headers: dict | None
    buc_headers: dict | None
    throttle: errors.GraphError | None


def _eta_minutes(qs, count: int, budget: int, window: int, now) -> int:
    """Minutes until enough calls leave the window for the count to fall under the budget."""
    index = max(0, count - budget)
    oldest = qs.order_by("created").values_list("created", flat=True)[index:index + 1]
    if not oldest:
        return 1
    free_at = oldest[0] + timedelta(seconds=window)
    return max(1, math.ceil((free_at - now).total_seconds() / 60))


#: Token kinds whose calls fall under Business Use Case limits (where the endpoint has a BUC type).
BUC_TOKEN_KINDS = ("system_user", "page")


def buc_only(token_kind: str, buc_type: str | None, business_id: str | None) -> bool:
    return bool(buc_type and business_id) and token_kind in BUC_TOKEN_KINDS


def measure(config: dict, *, business_id: str | None, buc_type: str | None, token_kind: str = "") -> Usage:
    """Count the calls already in the window (this call included) and decide on throttling."""
    usage = config["usage"]
    window = int(usage["window_seconds"])
    now = timezone.now()
    since = now - timedelta(seconds=window)
    app_headers = None
    app_qs = RequestLog.objects.filter(created__gte=since).exclude(
        token_kind__in=BUC_TOKEN_KINDS, buc_type__gt="", business_id__gt="")
    platform = not buc_only(token_kind, buc_type, business_id)
    if platform:
        app = app_qs.aggregate(n=Count("id"), t=Sum("duration_ms"))
        app_calls, app_time = app["n"] + 1, app["t"] or 0
        app_budget = int(usage["app_calls"])
        time_pct = _pct(app_time, int(usage["app_time_ms"]))
        app_headers = {"call_count": _pct(app_calls, app_budget), "total_cputime": time_pct, "total_time": time_pct}
    throttle = None
    buc_headers = None
    if buc_type and business_id:
        buc_qs = RequestLog.objects.filter(created__gte=since, business_id=business_id, buc_type=buc_type)
        buc = buc_qs.aggregate(n=Count("id"), t=Sum("duration_ms"))
        calls, spent = buc["n"] + 1, buc["t"] or 0
        budget = int(usage.get("business_calls", {}).get(business_id, {}).get(
            buc_type, usage["buc_calls"].get(buc_type, 10000)))
        buc_time_pct = _pct(spent, int(usage["buc_time_ms"]))
        eta = 0
        if calls > budget:
            eta = _eta_minutes(buc_qs, calls - 1, budget, window, now)
        entry = {"type": buc_type, "call_count": _pct(calls, budget), "total_cputime": buc_time_pct,
                 "total_time": buc_time_pct, "estimated_time_to_regain_access": eta}
        buc_headers = {business_id: [entry]}
        if eta:
            code = BUC_THROTTLE_CODES.get(buc_type, 80004)
            throttle = errors.throttled(code)
    if platform and throttle is None and app_calls > app_budget:
        eta = _eta_minutes(app_qs, app_calls - 1, app_budget, window, now)
        throttle = errors.throttled(4)
        # Meta's X-App-Usage has no ETA; say it in the error data instead.
        throttle.error_data = {"estimated_time_to_regain_access": eta}
    return Usage(app_headers=app_headers, buc_headers=buc_headers, throttle=throttle)


def headers_for(usage: Usage) -> dict[str, str]:
    headers = {}
    if usage.app_headers is not None:
        headers["X-App-Usage"] = json.dumps(usage.app_headers, separators=(",", ":"))
    if usage.buc_headers is not None:
        headers["X-Business-Use-Case-Usage"] = json.dumps(usage.buc_headers, separators=(",", ":"))
    return headers


def saturated_headers(*, code: int, business_id: str | None, eta: int) -> dict[str, str]:
    """Headers for an injected throttle fault: the matching budget shown as spent."""
    full = {"call_count": 100, "total_cputime": 100, "total_time": 100}
    buc_type = next((t for t, c in BUC_THROTTLE_CODES.items() if c == code), None)
    if buc_type is None:
        return {"X-App-Usage": json.dumps(full, separators=(",", ":"))}
    entry = {"type": buc_type, **full, "estimated_time_to_regain_access": eta}
    return {"X-Business-Use-Case-Usage": json.dumps({business_id or "0": [entry]}, separators=(",", ":"))}
