"""The sync engine copes with every batch status Meta documents and with item errors Meta
reports only in check_batch_request_status (issue 12; Meta's "Get batch request" guide)."""

from __future__ import annotations

import pytest

from catalog import sync
from catalog.models import CatalogBatch, Product, ProductIssue, SyncRun
from catalog.payloads import FAST_FIELDS
from catalog.sync.results import batch_state
from catalog.tests.factories import make_product
from catalog.tests.syncing import batch_calls, connect, decode
from meta_sandbox.facade import CatalogControl


@pytest.fixture
def meta(sandbox, shop_a, settings):
    settings.CATALOG_SYNC_POLL_SECONDS = 0
    made = connect(sandbox, shop_a)
    return {"sandbox": sandbox, "catalog": CatalogControl(sandbox), **made}


@pytest.mark.parametrize(("status", "state"), [
    ("scheduled", "pending"), ("dispatched", "pending"), ("started", "pending"), ("Started", "pending"),
    ("finished", "done"), ("Finished", "done"), ("error", "failed"), ("canceled", "failed"), ("Canceled", "failed"),
    ("something_new", "pending"), ("", "pending")])
def test_every_documented_status_is_understood(status, state):
    assert batch_state(status) == state


def test_a_batch_still_scheduled_or_dispatched_is_waited_for(meta, shop_a):
    meta["catalog"].set_batch_statuses(progress=["scheduled", "dispatched"], delay=30)
    make_product(shop_a, retailer_id="WAIT")
    outcome = sync.sync_shop(shop_a.pk, "changes")
    run = SyncRun.objects.get(pk=outcome.run_id)
    assert run.status == "waiting" and CatalogBatch.objects.get().status == "sent"
    assert Product.objects.get(retailer_id="WAIT").needs_sync


@pytest.mark.parametrize("outcome", ["error", "canceled"])
def test_a_batch_meta_ends_in_error_or_canceled_confirms_nothing_and_goes_again(meta, shop_a, outcome):
    meta["catalog"].set_batch_statuses(outcome=outcome)
    meta["catalog"].reject("BAD-1", "IMAGE_RESOLUTION_LOW")
    make_product(shop_a, retailer_id="OK-1")
    make_product(shop_a, retailer_id="BAD-1")
    sync.sync_shop(shop_a.pk, "changes")
    assert CatalogBatch.objects.get().status == "failed"
    assert all(p.needs_sync and p.synced_at is None for p in Product.objects.all())
    issues = {i.product.retailer_id for i in ProductIssue.objects.open().filter(shop=shop_a)}
    assert issues == ({"BAD-1"} if outcome == "error" else set())
    # Meta is well again: the next run sends them and Meta confirms.
    meta["catalog"].set_batch_statuses(outcome="finished")
    meta["catalog"].clear_rules()
    sync.sync_shop(shop_a.pk, "changes")
    assert not any(p.needs_sync for p in Product.objects.all())


def test_a_price_for_an_item_meta_lost_is_sent_again_as_a_full_record(meta, shop_a):
    """Meta no longer has the item (deleted in Commerce Manager): the fast record's upsert lacks
    the required fields, which Meta reports only in the batch status; the product goes again in full."""
    product = make_product(shop_a, retailer_id="LOST")
    sync.sync_shop(shop_a.pk, "changes")
    held = meta["catalog"].product(meta["catalog_id"], "LOST")
    assert held is not None
    meta["sandbox"].delete_object(held["id"])  # deleted in Commerce Manager; our shop believes it is synced
    meta["sandbox"].clear_requests()
    product.refresh_from_db()
    Product.objects.filter(pk=product.pk).update(price_minor=product.price_minor + 100, needs_sync_fast=True,
                                                 fast_hash="changed")
    sync.sync_shop(shop_a.pk, "fast")
    [fast_call] = batch_calls(meta["sandbox"])
    assert set(decode(fast_call)[0]["data"]) <= {"id", *FAST_FIELDS}  # a partial record
    product.refresh_from_db()
    assert product.needs_sync_slow and product.synced_at is None
    assert CatalogControl(meta["sandbox"]).product(meta["catalog_id"], "LOST") is None
    sync.sync_shop(shop_a.pk, "changes")
    product.refresh_from_db()
    assert not product.needs_sync and product.synced_at is not None
    assert CatalogControl(meta["sandbox"]).product(meta["catalog_id"], "LOST")["title"] == product.title
