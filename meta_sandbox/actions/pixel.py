"""The pixel as the buyer's browser and Meta's Events Manager see it: fire a browser event (what
Meta's pixel code would send from the storefront), and read what Meta kept after deduplication."""

from __future__ import annotations

import time

from . import NotFound


def _pixel(pixel_id: str):
    from ..models import Node

    for node in Node.objects.filter(type="pixel", deleted=False):
        if node.gid == str(pixel_id):
            return node
    raise NotFound(f"no pixel {pixel_id}")


def fire_browser_event(pixel_id: str, *, event_name: str, event_id: str = "", custom_data: dict | None = None,
                       event_source_url: str = "") -> dict:
    """What `fbq('track', event_name, custom_data, {eventID: event_id})` sends from a page."""
    from ..endpoints.pixel_events import keep

    event = {"event_name": event_name, "event_id": event_id, "event_time": int(time.time()),
             "event_source_url": event_source_url, "custom_data": custom_data or {}}
    node = keep(_pixel(pixel_id), event, source="browser")
    return {"id": str(node.pk), "sources": node.data.get("sources", []), "deduplicated": node.data.get("deduplicated", 0)}


def received_events(pixel_id: str) -> list[dict]:
    """The events Meta kept for the pixel, first copy first: name, id, sources, deduplicated count."""
    from ..models import Node

    pixel = _pixel(pixel_id)
    return [{"event_name": n.data["event"].get("event_name"), "event_id": n.data["event"].get("event_id", ""),
             "sources": n.data.get("sources", []), "deduplicated": n.data.get("deduplicated", 0),
             "test_event_code": n.data.get("test_event_code", ""),
             "custom_data": n.data["event"].get("custom_data", {})}
            for n in Node.objects.filter(type="pixel_event", parent_id=pixel.gid, deleted=False).order_by("pk")]


def connect_to_catalog(catalog_id: str, pixel_id: str) -> None:
    """The seller connects the pixel to the catalog in Commerce Manager (what `POST
    /{catalog_id}/external_event_sources` does)."""
    from ..models import Node

    pixel = _pixel(pixel_id)
    catalog = next((n for n in Node.objects.filter(type="catalog", deleted=False) if n.gid == str(catalog_id)), None)
    if catalog is None:
        raise NotFound(f"no catalog {catalog_id}")
    sources = [str(i) for i in catalog.data.get("external_event_sources", [])]
    if pixel.gid not in sources:
        catalog.data["external_event_sources"] = [*sources, pixel.gid]
        catalog.save(update_fields=["data", "updated"])
