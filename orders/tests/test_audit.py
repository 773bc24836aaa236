"""Every change a seller makes to an order goes through a service that knows who acted, and
leaves an audit row (shops.AuditEvent) in the same transaction, visible to staff in the admin."""

from __future__ import annotations

from django.urls import reverse

from orders.models import MetaPush, SyncState
from shops.models import AuditEvent


def trail(shop) -> list[tuple[str, str]]:
    return [(e.action, e.actor_label) for e in AuditEvent.objects.filter(shop=shop, action__startswith="order.")
            .order_by("pk")]


def post(client, url, data):
    form = client.get(url).context["form"]
    data = {"submission": form["submission"].value(), **data, "confirm": "1"}
    response = client.post(url, data)
    assert response.status_code == 302, response.context["form"].errors if response.context else response
    return response


def test_each_order_action_through_its_form_is_audited_with_the_seller(meta_shop, owner, alice, staff_client):
    placed = meta_shop.place(items=[{"retailer_id": "A", "quantity": 3, "price": "10.00", "product_name": "Tea"}])
    meta_shop.poll()
    order = meta_shop.local(placed["id"])
    item = order.items.get()
    shop = meta_shop.shop
    args = [shop.pk, order.pk]
    post(owner, reverse("orders:ship", args=args), {f"item_{item.pk}": "2", "carrier": "UPS",
                                                    "tracking_number": "1Z1", "shipping_method": ""})
    shipment = order.shipments.get()
    post(owner, reverse("orders:tracking", args=[*args, shipment.pk]), {"carrier": "FEDEX", "tracking_number": "77"})
    post(owner, reverse("orders:cancel", args=args), {f"item_{item.pk}": "1", "reason_code": "OUT_OF_STOCK",
                                                      "description": ""})
    post(owner, reverse("orders:refund", args=args), {"mode": "quantity", f"item_{item.pk}": "1",
                                                      "reason_code": "QUALITY_ISSUE", "reason_text": "", "shipping": "",
                                                      "deduction": ""})
    assert trail(shop) == [("order.ship", "alice"), ("order.tracking", "alice"), ("order.cancel", "alice"),
                           ("order.refund", "alice")]
    refund = AuditEvent.objects.get(shop=shop, action="order.refund")
    assert refund.actor == alice and refund.target_id == str(order.pk) and refund.changes["total_minor"] == 1000
    admin = staff_client.get(reverse("admin:shops_auditevent_changelist"))
    assert admin.status_code == 200 and "order.refund" in admin.content.decode()


def test_retrying_and_discarding_a_failed_change_are_audited(meta_shop, owner):
    placed = meta_shop.place(items=[{"retailer_id": "A", "quantity": 2, "price": "10.00", "product_name": "Tea"}])
    meta_shop.poll()
    order = meta_shop.local(placed["id"])
    item = order.items.get()
    for _ in range(2):
        meta_shop.sandbox.add_fault(path="*/shipments", method="POST", kind="error", code=100,
                                    message="(#100) The carrier rejected this tracking number", count=1)
    post(owner, reverse("orders:ship", args=[meta_shop.shop.pk, order.pk]),
         {f"item_{item.pk}": "1", "carrier": "UPS", "tracking_number": "1Z1", "shipping_method": ""})
    push = MetaPush.objects.get(order=order, kind=MetaPush.Kind.SHIP)
    assert push.state == SyncState.FAILED
    owner.post(reverse("orders:retry", args=[meta_shop.shop.pk, order.pk, push.pk]))
    push.refresh_from_db()
    assert push.state == SyncState.FAILED
    owner.post(reverse("orders:discard", args=[meta_shop.shop.pk, order.pk, push.pk]))
    assert not MetaPush.objects.filter(pk=push.pk).exists()
    assert trail(meta_shop.shop) == [("order.ship", "alice"), ("order.retry", "alice"), ("order.discard", "alice")]
