"""Helpers for sync tests: a shop connected to a sandbox business, the calls the sandbox got."""

from __future__ import annotations

import json

from django.test import Client

from shops.models import Membership, MetaConnection
from shops.tests import sandboxflow


def connect(sandbox, shop) -> dict:
    """Connect `shop` the way its owner does: Connect in the wizard, Continue in the sandbox's FBE
    dialog (the permissions the wizard asks for), the code exchange. The connect's own calls are
    then cleared from the sandbox's journal, so the tests count only their own. Returns the
    business's ids as Meta reported them and the token the connect got."""
    if not shop.storefront_url:
        type(shop).objects.filter(pk=shop.pk).update(storefront_url=f"https://shop-{shop.pk}.example.com")
    owner = shop.memberships.filter(role=Membership.Role.OWNER).select_related("user").first().user
    client = Client()
    client.force_login(owner)
    response = sandboxflow.connect(client, shop)
    conn = MetaConnection.objects.get(shop=shop)
    assert conn.is_connected, (response.status_code, response.get("Location"), conn.last_error)
    sandbox.clear_requests()
    return {"business_id": conn.business_manager_id, "catalog_id": conn.catalog_id, "pixel_id": conn.pixel_id,
            "commerce_merchant_settings_id": conn.commerce_merchant_settings_id,
            "access_token": str(conn.access_token)}


def batch_calls(sandbox) -> list[list[dict]]:
    """The `requests` of every items_batch call the sandbox answered with 200, in order."""
    calls = []
    for row in sandbox.requests(path="*/items_batch", method="POST"):
        if row["status"] == 200:
            calls.append(row)
    return calls


def decode(row) -> list[dict]:
    """The records of one journalled items_batch call (small calls only: the journal cuts long
    values). The sync sends them in a JSON body, where they stay typed; a form-encoded call has
    them as a JSON string."""
    records = row["params"]["requests"]
    return json.loads(records) if isinstance(records, str) else records
