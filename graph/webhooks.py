"""Meta webhooks: signature check, storing each change once, and the handler registry.

A webhook is a hint, not the truth: the view stores the change and answers 200 at once, a task
(``graph.tasks.process_webhook_event``) hands it to the handler another app registered::

    from graph import webhooks

    @webhooks.register("user", "fbe_install")
    def fbe_install(event):          # event: graph.models.WebhookEvent
        ...                          # re-read the truth from Graph; may return a short note

Handlers must be idempotent (Meta retries deliveries, django-q2 delivers at least once) and
live in a module the app imports from its ``AppConfig.ready()``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from django.db import IntegrityError, transaction

from graph.client.encoding import MASK

Handler = Callable[[Any], Any]

_registry: dict[tuple[str, str], Handler] = {}

# Keys whose values are secrets in webhook changes (the FBE install carries tokens).
_SECRET_KEY_PARTS = ("token", "secret", "password")


def register(object_: str, field: str = "") -> Callable[[Handler], Handler]:
    """Register the handler for changes of (object, field); a later registration replaces it."""

    def decorator(func: Handler) -> Handler:
        _registry[(object_, field)] = func
        return func

    return decorator


def unregister(object_: str, field: str = "") -> None:
    _registry.pop((object_, field), None)


def handler_for(object_: str, field: str) -> Handler | None:
    return _registry.get((object_, field))


def registered() -> dict[tuple[str, str], Handler]:
    return dict(_registry)


def sign(body: bytes, app_secret: str) -> str:
    """The ``X-Hub-Signature-256`` header value Meta sends for this raw body."""
    return "sha256=" + hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()


def signature_is_valid(body: bytes, header: str | None, app_secret: str) -> bool:
    """Constant-time check of ``X-Hub-Signature-256`` over the raw body."""
    if not header or not app_secret or not header.startswith("sha256="):
        return False
    return hmac.compare_digest(sign(body, app_secret).encode(), header.strip().lower().encode())


def _is_secret_key(key: Any) -> bool:
    lowered = str(key).lower()
    return any(part in lowered for part in _SECRET_KEY_PARTS)


def mask_secrets(value: Any) -> Any:
    """The value with every token-like key's value replaced by a mask."""
    if isinstance(value, Mapping):
        return {k: (MASK if _is_secret_key(k) and v not in (None, "") else mask_secrets(v)) for k, v in value.items()}
    if isinstance(value, list):
        return [mask_secrets(v) for v in value]
    return value


def dedupe_key(object_: str, entry_id: str, entry_time: Any, field: str, value: Any) -> str:
    canonical = json.dumps([object_, entry_id, entry_time, field, value], sort_keys=True, separators=(",", ":"),
                           default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def split_envelope(envelope: Mapping) -> Iterable[dict]:
    """One dict per change: ``{"object", "field", "entry_id", "entry_time", "entry", "change"}``.

    An entry without ``changes`` (e.g. messaging-style objects) becomes one change with an empty
    field holding the entry itself.
    """
    object_ = str(envelope.get("object") or "")
    for entry in envelope.get("entry") or []:
        if not isinstance(entry, Mapping):
            continue
        entry_id = str(entry.get("id") or "")
        entry_time = entry.get("time")
        entry_time = entry_time if isinstance(entry_time, int) and not isinstance(entry_time, bool) else None
        context = {k: v for k, v in entry.items() if k != "changes"}
        changes = entry.get("changes")
        if isinstance(changes, list) and changes:
            for change in changes:
                if isinstance(change, Mapping):
                    yield {"object": object_, "field": str(change.get("field") or ""), "entry_id": entry_id,
                           "entry_time": entry_time, "entry": context, "change": dict(change)}
        else:
            yield {"object": object_, "field": "", "entry_id": entry_id, "entry_time": entry_time,
                   "entry": context, "change": {"field": "", "value": context}}


def store_envelope(envelope: Mapping) -> list[int]:
    """Store each change of a verified envelope once; returns the ids of the new events."""
    from graph.models import WebhookEvent

    created_ids = []
    for item in split_envelope(envelope):
        full = {"entry": item["entry"], "change": item["change"]}
        masked = mask_secrets(full)
        key = dedupe_key(item["object"], item["entry_id"], item["entry_time"], item["field"],
                         item["change"].get("value"))
        if WebhookEvent.objects.filter(dedupe_key=key).exists():
            continue
        try:
            with transaction.atomic():
                event = WebhookEvent.objects.create(
                    object=item["object"][:50],
                    field=item["field"][:100],
                    entry_id=item["entry_id"][:100],
                    entry_time=item["entry_time"],
                    payload=masked,
                    sealed_payload=json.dumps(full) if masked != full else "",
                    dedupe_key=key,
                )
        except IntegrityError:  # the same delivery arrived twice at once
            continue
        created_ids.append(event.pk)
    return created_ids
