"""The console's orders panel: staff play the buyer and Meta through the same functions as the
control calls `_control/orders...`; the stored orders are read back through the control API."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from meta_sandbox.endpoints.orders.common import ORDER
from meta_sandbox.endpoints.orders.common import switches as order_switches
from meta_sandbox.models import Node

CONSOLE = "/graph-sandbox/console/"
ORDERS = "/graph-sandbox/console/orders"
V = "v25.0"


@pytest.fixture
def staff_client(django_user_model):
    user = django_user_model.objects.create_user("orders-staff", password="pw", is_staff=True)
    client = Client()
    client.force_login(user)
    return client


def form(cms_id: str, **overrides) -> dict:
    data = {"cms_id": cms_id, "channel": "facebook", "currency": "USD", "state": "CREATED",
            "retailer_id_1": "TEA-1", "quantity_1": "2", "price_1": "12.00",
            "retailer_id_2": "CUP-1", "quantity_2": "1", "price_2": "8.00",
            "retailer_id_3": "", "quantity_3": "", "price_3": "",
            "shipping_price": "5.00", "tax_rate": "10", "discount": "none", "discount_value": ""}
    return {**data, **overrides}


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def place(staff_client, cms_id: str, **overrides) -> str:
    response = staff_client.post(ORDERS, form(cms_id, **overrides), follow=True)
    assert response.redirect_chain == [("/graph-sandbox/console/#orders", 302)]
    order_id = Node(pk=Node.objects.of_type(ORDER).latest("pk").pk).gid
    [message] = messages_of(response)
    assert message.startswith(f"Order {order_id} placed ("), message
    return order_id


def ship_all(graph, biz, order: dict) -> None:
    items = [{"item_id": i["id"], "quantity": i["quantity"]} for i in order["items"]]
    answer = graph.post(f"{order['id']}/shipments", token=biz["access_token"], version=V, idempotency_key="s-1",
                        tracking_info=json.dumps({"carrier": "UPS", "tracking_number": "1Z999"}),
                        items=json.dumps(items))
    assert answer.status_code == 200, answer.text


def return_disabled(staff_client, order_id: str) -> bool:
    html = staff_client.get(CONSOLE).content.decode()
    label = f'aria-label="Buyer requests a return of order {order_id}"'
    assert label in html
    return f'disabled title="Nothing shipped yet" {label}' in html


def test_the_orders_panel_is_staff_only(db, django_user_model):
    anonymous = Client()
    seller = django_user_model.objects.create_user("seller", password="pw")
    signed_in = Client()
    signed_in.force_login(seller)
    for client in (anonymous, signed_in):
        for url in (ORDERS, ORDERS + "/removed", ORDERS + "/1/release", ORDERS + "/1/buyer-cancel",
                    ORDERS + "/1/return-request", ORDERS + "/1/meta-refund"):
            response = client.post(url, {"removed": "1"})
            assert response.status_code == 302 and "/admin/login/" in response["Location"], url
    assert not order_switches().get("removed")
    assert not Node.objects.of_type(ORDER).exists()


def test_actions_need_a_post_and_a_csrf_token(sandbox, biz, django_user_model):
    user = django_user_model.objects.create_user("csrf-staff", password="pw", is_staff=True)
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    assert client.get(ORDERS).status_code == 405
    assert client.post(ORDERS, form(biz["commerce_merchant_settings_id"])).status_code == 403
    assert not Node.objects.of_type(ORDER).exists()
    html = client.get(CONSOLE).content.decode()
    assert 'id="orders"' in html and 'name="csrfmiddlewaretoken"' in html


def test_the_panel_shows_the_form_the_merchants_and_the_latest_orders(sandbox, biz, orders, staff_client):
    cms = biz["commerce_merchant_settings_id"]
    Node.objects.create(type="product", business_id=biz["business_id"], parent_id=biz["catalog_id"], key="TEA-1",
                        data={"name": "Jasmine tea"})
    placed = orders.place(cms, items=[{"retailer_id": "TEA-1", "quantity": 1, "price": "3.50"}])
    html = staff_client.get(CONSOLE).content.decode()
    assert f'<option value="TEA-1" label="Jasmine tea — {cms}"></option>' in html
    assert f'<option value="{cms}">Lotus Tea ({cms})</option>' in html
    assert '<label for="id_retailer_id_1">' in html and 'list="sbx-retailer-ids"' in html
    assert placed["id"] in html and "3.50 USD" in html
    assert "Remove the order API" in html


def test_place_an_order_with_a_seller_order_discount_as_the_control_call_would(sandbox, biz, orders,
                                                                                 staff_client):
    cms = biz["commerce_merchant_settings_id"]
    order_id = place(staff_client, cms, discount="order_amount", discount_value="4.00")
    state = orders.order(order_id)
    # No order management app: the order goes straight to IN_PROGRESS, as with the control call.
    assert state["state"] == "IN_PROGRESS" and state["channel"] == "facebook"
    # Items 32.00 - 4.00 seller discount; tax 10 % of 28.00 and of 5.00 shipping.
    assert state["totals"] == {"items": "32.00", "order_discount": "4.00", "shipping": "5.00", "tax": "3.30",
                               "total": "36.30", "facebook_paid": "0.00", "buyer_paid": "36.30"}
    [promo] = state["promotions"]
    assert (promo["sponsor"], promo["target_granularity"], promo["amount"]) == ("merchant", "order_level", "4.00")
    reference = orders.place(cms, channel="facebook", currency="USD", tax_rate="10",
                             items=[{"retailer_id": "TEA-1", "quantity": 2, "price": "12.00"},
                                    {"retailer_id": "CUP-1", "quantity": 1, "price": "8.00"}],
                             shipping={"price": "5.00"},
                             discounts=[{"type": "order", "amount_off": "4.00", "sponsor": "merchant"}])
    assert reference["totals"] == state["totals"]


@pytest.mark.parametrize(("discount", "value", "expected"), [
    ("item_amount", "1.00", {"items": "30.00", "tax": "3.50", "total": "38.50"}),
    ("order_percent_meta", "10", {"facebook_paid": "3.20", "total": "40.70", "buyer_paid": "37.50"}),
    ("free_shipping", "", {"shipping": "0.00", "tax": "3.20", "total": "35.20"}),
    ("bxgy", "", {"items": "32.00", "total": "40.70"}),
])
def test_every_discount_choice(sandbox, biz, orders, staff_client, discount, value, expected):
    order_id = place(staff_client, biz["commerce_merchant_settings_id"], discount=discount, discount_value=value)
    state = orders.order(order_id)
    assert {k: state["totals"][k] for k in expected} == expected
    assert len(state["promotions"]) == 1
    if discount == "bxgy":
        assert [i["retailer_id"] for i in state["items"]] == ["TEA-1", "CUP-1", "TEA-1"]
        assert state["items"][2]["price_per_unit"] == "0.00"


def test_an_invalid_order_shows_the_control_calls_error_and_keeps_the_form(sandbox, biz, staff_client):
    cms = biz["commerce_merchant_settings_id"]
    response = staff_client.post(ORDERS, form(cms, quantity_1="two"), follow=True)
    assert response.status_code == 200
    [message] = messages_of(response)
    assert message == "The order was not placed: items[0].quantity must be a positive integer"
    html = response.content.decode()
    assert 'id="place-order-error"' in html and 'value="two"' in html
    for bad, error in ((form(cms, price_1="12.001"), "items[0].price"),
                       (form(cms, channel="whatsapp"), "channel must be one of facebook, instagram"),
                       (form("999999"), "no commerce merchant settings 999999"),
                       (form(cms, discount="order_amount", discount_value="100.00"), "exceed the items' value"),
                       (form(cms, discount="mystery"), "Unknown discount choice")):
        response = staff_client.post(ORDERS, bad, follow=True)
        assert response.status_code == 200
        assert any(error in m for m in messages_of(response)), (error, messages_of(response))
    assert not Node.objects.of_type(ORDER).exists()


def test_release_moves_fb_processing_on_and_refuses_twice(sandbox, biz, orders, staff_client):
    order_id = place(staff_client, biz["commerce_merchant_settings_id"], state="FB_PROCESSING")
    assert orders.order(order_id)["state"] == "FB_PROCESSING"
    response = staff_client.post(f"{ORDERS}/{order_id}/release", follow=True)
    assert orders.order(order_id)["state"] == "IN_PROGRESS"  # no order management app
    assert messages_of(response) == [f"Order {order_id} released: Meta's checks are over."]
    again = staff_client.post(f"{ORDERS}/{order_id}/release", follow=True)
    assert again.status_code == 200
    assert messages_of(again) == [f"Order {order_id}: order {order_id} is IN_PROGRESS, not FB_PROCESSING"]


def test_buyer_cancels_every_unshipped_item(sandbox, biz, orders, staff_client):
    order_id = place(staff_client, biz["commerce_merchant_settings_id"])
    staff_client.post(f"{ORDERS}/{order_id}/buyer-cancel")
    state = orders.order(order_id)
    assert state["state"] == "COMPLETED"
    [cancellation] = state["cancellations"]
    assert cancellation["initiator"] == "buyer"
    assert cancellation["cancel_reason"]["reason_code"] == "CUSTOMER_REQUESTED"
    assert sorted((i["retailer_id"], i["quantity"]) for i in cancellation["items"]) == [("CUP-1", 1), ("TEA-1", 2)]
    again = staff_client.post(f"{ORDERS}/{order_id}/buyer-cancel", follow=True)
    assert "cannot be cancelled" in messages_of(again)[-1]


def test_return_request_and_meta_refund_need_shipped_items(sandbox, graph, biz, orders, staff_client):
    order_id = place(staff_client, biz["commerce_merchant_settings_id"])
    assert return_disabled(staff_client, order_id) is True
    refused = staff_client.post(f"{ORDERS}/{order_id}/return-request", follow=True)
    assert "nothing shipped to return" in messages_of(refused)[0]
    assert orders.order(order_id)["returns"] == []
    processing = place(staff_client, biz["commerce_merchant_settings_id"], state="FB_PROCESSING")
    refused = staff_client.post(f"{ORDERS}/{processing}/meta-refund", follow=True)
    assert refused.status_code == 200
    assert "cannot be refunded in state FB_PROCESSING" in messages_of(refused)[-1]
    assert orders.order(processing)["refunds"] == []

    ship_all(graph, biz, orders.order(order_id))
    assert return_disabled(staff_client, order_id) is False
    staff_client.post(f"{ORDERS}/{order_id}/return-request")
    [ret] = orders.order(order_id)["returns"]
    assert (ret["status"], ret["initiator"]) == ("REQUESTED", "buyer")
    assert sorted((i["retailer_id"], i["quantity"]) for i in ret["items"]) == [("CUP-1", 1), ("TEA-1", 2)]

    staff_client.post(f"{ORDERS}/{order_id}/meta-refund")
    state = orders.order(order_id)
    [refund] = state["refunds"]
    assert refund["reason_code"] == "FACEBOOK_INITIATED"
    assert state["refunded"]["total"] == state["totals"]["total"] == "40.70"


def test_the_removed_switch(sandbox, graph, biz, orders, staff_client):
    cms = biz["commerce_merchant_settings_id"]
    staff_client.post(ORDERS + "/removed", {"removed": "1"})
    assert order_switches()["removed"] is True
    answer = graph.get(f"{cms}/commerce_orders", token=biz["access_token"], version=V)
    assert answer.json()["error"]["code"] == 12
    html = staff_client.get(CONSOLE).content.decode()
    assert "Bring the order API back" in html
    staff_client.post(ORDERS + "/removed", {"removed": "0"})
    assert order_switches()["removed"] is False
    assert graph.get(f"{cms}/commerce_orders", token=biz["access_token"], version=V).status_code == 200


def test_an_unknown_order_is_a_message_not_a_500(db, staff_client):
    for action in ("release", "buyer-cancel", "return-request", "meta-refund"):
        response = staff_client.post(f"{ORDERS}/424242/{action}", follow=True)
        assert response.status_code == 200
        assert messages_of(response) == ["Order 424242: no order 424242"], action
