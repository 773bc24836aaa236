"""Demo seeding for the sandbox (registered in portal's seed_demo EXTRA_SEEDERS)."""

from __future__ import annotations

from django.db import transaction

from .config import update_config
from .models import WebhookEvent
from .webhooks import _schedule_delivery


def seed_sandbox(shops, stdout=None) -> None:
    """Idempotent: in the demo, queued webhooks are delivered by a django-q2 task (including
    those queued by seeders that ran before this one)."""
    update_config({"webhooks": {"auto_deliver": True}})
    if WebhookEvent.objects.filter(status=WebhookEvent.Status.PENDING).exists():
        transaction.on_commit(_schedule_delivery)
    if stdout is not None:
        stdout.write("Graph sandbox: webhooks are delivered automatically (console: /graph-sandbox/console/)")
