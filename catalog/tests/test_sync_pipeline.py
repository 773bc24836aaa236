"""The full sync at scale: rows streamed into batches, JSON bodies, the query budget, the reconcile's
listing beside the sending (issue 16). The crash tests are in test_sync_processes.py (real
processes, the pipeline on worker threads)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.db import connection

from catalog import payloads, services, sync
from catalog.models import Product, SyncRun
from catalog.sync import batches, engine
from catalog.sync.batches import Outbox, queue
from catalog.tests.factories import make_product
from catalog.tests.syncing import batch_calls, connect, decode
from catalog.tests.test_sync import PortalQueries
from meta_sandbox.facade import CatalogControl


def _rows(shop, kind="full", size=100):
    outbox = Outbox(queue(shop, kind), kind, 0, set(), batch_size=size)
    return [batch for batch in iter(outbox.next, None)]


def test_a_values_row_makes_the_same_record_as_the_product(shop_a):
    product = make_product(
        shop_a, retailer_id="ROW-1", price_minor=1250, sale_price_minor=999, status="archived",
        sale_starts_at=datetime(2026, 11, 1, tzinfo=UTC), sale_ends_at=datetime(2026, 11, 30, 23, 59, tzinfo=UTC),
        additional_image_links=["https://t.example.com/2.jpg"], internal_labels=["gift"], set_labels=["ps_1"],
        shipping_weight_value=Decimal("0.150"), shipping_weight_unit="kg", quantity_to_sell_on_facebook=4)
    make_product(shop_a, retailer_id="ROW-2")
    (batch,) = _rows(shop_a)
    sent = [json.loads(text) for text in batch.records]
    assert sent == [payloads.item_request(product), payloads.item_request(Product.objects.get(retailer_id="ROW-2"))]
    assert batch.items[0] == [product.pk, "ROW-1", product.slow_hash, product.fast_hash]
    assert batch.size == sum(len(t.encode()) + 1 for t in batch.records)


def test_batches_stay_full_under_the_byte_limit_and_skip_products_in_flight(shop_a, monkeypatch):
    made = [make_product(shop_a, retailer_id=f"B-{n:02d}") for n in range(10)]
    outbox = Outbox(queue(shop_a, "full"), "full", 0, {made[1].pk, made[2].pk}, batch_size=4)
    first, second = iter(outbox.next, None)
    assert [i[1] for i in first.items] == ["B-00", "B-03", "B-04", "B-05"]  # topped up past the skipped ones
    assert first.cursor == made[5].pk
    assert [i[1] for i in second.items] == ["B-06", "B-07", "B-08", "B-09"] and second.cursor == made[9].pk
    one = len(batches.encode(payloads.item_request(made[0])).encode()) + 1
    monkeypatch.setattr(batches, "MAX_BATCH_BYTES", batches.BYTES_MARGIN + 2 * one + 50)
    sizes = [len(b.records) for b in _rows(shop_a, size=4)]
    assert sizes == [2, 2, 2, 2, 2]  # every record sent once, each batch under the limit


@pytest.fixture
def meta(sandbox, shop_a):
    made = connect(sandbox, shop_a)
    return {"sandbox": sandbox, "catalog": CatalogControl(sandbox), **made}


def test_items_batch_goes_as_a_json_body(meta, shop_a, monkeypatch):
    monkeypatch.setattr(engine, "BATCH_SIZE", 2)
    for n in range(3):
        make_product(shop_a, retailer_id=f"J-{n}")
    assert sync.sync_shop(shop_a.pk, "full").status == "succeeded"
    calls = batch_calls(meta["sandbox"])
    assert [row["headers"]["Content-Type"] for row in calls] == ["application/json"] * 2
    assert [r["data"]["id"] for row in calls for r in decode(row)] == ["J-0", "J-1", "J-2"]
    assert calls[0]["params"]["allow_upsert"] is True  # typed, as a JSON body carries it


def _full_sync_queries(sandbox, shop, products: int) -> int:
    connect(sandbox, shop)
    for n in range(products):
        make_product(shop, retailer_id=f"Q{shop.pk}-{n:03d}")
    counter = PortalQueries()
    with connection.execute_wrapper(counter):
        outcome = sync.sync_shop(shop.pk, "full")
    assert outcome.status == "succeeded"
    assert SyncRun.objects.get(pk=outcome.run_id).batches == products // 3
    return counter.count


def test_a_full_sync_costs_at_most_ten_queries_a_batch(sandbox, shop_a, shop_b, monkeypatch):
    """Two batches and four (three products each): what one more batch costs, and what the run
    costs whatever its size. At Meta's 5,000 a batch, 100,000 products are 20 batches."""
    monkeypatch.setattr(engine, "BATCH_SIZE", 3)
    two = _full_sync_queries(sandbox, shop_a, 6)
    four = _full_sync_queries(sandbox, shop_b, 12)
    per_batch = (four - two) / 2
    fixed = two - 2 * per_batch
    assert per_batch <= 8, (two, four)
    assert (20 * per_batch + fixed) / 20 <= 10, (two, four)


def test_the_listing_beside_the_sending_deletes_orphans_once_and_nothing_of_ours(meta, shop_a, monkeypatch):
    monkeypatch.setattr(engine, "BATCH_SIZE", 2)
    meta["catalog"].add_products(meta["catalog_id"], [{"id": "ORPHAN", "title": "Old", "description": "x",
                                                       "availability": "in stock", "condition": "new",
                                                       "price": "1.00 USD", "link": "https://x.example.com",
                                                       "image_link": "https://x.example.com/i.jpg", "brand": "B"}])
    kept = [make_product(shop_a, retailer_id=f"K-{n}") for n in range(3)]
    gone = make_product(shop_a, retailer_id="GONE")
    assert sync.sync_shop(shop_a.pk, "full").status == "succeeded"
    services.delete_product(shop_a, gone)
    meta["sandbox"].clear_requests()
    outcome = sync.sync_shop(shop_a.pk, "full")  # GONE's DELETE rides this run, beside the listing
    assert outcome.status == "succeeded"
    held = {p["retailer_id"] for p in meta["catalog"].products(meta["catalog_id"])}
    assert held == {p.retailer_id for p in kept}
    deletes = [r["data"]["id"] for row in batch_calls(meta["sandbox"]) for r in decode(row) if r["method"] == "DELETE"]
    assert deletes == ["GONE"]  # once: not again as an "orphan" the listing saw before it went
    run = SyncRun.objects.get(pk=outcome.run_id)
    assert run.orphans_deleted == 0 and run.confirmed == 4
