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
    _finance_demo(shops)
    if WebhookEvent.objects.filter(status=WebhookEvent.Status.PENDING).exists():
        transaction.on_commit(_schedule_delivery)
    if stdout is not None:
        stdout.write("Graph sandbox: webhooks are delivered automatically (console: /graph-sandbox/console/)")


def _finance_demo(shops) -> None:
    """The demo shops' commerce accounts get a few months of payouts and transactions (and one
    open chargeback) when their ledger is first read (meta_sandbox/actions/finance.py): their
    accounts are made by later seeders, so the sandbox names the businesses now."""
    from .endpoints.finance import SWITCH_KEY
    from .models import Switch

    wanted = sorted({str(getattr(shop, "external_business_id", "") or "") for shop in shops} - {""})
    if wanted:
        Switch.objects.update_or_create(key=SWITCH_KEY, defaults={"value": {"demo_businesses": wanted}})
