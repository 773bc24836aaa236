"""A stock move caused by an order goes through the catalog's inventory service, which asks for
the fast lane: the new inventory reaches Meta right after the order is recorded, not at the
5-minute sweep."""

from __future__ import annotations

from catalog import sync
from catalog.tests.factories import make_product
from catalog.tests.syncing import decode
from orders.tests.helpers import TEA
from shops.models import AuditEvent


def _inventory_sent(meta_shop, retailer_id: str) -> list[int]:
    sent = []
    for row in meta_shop.requests("*/items_batch"):
        for record in decode(row):
            data = record.get("data") or {}
            if data.get("id") == retailer_id and "quantity_to_sell_on_facebook" in data:
                sent.append(int(data["quantity_to_sell_on_facebook"]))
    return sent


def test_a_new_meta_order_sends_the_new_inventory_to_meta_at_once(meta_shop, settings,
                                                                   django_capture_on_commit_callbacks):
    settings.CATALOG_FAST_DEBOUNCE_SECONDS = 0
    settings.CATALOG_FAST_SPACING_SECONDS = 0
    tea = make_product(meta_shop.shop, retailer_id="TEA-1", quantity_to_sell_on_facebook=10)
    assert sync.sync_shop(meta_shop.shop.pk, "full").status == "succeeded"
    assert _inventory_sent(meta_shop, "TEA-1") == [10]

    meta_shop.place(items=[TEA])  # two units
    with django_capture_on_commit_callbacks(execute=True):
        meta_shop.poll()

    assert _inventory_sent(meta_shop, "TEA-1") == [10, 8]
    event = AuditEvent.objects.get(action="product.stock", target_id=str(tea.pk))
    assert event.changes == {"quantity_to_sell_on_facebook": [10, 8]} and event.actor_label == "system"
