"""Webhooks the sandbox sends as Meta: an outbox, the hub.challenge handshake and signed
deliveries (META_API §1.6).

- Handshake: `GET <callback>?hub.mode=subscribe&hub.verify_token=<META_WEBHOOK_VERIFY_TOKEN>
  &hub.challenge=<n>`; the callback must answer 200 with the challenge. Done once per callback
  URL before its first delivery (or on demand: `_control/webhooks/verify`).
- Delivery: `POST <callback>` with the JSON envelope `{"object", "entry": [...]}` and
  `X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the raw body keyed by the app secret>`
  (and the legacy `X-Hub-Signature: sha1=...`). 2xx = delivered; otherwise the event stays
  pending until `max_attempts`, then it is failed. Every HTTP call is a WebhookAttempt row.

No transaction is held during an HTTP call, so a receiver on the same server can write freely.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import time

import requests
from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from .config import get_config, update_config
from .models import WebhookAttempt, WebhookEvent


def default_callback_url() -> str:
    configured = get_config()["webhooks"]["callback_url"]
    return configured or settings.PORTAL_BASE_URL.rstrip("/") + "/webhooks/meta/"


def signature(body: bytes, algorithm: str = "sha256") -> str:
    digest = hmac.new(settings.META_APP_SECRET.encode(), body, getattr(hashlib, algorithm)).hexdigest()
    return f"{algorithm}={digest}"


def enqueue(obj: str, entries: list[dict], *, field: str = "", callback_url: str = "") -> WebhookEvent:
    """Queue `{"object": obj, "entry": entries}`; delivered by flush (or the auto-deliver task)."""
    body = json.dumps({"object": obj, "entry": entries}, separators=(",", ":"))
    event = WebhookEvent.objects.create(object=obj, field=field, body=body, callback_url=callback_url)
    if get_config()["webhooks"]["auto_deliver"]:
        transaction.on_commit(_schedule_delivery)
    return event


def _schedule_delivery() -> None:
    from django_q.tasks import async_task

    async_task("meta_sandbox.webhooks.deliver_pending", group="sandbox.webhooks")


def verify(url: str, event: WebhookEvent | None = None) -> WebhookAttempt:
    """Run Meta's subscription handshake against `url` and remember a success."""
    challenge = str(secrets.randbelow(10**9))
    params = {"hub.mode": "subscribe", "hub.verify_token": settings.META_WEBHOOK_VERIFY_TOKEN,
              "hub.challenge": challenge}
    started = time.monotonic()
    attempt = WebhookAttempt(event=event, kind=WebhookAttempt.Kind.VERIFY, url=url)
    try:
        response = requests.get(url, params=params, timeout=get_config()["webhooks"]["timeout_seconds"])
        attempt.status_code = response.status_code
        attempt.response_body = response.text[:500]
        attempt.ok = response.status_code == 200 and response.text.strip() == challenge
        if not attempt.ok:
            attempt.error = "the callback did not echo hub.challenge with 200"
    except requests.RequestException as exc:
        attempt.error = str(exc)[:500]
    attempt.duration_ms = int((time.monotonic() - started) * 1000)
    attempt.save()
    if attempt.ok:
        update_config({"webhooks": {"verified": {url: timezone.now().isoformat()}}})
    return attempt


def deliver(event: WebhookEvent, url: str) -> WebhookAttempt:
    body = event.body.encode()
    headers = {"Content-Type": "application/json", "User-Agent": "facebookexternalua",
               "X-Hub-Signature-256": signature(body), "X-Hub-Signature": signature(body, "sha1")}
    started = time.monotonic()
    attempt = WebhookAttempt(event=event, kind=WebhookAttempt.Kind.DELIVER, url=url)
    try:
        response = requests.post(url, data=body, headers=headers, timeout=get_config()["webhooks"]["timeout_seconds"],
                                 allow_redirects=False)
        attempt.status_code = response.status_code
        attempt.response_body = response.text[:500]
        attempt.ok = 200 <= response.status_code < 300
        if not attempt.ok:
            attempt.error = f"HTTP {response.status_code}"
    except requests.RequestException as exc:
        attempt.error = str(exc)[:500]
    attempt.duration_ms = int((time.monotonic() - started) * 1000)
    attempt.save()
    return attempt


def deliver_pending(callback_url: str | None = None) -> dict:
    """Deliver every pending event now, oldest first; returns counts and the events touched."""
    config = get_config()["webhooks"]
    verified = dict(config["verified"])
    delivered = failed = 0
    touched = []
    for event in list(WebhookEvent.objects.filter(status=WebhookEvent.Status.PENDING).order_by("pk")):
        # Claim: a concurrent flush (or the auto-deliver task) skips an event already being sent.
        claimed = WebhookEvent.objects.filter(pk=event.pk, status=WebhookEvent.Status.PENDING,
                                              attempts=event.attempts).update(attempts=F("attempts") + 1)
        if not claimed:
            continue
        event.refresh_from_db()
        url = callback_url or event.callback_url or default_callback_url()
        if url not in verified:
            handshake = verify(url, event)
            if handshake.ok:
                verified[url] = True
            else:
                attempt = handshake
        if url in verified:
            attempt = deliver(event, url)
        if attempt.ok:
            event.status, event.delivered_at, event.last_error = WebhookEvent.Status.DELIVERED, timezone.now(), ""
            delivered += 1
        else:
            event.last_error = attempt.error or f"HTTP {attempt.status_code}"
            if event.attempts >= config["max_attempts"]:
                event.status = WebhookEvent.Status.FAILED
            failed += 1
        event.save(update_fields=["status", "delivered_at", "last_error"])
        touched.append(event_dict(event))
    return {"delivered": delivered, "failed": failed, "data": touched}


def event_dict(event: WebhookEvent, *, with_attempts: bool = False) -> dict:
    body = event.body.encode()
    out = {"id": event.pk, "object": event.object, "field": event.field, "status": event.status,
           "attempts": event.attempts, "last_error": event.last_error, "callback_url": event.callback_url or None,
           "created": event.created.isoformat(),
           "delivered_at": event.delivered_at.isoformat() if event.delivered_at else None,
           "body": event.body, "payload": json.loads(event.body),
           "signature": signature(body)}
    if with_attempts:
        out["delivery_attempts"] = [a.as_dict() for a in event.attempt_set.order_by("pk")]
    return out
