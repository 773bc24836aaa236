"""django-q2 tasks of the promotions app (ids in, never model instances).

Schedules (portal/schedules.py):
- `promotions.tasks.sync_due_shops` every 5 minutes: fans out `sync_offers` per shop in portal
  mode with discounts waiting, uploads Meta is processing, a requested sync, or a day since the
  last one.
- `promotions.tasks.pull_allocations_due` every 10 minutes: fans out `pull_allocations` per order
  with order-level offers whose fulfilments or cancellations were not read yet.
"""

from __future__ import annotations

from django.db.models import F, Q
from django_q.tasks import async_task

from kernel.jobs import JobSkipped, run_job
from promotions import sync

ALLOCATIONS_JOB = "promotions.allocations"


def sync_due_shops() -> int:
    shop_ids = sync.due_shops()
    for shop_id in shop_ids:
        async_task("promotions.tasks.sync_offers", shop_id, group=sync.SYNC_JOB)
    return len(shop_ids)


def sync_offers(shop_id: int, force: bool = False) -> dict | None:
    try:
        return sync.sync_offers(shop_id, force=force)
    except JobSkipped:
        return None


def pull_allocations(order_id: int) -> int | None:
    from orders.models import Order
    from promotions.orders import pull_meta_allocations

    order = Order.objects.select_related("shop").filter(pk=order_id, source=Order.Source.META).first()
    if order is None:
        return None
    from django.utils import timezone

    from graph.errors import Deprecated, NotConnected
    from orders.ingest import mark_removed
    from promotions.models import OrderPromotion

    with run_job(ALLOCATIONS_JOB, order.shop_id) as job:
        try:
            added = pull_meta_allocations(order)
        except (Deprecated, NotConnected) as exc:
            # Meta removed the order API (or the shop is not connected): stop asking for this
            # order instead of failing again every few minutes.
            if isinstance(exc, Deprecated):
                mark_removed(order.shop_id, exc)
            OrderPromotion.objects.filter(order=order).update(allocations_pulled_at=timezone.now())
            job.counts = {"order": order_id, "added": 0, "stopped": type(exc).__name__}
            return 0
        job.counts = {"order": order_id, "added": added}
    return added


def pull_allocations_due(limit: int = 500) -> int:
    from promotions.models import OrderPromotion

    rows = (OrderPromotion.objects.filter(granularity=OrderPromotion.Granularity.ORDER,
                                          target_type=OrderPromotion.TargetType.ITEMS)
            .filter(Q(order__shipments__isnull=False) | Q(order__cancellations__isnull=False))
            .filter(Q(allocations_pulled_at__isnull=True) | Q(allocations_pulled_at__lt=F("order__updated_at")))
            # Never for shops where Meta removed the order API or that are not connected.
            .filter(Q(order__shop__order_feed__isnull=True) | Q(order__shop__order_feed__api_removed_at__isnull=True))
            .filter(order__shop__meta_connection__status="connected")
            .values_list("order_id", flat=True).distinct().order_by("order_id")[:limit])
    order_ids = list(rows)
    for order_id in order_ids:
        async_task("promotions.tasks.pull_allocations", order_id, group=ALLOCATIONS_JOB)
    return len(order_ids)
