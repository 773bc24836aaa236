"""Meta's rate-limit usage headers: parse them, keep the latest figures, read the pressure.

* ``X-App-Usage``: ``{"call_count": 28, "total_cputime": 15, "total_time": 20}``, percentages
  of the app's platform limit (throttled at 100).
* ``X-Business-Use-Case-Usage``: ``{"<business object id>": [{"type": "catalog_batch",
  "call_count": 12, "total_cputime": 3, "total_time": 4, "estimated_time_to_regain_access": 0}]}``,
  nested per object and per use-case type; the wait is in **minutes**.
* ``X-Ad-Account-Usage``: ``{"acc_id_util_pct": 9.7, "reset_time_duration": 0, ...}`` (ads only).

The stored shape (``MetaConnection.usage``) is ours and flat enough for a scheduler::

    {"app": {"call_count": 28, ..., "at": "<iso>"},
     "buc": {"catalog_batch": {"business_id": "...", "call_count": 12, ...,
                               "estimated_time_to_regain_access": 0, "at": "<iso>"}},
     "ad_account": {...}}
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from django.utils import timezone

APP_METRICS = ("call_count", "total_cputime", "total_time")
BUC_METRICS = ("call_count", "total_cputime", "total_time")

#: Wait when Meta throttles us but names no time: the platform window is a rolling hour.
DEFAULT_RATE_LIMIT_WAIT = 60.0
#: Wait when X-App-Usage shows the app at (or over) its limit and no BUC time is given.
APP_LIMIT_WAIT = 300.0


def _json_header(headers: Mapping[str, str], name: str) -> Any:
    raw = headers.get(name)
    if not raw:
        return None
    try:
        return json.loads(raw)
    except (TypeError, ValueError):
        return None


def _number(value: Any) -> float | int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return value
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return int(number) if number.is_integer() else number


def parse_usage_headers(headers: Mapping[str, str]) -> dict:
    """The usage figures of one response (empty dict when it carried none).

    ``headers`` is any case-insensitive mapping (``requests``' response headers).
    Returns ``{"app": {...}, "buc": [{"business_id", "type", ...}], "ad_account": {...}}``
    with only the parts present.
    """
    usage: dict[str, Any] = {}
    app = _json_header(headers, "X-App-Usage")
    if isinstance(app, Mapping):
        usage["app"] = {k: n for k, v in app.items() if (n := _number(v)) is not None}
    buc = _json_header(headers, "X-Business-Use-Case-Usage")
    if isinstance(buc, Mapping):
        entries = []
        for business_id, items in buc.items():
            # Some proxies (and WooCommerce's parser) flatten the header to one entry.
            if isinstance(items, Mapping):
                items = [items]
            if not isinstance(items, list):
                continue
            for item in items:
                if not isinstance(item, Mapping):
                    continue
                entry: dict[str, Any] = {"business_id": str(business_id), "type": str(item.get("type") or "")}
                for key, value in item.items():
                    if key != "type" and (n := _number(value)) is not None:
                        entry[key] = n
                entries.append(entry)
        if entries:
            usage["buc"] = entries
    ad = _json_header(headers, "X-Ad-Account-Usage")
    if isinstance(ad, Mapping):
        usage["ad_account"] = dict(ad)
    return usage


def rate_limit_wait(usage: Mapping, buc_type: str = "", error_data: Any = None) -> float | None:
    """Seconds until Meta lets us back in, from one response's parsed usage, or None if unknown.

    A BUC entry of the throttled type wins; otherwise the longest BUC wait; otherwise an
    ``estimated_time_to_regain_access`` inside the error's ``error_data``; otherwise an app at
    100 % gets ``APP_LIMIT_WAIT``.
    """
    entries = usage.get("buc") or []
    waits = [
        (e.get("type"), e.get("estimated_time_to_regain_access") or 0)
        for e in entries
        if isinstance(e, Mapping)
    ]
    typed = [w for t, w in waits if buc_type and t == buc_type and w > 0]
    if typed:
        return float(max(typed)) * 60
    positive = [w for _, w in waits if w > 0]
    if positive:
        return float(max(positive)) * 60
    if isinstance(error_data, Mapping):
        minutes = _number(error_data.get("estimated_time_to_regain_access"))
        if minutes and minutes > 0:
            return float(minutes) * 60
    app = usage.get("app") or {}
    if any((app.get(metric) or 0) >= 100 for metric in APP_METRICS):
        return APP_LIMIT_WAIT
    return None


def merge_usage(stored: Mapping | None, fresh: Mapping, now: datetime | None = None) -> dict:
    """Fold one response's figures into the stored ones: each part (the app, each BUC type, the
    ad account) is replaced by its latest reading and stamped, the rest is kept."""
    now = now or timezone.now()
    stamp = now.isoformat()
    merged: dict[str, Any] = {
        "app": dict((stored or {}).get("app") or {}),
        "buc": {k: dict(v) for k, v in ((stored or {}).get("buc") or {}).items() if isinstance(v, Mapping)},
    }
    if (stored or {}).get("ad_account"):
        merged["ad_account"] = dict(stored["ad_account"])
    if "app" in fresh:
        merged["app"] = {**fresh["app"], "at": stamp}
    for entry in fresh.get("buc") or []:
        buc_type = entry.get("type") or "unknown"
        merged["buc"][buc_type] = {k: v for k, v in entry.items() if k != "type"} | {"at": stamp}
    if "ad_account" in fresh:
        merged["ad_account"] = {**fresh["ad_account"], "at": stamp}
    if not merged["app"]:
        del merged["app"]
    if not merged["buc"]:
        del merged["buc"]
    return merged


def fold_readings(earlier: Mapping | None, later: Mapping) -> dict:
    """Two responses' figures (``parse_usage_headers`` shape) as one reading: each part (the app,
    each BUC type, the ad account) is the later one's where it has it. Merging the folded reading
    into the stored figures gives what merging both in turn gives (``merge_usage`` keeps the
    latest of each part), so a batch of calls can store its usage once."""
    folded: dict[str, Any] = {k: v for k, v in (earlier or {}).items() if k != "buc"}
    buc = {str(e.get("type") or "unknown"): e for e in (earlier or {}).get("buc") or [] if isinstance(e, Mapping)}
    for key in ("app", "ad_account"):
        if key in later:
            folded[key] = later[key]
    for entry in later.get("buc") or []:
        if isinstance(entry, Mapping):
            buc[str(entry.get("type") or "unknown")] = entry
    if buc:
        folded["buc"] = list(buc.values())
    return folded


def _fresh(part: Mapping, now: datetime, max_age: timedelta | None) -> bool:
    if max_age is None:
        return True
    stamp = part.get("at")
    if not stamp:
        return True
    try:
        at = datetime.fromisoformat(stamp)
    except (TypeError, ValueError):
        return True
    return now - at <= max_age


def usage_pressure(
    usage_or_connection: Any,
    buc_type: str | None = None,
    *,
    max_age: timedelta | None = timedelta(hours=1),
    now: datetime | None = None,
) -> float:
    """Highest usage percentage (0-100+) that applies to work of ``buc_type``.

    Takes the stored usage dict or anything with a ``usage`` attribute (a MetaConnection). BUC
    figures count for the given type (all types when None). A BUC entry that still has an
    ``estimated_time_to_regain_access`` counts as 100. The app's platform figures count too,
    except for a type Meta reports BUC figures for: Meta's rate-limiting page says system-user
    and page tokens are under BUC limits, and "if both ... can be applied to a request, BUC rate
    limits will be applied" (the sandbox then sends no X-App-Usage on those calls; the app figure
    kept from other calls says nothing about them). Readings older than ``max_age`` are ignored:
    Meta's windows roll, so old figures mean little.
    """
    usage = getattr(usage_or_connection, "usage", usage_or_connection) or {}
    now = now or timezone.now()
    values: list[float] = [0.0]
    app = usage.get("app") or {}
    typed = (usage.get("buc") or {}).get(buc_type) if buc_type is not None else None
    buc_applies = isinstance(typed, Mapping) and _fresh(typed, now, max_age)
    if not buc_applies and _fresh(app, now, max_age):
        values += [float(app[m]) for m in APP_METRICS if isinstance(app.get(m), int | float)]
    for kind, entry in (usage.get("buc") or {}).items():
        if buc_type is not None and kind != buc_type:
            continue
        if not isinstance(entry, Mapping) or not _fresh(entry, now, max_age):
            continue
        values += [float(entry[m]) for m in BUC_METRICS if isinstance(entry.get(m), int | float)]
        if (entry.get("estimated_time_to_regain_access") or 0) > 0:
            values.append(100.0)
    return max(values)
