"""Meta's own figures for a shop, read by a task once a day (or on "Refresh from Meta") and
stored on its ads settings with the time they were read; pages only show what is stored.

- Headline ads figures of the shop's ad account, last 7 and 28 days: `GET /act_{id}/insights`
  with `date_preset` last_7d / last_28d and `fields=spend,actions,action_values` (Meta, "Ads
  Insights API" and the "Ad Account Insights" reference,
  developers.facebook.com/documentation/ads-commerce/marketing-api/insights; needs ads_read).
  `spend` is a decimal string in the account's currency (read from `GET /act_{id}?fields=currency`);
  purchases are the `actions` entry of a purchase action type (`purchase`, else `omni_purchase`,
  else `offsite_conversion.fb_pixel_purchase`: Meta reports one purchase under each, so they
  are never added up) and their value the same entry of `action_values`. Stored as integer minor
  units; ROAS is computed from those integers (`roas_text`), not taken from `purchase_roas`.
- Event Match Quality per event: `GET /dataset_quality?dataset_id={pixel}&fields=web{event_name,
  event_match_quality{composite_score,match_key_feedback{identifier,coverage{percentage}}}}`
  (Conversions API "Dataset Quality API",
  developers.facebook.com/docs/marketing-api/conversions-api/dataset-quality-api; ads_read and
  ads_management or business_management).
- Catalog matches per event: `GET /{catalog_id}/event_stats` (Marketing API "Product Catalog
  Event Stats", .../marketing-api/reference/product-catalog/event_stats: per day over the last
  28 days, matched and unmatched content ids per DA event and source), summed over the days.
- Meta's counts per day for the Ads page's chart: `GET /{pixel_id}/stats` with `start_time` 28
  days back, aggregations `event_source` and `event_processing_results` (as `ads.pixel` reads
  the last 24 hours), summed per UTC day.

Each part is stored apart, as {"state": "ok" | "no_ad_account" | "permission" | "error", ...,
"read_at"}: a missing permission names it (the page offers Reconnect); any other refusal keeps
the last good figures with the error beside them. A dead token fails the task (the shop's
health check owns that)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal, InvalidOperation

from django.utils import timezone

from ads.models import AdsSettings
from kernel.money import Money
from shops.figures import guarded
from shops.figures import when as _when

FIGURES_JOB = "ads.read_figures"
#: the stored figures are read again when older than this (the hourly pixel sweep checks)
FIGURES_MAX_AGE = timedelta(hours=24)
PERIODS = {"7": "last_7d", "28": "last_28d"}
PURCHASE_TYPES = ("purchase", "omni_purchase", "offsite_conversion.fb_pixel_purchase")
QUALITY_FIELDS = "web{event_name,event_match_quality{composite_score,match_key_feedback{identifier,coverage{percentage}}}}"
EVENT_STAT_FIELDS = "event,total_matched_content_ids,total_unmatched_content_ids"
CHART_DAYS = 28


def read_figures(shop_id: int, *, client=None) -> dict:
    """Read every figure for the shop and store it. Returns a summary of the states."""
    from shops.graph import client_for_shop
    from shops.models import MetaConnection

    conn = MetaConnection.objects.get(shop_id=shop_id)
    if not conn.is_connected:
        return {"skipped": "not connected"}
    client = client or client_for_shop(conn)
    prefs = AdsSettings.objects.get(shop_id=shop_id)
    stored = dict(prefs.meta_figures or {})
    now = timezone.now()
    parts = {"insights": lambda: _insights(client, conn.ad_account_id),
             "quality": lambda: _quality(client, conn.pixel_id),
             "catalog": lambda: _catalog(client, conn.catalog_id),
             "days": lambda: _days(client, conn.pixel_id, now)}
    for name, read in parts.items():
        stored[name] = guarded(read, stored.get(name) or {}, now)
    AdsSettings.objects.filter(pk=prefs.pk).update(meta_figures=stored, figures_read_at=now)
    return {name: stored[name]["state"] for name in parts}


# --- the ad account's Insights --------------------------------------------------------------------


def _insights(client, ad_account_id: str) -> dict:
    if not ad_account_id:
        return {"state": "no_ad_account"}
    account = f"act_{ad_account_id}"
    currency = str(client.get(account, {"fields": "currency"}).get("currency") or "")
    periods = {}
    for key, preset in PERIODS.items():
        rows = client.get(f"{account}/insights", {"date_preset": preset,
                                                   "fields": "spend,actions,action_values"}).get("data") or []
        periods[key] = _period(rows, currency)
    return {"state": "ok", "ad_account_id": ad_account_id, "currency": currency, "periods": periods}


def _period(rows: list, currency: str) -> dict:
    """One date preset's rows (one without time_increment; summed if Meta split them)."""
    spend = value = purchases = 0
    start = stop = ""
    for row in rows:
        spend += Money.from_decimal(str(row.get("spend") or "0"), currency).minor
        count = _action(row.get("actions"))
        purchases += int(Decimal(count)) if count is not None else 0
        amount = _action(row.get("action_values"))
        value += Money.from_decimal(amount, currency).minor if amount is not None else 0
        start = min(start or row.get("date_start", ""), row.get("date_start", "") or start)
        stop = max(stop, row.get("date_stop", "") or "")
    return {"spend_minor": spend, "purchases": purchases, "value_minor": value, "date_start": start,
            "date_stop": stop}


def _action(entries) -> str | None:
    """The value of the first purchase action type present (never a sum of them)."""
    found = {str(e.get("action_type")): str(e.get("value")) for e in entries or [] if isinstance(e, dict)}
    return next((found[t] for t in PURCHASE_TYPES if t in found), None)


def roas_text(value_minor: int, spend_minor: int) -> str | None:
    """Purchase value over spend as a ratio with two decimals (half up), from integer minor units
    of one currency: 1975 over 7000 is "0.28". None without spend."""
    if spend_minor <= 0:
        return None
    hundredths = (value_minor * 200 + spend_minor) // (2 * spend_minor)
    return f"{hundredths // 100}.{hundredths % 100:02d}"


# --- match quality and catalog matches ------------------------------------------------------------


def _quality(client, pixel_id: str) -> dict:
    if not pixel_id:
        return {"state": "no_pixel"}
    web = client.get("dataset_quality", {"dataset_id": pixel_id, "fields": QUALITY_FIELDS}).get("web") or []
    events = {}
    for item in web:
        name, emq = str(item.get("event_name") or ""), item.get("event_match_quality") or {}
        if not name or emq.get("composite_score") is None:
            continue  # EMQ exists for server (web) events only
        events[name] = {"emq": str(Decimal(str(emq["composite_score"]))),
                        "keys": {str(k.get("identifier")): str(Decimal(str((k.get("coverage") or {}).get("percentage", 0))))
                                 for k in emq.get("match_key_feedback") or [] if isinstance(k, dict)}}
    return {"state": "ok", "events": events}


def _catalog(client, catalog_id: str) -> dict:
    if not catalog_id:
        return {"state": "no_catalog"}
    events: dict[str, dict] = {}
    for row in client.paginate(f"{catalog_id}/event_stats", {"fields": EVENT_STAT_FIELDS}):
        slot = events.setdefault(str(row.get("event") or ""), {"matched": 0, "unmatched": 0})
        slot["matched"] += int(row.get("total_matched_content_ids") or 0)
        slot["unmatched"] += int(row.get("total_unmatched_content_ids") or 0)
    return {"state": "ok", "events": events}


def _days(client, pixel_id: str, now) -> dict:
    if not pixel_id:
        return {"state": "no_pixel"}
    since = int((now - timedelta(days=CHART_DAYS)).replace(hour=0, minute=0, second=0, microsecond=0).timestamp())
    counts: dict[str, dict[str, int]] = {}
    for aggregation, wanted in (("event_source", ("BROWSER", "SERVER")), ("event_processing_results", ("DEDUPLICATED",))):
        for row in client.get(f"{pixel_id}/stats", {"aggregation": aggregation, "start_time": since}).get("data", []):
            day = str(row.get("start_time") or "")[:10]
            if not day:
                continue
            slot = counts.setdefault(day, {"browser": 0, "server": 0, "deduplicated": 0})
            for item in row.get("data", []):
                value = str(item.get("value", "")).upper()
                if value in wanted:
                    slot[value.lower()] += int(item.get("count") or 0)
    return {"state": "ok", "counts": counts}


# --- what the page shows ------------------------------------------------------------------------


def _ratio(part: int, whole: int) -> Decimal:
    return (Decimal(part) / Decimal(whole)) if whole else Decimal(0)


def headline(prefs: AdsSettings) -> dict:
    """The insights part as the page shows it: Money values and ROAS text per period."""
    part = dict((prefs.meta_figures or {}).get("insights") or {})
    rows = []
    currency = part.get("currency") or ""
    for key in PERIODS:
        p = (part.get("periods") or {}).get(key)
        if not p or not currency:
            continue
        rows.append({"days": int(key), "spend": Money(int(p["spend_minor"]), currency), "purchases": p["purchases"],
                     "value": Money(int(p["value_minor"]), currency),
                     "roas": roas_text(int(p["value_minor"]), int(p["spend_minor"]))})
    return {**part, "rows": rows, "read_at": _when(part.get("read_at")), "error_at": _when(part.get("error_at"))}


def meta_quality(prefs: AdsSettings) -> dict:
    """{event name: {"emq": Decimal | None, "catalog_share": Decimal | None, "catalog_total": int}}
    plus the parts' states and dates."""
    figures = prefs.meta_figures or {}
    quality, catalog = figures.get("quality") or {}, figures.get("catalog") or {}
    events: dict[str, dict] = {}
    for name, item in (quality.get("events") or {}).items():
        try:
            emq = Decimal(item.get("emq"))
        except (InvalidOperation, TypeError):
            emq = None
        events.setdefault(name, {})["emq"] = emq
    for name, item in (catalog.get("events") or {}).items():
        total = int(item.get("matched", 0)) + int(item.get("unmatched", 0))
        events.setdefault(name, {}).update(catalog_total=total,
                                           catalog_share=_ratio(int(item.get("matched", 0)), total) if total else None)
    return {"events": events, "quality": {**quality, "read_at": _when(quality.get("read_at"))},
            "catalog": {**catalog, "read_at": _when(catalog.get("read_at"))}}


def chart(prefs: AdsSettings, own_days: list[dict], days: int) -> dict:
    """The per-day chart: Meta's counts (browser, server, counted once) beside the portal's own
    server events (`own_days`, from `ads.quality.per_day`), with the SVG geometry (700 wide)."""
    part = (prefs.meta_figures or {}).get("days") or {}
    counts = part.get("counts") or {}
    slot = 700 // days
    bar = max(slot * 4 // 15, 2)
    rows = []
    for i, own in enumerate(own_days):
        meta = counts.get(own["day"].isoformat(), {})
        rows.append({**own, "browser": int(meta.get("browser", 0)), "server": int(meta.get("server", 0)),
                     "deduplicated": int(meta.get("deduplicated", 0)), "x0": i * slot + (slot - 3 * bar) // 2,
                     "label_x": i * slot + slot // 2, "show_label": days <= 7 or i % 7 == days % 7 - 1 or i == days - 1})
    top = max((max(r["browser"], r["server"], r["deduplicated"]) for r in rows), default=0) or 1
    for r in rows:
        for name, offset in (("browser", 0), ("server", 1), ("deduplicated", 2)):
            h = round(100 * r[name] / top)
            r[f"{name}_h"], r[f"{name}_y"], r[f"{name}_x"] = h, 100 - h, r["x0"] + offset * bar
    return {"rows": rows, "bar": bar, "days": days, "read_at": _when(part.get("read_at")),
            "state": part.get("state", "")}
