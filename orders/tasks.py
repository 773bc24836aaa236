"""django-q2 tasks of the orders app (they take ids, never model instances).

Schedules (portal/schedules.py):
- `orders.tasks.poll_due_shops` every 2 minutes: fans out one `poll` per connected shop whose
  next poll is due (shops where Meta removed the order API are left alone).
- `orders.tasks.push_due` every minute: fans out the pushes waiting for a retry.
"""

from __future__ import annotations

from django.db.models import Q
from django.utils import timezone
from django_q.tasks import async_task

from kernel.jobs import JobSkipped, run_job
from orders import ingest
from orders import push as pushes

PUSH_JOB = "orders.push"


def poll_due_shops() -> int:
    from shops.models import MetaConnection

    now = timezone.now()
    shop_ids = list(
        MetaConnection.objects.filter(status=MetaConnection.Status.CONNECTED).exclude(access_token="")
        .exclude(commerce_merchant_settings_id="")
        .filter(Q(shop__order_feed__isnull=True) | Q(shop__order_feed__api_removed_at__isnull=True,
                                                     shop__order_feed__next_poll_at__isnull=True)
                | Q(shop__order_feed__api_removed_at__isnull=True, shop__order_feed__next_poll_at__lte=now))
        .order_by("shop_id").values_list("shop_id", flat=True)
    )
    for shop_id in shop_ids:
        async_task("orders.tasks.poll", shop_id, group=ingest.POLL_JOB)
    return len(shop_ids)


def poll(shop_id: int, force: bool = False) -> dict | None:
    try:
        return ingest.poll_shop(shop_id, force=force)
    except JobSkipped:
        return None


def push(push_id: int) -> str:
    from orders.models import MetaPush

    shop_id = MetaPush.objects.filter(pk=push_id).values_list("shop_id", flat=True).first()
    if shop_id is None:
        return "gone"
    with run_job(PUSH_JOB, shop_id) as job:
        state = pushes.send(push_id)
        job.counts = {"push": push_id, "state": state}
        if state == "skipped":
            job.skip("another worker is sending this change")
    return state


def push_due() -> int:
    due = pushes.due_pushes()
    for push_id in due:
        async_task("orders.tasks.push", push_id, group=PUSH_JOB)
    return len(due)
