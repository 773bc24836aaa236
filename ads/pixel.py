"""The shop's pixel at Meta: whether it is connected to the shop's catalog (Meta: "Product
Catalog External Event Sources", `GET/POST /{catalog_id}/external_event_sources`), when it
last received an event (`AdsPixel.last_fired_time`), and Meta's counts of the last 24 hours
from the browser, from the server and deduplicated ("Ads Pixel Stats", `GET /{pixel_id}/stats`
with aggregation `event_source` and `event_processing_results`). Read by a task, stored on the shop's ads
settings, shown as issues; never read inside a page request."""

from __future__ import annotations

import json
from datetime import timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from ads.models import AdsSettings
from graph.errors import GraphError
from shops import audit

CHECK_JOB = "ads.check_pixel"


def check_pixel(shop_id: int, *, client=None) -> dict:
    """Read the pixel's state at Meta and store it. Returns what was read."""
    from shops.graph import client_for_shop
    from shops.models import MetaConnection

    conn = MetaConnection.objects.get(shop_id=shop_id)
    if not (conn.is_connected and conn.pixel_id and conn.catalog_id):
        return {"skipped": "no pixel or catalog"}
    client = client or client_for_shop(conn)
    now = timezone.now()
    try:
        sources = client.get(f"{conn.catalog_id}/external_event_sources").get("data", [])
        pixel = client.get(conn.pixel_id, {"fields": "last_fired_time"})
        since = int((now - timedelta(hours=24)).timestamp())
        counts = {**_totals(client.get(f"{conn.pixel_id}/stats", {"aggregation": "event_source", "start_time": since})),
                  **_totals(client.get(f"{conn.pixel_id}/stats", {"aggregation": "event_processing_results",
                                                                   "start_time": since}))}
    except GraphError as error:
        AdsSettings.objects.filter(shop_id=shop_id).update(pixel_checked_at=now,
                                                           pixel_check_error=error.user_message()[:500])
        raise
    linked = any(str(s.get("id")) == conn.pixel_id for s in sources)
    fired = parse_datetime(str(pixel.get("last_fired_time") or "").replace("+0000", "+00:00")) \
        if pixel.get("last_fired_time") else None
    meta_counts = {"browser": counts.get("BROWSER", 0), "server": counts.get("SERVER", 0),
                   "deduplicated": counts.get("DEDUPLICATED", 0)}
    AdsSettings.objects.filter(shop_id=shop_id).update(pixel_linked=linked, pixel_last_fired_at=fired,
                                                       pixel_checked_at=now, pixel_check_error="",
                                                       meta_counts=meta_counts)
    return {"linked": linked, "last_fired_at": fired.isoformat() if fired else None, "meta_counts": meta_counts}


def _totals(answer: dict) -> dict[str, int]:
    """Meta's hourly AdsPixelStatsResult rows summed by value."""
    totals: dict[str, int] = {}
    for row in answer.get("data", []):
        for item in row.get("data", []):
            value = str(item.get("value", "")).upper()
            totals[value] = totals.get(value, 0) + int(item.get("count") or 0)
    return totals


def link_pixel(shop, *, actor=None, client=None) -> bool:
    """Connect the shop's pixel to its catalog at Meta (adding it twice changes nothing, so the
    call is safe to repeat), then read the state again. Returns whether it is linked now."""
    from shops.graph import client_for_shop
    from shops.models import MetaConnection

    conn = MetaConnection.objects.get(shop=shop)
    client = client or client_for_shop(conn)
    client.post(f"{conn.catalog_id}/external_event_sources",
                {"external_event_sources": json.dumps([conn.pixel_id])}, idempotent=True)
    with transaction.atomic():
        audit.record(shop, actor, "ads.link_pixel", summary=f"pixel {conn.pixel_id} to catalog {conn.catalog_id}")
    return bool(check_pixel(shop.pk, client=client).get("linked"))
