"""Bad input on order action forms is the seller's error to fix, never a 500 (issue 12)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from orders.models import Cancellation, ReturnDecision, Shipment
from orders.tests.helpers import TEA

LONG = "s" * 65


@pytest.fixture
def order(meta_shop):
    placed = meta_shop.place(items=[TEA])
    meta_shop.poll()
    return meta_shop.local(placed["id"])


def _form_data(client, url, **data):
    form = client.get(url).context["form"]
    return {**{name: ("" if value is None else value) for name, value in
               ((bf.name, bf.value()) for bf in form) if not form.fields[name].disabled}, **data}


@pytest.mark.parametrize("token", [LONG, "x" * 10_000, ""])
@pytest.mark.parametrize("step", ["review", "confirm"])
def test_a_ship_form_with_a_token_no_record_can_hold_says_so_and_offers_a_fresh_one(meta_shop, order, owner,
                                                                                     token, step):
    url = reverse("orders:ship", args=[meta_shop.shop.pk, order.pk])
    data = _form_data(owner, url, carrier="UPS", tracking_number="1Z", submission=token)
    if step == "confirm":
        data["confirm"] = "1"
    response = owner.post(url, data)
    assert response.status_code == 200
    assert "This form has expired. Check it and submit it again." in response.content.decode()
    assert not Shipment.objects.filter(order=order).exists()
    fresh = response.context["form"]["submission"].value()
    assert fresh != token and len(fresh) == 32
    done = owner.post(url, {**data, "submission": fresh, "confirm": "1"})
    assert done.status_code == 302 and Shipment.objects.filter(order=order, submission=fresh).count() == 1


def test_cancel_refund_and_tracking_refuse_an_over_long_token(meta_shop, order, owner):
    cancel = reverse("orders:cancel", args=[meta_shop.shop.pk, order.pk])
    response = owner.post(cancel, _form_data(owner, cancel, reason_code="OUT_OF_STOCK", submission=LONG,
                                             confirm="1"))
    assert response.status_code == 200 and not Cancellation.objects.exists()
    assert "This form has expired" in response.content.decode()
    refund = reverse("orders:refund", args=[meta_shop.shop.pk, order.pk])
    response = owner.post(refund, _form_data(owner, refund, reason_code="DAMAGED_GOODS", submission=LONG,
                                             confirm="1"))
    assert response.status_code == 200 and "This form has expired" in response.content.decode()
    ship = reverse("orders:ship", args=[meta_shop.shop.pk, order.pk])
    owner.post(ship, _form_data(owner, ship, carrier="UPS", tracking_number="1Z", confirm="1"))
    shipment = Shipment.objects.get(order=order)
    tracking = reverse("orders:tracking", args=[meta_shop.shop.pk, order.pk, shipment.pk])
    response = owner.post(tracking, _form_data(owner, tracking, carrier="UPS", tracking_number="2Z", submission=LONG))
    assert response.status_code == 200 and "This form has expired" in response.content.decode()
    shipment.refresh_from_db()
    assert shipment.tracking_number == "1Z"


def test_a_return_decision_refuses_an_over_long_token(meta_shop, owner):
    placed = meta_shop.place(items=[TEA])
    meta_shop.poll()
    order = meta_shop.local(placed["id"])
    ship = reverse("orders:ship", args=[meta_shop.shop.pk, order.pk])
    owner.post(ship, _form_data(owner, ship, carrier="UPS", tracking_number="1Z", confirm="1"))
    meta_shop.buyer.request_return(placed["id"], items=[{"retailer_id": "TEA-1", "quantity": 1}])
    meta_shop.poll()
    ret = order.returns.get()
    url = reverse("orders:return_decision", args=[meta_shop.shop.pk, order.pk, ret.pk, "approve"])
    response = owner.post(url, _form_data(owner, url, submission=LONG))
    assert response.status_code == 200 and "This form has expired" in response.content.decode()
    assert not ReturnDecision.objects.exists()
