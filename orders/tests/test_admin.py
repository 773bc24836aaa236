"""Staff can open the order admin pages (search on external ids, snapshots read-only)."""

from __future__ import annotations

from django.urls import reverse

from orders.models import AckBatch, IngestRun, MetaPush, Order, OrderFeed
from orders.tests.factories import make_failed_push, make_order


def test_staff_pages_open(staff_client, shop_a):
    order = make_order(shop_a)
    make_failed_push(order)
    IngestRun.objects.create(shop=shop_a, counts={"new": 1})
    assert OrderFeed.objects.filter(shop=shop_a).exists()  # created with the shop
    AckBatch.objects.create(shop=shop_a, payload=[])
    for model in (Order, MetaPush, IngestRun, OrderFeed, AckBatch):
        url = reverse(f"admin:orders_{model._meta.model_name}_changelist")
        assert staff_client.get(url).status_code == 200
    assert staff_client.get(reverse("admin:orders_order_change", args=[order.pk])).status_code == 200
    found = staff_client.get(reverse("admin:orders_order_changelist") + f"?q={order.meta_order_id}")
    assert order.reference in found.content.decode()
