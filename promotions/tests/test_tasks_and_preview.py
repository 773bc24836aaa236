"""Schedules fan out to the shops and orders with work."""

from __future__ import annotations

from kernel.models import JobRun
from orders import services as order_services
from promotions import tasks
from promotions.models import Discount, MetaAllocation, OrderPromotion
from promotions.orders import record_promotions_for_orders
from promotions.sync import due_shops
from promotions.tests.factories import make_discount


def test_shops_with_waiting_discounts_are_due_and_synced(meta_shop, shop_b):
    assert due_shops() == []
    make_discount(meta_shop.shop)
    make_discount(shop_b)  # not connected: never due
    assert due_shops() == [meta_shop.shop.pk]
    assert tasks.sync_due_shops() == 1  # q2 runs it at once in tests
    assert Discount.objects.get(shop=meta_shop.shop).sync_state == Discount.SyncState.SYNCED
    assert due_shops() == []


def test_meta_allocations_are_pulled_for_orders_with_order_offers(meta_shop):
    meta_shop.poll()
    placed = meta_shop.place(items=[{"retailer_id": "A", "quantity": 3, "price": "10.00"}],
                             discounts=[{"type": "order", "amount_off": "1.00", "campaign_name": "Take 1",
                                         "coupon_code": "TAKE1"},
                                        {"type": "free_shipping"}],
                             shipping={"name": "Std", "reference_id": "std", "price": "4.00"})
    meta_shop.poll()
    order = meta_shop.local(placed["id"])
    record_promotions_for_orders([order])
    rows = {p.target_type: p for p in OrderPromotion.objects.filter(order=order)}
    assert (rows["items"].campaign_name, rows["items"].coupon_code, rows["items"].applied_minor,
            rows["items"].granularity) == ("Take 1", "TAKE1", 100, "order_level")
    assert (rows["shipping"].applied_minor, rows["shipping"].granularity) == (400, "order_level")
    assert tasks.pull_allocations_due() == 0  # nothing fulfilled or cancelled yet
    item = order.items.get()
    order_services.ship(meta_shop.shop, order.pk, quantities={item.pk: 2}, carrier="UPS", tracking_number="1")
    order_services.cancel(meta_shop.shop, order.pk, quantities={item.pk: 1}, reason_code="OUT_OF_STOCK",
                          restock=False)
    assert tasks.pull_allocations_due() == 1
    kept = list(MetaAllocation.objects.filter(promotion__order=order).order_by("pk"))
    assert [(a.source, a.quantity, a.amount_minor, a.preview_minor) for a in kept] == [
        ("payment", 2, 66, 66), ("cancellation", 1, 34, 34)]
    assert JobRun.objects.filter(job=tasks.ALLOCATIONS_JOB, status=JobRun.Status.SUCCEEDED).count() == 1
    assert tasks.pull_allocations_due() == 0


def test_no_allocation_polling_once_meta_removed_the_order_api(meta_shop):
    from django.utils import timezone

    from orders.models import OrderFeed

    meta_shop.poll()
    placed = meta_shop.place(items=[{"retailer_id": "A", "quantity": 2, "price": "10.00"}],
                             discounts=[{"type": "order", "amount_off": "1.00"}])
    meta_shop.poll()
    order = meta_shop.local(placed["id"])
    record_promotions_for_orders([order])
    item = order.items.get()
    order_services.ship(meta_shop.shop, order.pk, quantities={item.pk: 2}, carrier="UPS", tracking_number="1")
    OrderFeed.objects.filter(shop=meta_shop.shop).update(api_removed_at=timezone.now())
    assert tasks.pull_allocations_due() == 0
    OrderFeed.objects.filter(shop=meta_shop.shop).update(api_removed_at=None)
    assert tasks.pull_allocations_due() == 1
