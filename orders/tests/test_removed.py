"""Meta removed its order API (2026-10-27): the portal degrades gracefully — one notice, no retry
storm, the rest of the portal unaffected."""

from __future__ import annotations

import pytest
from django.urls import reverse

from kernel.issues import issue_cards
from orders import services, tasks
from orders.issues import order_issue_cards
from orders.models import IngestRun, OrderFeed, SyncState


def order_calls(meta_shop) -> int:
    paths = ("*/commerce_orders", "*/acknowledge_orders", "*/shipments", "*/order_management_apps")
    return sum(len(meta_shop.sandbox.requests(path=p, method=m)) for p in paths for m in ("GET", "POST"))


@pytest.mark.parametrize("world", ["switch", "v26"])
def test_polling_stops_with_one_notice_and_nothing_else_breaks(meta_shop, owner, settings, world):
    placed = meta_shop.place()
    meta_shop.poll()
    order = meta_shop.local(placed["id"])
    if world == "switch":
        meta_shop.buyer.set_removed(True)
    else:
        settings.GRAPH_ORDERS_API_VERSION = "v26.0"
    result = meta_shop.poll()
    assert result["status"] == IngestRun.Status.REMOVED
    feed = OrderFeed.objects.get(shop=meta_shop.shop)
    assert feed.api_removed_at is not None
    kinds = [card.kind for card in issue_cards(meta_shop.shop)]
    assert kinds.count("orders.api_removed") == 1
    # No retry storm: the schedule skips the shop, queued polls skip it, pushes fail at once.
    before = order_calls(meta_shop)
    assert tasks.poll_due_shops() == 0
    tasks.poll(meta_shop.shop.pk)
    shipment = services.ship(meta_shop.shop, order.pk, quantities={order.items.get().pk: 2}, carrier="UPS",
                             tracking_number="1Z")
    shipment.refresh_from_db()
    assert shipment.push.state == SyncState.FAILED and "removed" in shipment.push.error
    assert order_calls(meta_shop) == before
    # The seller's pages still work, and say what happened.
    page = owner.get(reverse("orders:index", args=[meta_shop.shop.pk])).content.decode()
    assert "no longer offers its order API" in page
    for name in ("dashboard", "catalog:index", "shops:issues"):
        assert owner.get(reverse(name, args=[meta_shop.shop.pk])).status_code == 200


def test_check_now_tries_once_more_and_recovers_when_meta_answers(meta_shop, owner):
    meta_shop.buyer.set_removed(True)
    meta_shop.poll()
    assert OrderFeed.objects.get(shop=meta_shop.shop).api_removed_at
    meta_shop.buyer.set_removed(False)
    owner.post(reverse("orders:check_now", args=[meta_shop.shop.pk]))
    feed = OrderFeed.objects.get(shop=meta_shop.shop)
    assert feed.api_removed_at is None
    assert "orders.api_removed" not in [card.kind for card in order_issue_cards(meta_shop.shop)]
