"""Two workers racing on the same order (PostgreSQL: real row locks, separate connections):
one acknowledgement, one shipment, one refund."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections

from orders import ingest, services
from orders import push as pushes
from orders.errors import ActionError
from orders.models import AckBatch, IngestRun, Order, Refund, Shipment, SyncState

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="row-lock races need PostgreSQL"),
]


def race(*workers):
    """Run the workers at the same moment, each in its own thread and database connection."""
    barrier = threading.Barrier(len(workers))
    results: list = [None] * len(workers)

    def run(n, work):
        try:
            barrier.wait()
            results[n] = work()
        except Exception as exc:  # kept for the test to look at
            results[n] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(n, work)) for n, work in enumerate(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return results


@pytest.fixture
def client_factory(meta_shop):
    from shops.graph import client_for_shop

    return lambda: client_for_shop(meta_shop.shop.pk)


def test_two_workers_acknowledge_each_order_once(meta_shop, client_factory):
    ids = meta_shop.buyer.place_many(meta_shop.cms, 150, items=[{"retailer_id": "A", "quantity": 1,
                                                                  "price": "1.00"}])
    conn = meta_shop.shop.meta_connection
    ingest.Poller(conn, client_factory(), IngestRun.objects.create(shop=meta_shop.shop)).pull_new()
    shop = meta_shop.shop
    race(lambda: ingest.acknowledge_pending(shop, client_factory()),
         lambda: ingest.acknowledge_pending(shop, client_factory()))
    assert Order.objects.filter(shop=shop, state=Order.State.IN_PROGRESS).count() == 150
    assert sorted(len(b.payload) for b in AckBatch.objects.filter(shop=shop)) == [50, 100]
    assert len(meta_shop.requests("*/acknowledge_orders")) == 2
    for meta_id in ids[:: 15]:
        assert len(meta_shop.meta(meta_id)["acknowledgements"]) == 1


def test_two_polls_at_once_leave_one_to_do_the_work(meta_shop):
    meta_shop.buyer.place_many(meta_shop.cms, 20, items=[{"retailer_id": "A", "quantity": 1, "price": "1.00"}])
    results = race(meta_shop.poll, meta_shop.poll)
    assert sorted(bool(r.get("new")) for r in results) == [False, True]
    assert len(meta_shop.requests("*/acknowledge_orders")) == 1


def test_two_workers_shipping_the_same_units_make_one_shipment(meta_shop):
    placed = meta_shop.place()
    meta_shop.poll()
    order = meta_shop.local(placed["id"])
    item = order.items.get()

    def ship():
        return services.ship(meta_shop.shop, order.pk, quantities={item.pk: 2}, carrier="UPS", tracking_number="1Z")

    results = race(ship, ship)
    assert sum(isinstance(r, Shipment) for r in results) == 1
    assert sum(isinstance(r, ActionError) for r in results) == 1
    assert len(meta_shop.meta(placed["id"])["shipments"]) == 1


def test_two_workers_sending_the_same_shipment_send_it_once(meta_shop):
    placed = meta_shop.place()
    meta_shop.poll()
    order = meta_shop.local(placed["id"])
    meta_shop.sandbox.add_fault(path="*/shipments", method="POST", kind="throttle", code=4, count=1)
    shipment = services.ship(meta_shop.shop, order.pk, quantities={order.items.get().pk: 2}, carrier="UPS",
                             tracking_number="1Z")
    shipment.refresh_from_db()
    assert shipment.push.state == SyncState.PENDING  # throttled: waiting for a worker
    results = race(lambda: pushes.send(shipment.push.pk), lambda: pushes.send(shipment.push.pk))
    assert sorted(results) == ["skipped", "synced"]
    assert len(meta_shop.meta(placed["id"])["shipments"]) == 1


def test_two_workers_refunding_at_once_make_one_refund(meta_shop):
    placed = meta_shop.place()
    meta_shop.poll()
    order = meta_shop.local(placed["id"])
    item = order.items.get()
    services.ship(meta_shop.shop, order.pk, quantities={item.pk: 2}, carrier="UPS", tracking_number="1Z")

    def same_form():
        return services.refund(meta_shop.shop, order.pk, quantities={item.pk: 1}, reason_code="DAMAGED_GOODS",
                               submission="form-1")

    results = race(same_form, same_form)
    assert all(isinstance(r, Refund) for r in results) and results[0].pk == results[1].pk
    assert len(meta_shop.meta(placed["id"])["refunds"]) == 1

    def everything_left(n):
        return lambda: services.refund(meta_shop.shop, order.pk, quantities={item.pk: 1},
                                       reason_code="DAMAGED_GOODS", submission=f"other-{n}")

    results = race(everything_left(1), everything_left(2))
    assert sum(isinstance(r, Refund) for r in results) == 1 and sum(isinstance(r, ActionError) for r in results) == 1
    assert len(meta_shop.meta(placed["id"])["refunds"]) == 2
    assert meta_shop.meta(placed["id"])["refunded"]["total"] == "24.00"
