"""Sending a shop's queued server events to Meta: `POST /{pixel_id}/events` in batches of up to
1,000 (META_API §7.1, §7.5).

- Events too old for Meta (7 days) are set aside as expired, with the reason, before sending.
- The batch's key is written on its events before the call: a crash mid-call leaves them
  queued with that key and the next send posts them again, which Meta deduplicates on the
  event ids (nothing doubled); nothing is marked sent before Meta answered (nothing lost).
- Meta refuses a whole request for one invalid event (code 100): the batch is split in halves
  until the refused event is alone; it is marked rejected with Meta's message and every other
  event is delivered.
- A transient failure (the client already retried it, the post being idempotent on event ids)
  leaves the events queued for the next send.
"""

from __future__ import annotations

import json
import secrets

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from ads.capi.queue import EXPIRY_MARGIN, MAX_AGE
from ads.models import ServerEvent
from graph.errors import InvalidParameter

BATCH_SIZE = 1000


def _partner_agent() -> str:
    return getattr(settings, "CAPI_PARTNER_AGENT", "seller-portal")


def _expire_old(shop_id: int) -> int:
    cutoff = timezone.now() - MAX_AGE + EXPIRY_MARGIN
    return ServerEvent.objects.filter(shop_id=shop_id, state=ServerEvent.State.QUEUED, event_time__lt=cutoff).update(
        state=ServerEvent.State.EXPIRED, message="older than the 7 days Meta accepts")


def _post(client, pixel_id: str, events: list[ServerEvent], counts: dict) -> None:
    """Post `events` (one test code); on Meta's refusal, split until the refused event is alone."""
    params = {"data": json.dumps([e.payload for e in events]), "partner_agent": _partner_agent()}
    if events[0].test_event_code:
        params["test_event_code"] = events[0].test_event_code
    counts["calls"] += 1
    try:
        client.post(f"{pixel_id}/events", params, idempotent=True)
    except InvalidParameter as error:
        if len(events) == 1:
            event = events[0]
            event.state, event.message = ServerEvent.State.REJECTED, (error.user_msg or error.message)[:1000]
            event.save(update_fields=["state", "message"])
            counts["rejected"] += 1
            return
        half = len(events) // 2
        _post(client, pixel_id, events[:half], counts)
        _post(client, pixel_id, events[half:], counts)
        return
    ServerEvent.objects.filter(pk__in=[e.pk for e in events]).update(state=ServerEvent.State.SENT,
                                                                     sent_at=timezone.now(), message="")
    counts["sent"] += len(events)


def send_queued(shop_id: int, *, client=None, limit: int | None = None, min_batch: int = 1) -> dict:
    """Send what the shop has queued (oldest first), `limit` events at most, in batches of at
    least `min_batch` (the rest waits for the next send: fewer, fuller calls when events pour
    in). Returns counts."""
    from shops.graph import client_for_shop
    from shops.models import MetaConnection

    counts = {"calls": 0, "sent": 0, "rejected": 0, "expired": _expire_old(shop_id)}
    conn = MetaConnection.objects.get(shop_id=shop_id)
    if not conn.pixel_id:
        counts["skipped"] = "no pixel"
        return counts
    client = client or client_for_shop(conn)
    sent_so_far = 0
    while limit is None or sent_so_far < limit:
        size = BATCH_SIZE if limit is None else min(BATCH_SIZE, limit - sent_so_far)
        queued = list(ServerEvent.objects.filter(shop_id=shop_id, state=ServerEvent.State.QUEUED)
                      .order_by("test_event_code", "pk")[:size])
        if not queued:
            break
        code = queued[0].test_event_code
        batch = [e for e in queued if e.test_event_code == code]
        if len(batch) < min_batch:
            break
        key = secrets.token_hex(8)
        with transaction.atomic():
            ServerEvent.objects.filter(pk__in=[e.pk for e in batch]).update(batch_key=key,
                                                                           attempts=F("attempts") + 1)
        _post(client, conn.pixel_id, batch, counts)
        sent_so_far += len(batch)
    return counts
