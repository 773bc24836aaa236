"""Ingest costs per page, not per order: the portal's queries for 20 and for 60 new orders
(one page, one acknowledgement batch each) are the same; with pages read ahead and the
acknowledgements sent one batch ahead (outside a transaction, PostgreSQL), every order is
stored once and acknowledged once, batches in order."""

from __future__ import annotations

import pytest
from django.db import connection

from catalog.tests.factories import make_product
from kernel.localserver import QueryCounter
from orders.ingest import readahead
from orders.models import AckBatch, Order, OrderEvent
from promotions.models import LineAllocation, OrderPromotion

SPEC = {
    "channel": "instagram",
    "currency": "USD",
    "items": [{"retailer_id": "TEA-1", "quantity": 2, "price": "12.00", "product_name": "Jasmine tea"},
              {"retailer_id": "CUP-1", "quantity": 1, "price": "8.00", "product_name": "Tea cup"}],
    "shipping": {"name": "Standard", "reference_id": "std", "price": "4.00"},
    "tax_rate": "8.25",
    "discounts": [{"type": "item", "retailer_id": "TEA-1", "amount_off": "1.00"}],
}


def portal_queries(meta_shop, n: int) -> int:
    """Place `n` orders (stock-tracked products, an item-level offer: promotions are recorded),
    poll once, return the portal's queries (this thread's; the sandbox serves from others)."""
    for rid in ("TEA-1", "CUP-1"):
        make_product(meta_shop.shop, retailer_id=rid, quantity_to_sell_on_facebook=1000)
    meta_shop.buyer.place_many(meta_shop.cms, n, **SPEC)
    counter = QueryCounter()
    connection.execute_wrappers.append(counter)
    try:
        counts = meta_shop.poll()
    finally:
        connection.execute_wrappers.remove(counter)
    assert counts["new"] == counts["acknowledged"] == n and counts["ack_calls"] == 1
    orders = Order.objects.filter(shop=meta_shop.shop)
    assert OrderPromotion.objects.filter(order__in=orders).count() == n
    assert LineAllocation.objects.filter(promotion__order__in=orders).count() == n
    return counter.portal


def test_ingest_queries_do_not_grow_with_the_orders(connect_shop, shop_a, alice, charlie):
    from shops.services import create_shop

    small = portal_queries(connect_shop(shop_a, alice), 20)
    other = create_shop(owner=charlie, name="Shop C", currency="USD", country="US")
    large = portal_queries(connect_shop(other, charlie), 60)
    # Three times the orders, the same statements: a query per order would add 40.
    assert abs(large - small) <= 2, (small, large)


@pytest.mark.postgres
@pytest.mark.skipif(connection.vendor != "postgresql",
                    reason="read-ahead is off on SQLite's in-memory test database (its connections lock each other)")
def test_pages_read_ahead_and_acknowledgements_sent_ahead_store_and_acknowledge_each_order_once(
        transactional_db, connect_shop, shop_a, alice):
    # The order app registered first (promotions' own `meta_shop` leaves it unregistered, and
    # without an order management app Meta hands new orders to Commerce Manager as IN_PROGRESS).
    meta_shop = connect_shop(shop_a, alice)
    assert readahead.enabled()
    ids = meta_shop.buyer.place_many(meta_shop.cms, 250, **{**SPEC, "discounts": []})
    counts = meta_shop.poll()
    assert counts["new"] == counts["acknowledged"] == 250 and counts["ack_calls"] == 3
    orders = Order.objects.filter(shop=meta_shop.shop)
    assert sorted(orders.values_list("meta_order_id", flat=True)) == sorted(ids)
    assert set(orders.values_list("state", flat=True)) == {Order.State.IN_PROGRESS}
    batches = list(AckBatch.objects.filter(shop=meta_shop.shop).order_by("pk"))
    assert [len(batch.payload) for batch in batches] == [100, 100, 50]
    assert [batch.attempts for batch in batches] == [1, 1, 1]
    # Batches went out in the order they were made (their keys, as Meta received them).
    sent = [call["params"]["idempotency_key"] for call in meta_shop.requests("*/acknowledge_orders")]
    assert sent == [batch.idempotency_key for batch in batches]
    assert OrderEvent.objects.filter(order__shop=meta_shop.shop, kind=OrderEvent.Kind.ACKNOWLEDGED).count() == 250
    for meta_id in ids[::25]:
        assert len(meta_shop.meta(meta_id)["acknowledgements"]) == 1
    from kernel.models import Lease

    assert not Lease.objects.filter(key__startswith="orders.").exists()  # every lease given back
