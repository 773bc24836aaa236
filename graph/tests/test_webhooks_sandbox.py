"""Webhooks end to end: the sandbox plays Meta, signs and delivers to our receiver over HTTP."""

from __future__ import annotations

import pytest

from graph.models import WebhookEvent
from graph.tests.helpers import swapped_handler

pytestmark = pytest.mark.usefixtures("settle_hung_requests")


def test_the_sandbox_handshake_with_our_callback_succeeds(sandbox):
    attempt = sandbox.verify_webhooks()
    assert attempt["ok"] is True
    assert attempt["url"].endswith("/webhooks/meta/")


def test_delivered_fbe_install_events_are_stored_once_and_dispatched(sandbox, shop_a):
    seen = []

    def handler(event):
        seen.append(event.value)
        return "seen"

    with swapped_handler("user", "fbe_install", handler):
        sandbox.create_business(external_business_id=shop_a.external_business_id)  # Meta says "installed"
        sandbox.emit_fbe_install(shop_a.external_business_id, action="uninstall")
        result = sandbox.flush_webhooks()
        assert (result["delivered"], result["failed"]) == (2, 0)
        # Meta delivering the uninstall again: the same entry, a new signed request
        sandbox.send_webhook(object="user", field="fbe_install", entry=_last_entries(sandbox))
        assert sandbox.flush_webhooks()["delivered"] == 1

    events = list(WebhookEvent.objects.order_by("pk"))
    assert [(e.object, e.field, e.status, e.note) for e in events] == [
        ("user", "fbe_install", "processed", "seen"), ("user", "fbe_install", "processed", "seen")]
    assert len(seen) == 2
    installed, uninstalled = seen
    assert installed["business_id"] == uninstalled["business_id"] == shop_a.external_business_id
    assert installed["access_token"] and "access_token" not in uninstalled
    # the system-user token of the install is masked in what the admin shows, kept sealed
    assert events[0].payload["change"]["value"]["access_token"] == "***"
    assert events[0].value["access_token"] == installed["access_token"]


def _last_entries(sandbox):
    """The entry list of the last webhook the sandbox sent (to send it again, byte for byte)."""
    import json

    return json.loads(sandbox.webhooks()[-1]["body"])["entry"]
