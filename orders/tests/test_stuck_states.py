"""Stuck states under faults: work that a failure left waiting gets done once the cause is gone,
without the seller asking."""

from __future__ import annotations

import pytest
import time_machine
from django.utils import timezone

from kernel import jobs
from orders import push as pushes
from orders import services
from orders.models import AckBatch, MetaPush, Order, SyncState
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


@pytest.fixture
def clock():
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        yield traveller


def _pending_shipment(meta_shop):
    placed = meta_shop.place()
    meta_shop.poll()
    order = meta_shop.local(placed["id"])
    item = order.items.get()
    meta_shop.sandbox.add_fault(path="*/shipments", method="POST", kind="error", code=2, http_status=503,
                                count=None)
    shipment = services.ship(meta_shop.shop, order.pk, quantities={item.pk: 2}, carrier="UPS", tracking_number="1Z")
    shipment.push.refresh_from_db()
    if shipment.push.state == SyncState.PENDING:
        pushes.send(shipment.push.pk)  # the first send may have been made on commit already
    shipment.push.refresh_from_db()
    assert shipment.push.state == SyncState.PENDING
    meta_shop.sandbox.clear_faults()
    return placed, shipment.push


def test_a_push_held_by_a_killed_worker_is_sent_again_about_a_minute_later(meta_shop, clock):
    """A worker claims a push and is killed (kill -9) before it settles it: nothing renews its
    lease, which lapses within about a minute; the sweep then sends the push (it was 600 s)."""
    placed, push = _pending_shipment(meta_shop)
    MetaPush.objects.filter(pk=push.pk).update(next_attempt_at=timezone.now())
    assert pushes.claim(push.pk) is not None  # the worker about to be killed
    jobs._live.leases = {}  # killed: its heartbeat is gone with it
    assert push.pk not in pushes.due_pushes() and pushes.send(push.pk) == "skipped"
    clock.shift(45)
    assert push.pk not in pushes.due_pushes()
    clock.shift(30)  # 75 s after the kill
    assert push.pk in pushes.due_pushes()
    assert pushes.send(push.pk) == SyncState.SYNCED
    assert len(meta_shop.meta(placed["id"])["shipments"]) == 1


def test_a_live_worker_keeps_its_push_lease_through_a_long_wait_on_meta(meta_shop, clock, settings):
    """The Graph client renews the worker's leases while it waits between attempts: a send that
    waits 3 minutes on Meta's throttle keeps its push, and no other worker sends it meanwhile."""
    placed, push = _pending_shipment(meta_shop)
    seen = []

    def sleep(seconds):
        clock.shift(seconds)
        seen.append((round(seconds, 1), jobs.is_held(pushes.push_key(push.pk)), pushes.send(push.pk)))

    from shops.graph import client_for_shop

    client = client_for_shop(meta_shop.shop, sleep=sleep, max_wait=600)
    meta_shop.sandbox.add_fault(path="*/shipments", method="POST", kind="throttle", code=4,
                                estimated_time_to_regain_access=3, count=1)
    assert pushes.send(push.pk, client=client) == SyncState.SYNCED
    assert sum(s for s, _, _ in seen) >= 180 and all(held and other == "skipped" for _, held, other in seen)
    assert len(meta_shop.meta(placed["id"])["shipments"]) == 1
