"""The scheduled fan-outs: polls of the shops that are due, pushes waiting for a retry."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from orders import services, tasks
from orders.models import OrderFeed, SyncState


def test_the_poll_schedule_picks_only_due_connected_shops(meta_shop, shop_b):
    assert tasks.poll_due_shops() == 0  # polled when connected; next poll in two minutes
    OrderFeed.objects.filter(shop=meta_shop.shop).update(next_poll_at=timezone.now() - timedelta(seconds=1))
    placed = meta_shop.place()
    assert tasks.poll_due_shops() == 1  # shop B has no Meta connection
    assert meta_shop.local(placed["id"]).state == "IN_PROGRESS"  # the fanned-out poll ran (tasks are sync here)


def test_the_retry_sweep_sends_what_waits(meta_shop):
    placed = meta_shop.place()
    meta_shop.poll()
    order = meta_shop.local(placed["id"])
    meta_shop.sandbox.add_fault(path="*/shipments", method="POST", kind="throttle", code=4, count=1)
    shipment = services.ship(meta_shop.shop, order.pk, quantities={order.items.get().pk: 2}, carrier="UPS",
                             tracking_number="1Z")
    shipment.refresh_from_db()
    assert shipment.push.state == SyncState.PENDING and shipment.push.next_attempt_at > timezone.now()
    assert tasks.push_due() == 0  # not yet due
    type(shipment.push).objects.filter(pk=shipment.push.pk).update(next_attempt_at=timezone.now())
    assert tasks.push_due() == 1
    shipment.push.refresh_from_db()
    assert shipment.push.state == SyncState.SYNCED
    assert len(meta_shop.meta(placed["id"])["shipments"]) == 1
