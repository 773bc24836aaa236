"""Ads figures as Meta reports them:

- the ad account (`AdAccount`, addressed `act_{id}`) and `GET act_{id}/insights` (Marketing API
  "Ads Insights API" and the "Ad Account Insights" reference,
  developers.facebook.com/documentation/ads-commerce/marketing-api/reference/ad-account/insights:
  `date_preset`, `time_range`, `time_increment`, `level`, `fields`; rows `{date_start,
  date_stop, spend (a decimal string), actions / action_values ([{action_type, value}]),
  purchase_roas, ...}`; needs ads_read);
- `GET dataset_quality?dataset_id=` (Conversions API "Dataset Quality API",
  developers.facebook.com/docs/marketing-api/conversions-api/dataset-quality-api: a top-level
  node keyed by the pixel, `{"web": [{event_name, event_match_quality{composite_score,
  match_key_feedback[{identifier, coverage{percentage}}], diagnostics}, event_coverage{...},
  data_freshness{upload_frequency}}]}`; app permissions `ads_read` and (`ads_management` or
  `business_management`));
- `GET {catalog_id}/event_stats` (Marketing API "Product Catalog Event Stats" reference,
  .../reference/product-catalog/event_stats: ProductEventStat rows per day over the previous 28
  days, per DA event (ViewContent, AddToCart, Purchase) and event source, with matched and
  unmatched content ids; `breakdowns` [DEVICE_TYPE]).

The figures come from what this sandbox received (docs/sandbox.md, "Ads figures"): purchases
and their value are the pixel's Purchase events counted once (every one is taken as attributed
to the ads: a sandbox choice), spend is the account's seeded daily spend; match quality is
computed from the server events' customer-information keys with the sandbox's own weights;
catalog matches compare content ids with the catalog's retailer ids. Days are UTC days.
"""

from __future__ import annotations

import time
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from .. import errors, money
from ..models import Node
from ..params import P
from ..router import Computed, Value, edge, node_type, route
from .business import CATALOG_PERMS

AD_ACCOUNT_PERMS = ("ads_read", "ads_management")

node_type("ad_account", label="AdAccount", perms=AD_ACCOUNT_PERMS, buc="ads_management",
          default_fields=("id", "account_id"), fields={
              "account_id": Computed(lambda ctx, n: n.gid),
              "name": Value(),
              "currency": Value(default="USD"),
              "timezone_name": Value(default="UTC"),
              "account_status": Value(default=1),
              "business": Computed(lambda ctx, n: {"id": n.business_id}),
          })


@route("GET", "{acct:ad_account}")
def ad_account_read(ctx):
    """An ad account's `id` is `act_{account_id}` (Marketing API "Ad Account" reference)."""
    out = ctx.render(ctx.node, ctx.selection)
    out["id"] = f"act_{ctx.node.gid}"
    return out


# --- insights ----------------------------------------------------------------------------------

#: AdsInsights.DatePreset of Meta's Business SDK (v26); the ones the sandbox computes.
DATE_PRESETS = ("today", "yesterday", "this_month", "last_month", "maximum", "data_maximum", "last_3d", "last_7d",
                "last_14d", "last_28d", "last_30d", "last_90d")
#: The fields the sandbox answers (a subset of AdsInsights); any other name is refused as Meta does.
INSIGHT_FIELDS = ("account_id", "account_name", "account_currency", "date_start", "date_stop", "spend",
                  "impressions", "clicks", "reach", "actions", "action_values", "purchase_roas",
                  "website_purchase_roas", "cost_per_action_type")
DEFAULT_INSIGHT_FIELDS = ("account_id", "date_start", "date_stop", "impressions", "spend")
#: Meta reports a website purchase under these action types (the same count under each).
PURCHASE_ACTIONS = ("offsite_conversion.fb_pixel_purchase", "omni_purchase", "purchase")


def _today() -> date:
    return datetime.now(UTC).date()


def _window(preset: str, account: Node) -> tuple[date, date]:
    today = _today()
    days = {"last_3d": 3, "last_7d": 7, "last_14d": 14, "last_28d": 28, "last_30d": 30, "last_90d": 90}
    if preset in days:  # the n full days before today
        return today - timedelta(days=days[preset]), today - timedelta(days=1)
    if preset == "today":
        return today, today
    if preset == "yesterday":
        return today - timedelta(days=1), today - timedelta(days=1)
    if preset == "this_month":
        return today.replace(day=1), today
    if preset == "last_month":
        end = today.replace(day=1) - timedelta(days=1)
        return end.replace(day=1), end
    return _created(account), today  # maximum, data_maximum


def _created(account: Node) -> date:
    return date.fromisoformat(account.data.get("created_date") or _today().isoformat())


def _parse_range(value) -> tuple[date, date]:
    if not isinstance(value, dict) or "since" not in value or "until" not in value:
        raise errors.bad_type("time_range", "an object with since and until (YYYY-MM-DD)")
    try:
        since, until = date.fromisoformat(str(value["since"])), date.fromisoformat(str(value["until"]))
    except ValueError:
        raise errors.bad_type("time_range", "an object with since and until (YYYY-MM-DD)") from None
    if since > until:
        raise errors.invalid_param("time_range: since must not be after until",
                                   error_data={"blame_field_specs": [["time_range"]]})
    return since, until


def _chunks(start: date, end: date, increment: str) -> list[tuple[date, date]]:
    if increment in ("", "all_days"):
        return [(start, end)]
    out = []
    if increment == "monthly":
        day = start
        while day <= end:
            nxt = (day.replace(day=1) + timedelta(days=32)).replace(day=1)
            out.append((day, min(end, nxt - timedelta(days=1))))
            day = nxt
        return out
    if not increment.isdigit() or not 1 <= int(increment) <= 90:
        raise errors.invalid_param('Param time_increment must be "monthly", "all_days" or a number of days '
                                   "from 1 to 90", error_data={"blame_field_specs": [["time_increment"]]})
    step = int(increment)
    day = start
    while day <= end:
        out.append((day, min(end, day + timedelta(days=step - 1))))
        day += timedelta(days=step)
    return out


def _purchases(account: Node, currency: str) -> list[tuple[date, int]]:
    """(day, value in minor units) of each Purchase the business's pixels kept (counted once)."""
    pixels = [p.gid for p in Node.objects.of_type("pixel").filter(business_id=account.business_id)]
    out = []
    for node in Node.objects.filter(type="pixel_event", parent_id__in=pixels, deleted=False):
        event = node.data.get("event", {})
        if node.data.get("test_event_code") or event.get("event_name") != "Purchase":
            continue
        stamp = event.get("event_time") or node.data.get("received_at", 0)
        try:
            day = datetime.fromtimestamp(int(stamp), UTC).date()
        except (TypeError, ValueError, OverflowError):
            continue
        custom = event.get("custom_data") or {}
        value = 0
        if str(custom.get("currency", "")).upper() == currency:
            try:
                value = money.to_minor(format(Decimal(str(custom.get("value"))), "f"), currency)
            except (ArithmeticError, TypeError, ValueError):
                value = 0  # a value the sandbox cannot read exactly is not counted
        out.append((day, value))
    return out


def _roas(value_minor: int, spend_minor: int) -> str:
    """Purchase value / spend with six decimals, rounded half up, from integers."""
    micro = (value_minor * 1_000_000 * 2 + spend_minor) // (2 * spend_minor)
    whole, part = divmod(micro, 1_000_000)
    return f"{whole}.{part:06d}".rstrip("0").rstrip(".")


def _row(account: Node, start: date, end: date, wanted: list, purchases, currency: str) -> dict | None:
    daily = int(account.data.get("daily_spend_minor", 0))
    first = max(start, _created(account))
    days = (end - first).days + 1 if end >= first else 0
    spend = daily * days
    bought = [v for d, v in purchases if start <= d <= end]
    count, value = len(bought), sum(bought)
    if not spend and not count:
        return None  # Meta leaves out periods with no delivery
    impressions = spend // 2 if spend else 0  # plausible, deterministic: one impression per half unit spent
    full = {
        "account_id": account.gid, "account_name": account.data.get("name", ""), "account_currency": currency,
        "date_start": start.isoformat(), "date_stop": end.isoformat(), "spend": money.decimal_text(spend, currency),
        "impressions": str(impressions), "clicks": str(impressions // 50), "reach": str(impressions * 4 // 5),
    }
    if count:
        full["actions"] = [{"action_type": t, "value": str(count)} for t in PURCHASE_ACTIONS]
        full["action_values"] = [{"action_type": t, "value": money.decimal_text(value, currency)}
                                 for t in PURCHASE_ACTIONS]
        if spend:
            full["purchase_roas"] = [{"action_type": "omni_purchase", "value": _roas(value, spend)}]
            full["website_purchase_roas"] = [{"action_type": "offsite_conversion.fb_pixel_purchase",
                                              "value": _roas(value, spend)}]
            full["cost_per_action_type"] = [{"action_type": t, "value": money.decimal_text(spend // count, currency)}
                                            for t in PURCHASE_ACTIONS]
    names = [s.name for s in wanted] if wanted else list(DEFAULT_INSIGHT_FIELDS)
    row = {k: full[k] for k in names if k in full}
    row.setdefault("date_start", full["date_start"])
    row.setdefault("date_stop", full["date_stop"])
    return row


@route("GET", "{acct:ad_account}/insights", perms=AD_ACCOUNT_PERMS, buc="ads_insights", params=(
    P("date_preset", "enum", enum=DATE_PRESETS),
    P("time_range", "json"),
    P("time_increment", "string"),
    P("level", "enum", enum=("account", "campaign", "adset", "ad")),
    P("action_attribution_windows", "list"),
    P("limit", "int"),
    P("after"),
    P("before"),
))
def insights(ctx):
    account, args = ctx.node, ctx.args
    for sel in ctx.selection or []:
        if sel.name not in INSIGHT_FIELDS:
            raise errors.invalid_param(f"{sel.name} is not valid for fields param. please check "
                                       "https://developers.facebook.com/docs/marketing-api/reference/ads-insights/ "
                                       "for all valid values", error_data={"blame_field_specs": [["fields"]]})
    if args.get("time_range") is not None:
        start, end = _parse_range(args["time_range"])
    else:
        start, end = _window(args.get("date_preset") or "last_30d", account)
    currency = str(account.data.get("currency", "USD"))
    purchases = _purchases(account, currency)
    rows = [r for s, e in _chunks(start, end, str(args.get("time_increment") or ""))
            if (r := _row(account, s, e, ctx.selection or [], purchases, currency)) is not None]
    if not rows:
        return {"data": []}
    return {"data": rows, "paging": {"cursors": {"before": "MAZDZD", "after": "MAZDZD"}}}


# --- dataset quality -----------------------------------------------------------------------------

#: user_data key -> (the identifier Meta's feedback names, the sandbox's weight in tenths of a point)
MATCH_KEYS = {"em": ("email", 40), "ph": ("phone", 20), "external_id": ("external_id", 10), "fbp": ("fbp", 10),
              "client_ip_address": ("ip_address", 10), "fbc": ("fbc", 5), "client_user_agent": ("user_agent", 5),
              "fn": ("first_name", 0), "ln": ("last_name", 0), "ct": ("city", 0), "st": ("state", 0),
              "zp": ("zip", 0), "country": ("country", 0), "db": ("date_of_birth", 0), "ge": ("gender", 0)}
QUALITY_WINDOW_S = 7 * 24 * 3600
WEB_FIELDS = ("event_name", "event_match_quality", "event_coverage", "data_freshness", "acr",
              "event_potential_aly_acr_increase", "dedup_key_feedback")


def _percent(part: int, whole: int) -> float:
    """part/whole as a percentage with one decimal (half up, integer arithmetic; a JSON number like Meta's)."""
    tenths = (2000 * part + whole) // (2 * whole)
    return float(Decimal(tenths) / 10)


def _quality(pixel: Node, now: int) -> list[dict]:
    by_name: dict[str, dict] = {}
    for node in Node.objects.filter(type="pixel_event", parent_id=pixel.gid, deleted=False):
        data = node.data
        if data.get("test_event_code") or now - int(data.get("received_at", 0)) > QUALITY_WINDOW_S:
            continue
        event = data.get("event", {})
        slot = by_name.setdefault(event.get("event_name", ""), {"server": 0, "browser": 0, "both": 0, "keys": {}})
        sources = set(data.get("sources", []))
        slot["browser"] += "browser" in sources
        slot["both"] += {"browser", "server"} <= sources
        if "server" in sources:
            slot["server"] += 1
            user = event.get("user_data") or {}
            for key in MATCH_KEYS:
                if user.get(key):
                    slot["keys"][key] = slot["keys"].get(key, 0) + 1
    out = []
    for name, slot in sorted(by_name.items()):
        item: dict = {"event_name": name}
        n = slot["server"]
        if n:
            tenths = sum(weight * slot["keys"].get(key, 0) for key, (_i, weight) in MATCH_KEYS.items())
            score = Decimal((tenths + n // 2) // n) / 10
            item["event_match_quality"] = {
                "composite_score": float(score),
                "match_key_feedback": [{"identifier": ident, "coverage": {"percentage": _percent(slot["keys"][key], n)}}
                                       for key, (ident, _w) in MATCH_KEYS.items() if slot["keys"].get(key)],
                "diagnostics": [],
            }
            item["data_freshness"] = {"upload_frequency": "real_time"}
        if slot["browser"]:
            item["event_coverage"] = {
                "percentage": _percent(slot["both"], slot["browser"]), "goal_percentage": 75,
                "description": "The percentage of events received from your Conversions API compared to unique "
                               "browser events from the Meta Pixel."}
        out.append(item)
    return out


def _select_web(items: list[dict], selection) -> dict:
    from ..router.registry import _select

    web = next((s for s in selection or [] if s.name == "web"), None)
    for sel in selection or []:
        if sel.name != "web":
            raise errors.nonexisting_field(sel.name, "AdsDatasetQuality")
    if web is None or not web.children:  # the sandbox's default: names and EMQ
        return {"web": [{k: v for k, v in i.items() if k in ("event_name", "event_match_quality")} for i in items]}
    out = []
    for item in items:
        row = {}
        for child in web.children:
            if child.name not in WEB_FIELDS:
                raise errors.nonexisting_field(child.name, "AdsDatasetQualityWeb")
            if child.name in item:
                row[child.name] = _select(item[child.name], child)
        out.append(row)
    return {"web": out}


@route("GET", "dataset_quality", params=(P("dataset_id", required=True), P("agent_name")))
def dataset_quality(ctx):
    ctx.require_user_token()
    ctx.require_perms(("ads_read",))
    ctx.require_perms(("ads_management", "business_management"))
    dataset = str(ctx.args["dataset_id"])
    pixel = ctx.lookup(dataset) if dataset.isdigit() else None
    if pixel is None or pixel.type != "pixel":
        raise errors.unsupported("GET", dataset)
    return _select_web(_quality(pixel, int(time.time())), ctx.selection)


# --- catalog event stats --------------------------------------------------------------------------

DA_EVENTS = ("ViewContent", "AddToCart", "Purchase")
EVENT_STATS_DAYS = 28
EVENT_STAT_FIELDS = ("date_start", "date_stop", "device_type", "event", "event_source",
                     "total_content_ids_matched_other_catalogs", "total_matched_content_ids",
                     "total_unmatched_content_ids", "unique_content_ids_matched_other_catalogs",
                     "unique_matched_content_ids", "unique_unmatched_content_ids")


def _content_ids(custom: dict) -> list[str]:
    ids = custom.get("content_ids")
    if not isinstance(ids, list):
        contents = custom.get("contents")
        ids = [c.get("id") for c in contents if isinstance(c, dict)] if isinstance(contents, list) else []
    return [str(i) for i in ids if i not in (None, "")]


@edge("catalog", "event_stats", perms=CATALOG_PERMS, item_label="ProductEventStat", item_fields=EVENT_STAT_FIELDS,
      params=(P("breakdowns", "list"),))
def event_stats(ctx, catalog, args):
    breakdowns = [str(b).upper() for b in args.get("breakdowns") or []]
    if any(b != "DEVICE_TYPE" for b in breakdowns):
        raise errors.bad_enum("breakdowns", ("DEVICE_TYPE",), ",".join(breakdowns))
    pixels = {n.gid: n for n in Node.objects.of_type("pixel").filter(business_id=catalog.business_id)
              if n.gid in {str(i) for i in catalog.data.get("external_event_sources", [])}}
    mine = set(Node.objects.filter(type="product", parent_id=catalog.gid, deleted=False).values_list("key", flat=True))
    others_ids = [c.gid for c in Node.objects.of_type("catalog").filter(business_id=catalog.business_id)
                  if c.gid != catalog.gid]
    others = set(Node.objects.filter(type="product", parent_id__in=others_ids, deleted=False)
                 .values_list("key", flat=True))
    since = _today() - timedelta(days=EVENT_STATS_DAYS)
    rows: dict[tuple, dict] = {}
    for node in Node.objects.filter(type="pixel_event", parent_id__in=list(pixels), deleted=False):
        event = node.data.get("event", {})
        if node.data.get("test_event_code") or event.get("event_name") not in DA_EVENTS:
            continue
        day = datetime.fromtimestamp(int(node.data.get("received_at", 0)), UTC).date()
        if day < since:
            continue
        key = (day, event["event_name"], node.parent_id)
        row = rows.setdefault(key, {"matched": [], "unmatched": [], "other": []})
        for cid in _content_ids(event.get("custom_data") or {}):
            row["matched" if cid in mine else "other" if cid in others else "unmatched"].append(cid)
    out = []
    for (day, name, pixel_id), row in sorted(rows.items(), key=lambda kv: (kv[0][0], kv[0][1]), reverse=True):
        pixel = pixels[pixel_id]
        item = {"date_start": day.isoformat(), "date_stop": day.isoformat(), "event": name,
                "event_source": {"id": pixel.gid, "name": pixel.data.get("name", ""), "source_type": "PIXEL"},
                "total_matched_content_ids": len(row["matched"]), "unique_matched_content_ids": len(set(row["matched"])),
                "total_unmatched_content_ids": len(row["unmatched"]) + len(row["other"]),
                "unique_unmatched_content_ids": len(set(row["unmatched"])) + len(set(row["other"])),
                "total_content_ids_matched_other_catalogs": len(row["other"]),
                "unique_content_ids_matched_other_catalogs": len(set(row["other"]))}
        if breakdowns:
            item["device_type"] = "unknown"
        out.append(item)
    return out
