"""Webhooks as Meta sends them: the outbox, sending any payload, FBE install webhooks, delivery
and the handshake. Delivery and the handshake hold no transaction during their HTTP calls."""

from __future__ import annotations

from django.db import transaction

from .. import services
from .. import webhooks as outbox
from ..models import WebhookEvent
from . import ControlError, NotFound


def webhooks(*, status: str | None = None) -> list[dict]:
    """Queued and sent webhooks with their delivery attempts, oldest first."""
    events = WebhookEvent.objects.order_by("pk").prefetch_related("attempt_set")
    if status:
        events = events.filter(status=status)
    return [outbox.event_dict(e, with_attempts=True) for e in events]


def send_webhook(object: str, entry: list, *, field: str = "", callback_url: str = "") -> dict:
    """Queue `{"object": object, "entry": entry}`."""
    if not object or not isinstance(entry, list) or not entry:
        raise ControlError('send {"object": "...", "entry": [...]} (a non-empty list)')
    return outbox.event_dict(outbox.enqueue(str(object), entry, field=field, callback_url=callback_url))


def fbe_install_webhook(external_business_id: str, *, action: str = "install") -> dict:
    """Queue an fbe_install webhook for a business's install: "install" (with a fresh
    system-user token) or "uninstall" (which also uninstalls)."""
    if action not in ("install", "uninstall"):
        raise ControlError("action must be install or uninstall")
    external_id = str(external_business_id or "")
    with transaction.atomic():
        install = services.active_install(external_id)
        if action == "uninstall":
            if install is None:
                raise NotFound(f"no active install for {external_business_id}")
            services.uninstall(install)
        else:
            business = services.find_business(external_id)
            if business is None:
                raise NotFound(f"no business with external_business_id {external_business_id}")
            services.install_fbe(business, external_business_id=str(external_business_id),
                                 scopes=install.data.get("scopes") if install else None)
    return outbox.event_dict(WebhookEvent.objects.order_by("-pk").first())


def flush_webhooks(*, callback_url: str | None = None) -> dict:
    """Deliver every pending webhook now; counts of delivered and failed."""
    return outbox.deliver_pending(callback_url=callback_url or None)


def verify_webhooks(*, callback_url: str | None = None) -> dict:
    """Run the hub.challenge handshake against the callback; the attempt."""
    return outbox.verify(callback_url or outbox.default_callback_url()).as_dict()
