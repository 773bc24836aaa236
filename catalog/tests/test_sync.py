"""The sync engine against the Graph sandbox over real HTTP (DESIGN §5, issue 5 phase 2)."""

from __future__ import annotations

import math
import threading
import time

import pytest
from django.db import connection
from django_q.models import Schedule

from catalog import services, sync, tasks
from catalog.models import CatalogBatch, Product, ProductIssue, SyncRun
from catalog.sync import config, engine
from catalog.sync.diagnostics import run_diagnostics
from catalog.sync.run import poll_shop
from catalog.tests.factories import make_product
from catalog.tests.syncing import batch_calls, connect, decode
from meta_sandbox.facade import CatalogControl
from shops.services import create_shop


@pytest.fixture
def small_batches(monkeypatch):
    monkeypatch.setattr(engine, "BATCH_SIZE", 5)
    return 5


@pytest.fixture
def meta(sandbox, shop_a):
    made = connect(sandbox, shop_a)
    return {"sandbox": sandbox, "catalog": CatalogControl(sandbox), **made}


def held(meta) -> dict[str, dict]:
    return {p["retailer_id"]: p for p in meta["catalog"].products(meta["catalog_id"])}


def test_a_full_sync_makes_one_call_per_batch_then_the_fast_lane_sends_only_what_changed(
        meta, shop_a, small_batches):
    products = [make_product(shop_a, retailer_id=f"T-{n:02d}", quantity_to_sell_on_facebook=5) for n in range(12)]
    outcome = sync.sync_shop(shop_a.pk, "full")
    assert outcome.status == "succeeded"
    calls = batch_calls(meta["sandbox"])
    assert len(calls) == math.ceil(12 / small_batches)
    assert set(held(meta)) == {p.retailer_id for p in products}
    assert not Product.objects.filter(shop=shop_a).pending_sync().exists()
    run = SyncRun.objects.get(pk=outcome.run_id)
    assert (run.total, run.sent, run.confirmed, run.rejected, run.batches, run.percent) == (12, 12, 12, 0, 3, 100)
    assert len(meta["sandbox"].requests(path="*/check_batch_request_status")) == 3

    # 1 %: one price and one stock change → one call, these two items, fast fields only.
    first, second = Product.objects.get(retailer_id="T-03"), Product.objects.get(retailer_id="T-07")
    first.price_minor = 1234
    first.save()
    second.quantity_to_sell_on_facebook = 0
    second.availability = "out of stock"
    second.save()
    assert sync.sync_shop(shop_a.pk, "fast").status == "succeeded"
    calls = batch_calls(meta["sandbox"])
    assert len(calls) == 4
    records = decode(calls[-1])
    assert sorted(r["data"]["id"] for r in records) == ["T-03", "T-07"]
    for record in records:
        assert record["method"] == "UPDATE"
        assert set(record["data"]) <= {"id", "price", "sale_price", "sale_price_effective_date", "availability",
                                       "quantity_to_sell_on_facebook"}
    assert held(meta)["T-03"]["price"] == "12.34 USD" and held(meta)["T-07"]["quantity_to_sell_on_facebook"] == 0
    assert not Product.objects.filter(shop=shop_a).pending_sync().exists()
    # Nothing changed: the fast lane makes no call at all.
    assert sync.sync_shop(shop_a.pk, "fast").status == "nothing to do"
    assert len(batch_calls(meta["sandbox"])) == 4


class PortalQueries:
    """Counts the queries of this thread only (the live server's thread runs the sandbox's)."""

    def __init__(self):
        self.thread = threading.get_ident()
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        if threading.get_ident() == self.thread:
            self.count += 1
        return execute(sql, params, many, context)


def _queries_for_two_batches(meta, shop, size, monkeypatch) -> int:
    monkeypatch.setattr(engine, "BATCH_SIZE", size)
    for n in range(2 * size):
        make_product(shop, retailer_id=f"Q{size}-{n}")
    counter = PortalQueries()
    before = len(batch_calls(meta["sandbox"]))
    with connection.execute_wrapper(counter):
        assert sync.sync_shop(shop.pk, "changes").status == "succeeded"
    assert len(batch_calls(meta["sandbox"])) - before == 2
    return counter.count


def test_queries_per_batch_do_not_grow_with_the_batch_size(meta, shop_a, monkeypatch):
    sync.sync_shop(shop_a.pk, "changes")  # the shop's sync state exists from now on
    small = _queries_for_two_batches(meta, shop_a, 3, monkeypatch)
    large = _queries_for_two_batches(meta, shop_a, 60, monkeypatch)
    assert large == small, (small, large)
    assert small < 90


def test_a_partial_batch_failure_gives_issues_to_exactly_the_rejected_items(meta, shop_a):
    meta["catalog"].reject("BAD-*", "IMAGE_RESOLUTION_LOW")
    good = [make_product(shop_a, retailer_id=f"GOOD-{n}") for n in range(4)]
    bad = [make_product(shop_a, retailer_id=f"BAD-{n}") for n in range(2)]
    outcome = sync.sync_shop(shop_a.pk, "changes")
    run = SyncRun.objects.get(pk=outcome.run_id)
    assert (run.confirmed, run.rejected) == (4, 2)
    for product in good:
        product.refresh_from_db()
        assert not product.needs_sync and product.synced_at is not None
    for product in bad:
        product.refresh_from_db()
        assert product.needs_sync_slow and product.synced_at is None
    issues = ProductIssue.objects.open().filter(shop=shop_a)
    assert {i.product_id for i in issues} == {p.pk for p in bad}
    assert {(i.source, i.code, i.field) for i in issues} == {("batch", "IMAGE_RESOLUTION_LOW", "image_link")}
    assert set(held(meta)) == {p.retailer_id for p in good}


def test_a_rate_limit_mid_sync_resumes_later_without_resending_confirmed_items(meta, shop_a, small_batches):

    for n in range(12):
        make_product(shop_a, retailer_id=f"R-{n:02d}")
    sandbox = meta["sandbox"]
    # Meta's batch budget allows two calls: the usage header then says 100 %, so the run pauses.
    sandbox.set_usage_budget(calls=2, buc_type="catalog_batch")
    outcome = sync.sync_shop(shop_a.pk, "full")
    assert outcome.status == "deferred"
    run = SyncRun.objects.get(pk=outcome.run_id)
    assert run.status == "deferred" and run.confirmed == 10 and run.cursor > 0
    resume = Schedule.objects.get(func="catalog.tasks.sync_full")
    assert f"'run_id': {run.pk}" in resume.kwargs and resume.next_run >= run.resume_at
    assert Product.objects.filter(shop=shop_a, synced_at__isnull=False).count() == 10
    # Meanwhile nothing else is sent either.
    assert sync.sync_shop(shop_a.pk, "changes").status == "deferred"
    # Later (the reading is ten minutes old), the budget is back: the run resumes after its cursor.
    sandbox.set_usage_budget(calls=200, buc_type="catalog_batch")
    _later(shop_a, minutes=10)
    assert sync.sync_shop(shop_a.pk, "full", run_id=run.pk).status == "succeeded"
    run.refresh_from_db()
    assert run.status == "succeeded" and run.confirmed == 12
    # Three calls of 5, 5 and 2 records: each product exactly once.
    assert [b["requests"] for b in meta["catalog"].batches(meta["catalog_id"])] == [5, 5, 2]
    assert len(held(meta)) == 12
    assert not Product.objects.filter(shop=shop_a).pending_sync().exists()


def _later(shop, *, minutes: int) -> None:
    """Move the shop's clock-dependent sync state `minutes` into the past."""
    from datetime import datetime, timedelta

    from catalog.models import CatalogSync
    from shops.models import MetaConnection

    CatalogSync.objects.filter(shop=shop).update(deferred_until=None)
    conn = MetaConnection.objects.get(shop=shop)
    for entry in (conn.usage.get("buc") or {}).values():
        entry["at"] = (datetime.fromisoformat(entry["at"]) - timedelta(minutes=minutes)).isoformat()
    conn.save(update_fields=["usage"])


def test_a_throttle_answer_reschedules_after_metas_wait(meta, shop_a):

    make_product(shop_a, retailer_id="T-1")
    meta["sandbox"].add_fault(path="*/items_batch", method="POST", kind="throttle", count=1,
                              estimated_time_to_regain_access=7)
    outcome = sync.sync_shop(shop_a.pk, "changes")
    run = SyncRun.objects.get(pk=outcome.run_id)
    assert run.status == "deferred" and "80014" in run.error
    wait = (Schedule.objects.get(func="catalog.tasks.sync_changes").next_run - run.started_at).total_seconds()
    assert 7 * 60 - 5 <= wait <= 7 * 60 + 60
    assert CatalogBatch.objects.get().status == "abandoned"
    _later(shop_a, minutes=8)
    assert sync.sync_shop(shop_a.pk, "changes", run_id=run.pk).status == "succeeded"
    assert not Product.objects.get(retailer_id="T-1").needs_sync


def test_reconcile_deletes_orphans_only_in_our_own_catalog(meta, shop_a, charlie):
    sandbox, catalog = meta["sandbox"], meta["catalog"]
    other_shop = create_shop(owner=charlie, name="Other", currency="USD", country="US")
    other = connect(sandbox, other_shop)
    orphan = {"title": "Old", "description": "x", "availability": "in stock", "condition": "new",
              "price": "1.00 USD", "link": "https://x.example.com", "image_link": "https://x.example.com/i.jpg",
              "brand": "B"}
    catalog.add_products(meta["catalog_id"], [{"id": "ORPHAN-1", **orphan}, {"id": "ORPHAN-2", **orphan}])
    catalog.add_products(other["catalog_id"], [{"id": "ORPHAN-1", **orphan}, {"id": "THEIRS", **orphan}])
    kept = make_product(shop_a, retailer_id="KEEP")
    gone = make_product(shop_a, retailer_id="GONE")
    first = sync.sync_shop(shop_a.pk, "full")
    assert set(held(meta)) == {"KEEP", "GONE"}
    run = SyncRun.objects.get(pk=first.run_id)
    assert run.orphans_deleted == 2 and run.status == "succeeded"
    services.delete_product(shop_a, gone)
    sync.sync_shop(shop_a.pk, "full")
    assert set(held(meta)) == {"KEEP"}
    assert {p["retailer_id"] for p in catalog.products(other["catalog_id"])} == {"ORPHAN-1", "THEIRS"}
    gone.refresh_from_db()
    assert not gone.needs_sync and kept.retailer_id == "KEEP"


def test_a_shop_with_no_products_leaves_its_catalog_alone(meta, shop_a):
    meta["catalog"].add_products(meta["catalog_id"], [{"id": "MADE-AT-META", "title": "x"}])
    sync.sync_shop(shop_a.pk, "full")
    assert set(held(meta)) == {"MADE-AT-META"}
    assert batch_calls(meta["sandbox"]) == []


def test_product_sets_are_created_updated_and_deleted_at_meta(meta, shop_a):
    from catalog import sets
    from catalog.models import ProductSet

    tea = make_product(shop_a, retailer_id="TEA", brand="Lotus")
    make_product(shop_a, retailer_id="CUP", brand="Other")
    rules = ProductSet.objects.create(shop=shop_a, name="Lotus", kind="rules", brand="Lotus")
    picked = ProductSet.objects.create(shop=shop_a, name="Picks", kind="picked")
    sets.add_products(shop_a, picked, [tea])
    sync.sync_shop(shop_a.pk, "changes")
    at_meta = {s["retailer_id"]: s for s in meta["catalog"].product_sets(meta["catalog_id"])}
    assert set(at_meta) == {rules.retailer_id, picked.retailer_id}
    assert at_meta[rules.retailer_id]["filter"] == {"and": [{"brand": {"eq": "Lotus"}}]}
    rules.refresh_from_db()
    assert not rules.needs_sync and rules.meta_set_id
    # Membership rides the item sync: TEA carries the picked set's label at Meta.
    assert picked.retailer_id in held(meta)["TEA"]["internal_label"]
    sandbox = meta["sandbox"]
    from meta_sandbox.facade import GraphCaller as Graph

    graph = Graph(sandbox.base_url)
    count = graph.get(picked.refresh_from_db() or picked.meta_set_id, token=meta["access_token"],
                      fields="product_count").json()["product_count"]
    assert count == 1
    rules.name = "Lotus teas"
    rules.needs_sync = True
    rules.save()
    sync.sync_shop(shop_a.pk, "changes")
    assert meta["catalog"].product_sets(meta["catalog_id"])[0]["name"] == "Lotus teas"
    sets.delete_product_set(shop_a, rules)
    sync.sync_shop(shop_a.pk, "changes")
    assert [s["retailer_id"] for s in meta["catalog"].product_sets(meta["catalog_id"])] == [picked.retailer_id]


def test_a_set_created_before_a_crash_is_found_not_duplicated(meta, shop_a):
    from catalog.models import ProductSet

    made = ProductSet.objects.create(shop=shop_a, name="Lotus", kind="rules", brand="Lotus")
    make_product(shop_a)
    sync.sync_shop(shop_a.pk, "changes")
    # The worker died after Meta created the set, before we stored its id.
    ProductSet.objects.filter(pk=made.pk).update(meta_set_id="", needs_sync=True)
    sync.sync_shop(shop_a.pk, "changes")
    assert len(meta["catalog"].product_sets(meta["catalog_id"])) == 1


def test_diagnostics_become_issues_that_resolve_when_meta_confirms_the_fix(meta, shop_a):
    catalog = meta["catalog"]
    catalog.flag("GTIN-*", "UNIQUE_PRODUCT_IDENTIFIER_MISSING", when={"gtin": ""}, priority="HIGH")
    catalog.policy_reject("BANNED")
    catalog.set_diagnostics(meta["catalog_id"], [{"type": "CHECKOUT", "title": "No shipping profile",
                                                 "severity": "MUST_FIX", "error_code": 2042}])
    missing = make_product(shop_a, retailer_id="GTIN-1")
    banned = make_product(shop_a, retailer_id="BANNED")
    make_product(shop_a, retailer_id="FINE")
    sync.sync_shop(shop_a.pk, "changes")
    counts = run_diagnostics(shop_a.pk)
    assert counts["items"]["errors_opened"] == 1 and counts["items"]["review_opened"] == 1
    open_issues = ProductIssue.objects.open().filter(shop=shop_a)
    assert {(i.product_id, i.source, i.code) for i in open_issues} == {
        (missing.pk, "item_errors", "UNIQUE_PRODUCT_IDENTIFIER_MISSING"), (banned.pk, "review", "REVIEW_REJECTED"),
        (None, "diagnostics", "CHECKOUT_2042")}
    # The seller adds the GTIN; Meta re-checks it with the next sync: the issue resolves itself.
    missing.gtin = "00012345678905"
    missing.save()
    sync.sync_shop(shop_a.pk, "changes")
    assert not ProductIssue.objects.open().filter(product=missing).exists()
    # Meta approves on appeal and the shipping profile gets fixed: the hourly check resolves both.
    catalog.clear_rules()
    catalog.review(meta["catalog_id"], ["BANNED"], "approved")
    catalog.set_diagnostics(meta["catalog_id"], [])
    run_diagnostics(shop_a.pk)
    assert not ProductIssue.objects.open().filter(shop=shop_a).exists()
    assert ProductIssue.objects.filter(shop=shop_a, resolved_at__isnull=False).count() == 3


def test_a_failed_recheck_of_a_fixed_product_leaves_the_batch_results_applied(meta, shop_a):
    """The recheck of products with Meta-side issues is a Graph call made once the batch's results
    are committed, never inside their transaction: when it fails, the batch stays applied and the
    hourly diagnostics read the product later."""
    catalog = meta["catalog"]
    catalog.flag("GTIN-*", "UNIQUE_PRODUCT_IDENTIFIER_MISSING", when={"gtin": ""}, priority="HIGH")
    missing = make_product(shop_a, retailer_id="GTIN-2")
    sync.sync_shop(shop_a.pk, "changes")
    run_diagnostics(shop_a.pk)
    assert ProductIssue.objects.open().filter(product=missing, source="item_errors").exists()
    missing.gtin = "00012345678905"
    missing.save()
    meta["sandbox"].add_fault(path=f"{meta['catalog_id']}/products", method="GET", kind="error", count=None,
                              http_status=500, code=2, is_transient=True)
    outcome = sync.sync_shop(shop_a.pk, "changes")
    assert outcome.status == "succeeded"
    assert not Product.objects.get(pk=missing.pk).needs_sync  # Meta's confirmation is kept
    assert CatalogBatch.objects.filter(run_id=outcome.run_id).get().status == "finished"
    assert meta["sandbox"].requests(path=f"{meta['catalog_id']}/products", method="GET")  # the recheck went out
    assert ProductIssue.objects.open().filter(product=missing).exists()  # ... and failed: the hourly check reads it
    meta["sandbox"].clear_faults()
    run_diagnostics(shop_a.pk)
    assert not ProductIssue.objects.open().filter(product=missing).exists()


def test_one_sync_per_shop_at_a_time(meta, shop_a):
    from kernel import jobs
    from kernel.models import JobRun

    make_product(shop_a)
    held = jobs.claim(config.sync_key(shop_a.pk), 60)
    assert held is not None and config.is_running(shop_a.pk)
    assert sync.sync_shop(shop_a.pk, "changes").status == "busy"
    assert tasks.sync_changes(shop_a.pk) == "busy"
    assert JobRun.objects.filter(job="catalog.sync_changes").get().status == JobRun.Status.SKIPPED
    assert held.held  # the busy runs left the holder's lease alone
    assert batch_calls(meta["sandbox"]) == []
    assert Schedule.objects.filter(func="catalog.tasks.sync_changes").exists()  # it comes back later


def test_a_batch_meta_has_not_finished_is_polled_later_and_its_run_closes(meta, shop_a, settings):
    settings.CATALOG_SYNC_POLL_SECONDS = 0
    meta["catalog"].set_batch_delay(1.5)
    make_product(shop_a, retailer_id="SLOW")
    outcome = sync.sync_shop(shop_a.pk, "changes")
    run = SyncRun.objects.get(pk=outcome.run_id)
    assert run.status == "waiting" and run.sent == 1 and run.confirmed == 0
    assert Product.objects.get(retailer_id="SLOW").needs_sync  # not confirmed yet
    # In flight: another sync does not send it again.
    sync.sync_shop(shop_a.pk, "changes")
    assert len(batch_calls(meta["sandbox"])) == 1
    time.sleep(1.6)
    CatalogBatch.objects.filter(status="sent").update(next_check_at=run.started_at)
    assert poll_shop(shop_a.pk) == 1
    run.refresh_from_db()
    assert run.status == "succeeded" and run.confirmed == 1
    assert not Product.objects.get(retailer_id="SLOW").needs_sync


def test_a_transient_failure_runs_the_sync_again_within_minutes_not_at_the_next_sweep(meta, shop_a):
    """items_batch keeps failing with Meta's transient error (the client's retries spent): the run
    fails and the same sync is scheduled again after 1 minute, then 2, never twice at once; the
    next attempt that gets through sends the change."""
    from catalog.sync.run import RETRY_DELAYS

    make_product(shop_a, retailer_id="T-9")
    meta["sandbox"].add_fault(path="*/items_batch", method="POST", kind="error", count=None, code=2,
                              http_status=500, is_transient=True, message="Service temporarily unavailable")
    with pytest.raises(Exception, match="temporarily"):
        sync.sync_shop(shop_a.pk, "changes")
    retry = Schedule.objects.get(name=f"catalog-retry:{shop_a.pk}:changes")
    assert retry.func == "catalog.tasks.sync_changes"
    first = SyncRun.objects.filter(shop=shop_a, kind="changes").latest("pk")
    wait = (retry.next_run - first.finished_at).total_seconds()
    assert RETRY_DELAYS[0] - 5 <= wait <= RETRY_DELAYS[0] + 5
    with pytest.raises(Exception, match="temporarily"):  # a second failure while one is pending: no second
        sync.sync_shop(shop_a.pk, "changes")
    assert Schedule.objects.filter(name__startswith="catalog-retry:").count() == 1
    retry.delete()  # the scheduler ran it: it failed again and asks for the next, longer wait
    with pytest.raises(Exception, match="temporarily"):
        sync.sync_shop(shop_a.pk, "changes")
    later = Schedule.objects.get(name=f"catalog-retry:{shop_a.pk}:changes")
    assert (later.next_run - SyncRun.objects.filter(shop=shop_a).latest("pk").finished_at).total_seconds() \
        >= RETRY_DELAYS[2] - 5
    meta["sandbox"].clear_faults()
    assert sync.sync_shop(shop_a.pk, "changes").status == "succeeded"
    assert not Product.objects.get(retailer_id="T-9").needs_sync
