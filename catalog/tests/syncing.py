"""Helpers for sync tests: a shop connected to a sandbox business, the calls the sandbox got."""

from __future__ import annotations

import json

from django.utils import timezone

from shops.models import MetaConnection


def connect(sandbox, shop) -> dict:
    """Connect `shop` to a new sandbox business (as FBE would); returns the business's ids."""
    made = sandbox.create_business(name=shop.name, external_business_id=shop.external_business_id)
    conn, _ = MetaConnection.objects.get_or_create(shop=shop)
    conn.access_token = made["access_token"]
    conn.status = MetaConnection.Status.CONNECTED
    conn.catalog_id = made["catalog_id"]
    conn.business_manager_id = made["business_id"]
    conn.commerce_merchant_settings_id = made["commerce_merchant_settings_id"]
    conn.connected_at = timezone.now()
    conn.save()
    return made


def batch_calls(sandbox) -> list[list[dict]]:
    """The `requests` of every items_batch call the sandbox answered with 200, in order."""
    calls = []
    for row in sandbox.requests(path="*/items_batch", method="POST"):
        if row["status"] == 200:
            calls.append(row)
    return calls


def decode(row) -> list[dict]:
    """The records of one journalled items_batch call (small calls only: the journal cuts long
    values)."""
    return json.loads(row["params"]["requests"])
