"""Exactly once under faults: a timeout after Meta applied the write, 5xx answers and rate
limits never make Meta apply an acknowledgement, shipment, cancellation, refund or return
decision twice (same idempotency key and body on every retry, META_API §3.12)."""

from __future__ import annotations

import time

import pytest

from orders import push as pushes
from orders import services
from orders.models import AckBatch, Order, SyncState
from orders.tests.helpers import TEA

FAULTS = {
    # The write is applied, then the answer never comes (the client's read timeout fires).
    "timeout_after_apply": {"kind": "after_apply", "seconds": 2.5},
    # The write is applied, then the connection drops.
    "drop_after_apply": {"kind": "after_apply", "then": "drop"},
    "server_error": {"kind": "error", "code": 2, "http_status": 503, "count": 2},
    "rate_limit": {"kind": "throttle", "code": 4},
}


@pytest.fixture
def faulty(meta_shop, settings):
    settings.GRAPH_READ_TIMEOUT = 1.0
    settings.GRAPH_MAX_ATTEMPTS = 4
    return meta_shop


def arm(meta_shop, path: str, fault: str) -> None:
    spec = dict(FAULTS[fault])
    spec.setdefault("count", 1)
    meta_shop.sandbox.add_fault(path=path, method="POST", **spec)


def hit(meta_shop, path: str) -> bool:
    """The fault was consumed and the journal shows the faulted call."""
    faulted = [r for r in meta_shop.sandbox.requests(path=path, method="POST") if r["fault"]]
    return meta_shop.sandbox.faults() == [] and bool(faulted)


def deliver(record) -> None:
    """Run the push until it settles, as the retry sweep would."""
    record.refresh_from_db()
    for _ in range(4):
        if record.push.state != SyncState.PENDING:
            break
        pushes.send(record.push.pk)
        record.push.refresh_from_db()
    assert record.push.state == SyncState.SYNCED, record.push.error


def shipped_order(meta_shop, **spec):
    placed = meta_shop.place(**spec)
    meta_shop.poll()
    order = meta_shop.local(placed["id"])
    return placed, order, order.items.get()


@pytest.mark.parametrize("fault", FAULTS)
def test_acknowledgements_are_applied_once(faulty, fault):
    ids = faulty.buyer.place_many(faulty.cms, 3, items=[TEA])
    arm(faulty, "*/acknowledge_orders", fault)
    faulty.poll()
    if Order.objects.filter(shop=faulty.shop, state=Order.State.CREATED).exists():
        faulty.poll()  # the batch waited for the next run: same key, same body
    assert set(Order.objects.filter(shop=faulty.shop).values_list("state", flat=True)) == {"IN_PROGRESS"}
    for meta_id in ids:
        assert len(faulty.meta(meta_id)["acknowledgements"]) == 1
    assert AckBatch.objects.filter(shop=faulty.shop).count() == 1
    assert hit(faulty, "*/acknowledge_orders")


@pytest.mark.parametrize("fault", FAULTS)
def test_a_shipment_is_applied_once(faulty, fault):
    placed, order, item = shipped_order(faulty)
    arm(faulty, "*/shipments", fault)
    shipment = services.ship(faulty.shop, order.pk, quantities={item.pk: 2}, carrier="UPS", tracking_number="1Z")
    deliver(shipment)
    assert len(faulty.meta(placed["id"])["shipments"]) == 1
    assert hit(faulty, "*/shipments")


@pytest.mark.parametrize("fault", FAULTS)
def test_a_refund_is_applied_once(faulty, fault):
    placed, order, item = shipped_order(faulty)
    services.ship(faulty.shop, order.pk, quantities={item.pk: 2}, carrier="UPS", tracking_number="1Z")
    arm(faulty, "*/refunds", fault)
    refund = services.refund(faulty.shop, order.pk, quantities={item.pk: 1}, reason_code="DAMAGED_GOODS")
    deliver(refund)
    [at_meta] = faulty.meta(placed["id"])["refunds"]
    assert at_meta["total"] == "12.00"
    assert hit(faulty, "*/refunds")


@pytest.mark.parametrize("fault", ["timeout_after_apply", "server_error"])
def test_a_cancellation_is_applied_once(faulty, fault):
    placed, order, item = shipped_order(faulty)
    arm(faulty, "*/cancellations", fault)
    cancellation = services.cancel(faulty.shop, order.pk, quantities={item.pk: 1}, reason_code="OUT_OF_STOCK")
    deliver(cancellation)
    assert len(faulty.meta(placed["id"])["cancellations"]) == 1
    assert hit(faulty, "*/cancellations")


@pytest.mark.parametrize("fault", ["drop_after_apply", "rate_limit"])
def test_tracking_updates_and_return_decisions_are_applied_once(faulty, fault):
    placed, order, item = shipped_order(faulty)
    shipment = services.ship(faulty.shop, order.pk, quantities={item.pk: 2}, carrier="UPS", tracking_number="1Z")
    arm(faulty, "*/update_shipment", fault)
    update = services.update_tracking(faulty.shop, order.pk, shipment.pk, carrier="DHL", tracking_number="55")
    deliver(update)
    assert faulty.meta(placed["id"])["shipments"][0]["tracking_history"] == [
        {"carrier": "UPS", "tracking_number": "1Z"}]
    faulty.buyer.request_return(placed["id"], [{"item_id": item.meta_item_id, "quantity": 1}])
    time.sleep(1.1)
    faulty.poll()
    arm(faulty, "*/update_return", fault)
    decision = services.decide_return(faulty.shop, order.pk, order.returns.get().pk, event="ACCEPT_RETURN")
    deliver(decision)
    [ret] = faulty.meta(placed["id"])["returns"]
    assert ret["status"] == "APPROVED" and [h["status"] for h in ret["history"]] == ["REQUESTED", "APPROVED"]
    assert hit(faulty, "*/update_shipment") and hit(faulty, "*/update_return")
