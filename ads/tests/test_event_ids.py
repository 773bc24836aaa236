"""The one event-id rule (ads.capi.event_ids): an order's Purchase has the same id on every
post of that order, so Meta keeps one; other events carry the browser's random id."""

from __future__ import annotations

import pytest

from ads.capi.event_ids import BadEventId, event_id, order_event_id


def test_an_orders_purchase_id_is_made_of_the_order():
    assert order_event_id("Purchase", "W-1001") == "purchase.W-1001"
    assert order_event_id("Purchase", " W-1001 ") == order_event_id("Purchase", "W-1001")


def test_other_events_carry_the_browsers_id():
    assert event_id("AddToCart", "k2x9f1") == "addtocart.k2x9f1"
    with pytest.raises(BadEventId):
        order_event_id("AddToCart", "W-1001")


@pytest.mark.parametrize("key", ["", "has space", "x" * 100, "<script>"])
def test_ids_meta_would_not_match_are_refused(key):
    with pytest.raises(BadEventId):
        event_id("Purchase", key)
