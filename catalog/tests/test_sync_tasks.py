"""Sync tasks and requests (Meta only for the connect): fan-out of the schedules, the fast lane's coalescing,
the first sync after a connection."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from django_q.models import Schedule

from catalog import services, sync, tasks
from catalog.models import CatalogBatch, CatalogSync, ProductSet
from catalog.sync import config, state
from catalog.tests.factories import make_product
from kernel import jobs
from shops.models import Shop
from shops.signals import shop_connected


@pytest.fixture
def queued(monkeypatch):
    calls = []
    monkeypatch.setattr("django_q.tasks.async_task", lambda *a, **k: calls.append((a, k)))
    return calls


@pytest.fixture
def connected(connect_shop, shop_a, alice):
    """Shop A as alice connected it: the wizard, the sandbox's FBE dialog, the code exchange (its
    first full sync ran then, against the sandbox). Request it before `queued`, so that sync is not
    counted as queued."""
    return connect_shop(shop_a, alice, register_app=False).connection


def _confirmed(shop, **values):
    product = make_product(shop, **values)
    services.confirm_synced(shop, [(product.pk, product.slow_hash, product.fast_hash)])
    product.refresh_from_db()
    return product


def test_the_sweeps_fan_out_to_connected_shops_with_work(connected, shop_a, shop_b, queued):
    clean = _confirmed(shop_b)  # shop B is not connected
    clean.price_minor += 1
    clean.save()
    changed = _confirmed(shop_a)
    changed.price_minor += 1
    changed.save()
    assert tasks.sweep_fast() == 1 and queued[-1][0] == ("catalog.tasks.sync_fast", shop_a.pk)
    assert tasks.sweep_changes() == 1
    assert tasks.sweep_full() == 1 and tasks.sweep_diagnostics() == 1
    CatalogBatch.objects.create(shop=shop_a, status="sent", handle="h", next_check_at=timezone.now())
    CatalogBatch.objects.create(shop=shop_a, status="sent", handle="later",
                                next_check_at=timezone.now() + timedelta(minutes=5))
    assert tasks.sweep_batches() == 1 and queued[-1][0] == ("catalog.tasks.poll_batches", shop_a.pk)


def test_sets_alone_make_a_changes_sync(connected, shop_a, queued):
    ProductSet.objects.create(shop=shop_a, name="S", kind="rules", brand="B")
    assert tasks.sweep_changes() == 1


def test_a_burst_of_price_edits_queues_one_fast_sync(connected, shop_a, queued,
                                                     django_capture_on_commit_callbacks):
    products = [_confirmed(shop_a) for _ in range(3)]
    with django_capture_on_commit_callbacks(execute=True):
        for product in products:
            product.price_minor += 5
            services.bulk_save([product], ["price_minor"])
    assert [q[0] for q in queued] == [("catalog.tasks.sync_fast", shop_a.pk, "edit")]
    state = CatalogSync.objects.get(shop=shop_a)
    assert state.fast_requested_at is not None and jobs.is_held(config.fast_key(shop_a.pk))
    # The queued task gives the debounce back when it starts (here Meta's budget then defers
    # it): the next edit queues again.
    CatalogSync.objects.filter(shop=shop_a).update(deferred_until=timezone.now() + timedelta(minutes=5))
    assert tasks.sync_fast(shop_a.pk, "edit", debounce=queued[0][1]["debounce"]) == "deferred"
    assert not jobs.is_held(config.fast_key(shop_a.pk))


def _report_usage(shop, used: float, eta: float = 0) -> None:
    from shops.models import MetaConnection

    MetaConnection.objects.filter(shop=shop).update(usage={"buc": {"catalog_batch": {
        "at": timezone.now().isoformat(), "call_count": used, "total_cputime": used, "total_time": used,
        "estimated_time_to_regain_access": eta}}})


def test_a_fast_edit_soon_after_a_fast_call_goes_at_once_when_usage_is_low(connected, shop_a, queued):
    CatalogSync.objects.filter(shop=shop_a).update(last_fast_call_at=timezone.now() - timedelta(seconds=3))
    _report_usage(shop_a, 10)
    assert state.request_fast_sync(shop_a.pk) == "queued"
    assert [q[0] for q in queued] == [("catalog.tasks.sync_fast", shop_a.pk, "edit")]


def test_the_spacing_grows_with_the_usage_meta_reports(connected, shop_a, queued, settings):
    settings.CATALOG_FAST_SPACING_SECONDS = 60
    assert state.fast_spacing(0) == state.fast_spacing(49) == 0
    assert 0 < state.fast_spacing(55) < state.fast_spacing(65) < state.fast_spacing(79) < 60
    assert state.fast_spacing(80) == 60
    CatalogSync.objects.filter(shop=shop_a).update(last_fast_call_at=timezone.now() - timedelta(seconds=10))
    _report_usage(shop_a, 65)  # half way: 30 s between calls, 10 s gone
    assert state.request_fast_sync(shop_a.pk) == "scheduled"
    schedule = Schedule.objects.get(func="catalog.tasks.sync_fast")
    assert 15 <= (schedule.next_run - timezone.now()).total_seconds() <= 21
    assert queued == []


def test_the_fast_lane_honours_metas_regain_time(connected, shop_a, queued):
    _report_usage(shop_a, 100, eta=3)  # minutes
    assert state.request_fast_sync(shop_a.pk) == "scheduled"
    schedule = Schedule.objects.get(func="catalog.tasks.sync_fast")
    assert 170 <= (schedule.next_run - timezone.now()).total_seconds() <= 181
    assert queued == []


def test_slow_edits_and_unconnected_shops_do_not_wake_the_fast_lane(connected, shop_a, shop_b, queued,
                                                                     django_capture_on_commit_callbacks):
    product = _confirmed(shop_a)
    other = _confirmed(shop_b)
    with django_capture_on_commit_callbacks(execute=True):
        product.title = "New title"
        services.bulk_save([product], ["title"])
        other.price_minor += 1
        services.bulk_save([other], ["price_minor"])
    assert queued == []


def test_a_connected_shop_gets_a_full_sync(shop_a, queued):
    shop_connected.send(sender=Shop, shop_id=shop_a.pk, reconnect=False)
    assert queued == [(("catalog.tasks.sync_full", shop_a.pk, "connect"), {"group": "catalog.sync_full"})]


def test_an_unconnected_shop_is_not_synced(shop_a):
    assert sync.sync_shop(shop_a.pk, "full").status == "not connected"
    assert tasks.sync_full(shop_a.pk) == "not connected"
