"""`POST {pixel}/events`: the Conversions API (META_API §7; Meta, "Conversions API",
"Parameters", "Customer Information Parameters", "Handling Duplicate Pixel and Conversions API
Events"), validated as Meta validates, and `GET {pixel}/received_events` (a sandbox-only edge
for tests and the console: what Meta kept after deduplication).

What Meta documents and the sandbox enforces:
- at most 1,000 events per request; one invalid event rejects the whole request (code 100);
- every event: `event_name`, `event_time` (unix seconds; at most 7 days old, not in the
  future), `action_source` (Meta's enum), `user_data` with at least one customer-information
  parameter;
- website events also `client_user_agent` (in user_data) and `event_source_url`;
- contact information must arrive hashed: a SHA-256 hex digest, or a list of them (Meta "does
  not accept customer information that is unhashed Contact Information"); `client_ip_address`,
  `client_user_agent`, `fbc` and `fbp` arrive plain;
- `test_event_code` routes the events to Test events instead of counting them;
- browser and server copies of one event (same `event_name` and `event_id`, within 48 hours)
  count once: the first kept, the second marked deduplicated.

The answer: `{"events_received": n, "messages": [], "fbtrace_id": …}`.
"""

from __future__ import annotations

import math
import re
import time

from .. import errors
from ..models import Node
from ..params import P
from ..router import edge, route
from .business import CATALOG_PERMS

MAX_EVENTS = 1000
MAX_AGE_S = 7 * 24 * 3600
FUTURE_SKEW_S = 60
DEDUP_WINDOW_S = 48 * 3600
ACTION_SOURCES = ("website", "app", "email", "phone_call", "chat", "physical_store", "system_generated",
                  "business_messaging", "other")
HASHED_KEYS = ("em", "ph", "fn", "ln", "ge", "db", "ct", "st", "zp", "country")
OTHER_KEYS = ("external_id", "client_ip_address", "client_user_agent", "fbc", "fbp", "subscription_id",
              "fb_login_id", "lead_id", "madid", "anon_id", "page_id", "ctwa_clid")
PERMS = ("ads_management", "business_management", "manage_business_extension")
_DIGEST = re.compile(r"[0-9a-f]{64}")


def _refuse(index: int, title: str, message: str) -> errors.GraphError:
    return errors.invalid_param("Invalid parameter", user_title=title,
                                user_msg=f"{message} (event {index})",
                                error_data={"event_index": index})


def _check_user_data(index: int, user: dict, action_source: str) -> None:
    if not isinstance(user, dict) or not any(user.get(k) for k in (*HASHED_KEYS, *OTHER_KEYS)):
        raise _refuse(index, "Missing user_data", "The event needs at least one customer information parameter.")
    for key, value in user.items():
        if key not in HASHED_KEYS and key not in OTHER_KEYS:
            raise _refuse(index, "Invalid user_data parameter", f"{key} is not a customer information parameter.")
        if key in HASHED_KEYS:
            values = value if isinstance(value, list) else [value]
            if not all(isinstance(v, str) and _DIGEST.fullmatch(v) for v in values):
                raise _refuse(index, "Unhashed contact information",
                              f"user_data.{key} must be a SHA-256 hash (lowercase hex) or a list of them.")
    if action_source == "website" and not user.get("client_user_agent"):
        raise _refuse(index, "Missing client_user_agent", "Website events need user_data.client_user_agent.")


def _is_number(value) -> bool:
    try:
        return math.isfinite(float(value))
    except (TypeError, ValueError):
        return False


def _check(index: int, event, now: int) -> None:
    if not isinstance(event, dict):
        raise _refuse(index, "Invalid event", "Each event is a JSON object.")
    for name in ("event_name", "event_time", "action_source", "user_data"):
        if event.get(name) in (None, ""):
            raise _refuse(index, f"Missing {name}", f"The event needs {name}.")
    stamp = event["event_time"]
    if isinstance(stamp, bool) or not isinstance(stamp, int | str) or not str(stamp).isdigit():
        raise _refuse(index, "Invalid event_time", "event_time is a unix timestamp in seconds.")
    stamp = int(stamp)
    if stamp > now + FUTURE_SKEW_S:
        raise _refuse(index, "Event Timestamp In The Future",
                      "event_time is in the future; send it in seconds, not milliseconds.")
    if stamp < now - MAX_AGE_S:
        raise _refuse(index, "Event Timestamp Too Old", "event_time is more than 7 days in the past.")
    if event["action_source"] not in ACTION_SOURCES:
        raise _refuse(index, "Invalid action_source", f"action_source must be one of {', '.join(ACTION_SOURCES)}.")
    if event["action_source"] == "website" and not event.get("event_source_url"):
        raise _refuse(index, "Missing event_source_url", "Website events need event_source_url.")
    if "event_id" in event and not isinstance(event["event_id"], str):
        raise _refuse(index, "Invalid event_id", "event_id must be a string.")
    custom = event.get("custom_data")
    if custom is not None and not isinstance(custom, dict):
        raise _refuse(index, "Invalid custom_data", "custom_data is a JSON object.")
    if event["event_name"] == "Purchase" and (not custom or custom.get("value") in (None, "")
                                              or not custom.get("currency")):
        raise _refuse(index, "Missing value or currency", "Purchase events need custom_data.value and currency.")
    if custom and custom.get("value") not in (None, ""):
        value = custom["value"]
        if isinstance(value, bool) or not isinstance(value, int | float | str) or not _is_number(value):
            raise _refuse(index, "Invalid value", "custom_data.value must be a number.")
    if custom and custom.get("currency") not in (None, ""):
        currency = custom["currency"]
        if not isinstance(currency, str) or not re.fullmatch(r"[A-Za-z]{3}", currency):
            raise _refuse(index, "Invalid currency", "custom_data.currency must be a valid ISO 4217 three-letter code.")
    _check_user_data(index, event["user_data"], event["action_source"])


def keep_many(pixel: Node, events: list[dict], *, source: str, test_code: str = "",
              now: int | None = None) -> list[Node]:
    """Record events as Meta keeps them: each deduplicated against the other copy of the same
    event (name and id) received within 48 hours. Browser events (the console's fake storefront,
    the facade) come through here too, with source "browser". A few queries per call."""
    now = int(time.time()) if now is None else now
    if not test_code:  # Events Manager's "last received" moves with live events only
        pixel.data["last_fired_time"] = time.strftime("%Y-%m-%dT%H:%M:%S+0000", time.gmtime(now))
        pixel.save(update_fields=["data", "updated"])
    keys = [f"{e['event_name']}:{e['event_id']}" if e.get("event_id") else "" for e in events]
    firsts: dict[str, Node] = {}
    if not test_code:
        wanted = sorted({k for k in keys if k})
        for start in range(0, len(wanted), 500):
            for node in (Node.objects.filter(type="pixel_event", parent_id=pixel.gid, deleted=False,
                                             key__in=wanted[start:start + 500]).order_by("-pk")):
                if now - int(node.data.get("received_at", 0)) <= DEDUP_WINDOW_S:
                    firsts[node.key] = node  # ordered newest first: the oldest in the window wins
    kept, new, touched = [], [], {}
    for event, key in zip(events, keys, strict=True):
        first = firsts.get(key) if key and not test_code else None
        if first is not None:
            first.data.setdefault("sources", []).append(source)
            first.data["deduplicated"] = first.data.get("deduplicated", 0) + 1
            if first.pk is not None:  # one made earlier in this call is written with the others
                touched[first.pk] = first
            kept.append(first)
            continue
        node = Node(type="pixel_event", business_id=pixel.business_id, parent_id=pixel.gid, key=key,
                    data={"event": event, "sources": [source], "deduplicated": 0, "received_at": now,
                          "test_event_code": test_code})
        new.append(node)
        kept.append(node)
        if key and not test_code:
            firsts[key] = node
    Node.objects.bulk_create(new, batch_size=500)
    if touched:
        Node.objects.bulk_update(list(touched.values()), ["data"], batch_size=500)
    return kept


def keep(pixel: Node, event: dict, *, source: str, test_code: str = "", now: int | None = None) -> Node:
    """`keep_many` for one event."""
    return keep_many(pixel, [event], source=source, test_code=test_code, now=now)[0]


@route("POST", "{pixel:pixel}/events", perms=PERMS, params=(
    P("data", "json", required=True),
    P("test_event_code"),
    P("partner_agent"),
    P("namespace_id"),
    P("upload_id"),
    P("upload_tag"),
    P("upload_source"),
    P("trace", "int"),
))
def events(ctx):
    batch = ctx.args["data"]
    if not isinstance(batch, list) or not batch:
        raise errors.bad_type("data", "a non-empty JSON array of events")
    if len(batch) > MAX_EVENTS:
        raise errors.invalid_param(f"Too many events in one request: {len(batch)}, at most {MAX_EVENTS}",
                                   error_data={"blame_field_specs": [["data"]]})
    now = int(time.time())
    for index, event in enumerate(batch):
        _check(index, event, now)
    keep_many(ctx.node, batch, source="server", test_code=ctx.args.get("test_event_code") or "", now=now)
    return {"events_received": len(batch), "messages": [], "fbtrace_id": ctx.trace_id}


@edge("pixel", "received_events", perms=PERMS)
def received_events(ctx, pixel, args):
    return [{"event_name": n.data["event"].get("event_name"), "event_id": n.data["event"].get("event_id", ""),
             "sources": n.data.get("sources", []), "deduplicated": n.data.get("deduplicated", 0),
             "test_event_code": n.data.get("test_event_code", ""), "id": str(n.pk)}
            for n in Node.objects.filter(type="pixel_event", parent_id=pixel.gid, deleted=False).order_by("pk")]


# --- the pixels connected to a catalog (Meta: "Product Catalog External Event Sources") ----------


def _sources(catalog: Node) -> list[str]:
    return [str(i) for i in catalog.data.get("external_event_sources", [])]


@edge("catalog", "external_event_sources", perms=CATALOG_PERMS, paged=False, summary=True,
      item_label="ExternalEventSource", item_fields=("id", "name", "source_type"))
def external_event_sources(ctx, catalog, args):
    """Meta answers `{"data": [ExternalEventSource…], "summary": {"total_count"}}`, no paging."""
    pixels = {n.gid: n for n in Node.objects.filter(type="pixel", deleted=False, business_id=catalog.business_id)}
    return [{"id": gid, "name": pixels[gid].data.get("name", ""), "source_type": "PIXEL"}
            for gid in _sources(catalog) if gid in pixels]


@route("POST", "{catalog:catalog}/external_event_sources", perms=CATALOG_PERMS, params=(
    P("external_event_sources", "json", required=True),
))
def connect_event_sources(ctx):
    """`external_event_sources`: a JSON array of pixel ids of the catalog's business; adding one
    already connected changes nothing. Answers `{"success": true}`."""
    wanted = ctx.args["external_event_sources"]
    if not isinstance(wanted, list) or not wanted:
        raise errors.bad_type("external_event_sources", "a JSON array of event source ids")
    pixels = {n.gid for n in Node.objects.filter(type="pixel", deleted=False, business_id=ctx.node.business_id)}
    unknown = [str(i) for i in wanted if str(i) not in pixels]
    if unknown:
        raise errors.invalid_param(f"Invalid event source ids: {', '.join(unknown)}",
                                   error_data={"blame_field_specs": [["external_event_sources"]]})
    sources = _sources(ctx.node)
    ctx.node.data["external_event_sources"] = sources + [str(i) for i in wanted if str(i) not in sources]
    ctx.node.save(update_fields=["data", "updated"])
    return {"success": True}


# --- the pixel's figures (Meta: "Ads Pixel Stats", `GET /{ads-pixel-id}/stats`) -------------------

STATS_AGGREGATIONS = ("event", "event_source", "event_processing_results", "event_total_counts")


@edge("pixel", "stats", perms=PERMS, paged=False, item_label="AdsPixelStatsResult", params=(
    P("aggregation", "enum", enum=STATS_AGGREGATIONS, default="event"),
    P("start_time", "datetime"),
    P("end_time", "datetime"),
    P("event", "string"),
    P("agent", "string"),
))
def pixel_stats(ctx, pixel, args):
    """Meta answers AdsPixelStatsResult rows `{aggregation, start_time, data: [{value, count}]}`,
    one per hour. Meta's reference lists the aggregations but not every value they report; the
    sandbox's values (docs/sandbox.md): `event` the event names, `event_source` BROWSER and
    SERVER (every copy received), `event_processing_results` PROCESSED (events kept) and
    DEDUPLICATED (copies dropped as duplicates). Test events are left out."""
    aggregation = args.get("aggregation") or "event"
    start, end = args.get("start_time"), args.get("end_time")
    hours: dict[int, dict[str, int]] = {}
    for node in Node.objects.filter(type="pixel_event", parent_id=pixel.gid, deleted=False):
        data = node.data
        received = int(data.get("received_at", 0))
        if data.get("test_event_code") or (start and received < start) or (end and received >= end):
            continue
        bucket = hours.setdefault(0 if aggregation == "event_total_counts" else received - received % 3600, {})
        if aggregation in ("event", "event_total_counts"):
            name = data["event"].get("event_name", "")
            bucket[name] = bucket.get(name, 0) + 1 + data.get("deduplicated", 0)
        elif aggregation == "event_source":
            for source in data.get("sources", []):
                bucket[source.upper()] = bucket.get(source.upper(), 0) + 1
        else:
            bucket["PROCESSED"] = bucket.get("PROCESSED", 0) + 1
            bucket["DEDUPLICATED"] = bucket.get("DEDUPLICATED", 0) + data.get("deduplicated", 0)
    return [{"aggregation": aggregation,
             "start_time": time.strftime("%Y-%m-%dT%H:%M:%S+0000", time.gmtime(hour)) if hour else None,
             "data": [{"value": value, "count": count} for value, count in sorted(counts.items())]}
            for hour, counts in sorted(hours.items())]
