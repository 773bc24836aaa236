"""Ingestion against the sandbox over real HTTP: new orders, acknowledgement, Meta-side changes."""

from __future__ import annotations

import math
import time

import pytest

from catalog.models import Product
from catalog.tests.factories import make_product
from orders import ingest
from orders.models import AckBatch, IngestRun, Order, OrderEvent, OrderFeed, Return
from orders.tests.helpers import CUP, TEA


@pytest.fixture
def stock(meta_shop):
    return {"tea": make_product(meta_shop.shop, retailer_id="TEA-1", quantity_to_sell_on_facebook=10),
            "cup": make_product(meta_shop.shop, retailer_id="CUP-1", quantity_to_sell_on_facebook=5)}


def inventory(product) -> int:
    return Product.objects.get(pk=product.pk).quantity_to_sell_on_facebook


def test_new_orders_are_stored_acknowledged_and_take_stock(meta_shop, stock):
    placed = meta_shop.place(items=[TEA, CUP], channel="facebook", tax_rate="10",
                             buyer={"name": "Grace Hopper", "email_remarketing_option": True})
    counts = meta_shop.poll()
    assert counts["new"] == 1 and counts["acknowledged"] == 1 and counts["ack_calls"] == 1
    order = meta_shop.local(placed["id"])
    assert order.state == Order.State.IN_PROGRESS and order.ack_state == Order.AckState.SYNCED
    at_meta = meta_shop.meta(placed["id"])
    assert at_meta["state"] == "IN_PROGRESS" and at_meta["merchant_order_id"] == order.reference
    assert len(at_meta["acknowledgements"]) == 1
    # Our own copies of the order's facts, money in minor units.
    assert (order.channel, order.buyer_name, order.buyer_marketing_opt_in) == ("facebook", "Grace Hopper", True)
    assert (order.items_subtotal_minor, order.tax_minor, order.total_minor) == (3200, 320, 3520)
    tea, cup = order.items.order_by("position")
    assert (tea.retailer_id, tea.quantity, tea.price_per_unit_minor, tea.product_id) == ("TEA-1", 2, 1200,
                                                                                           stock["tea"].pk)
    assert tea.meta_item_id == placed["items"][0]["id"] and tea.title == "Jasmine tea"
    assert (inventory(stock["tea"]), inventory(stock["cup"])) == (8, 4)
    assert Product.objects.get(pk=stock["tea"].pk).needs_sync_fast  # the catalog fast lane pushes it
    # Polling again neither duplicates the order nor takes stock twice.
    meta_shop.poll()
    assert Order.objects.filter(shop=meta_shop.shop).count() == 1 and inventory(stock["tea"]) == 8
    run = IngestRun.objects.filter(shop=meta_shop.shop).order_by("-pk")[1]
    assert run.status == IngestRun.Status.OK and run.counts["new"] == 1 and run.finished_at


def test_orders_in_metas_checks_reserve_stock_then_get_acknowledged(meta_shop, stock):
    placed = meta_shop.place(items=[TEA], state="FB_PROCESSING", buyer={"name": "Alan T"})
    meta_shop.poll()
    order = meta_shop.local(placed["id"])
    assert order.state == Order.State.FB_PROCESSING and order.buyer_name == "" and not order.shipping_address
    assert inventory(stock["tea"]) == 8
    assert meta_shop.meta(placed["id"])["acknowledgements"] == []
    meta_shop.buyer.release(placed["id"])
    meta_shop.poll()
    order.refresh_from_db()
    assert order.state == Order.State.IN_PROGRESS and order.buyer_name == "Alan T"
    assert order.shipping_address["city"] == "Austin" and inventory(stock["tea"]) == 8
    kinds = list(order.events.order_by("pk").values_list("kind", flat=True))
    assert kinds == ["received", "state", "released", "acknowledged"]


def test_250_new_orders_take_3_acknowledgement_calls(meta_shop):
    meta_shop.buyer.place_many(meta_shop.cms, 250, items=[TEA])
    counts = meta_shop.poll()
    assert counts["new"] == 250 and counts["acknowledged"] == 250
    acks = meta_shop.requests("*/acknowledge_orders")
    assert len(acks) == math.ceil(250 / 100) == 3
    sizes = [len(batch.payload) for batch in AckBatch.objects.filter(shop=meta_shop.shop).order_by("pk")]
    assert sizes == [100, 100, 50]
    assert Order.objects.filter(shop=meta_shop.shop, state=Order.State.IN_PROGRESS).count() == 250
    assert {o["state"] for o in meta_shop.buyer.orders(meta_shop.cms)} == {"IN_PROGRESS"}


def test_per_order_acknowledgement_errors_stay_on_the_order(meta_shop):
    from shops.graph import client_for_shop

    first, second = (meta_shop.place() for _ in range(2))
    conn = meta_shop.shop.meta_connection
    poller = ingest.Poller(conn, client_for_shop(conn), IngestRun.objects.create(shop=meta_shop.shop))
    poller.pull_new()
    meta_shop.sandbox.delete_object(second["id"])  # Meta no longer knows it: "Invalid Order ID"
    counts = ingest.acknowledge_pending(meta_shop.shop, client_for_shop(conn))
    assert counts == {"ack_calls": 1, "acknowledged": 1, "ack_errors": 1}
    ok, bad = meta_shop.local(first["id"]), meta_shop.local(second["id"])
    assert ok.state == Order.State.IN_PROGRESS
    assert bad.state == Order.State.CREATED and bad.ack_state == Order.AckState.FAILED
    assert "2361003" in bad.ack_error and bad.events.filter(kind=OrderEvent.Kind.ACK_FAILED).exists()
    from orders.issues import order_issue_cards

    assert "orders.ack_failed" in {card.kind for card in order_issue_cards(meta_shop.shop)}
    # A failed order is not sent again on its own; the seller's retry makes a new batch.
    ingest.acknowledge_pending(meta_shop.shop, client_for_shop(conn))
    assert len(meta_shop.requests("*/acknowledge_orders")) == 1
    assert ingest.retry_failed_acks(meta_shop.shop) == 1
    assert AckBatch.objects.filter(shop=meta_shop.shop).count() == 1


def test_every_change_on_metas_side_is_imported(meta_shop, stock):
    placed = meta_shop.place(items=[{**TEA, "quantity": 3}, CUP], tax_rate="10")
    meta_shop.poll()
    order = meta_shop.local(placed["id"])
    tea_id, cup_id = (i["id"] for i in placed["items"])
    assert inventory(stock["tea"]) == 7
    # The buyer cancels the cup (restocked); we ship the tea; Meta refunds twice; a return.
    meta_shop.buyer.buyer_cancel(placed["id"], items=[{"item_id": cup_id, "quantity": 1}])
    from orders import services

    tea = order.items.get(meta_item_id=tea_id)
    services.ship(meta_shop.shop, order.pk, quantities={tea.pk: 3}, carrier="UPS", tracking_number="1Z")
    meta_shop.buyer.meta_refund(placed["id"], items=[{"item_id": tea_id, "item_refund_quantity": 1}])
    meta_shop.buyer.meta_refund(placed["id"], items=[{"item_id": tea_id, "item_refund_quantity": 1}])
    meta_shop.buyer.request_return(placed["id"], [{"item_id": tea_id, "quantity": 1, "reason": "Too strong"}])
    time.sleep(1.1)  # updated_after has one-second resolution
    meta_shop.poll()
    order.refresh_from_db()
    assert order.state == Order.State.COMPLETED
    [cancellation] = order.cancellations.all()
    assert (cancellation.origin, cancellation.reason_code, cancellation.restock) == ("buyer", "CUSTOMER_REQUESTED",
                                                                                      True)
    assert inventory(stock["cup"]) == 5  # given back
    refunds = list(order.refunds.order_by("pk"))
    assert [(r.reason_code, r.origin, r.total_minor) for r in refunds] == [
        ("FACEBOOK_INITIATED", "meta", 1320), ("FACEBOOK_INITIATED", "meta", 1320)]
    [ret] = order.returns.all()
    # Read from Meta's return_status / item_return_quantities / item_return_reasons.
    assert ret.status == Return.Status.REQUESTED
    assert (ret.items.get().quantity, ret.items.get().reason) == (1, "Too strong")
    assert order.open_returns == 1
    tea.refresh_from_db()
    assert (tea.quantity_shipped, tea.quantity_refunded, tea.refunded_minor) == (3, 2, 2400)
    # Nothing is imported twice.
    time.sleep(1.1)
    meta_shop.poll()
    assert (order.refunds.count(), order.cancellations.count(), order.returns.count()) == (2, 1, 1)


def test_the_watermark_moves_only_with_the_data_it_covers(meta_shop):
    placed = meta_shop.place()
    meta_shop.poll()
    feed = OrderFeed.objects.get(shop=meta_shop.shop)
    before = feed.changes_watermark
    time.sleep(1.1)
    order = meta_shop.local(placed["id"])
    from orders import services

    services.ship(meta_shop.shop, order.pk, quantities={order.items.get().pk: 2}, carrier="USPS",
                  tracking_number="9400")
    meta_shop.sandbox.add_fault(path="*/commerce_orders", kind="error", code=2, count=4)
    failed = meta_shop.poll()
    assert failed["status"] == IngestRun.Status.FAILED
    feed.refresh_from_db()
    assert feed.changes_watermark == before
    ok = meta_shop.poll()
    feed.refresh_from_db()
    assert ok["status"] == IngestRun.Status.OK
    assert feed.changes_watermark == int(meta_shop.local(placed["id"]).meta_updated_at.timestamp())
    assert feed.changes_watermark > (before or 0)


def test_buy_x_get_y_and_order_level_offers_are_kept_per_line(meta_shop):
    placed = meta_shop.place(items=[{"retailer_id": "A", "quantity": 1, "price": "10.00"},
                                    {"retailer_id": "B", "quantity": 2, "price": "5.00"}],
                             discounts=[{"type": "bxgy", "retailer_id": "A", "get_quantity": 1},
                                        {"type": "order", "amount_off": "3.00", "sponsor": "merchant",
                                         "campaign_name": "3 off"},
                                        {"type": "order", "amount_off": "1.00", "sponsor": "facebook"}])
    meta_shop.poll()
    order = meta_shop.local(placed["id"])
    lines = list(order.items.order_by("position"))
    assert [(i.retailer_id, i.quantity, i.price_per_unit_minor) for i in lines] == [
        ("A", 1, 1000), ("B", 2, 500), ("A", 1, 0)]
    assert [i.order_discount_minor for i in lines] == [150, 150, 0]
    assert [i.meta_discount_minor for i in lines] == [50, 50, 0]
    assert order.has_order_level_offers and order.order_discount_minor == 300
    assert (order.total_minor, order.meta_paid_minor, order.buyer_paid_minor) == (1700, 100, 1600)
