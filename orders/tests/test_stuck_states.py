"""Stuck states under faults: work that a failure left waiting gets done once the cause is gone,
without the seller asking."""

from __future__ import annotations

from orders.models import AckBatch, Order, SyncState
from orders.tests.helpers import TEA
from shops.models import MetaConnection
from shops.tests import sandboxflow as flow


def test_a_190_on_acknowledge_orders_waits_for_the_reconnect_then_acknowledges(meta_shop):
    """Meta answers 190 (the token was invalidated) to the acknowledgement: the orders are not
    failed for good; once the seller has reconnected, the next scheduled poll acknowledges them
    with the same batch (same key, same body)."""
    ids = meta_shop.buyer.place_many(meta_shop.cms, 2, items=[TEA])
    meta_shop.sandbox.add_fault(path="*/acknowledge_orders", method="POST", kind="error", code=190,
                                error_subcode=460, http_status=400, message="Error validating access token")
    meta_shop.poll()
    assert meta_shop.connection.status == MetaConnection.Status.NEEDS_RECONNECT
    orders = Order.objects.filter(shop=meta_shop.shop)
    assert set(orders.values_list("ack_state", flat=True)) == {Order.AckState.PENDING}
    assert set(orders.values_list("state", flat=True)) == {Order.State.CREATED}
    batch = AckBatch.objects.get(shop=meta_shop.shop)
    assert batch.state == SyncState.PENDING

    flow.connect(meta_shop.client, meta_shop.shop)  # the seller reconnects (the dashboard's call to action)
    assert meta_shop.connection.status == MetaConnection.Status.CONNECTED
    meta_shop.poll(force=True)  # the next scheduled poll
    assert set(orders.values_list("state", flat=True)) == {Order.State.IN_PROGRESS}
    assert set(orders.values_list("ack_state", flat=True)) == {Order.AckState.SYNCED}
    assert list(AckBatch.objects.filter(shop=meta_shop.shop).values_list("pk", "state")) == [
        (batch.pk, SyncState.SYNCED)]
    for meta_id in ids:
        assert len(meta_shop.meta(meta_id)["acknowledgements"]) == 1
