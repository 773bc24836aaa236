"""The sandbox's Order Management API (v21-v25, META_API §3) over real HTTP."""

from __future__ import annotations

import json
import time

import pytest

from .conftest import error_of

V = "v25.0"
TEA = {"retailer_id": "TEA-1", "quantity": 2, "price": "12.00", "product_name": "Jasmine tea"}
CUP = {"retailer_id": "CUP-1", "quantity": 1, "price": "8.00", "product_name": "Tea cup"}


def post(graph, shop, path, **params):
    encoded = {k: json.dumps(v) if isinstance(v, (dict, list)) else v for k, v in params.items()}
    return graph.post(path, token=shop["token"], version=V, **encoded)


def get(graph, shop, path, **params):
    return graph.get(path, token=shop["token"], version=V, **params)


def ack(graph, shop, order_id, key="ack-1", reference="REF-1"):
    return post(graph, shop, f"{order_id}/acknowledge_order", idempotency_key=key, merchant_order_reference=reference)


def test_new_orders_are_listed_in_created_with_decimal_string_amounts(graph, shop, orders):
    placed = orders.place(shop["cms"], items=[TEA, CUP], channel="facebook", tax_rate="10",
                          shipping={"name": "Standard", "reference_id": "std", "price": "5.00"})
    page = get(graph, shop, f"{shop['cms']}/commerce_orders",
               fields="id,order_status,channel,estimated_payment_details,items{id,retailer_id,quantity,price_per_unit}")
    assert page.status_code == 200
    [order] = page.json()["data"]
    assert order["id"] == placed["id"] and order["order_status"] == {"state": "CREATED"}
    assert order["channel"] == "facebook"
    details = order["estimated_payment_details"]
    # items 2 x 12.00 + 8.00; tax 10 % of items and shipping; no discounts.
    assert details["subtotal"] == {"items": {"amount": "32.00", "currency": "USD"},
                                   "shipping": {"amount": "5.00", "currency": "USD"}}
    assert details["tax"] == {"amount": "3.70", "currency": "USD"}
    assert details["total_amount"] == {"amount": "40.70", "currency": "USD"}
    assert order["items"]["data"][0]["price_per_unit"] == {"amount": "12.00", "currency": "USD"}
    # Only default fields without `fields`.
    bare = get(graph, shop, placed["id"]).json()
    assert set(bare) == {"id", "order_status", "created", "last_updated"}


def test_without_an_order_management_app_orders_skip_acknowledgement(graph, biz, orders):
    placed = orders.place(biz["commerce_merchant_settings_id"], items=[TEA])
    assert placed["state"] == "IN_PROGRESS"


def test_fb_processing_orders_have_no_buyer_details_until_released(graph, shop, orders):
    placed = orders.place(shop["cms"], items=[TEA], state="FB_PROCESSING", buyer={"name": "Grace H"})
    fields = "id,order_status,buyer_details,shipping_address"
    assert get(graph, shop, f"{shop['cms']}/commerce_orders", fields=fields).json()["data"] == []
    [order] = get(graph, shop, f"{shop['cms']}/commerce_orders", state="FB_PROCESSING,CREATED",
                  fields=fields).json()["data"]
    assert order["order_status"]["state"] == "FB_PROCESSING"
    assert "shipping_address" not in order and set(order["buyer_details"]) == {"email_remarketing_option"}
    refused = ack(graph, shop, placed["id"])
    assert error_of(refused)["code"] == 2361005
    orders.release(placed["id"])
    order = get(graph, shop, placed["id"], fields=fields).json()
    assert order["order_status"]["state"] == "CREATED" and order["buyer_details"]["name"] == "Grace H"
    assert order["shipping_address"]["city"] == "Austin"


def test_bulk_acknowledgement_reports_each_order_and_replays_the_same_key(graph, shop, orders):
    ids = orders.place_many(shop["cms"], 3, items=[TEA])
    body = [{"id": ids[0], "merchant_order_reference": "R-1"}, {"id": ids[1], "merchant_order_reference": "R-2"},
            {"id": "123", "merchant_order_reference": "R-3"}]
    first = post(graph, shop, f"{shop['cms']}/acknowledge_orders", idempotency_key="k-1", orders=body)
    assert first.status_code == 200
    assert first.json()["orders"] == [
        {"id": ids[0], "state": "IN_PROGRESS"}, {"id": ids[1], "state": "IN_PROGRESS"},
        {"id": "123", "error": {"error_code": 2361003, "error_message": "Invalid Order ID"}}]
    again = post(graph, shop, f"{shop['cms']}/acknowledge_orders", idempotency_key="k-1", orders=body)
    assert again.json() == first.json() and again.headers["X-Sandbox-Idempotent-Replay"] == "true"
    assert len(orders.order(ids[0])["acknowledgements"]) == 1
    conflict = post(graph, shop, f"{shop['cms']}/acknowledge_orders", idempotency_key="k-1", orders=body[:1])
    assert error_of(conflict)["code"] == 100 and "idempotency key" in error_of(conflict)["message"]
    assert orders.order(ids[0])["merchant_order_id"] == "R-1"
    taken = post(graph, shop, f"{shop['cms']}/acknowledge_orders", idempotency_key="k-2",
                 orders=[{"id": ids[2], "merchant_order_reference": "R-1"}])
    assert taken.json()["orders"][0]["error"]["error_code"] == 100


def test_a_bulk_acknowledgement_takes_at_most_100_orders(graph, shop):
    body = [{"id": str(n), "merchant_order_reference": f"R-{n}"} for n in range(101)]
    answer = post(graph, shop, f"{shop['cms']}/acknowledge_orders", idempotency_key="k", orders=body)
    assert error_of(answer)["code"] == 100 and "at most 100" in error_of(answer)["message"]


def test_writes_need_an_idempotency_key(graph, shop, orders):
    placed = orders.place(shop["cms"], items=[TEA])
    answer = post(graph, shop, f"{placed['id']}/acknowledge_order", merchant_order_reference="R")
    assert "idempotency_key" in error_of(answer)["message"]


def test_shipping_more_than_is_left_is_refused_and_a_full_shipment_completes_the_order(graph, shop, orders):
    placed = orders.place(shop["cms"], items=[TEA, CUP])
    ack(graph, shop, placed["id"])
    tea, cup = (i["id"] for i in placed["items"])
    tracking = {"carrier": "UPS", "tracking_number": "1Z999"}
    too_many = post(graph, shop, f"{placed['id']}/shipments", idempotency_key="s-0", tracking_info=tracking,
                    items=[{"item_id": tea, "quantity": 3}])
    assert "only 2 left to ship" in error_of(too_many)["message"]
    bad_carrier = post(graph, shop, f"{placed['id']}/shipments", idempotency_key="s-0",
                       tracking_info={"carrier": "PIGEON", "tracking_number": "1"}, items=[{"item_id": tea, "quantity": 1}])
    assert error_of(bad_carrier)["code"] == 100
    first = post(graph, shop, f"{placed['id']}/shipments", idempotency_key="s-1", tracking_info=tracking,
                 external_shipment_id="SHIP-1", items=[{"item_id": tea, "quantity": 2}])
    assert first.json() == {"success": True}
    assert orders.order(placed["id"])["state"] == "IN_PROGRESS"
    post(graph, shop, f"{placed['id']}/shipments", idempotency_key="s-2", tracking_info=tracking,
         external_shipment_id="SHIP-2", items=[{"retailer_id": "CUP-1", "quantity": 1}])
    state = orders.order(placed["id"])
    assert state["state"] == "COMPLETED" and len(state["shipments"]) == 2
    listed = get(graph, shop, f"{placed['id']}/shipments",
                 fields="id,external_shipment_id,tracking_info,items{id,quantity}").json()["data"]
    assert [s["external_shipment_id"] for s in listed] == ["SHIP-1", "SHIP-2"]
    assert listed[0]["items"]["data"] == [{"id": tea, "quantity": 2}]
    update = post(graph, shop, f"{placed['id']}/update_shipment", idempotency_key="u-1",
                  external_shipment_id="SHIP-1", tracking_info={"carrier": "FEDEX", "tracking_number": "77"})
    assert update.json() == {"success": True}
    assert orders.order(placed["id"])["shipments"][0]["tracking_info"]["carrier"] == "FEDEX"
    assert cup


def test_buy_x_get_y_lines_must_be_addressed_by_item_id(graph, shop, orders):
    placed = orders.place(shop["cms"], items=[{**TEA, "quantity": 1}],
                          discounts=[{"type": "bxgy", "retailer_id": "TEA-1", "get_quantity": 1}])
    assert [(i["retailer_id"], i["quantity"], i["price_per_unit"]) for i in placed["items"]] == [
        ("TEA-1", 1, "12.00"), ("TEA-1", 1, "0.00")]
    ack(graph, shop, placed["id"])
    by_retailer = post(graph, shop, f"{placed['id']}/shipments", idempotency_key="s-1",
                       tracking_info={"carrier": "UPS", "tracking_number": "1"},
                       items=[{"retailer_id": "TEA-1", "quantity": 1}])
    assert "item_id" in error_of(by_retailer)["message"]
    free = placed["items"][1]["id"]
    ok = post(graph, shop, f"{placed['id']}/shipments", idempotency_key="s-2",
              tracking_info={"carrier": "UPS", "tracking_number": "1"}, items=[{"item_id": free, "quantity": 1}])
    assert ok.json() == {"success": True}


def test_order_level_offers_are_allocated_per_unit_and_refund_by_amount_only(graph, shop, orders):
    # 3 units of 10.00 and 1 of 10.00; 1.00 off the order: lines get 0.75 and 0.25 (largest
    # remainder), the 3-unit line's units 0.25 each (Meta's cumulative rule).
    placed = orders.place(shop["cms"], items=[{"retailer_id": "A", "quantity": 3, "price": "10.00"},
                                              {"retailer_id": "B", "quantity": 1, "price": "10.00"}],
                          discounts=[{"type": "order", "amount_off": "1.00", "sponsor": "merchant"}])
    assert placed["totals"]["total"] == "39.00"
    a, b = (i["id"] for i in placed["items"])
    ack(graph, shop, placed["id"])
    post(graph, shop, f"{placed['id']}/shipments", idempotency_key="s-1",
         tracking_info={"carrier": "UPS", "tracking_number": "1"}, items=[{"item_id": a, "quantity": 2}])
    payments = get(graph, shop, f"{placed['id']}/payments",
                   fields="id,total_amount,items{id,quantity,promotion_allocations}").json()["data"]
    [payment] = payments
    [item] = payment["items"]["data"]
    assert item["quantity"] == 2
    assert item["promotion_allocations"][0]["allocation_amount"] == {"amount": "0.50", "currency": "USD"}
    assert payment["total_amount"] == {"amount": "19.50", "currency": "USD"}
    by_quantity = post(graph, shop, f"{placed['id']}/refunds", idempotency_key="r-1", reason_code="DAMAGED_GOODS",
                       items=[{"item_id": a, "item_refund_quantity": 1}])
    assert "only amount-based refunds" in error_of(by_quantity)["message"]
    item_view = get(graph, shop, f"{placed['id']}/items", fields="id,amount_available_for_refund").json()["data"]
    assert item_view[0]["amount_available_for_refund"] == {"amount": "19.50", "currency": "USD"}
    too_much = post(graph, shop, f"{placed['id']}/refunds", idempotency_key="r-2", reason_code="DAMAGED_GOODS",
                    items=[{"item_id": a, "item_refund_amount": {"amount": "19.51", "currency": "USD"}}])
    assert "available for refund" in error_of(too_much)["message"]
    ok = post(graph, shop, f"{placed['id']}/refunds", idempotency_key="r-3", reason_code="DAMAGED_GOODS",
              items=[{"item_id": a, "item_refund_amount": {"amount": "9.75", "currency": "USD"}}])
    assert ok.json() == {"success": True}
    [refund] = get(graph, shop, f"{placed['id']}/refunds",
                   fields="id,items{id,refund_subtotal,quantity},refund_reason,refund_amount").json()["data"]
    assert refund["refund_amount"]["subtotal"] == "9.75" and refund["refund_amount"]["total"] == "9.75"
    assert refund["refund_reason"] == {"reason_code": "DAMAGED_GOODS"}
    assert b


def test_refunds_never_exceed_what_was_paid_and_meta_funded_parts_go_back_to_meta(graph, shop, orders):
    placed = orders.place(shop["cms"], items=[{"retailer_id": "A", "quantity": 2, "price": "10.00"}], tax_rate="10",
                          shipping={"name": "Std", "reference_id": "std", "price": "4.00"},
                          discounts=[{"type": "order", "amount_off": "2.00", "sponsor": "facebook"}])
    # Meta-funded: after tax, the seller still gets 20.00 + 4.00 + tax 2.40; the buyer pays 2.00 less.
    assert placed["totals"] == {"items": "20.00", "order_discount": "0.00", "shipping": "4.00", "tax": "2.40",
                                "total": "26.40", "facebook_paid": "2.00", "buyer_paid": "24.40"}
    line = placed["items"][0]["id"]
    ack(graph, shop, placed["id"])
    post(graph, shop, f"{placed['id']}/shipments", idempotency_key="s", tracking_info={"carrier": "USPS",
         "tracking_number": "9"}, items=[{"item_id": line, "quantity": 2}])
    full = post(graph, shop, f"{placed['id']}/refunds", idempotency_key="r-1", reason_code="QUALITY_ISSUE")
    assert full.json() == {"success": True}
    [refund] = orders.order(placed["id"])["refunds"]
    assert (refund["subtotal"], refund["shipping"], refund["tax"], refund["total"]) == ("20.00", "4.00", "2.40",
                                                                                         "26.40")
    assert (refund["buyer"], refund["meta"]) == ("24.40", "2.00")
    more = post(graph, shop, f"{placed['id']}/refunds", idempotency_key="r-2", reason_code="QUALITY_ISSUE",
                shipping={"shipping_refund": {"amount": "0.01", "currency": "USD"}})
    assert error_of(more)["code"] == 100


def test_cancellations_take_unshipped_units_only(graph, shop, orders):
    placed = orders.place(shop["cms"], items=[TEA, CUP])
    tea, cup = (i["id"] for i in placed["items"])
    ack(graph, shop, placed["id"])
    post(graph, shop, f"{placed['id']}/shipments", idempotency_key="s",
         tracking_info={"carrier": "UPS", "tracking_number": "1"}, items=[{"item_id": tea, "quantity": 2}])
    refused = post(graph, shop, f"{placed['id']}/cancellations", idempotency_key="c-1",
                   items=[{"item_id": tea, "quantity": 1}])
    assert "not shipped or cancelled" in error_of(refused)["message"]
    bad_reason = post(graph, shop, f"{placed['id']}/cancellations", idempotency_key="c-2",
                      cancel_reason={"reason_code": "BORED"})
    assert error_of(bad_reason)["code"] == 100
    ok = post(graph, shop, f"{placed['id']}/cancellations", idempotency_key="c-3", restock_items="true",
              cancel_reason={"reason_code": "OUT_OF_STOCK", "reason_description": "Sold out"})
    assert ok.json() == {"success": True}
    state = orders.order(placed["id"])
    assert state["state"] == "COMPLETED"
    [cancellation] = state["cancellations"]
    assert cancellation["items"][0]["id"] == cup and cancellation["restock_items"] is True


def test_returns_are_requested_approved_and_refunded(graph, shop, orders):
    placed = orders.place(shop["cms"], items=[TEA])
    tea = placed["items"][0]["id"]
    ack(graph, shop, placed["id"])
    post(graph, shop, f"{placed['id']}/shipments", idempotency_key="s",
         tracking_info={"carrier": "UPS", "tracking_number": "1"}, items=[{"item_id": tea, "quantity": 2}])
    return_id = orders.request_return(placed["id"], [{"item_id": tea, "quantity": 1, "reason": "Too strong"}])[
        "return_id"]
    listed = get(graph, shop, f"{shop['cms']}/returns", statuses="REQUESTED",
                 fields="id,return_status,order,item_return_quantities,item_return_reasons,items{id,quantity}"
                 ).json()["data"]
    # Meta's Returns API fields: the order item keeps its own quantity (2), the return's is keyed.
    assert listed == [{"id": return_id, "return_status": "REQUESTED", "order": {"id": placed["id"]},
                       "item_return_quantities": [{"key": tea, "value": 1}],
                       "item_return_reasons": [{"key": tea, "value": "Too strong"}],
                       "items": {"data": [{"id": tea, "quantity": 2}]}}]
    # Meta has no `status` on a return: asking for it fails like any nonexisting field.
    old = get(graph, shop, f"{shop['cms']}/returns", fields="id,status")
    assert error_of(old)["code"] == 100 and "(status)" in error_of(old)["message"]
    no_ref = post(graph, shop, f"{return_id}/update_return", idempotency_key="a-0", update_event="ACCEPT_RETURN")
    assert "merchant_return_id" in error_of(no_ref)["message"]
    accepted = post(graph, shop, f"{return_id}/update_return", idempotency_key="a-1", update_event="ACCEPT_RETURN",
                    merchant_return_id="RMA-1")
    assert accepted.json() == {"success": True}
    post(graph, shop, f"{placed['id']}/refunds", idempotency_key="r", reason_code="REFUND_FOR_RETURN",
         return_id=return_id, items=[{"item_id": tea, "item_refund_quantity": 1}],
         deductions=[{"deduction_type": "RETURN_SHIPPING", "deduction_amount": {"amount": "2.00", "currency": "USD"}}])
    state = orders.order(placed["id"])
    assert state["returns"][0]["status"] == "REFUNDED" and state["returns"][0]["merchant_return_id"] == "RMA-1"
    assert (state["refunds"][0]["subtotal"], state["refunds"][0]["total"]) == ("12.00", "10.00")


def test_updated_after_lists_what_changed_and_pages_follow_cursors(graph, shop, orders):
    ids = orders.place_many(shop["cms"], 30, items=[TEA])
    first = get(graph, shop, f"{shop['cms']}/commerce_orders").json()
    assert len(first["data"]) == 25 and "next" in first["paging"]
    rest = get(graph, shop, f"{shop['cms']}/commerce_orders", after=first["paging"]["cursors"]["after"]).json()
    assert [o["id"] for o in first["data"] + rest["data"]] == ids and "next" not in rest.get("paging", {})
    since = int(time.time())
    time.sleep(1.1)
    orders.buyer_cancel(ids[3])
    changed = get(graph, shop, f"{shop['cms']}/commerce_orders", state="CREATED,IN_PROGRESS,COMPLETED",
                  updated_after=since, fields="id,cancellations{id,cancel_reason}").json()["data"]
    assert [o["id"] for o in changed] == [ids[3]]
    assert changed[0]["cancellations"]["data"][0]["cancel_reason"]["reason_code"] == "CUSTOMER_REQUESTED"
    cancelled = get(graph, shop, f"{shop['cms']}/commerce_orders", state="COMPLETED", filters="has_cancellations")
    assert [o["id"] for o in cancelled.json()["data"]] == [ids[3]]


def test_order_paths_on_v26_answer_deprecated(graph, shop, orders):
    placed = orders.place(shop["cms"], items=[TEA])
    for response in (graph.get(f"{shop['cms']}/commerce_orders", token=shop["token"], version="v26.0"),
                     graph.get(placed["id"], token=shop["token"], version="v26.0"),
                     graph.get(f"{placed['id']}/items", token=shop["token"], version="v26.0"),
                     graph.post(f"{placed['id']}/acknowledge_order", token=shop["token"], version="v26.0",
                                idempotency_key="k")):
        assert error_of(response)["code"] == 12, response.text
    # The rest of the API is unaffected on v26.
    assert graph.get(shop["catalog_id"], token=shop["token"], version="v26.0").status_code == 200


def test_the_removed_switch_removes_orders_on_every_version(graph, shop, orders):
    placed = orders.place(shop["cms"], items=[TEA])
    orders.set_removed(True)
    answer = get(graph, shop, f"{shop['cms']}/commerce_orders")
    assert error_of(answer)["code"] == 12 and "removed" in error_of(answer)["message"]
    assert error_of(ack(graph, shop, placed["id"]))["code"] == 12
    orders.set_removed(False)
    assert get(graph, shop, f"{shop['cms']}/commerce_orders").status_code == 200


def test_the_control_api_refuses_bad_order_specs(orders, shop):
    from meta_sandbox.testing import SandboxControlError

    with pytest.raises(SandboxControlError, match="quantity"):
        orders.place(shop["cms"], items=[{"retailer_id": "A", "quantity": 0, "price": "1.00"}])
    with pytest.raises(SandboxControlError, match="decimal places"):
        orders.place(shop["cms"], items=[{"retailer_id": "A", "quantity": 1, "price": "1.001"}])


def test_every_write_replays_the_same_key_and_refuses_it_for_another_body(graph, shop, orders):
    placed = orders.place(shop["cms"], items=[TEA])
    ack(graph, shop, placed["id"])
    tea = placed["items"][0]["id"]
    body = {"tracking_info": {"carrier": "UPS", "tracking_number": "1"}, "items": [{"item_id": tea, "quantity": 1}]}
    first = post(graph, shop, f"{placed['id']}/shipments", idempotency_key="s-1", **body)
    again = post(graph, shop, f"{placed['id']}/shipments", idempotency_key="s-1", **body)
    assert first.json() == again.json() == {"success": True}
    assert again.headers["X-Sandbox-Idempotent-Replay"] == "true"
    other = post(graph, shop, f"{placed['id']}/shipments", idempotency_key="s-1",
                 **{**body, "items": [{"item_id": tea, "quantity": 2}]})
    assert error_of(other)["code"] == 100
    assert len(orders.order(placed["id"])["shipments"]) == 1
    refund = {"reason_code": "DAMAGED_GOODS", "items": [{"item_id": tea, "item_refund_quantity": 1}]}
    assert post(graph, shop, f"{placed['id']}/refunds", idempotency_key="r-1", **refund).status_code == 200
    assert post(graph, shop, f"{placed['id']}/refunds", idempotency_key="r-1", **refund).status_code == 200
    assert len(orders.order(placed["id"])["refunds"]) == 1


def test_older_integrations_use_the_page_as_root(graph, shop, orders):
    placed = orders.place(shop["cms"], items=[TEA])
    listed = get(graph, shop, f"{shop['page_id']}/commerce_orders").json()["data"]
    assert [o["id"] for o in listed] == [placed["id"]]
    answer = post(graph, shop, f"{shop['page_id']}/acknowledge_orders", idempotency_key="k",
                  orders=[{"id": placed["id"], "merchant_order_reference": "R-9"}])
    assert answer.json()["orders"] == [{"id": placed["id"], "state": "IN_PROGRESS"}]


def test_an_order_of_another_business_is_not_visible(graph, shop, orders, sandbox):
    other = sandbox.create_business(name="Other", external_business_id="shop-2")
    graph.post(f"{other['commerce_merchant_settings_id']}/order_management_apps", token=other["access_token"],
               version=V)
    theirs = orders.place(other["commerce_merchant_settings_id"], items=[TEA])
    assert error_of(get(graph, shop, theirs["id"]))["code"] == 100
    answer = post(graph, shop, f"{shop['cms']}/acknowledge_orders", idempotency_key="k",
                  orders=[{"id": theirs["id"], "merchant_order_reference": "R"}])
    assert answer.json()["orders"][0]["error"]["error_code"] == 2361003
