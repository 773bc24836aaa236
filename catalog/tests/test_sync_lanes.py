"""The fast lane beside a changes or full sync (issue 16, item 2): two leases, each lane recovering
only its own dead work, a product never in two unfinished batches, the newest value the last one
Meta receives. The edits take the seller's path: the product form, whose commit queues the fast
lane (django-q runs it inline in tests)."""

from __future__ import annotations

import threading
import time

import pytest
from django.db import connection, connections
from django.urls import reverse
from django.utils import timezone

from catalog import sync
from catalog.models import CatalogBatch, Product, SyncRun
from catalog.sync import config, engine
from catalog.tests.factories import make_product
from catalog.tests.syncing import batch_calls, connect, decode
from catalog.tests.test_forms import VALID
from kernel import jobs
from meta_sandbox.facade import CatalogControl


@pytest.fixture
def meta(sandbox, shop_a):
    made = connect(sandbox, shop_a)
    return {"sandbox": sandbox, "catalog": CatalogControl(sandbox), **made}


def _form_products(shop, count: int) -> list[Product]:
    """Products as the form would save them (so an edit through it changes only the price), synced."""
    made = [make_product(shop, retailer_id=f"L-{n}", title=VALID["title"], description=VALID["description"],
                         brand=VALID["brand"], link=VALID["link"], image_link=VALID["image_link"])
            for n in range(count)]
    assert sync.sync_shop(shop.pk, "full").status == "succeeded"
    return made


def _edit_price(owner, shop, product: Product, price: str) -> None:
    """The seller changes the price in the product form; its commit queues the fast lane."""
    response = owner.post(reverse("catalog:product_edit", args=[shop.pk, product.pk]),
                          {**VALID, "retailer_id": product.retailer_id, "price": price})
    assert response.status_code == 302, response.content.decode()[:500]


def _price_at_meta(meta, retailer_id: str) -> str:
    return meta["catalog"].product(meta["catalog_id"], retailer_id)["price"]


def _assert_no_product_in_two_batches_at_once(shop) -> None:
    """Meta: never overlap updates of one product. A batch is open from its row's writing until
    Meta finished it (or it failed): no product rides two open batches at the same time."""
    spans: dict[int, list] = {}
    for batch in CatalogBatch.objects.filter(shop=shop).exclude(status=CatalogBatch.Status.PENDING):
        for item in batch.items:
            if item[0] is not None:
                spans.setdefault(item[0], []).append((batch.created_at, batch.finished_at, batch.pk))
    for pid, open_spans in spans.items():
        open_spans.sort()
        for (_, end, first), (start, _, second) in zip(open_spans, open_spans[1:], strict=False):
            assert end is not None and end <= start, (pid, first, second)


def test_a_fast_sync_does_not_wait_for_a_full_syncs_lease(meta, owner, shop_a):
    product = _form_products(shop_a, 2)[0]
    full = jobs.claim(config.sync_key(shop_a.pk), 60)  # a full sync is running
    try:
        meta["sandbox"].clear_requests()
        _edit_price(owner, shop_a, product, "12.50")
        product.refresh_from_db()
        assert not product.needs_sync_fast
        assert _price_at_meta(meta, product.retailer_id) == "12.50 USD"
        assert SyncRun.objects.filter(shop=shop_a, kind="fast").latest("pk").status == "succeeded"
    finally:
        full.release()


def _open_run(shop, kind: str, products: list[Product]) -> CatalogBatch:
    """A run of `kind` whose worker is in the middle of an items_batch call of `products`."""
    run = SyncRun.objects.create(shop=shop, kind=kind, status=SyncRun.Status.RUNNING, total=len(products))
    return CatalogBatch.objects.create(shop=shop, run=run, size=len(products), items=[
        [p.pk, p.retailer_id, p.slow_hash if kind != "fast" else None, p.fast_hash] for p in products])


def test_the_fast_lane_leaves_a_live_full_batch_alone_and_waits_for_it(meta, owner, shop_a, settings):
    settings.CATALOG_SYNC_POLL_SECONDS = 0.5
    busy, free = _form_products(shop_a, 2)
    full = jobs.claim(config.sync_key(shop_a.pk), 60)
    batch = _open_run(shop_a, "full", [busy])
    meta["sandbox"].clear_requests()
    _edit_price(owner, shop_a, busy, "12.50")
    _edit_price(owner, shop_a, free, "13.50")
    batch.refresh_from_db()
    assert batch.status == CatalogBatch.Status.PENDING and batch.run.status == SyncRun.Status.RUNNING
    sent = [r["data"]["id"] for row in batch_calls(meta["sandbox"]) for r in decode(row)]
    assert sent == [free.retailer_id]  # the product in the live full batch waits for it
    assert _price_at_meta(meta, busy.retailer_id) == "9.99 USD"
    busy.refresh_from_db()
    assert busy.needs_sync_fast
    full.release()  # that worker died: its pending row is no claim any more
    assert sync.sync_shop(shop_a.pk, "fast").status == "succeeded"
    assert _price_at_meta(meta, busy.retailer_id) == "12.50 USD"


def test_a_full_sync_leaves_a_live_fast_batch_alone_and_its_products_out(meta, shop_a):
    busy, free = _form_products(shop_a, 2)
    fast = jobs.claim(config.fast_run_key(shop_a.pk), 60)
    batch = _open_run(shop_a, "fast", [busy])
    meta["sandbox"].clear_requests()
    try:
        assert sync.sync_shop(shop_a.pk, "full").status == "succeeded"
    finally:
        fast.release()
    batch.refresh_from_db()
    assert batch.status == CatalogBatch.Status.PENDING and batch.run.status == SyncRun.Status.RUNNING
    sent = [r["data"]["id"] for row in batch_calls(meta["sandbox"]) for r in decode(row)]
    assert sent == [free.retailer_id]


def test_each_lane_recovers_its_own_dead_work_only(meta, shop_a):
    one, two = _form_products(shop_a, 2)
    dead_full = _open_run(shop_a, "full", [one])
    dead_fast = _open_run(shop_a, "fast", [two])
    live = jobs.claim(config.fast_run_key(shop_a.pk), 60)  # the fast lane's worker is alive
    try:
        sync.sync_shop(shop_a.pk, "full")
    finally:
        live.release()
    dead_full.refresh_from_db()
    dead_fast.refresh_from_db()
    assert dead_full.status == CatalogBatch.Status.ABANDONED
    assert dead_full.run.status == SyncRun.Status.INTERRUPTED
    assert dead_fast.status == CatalogBatch.Status.PENDING and dead_fast.run.status == SyncRun.Status.RUNNING


def _in_thread(work):
    result: dict = {}

    def run():
        try:
            result["value"] = work()
        except Exception as exc:  # kept for the test to look at
            result["value"] = exc
        finally:
            connections.close_all()

    thread = threading.Thread(target=run)
    thread.start()
    return thread, result


def _wait_for(condition, seconds: float = 20) -> None:
    end = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < end, "timed out"
        time.sleep(0.05)


@pytest.mark.postgres
@pytest.mark.skipif(connection.vendor != "postgresql", reason="two lanes at once need PostgreSQL")
def test_edits_during_a_full_sync_reach_meta_in_seconds_and_the_newest_price_stays(meta, owner, shop_a,
                                                                                  monkeypatch, settings):
    """A full sync of three batches; its first call takes 2 s at Meta. Meanwhile the seller
    changes the price of a product in that batch (read before the edit: it carries the old
    price) and of one the full sync has not read yet, and creates a product. The fast lane runs
    at once beside the full sync; the product in the open batch goes after Meta finished that
    batch, so the old price does not land last."""
    monkeypatch.setattr(engine, "BATCH_SIZE", 2)
    settings.CATALOG_FAST_SPACING_SECONDS = 0  # each edit's fast sync goes at once (the spacing: test_sync_tasks)
    made = _form_products(shop_a, 6)
    first, last = made[0], made[5]
    meta["sandbox"].add_fault(path="*/items_batch", method="POST", kind="latency", ms=2000, count=1)
    meta["sandbox"].clear_requests()
    thread, result = _in_thread(lambda: sync.sync_shop(shop_a.pk, "full"))
    try:
        _during_the_full_sync(meta, owner, shop_a, first, last)
    finally:
        # Joined whatever happened: a full sync left running would outlive the test, calling the
        # sandbox and writing the database under the next tests.
        thread.join(60)
    assert not thread.is_alive()
    assert getattr(result["value"], "status", result["value"]) == "succeeded"
    assert _price_at_meta(meta, first.retailer_id) == "12.50 USD"
    assert _price_at_meta(meta, last.retailer_id) == "13.50 USD"
    # The reconcile (its listing began with the run) deleted nothing of ours.
    assert not [r for row in batch_calls(meta["sandbox"]) for r in decode(row) if r["method"] == "DELETE"]
    assert {p.retailer_id for p in made} <= {p["retailer_id"] for p in meta["catalog"].products(meta["catalog_id"])}
    assert not Product.objects.filter(shop=shop_a, pk__in=[first.pk, last.pk]).needing_fast_sync().exists()
    _assert_no_product_in_two_batches_at_once(shop_a)


def _during_the_full_sync(meta, owner, shop, first, last) -> None:
    """The seller's edits while the full sync's first call is on its way."""
    _wait_for(lambda: CatalogBatch.objects.filter(shop=shop, run__kind="full",
                                                  status=CatalogBatch.Status.PENDING).exists())
    started = time.monotonic()
    _edit_price(owner, shop, last, "13.50")  # not read by the full sync yet
    assert _price_at_meta(meta, last.retailer_id) == "13.50 USD"
    assert time.monotonic() - started < 1.5  # did not wait for the full sync's first call
    _edit_price(owner, shop, first, "12.50")  # in the full sync's open batch, with 9.99
    response = owner.post(reverse("catalog:product_new", args=[shop.pk]), {**VALID, "retailer_id": "L-NEW"})
    assert response.status_code == 302


def test_the_fast_lane_spaces_its_calls_by_the_usage_meta_reports(meta, owner, shop_a):
    """A catalog whose batch budget is 12 calls a window: edits go at once while Meta reports
    under half of it used; past that, the next fast sync waits as `fast_spacing` says."""
    from django_q.models import Schedule

    from catalog.sync.state import fast_spacing
    from shops.graph import usage_pressure
    from shops.models import MetaConnection

    product = _form_products(shop_a, 1)[0]
    meta["sandbox"].set_usage_budget(calls=12, buc_type="catalog_batch")
    at_once = []
    for cents in range(1001, 1013):
        used = usage_pressure(MetaConnection.objects.get(shop=shop_a), "catalog_batch")
        price = f"{cents // 100}.{cents % 100:02d}"
        _edit_price(owner, shop_a, product, price)
        spaced = Schedule.objects.filter(func="catalog.tasks.sync_fast").first()
        if spaced is not None:
            break
        assert _price_at_meta(meta, product.retailer_id) == f"{price} USD"  # at once
        at_once.append(used)
    assert spaced is not None, at_once
    assert at_once and max(at_once) < 60 and 50 <= used < 80, (at_once, used)
    delay = (spaced.next_run - timezone.now()).total_seconds()
    assert abs(delay - fast_spacing(used)) < 3, (delay, used)
    assert _price_at_meta(meta, product.retailer_id) != f"{price} USD"  # waits for the spacing
