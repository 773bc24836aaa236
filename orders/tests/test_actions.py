"""Seller actions end to end: recorded here, pushed by the task over real HTTP, and checked
against the sandbox's own state afterwards."""

from __future__ import annotations

import pytest
from django.urls import reverse

from catalog.models import Product
from catalog.tests.factories import make_product
from orders import services
from orders.errors import ActionError
from orders.models import MetaPush, Order, Refund, Return, SyncState
from orders.tests.helpers import CUP, TEA


@pytest.fixture
def order_of(meta_shop):
    def place_and_ingest(**spec):
        placed = meta_shop.place(**spec)
        meta_shop.poll()
        order = meta_shop.local(placed["id"])
        return placed, order, {item.retailer_id: item for item in order.items.order_by("-position")}

    return place_and_ingest


def synced(record) -> bool:
    record.refresh_from_db()
    return record.push.state == SyncState.SYNCED


def test_partial_shipments_reach_meta_once_each_and_tracking_can_change(meta_shop, order_of):
    placed, order, items = order_of(items=[TEA, CUP])
    first = services.ship(meta_shop.shop, order.pk, quantities={items["TEA-1"].pk: 1}, carrier="UPS",
                          tracking_number="1Z1", shipping_method="Ground")
    assert synced(first)
    second = services.ship(meta_shop.shop, order.pk, quantities={items["TEA-1"].pk: 1, items["CUP-1"].pk: 1},
                           carrier="USPS", tracking_number="9400")
    assert synced(second)
    state = meta_shop.meta(placed["id"])
    assert state["state"] == "COMPLETED"
    assert [(s["external_shipment_id"], s["tracking_info"]) for s in state["shipments"]] == [
        (first.external_id, {"carrier": "UPS", "tracking_number": "1Z1", "shipping_method_name": "Ground"}),
        (second.external_id, {"carrier": "USPS", "tracking_number": "9400"})]
    assert [[(i["id"], i["quantity"]) for i in s["items"]] for s in state["shipments"]] == [
        [(placed["items"][0]["id"], 1)], [(placed["items"][0]["id"], 1), (placed["items"][1]["id"], 1)]]
    update = services.update_tracking(meta_shop.shop, order.pk, first.pk, carrier="FEDEX", tracking_number="77")
    assert synced(update)
    assert meta_shop.meta(placed["id"])["shipments"][0]["tracking_info"] == {"carrier": "FEDEX",
                                                                           "tracking_number": "77"}
    meta_shop.poll()
    order.refresh_from_db()
    assert order.state == Order.State.COMPLETED and order.units_to_ship == 0
    assert order.shipments.count() == 2 and all(s.meta_shipment_id for s in order.shipments.all())


def test_never_more_than_ordered_minus_cancelled_is_shipped(meta_shop, order_of):
    placed, order, items = order_of(items=[TEA])
    services.cancel(meta_shop.shop, order.pk, quantities={items["TEA-1"].pk: 1}, reason_code="OUT_OF_STOCK")
    with pytest.raises(ActionError, match="Only 1 unit"):
        services.ship(meta_shop.shop, order.pk, quantities={items["TEA-1"].pk: 2}, carrier="UPS",
                      tracking_number="1")
    assert MetaPush.objects.filter(kind="ship").count() == 0
    assert meta_shop.meta(placed["id"])["shipments"] == []


def test_a_cancellation_with_restock_gives_stock_back_and_reaches_meta(meta_shop, order_of):
    tea = make_product(meta_shop.shop, retailer_id="TEA-1", quantity_to_sell_on_facebook=10)
    placed, order, items = order_of(items=[{**TEA, "quantity": 3}])
    assert Product.objects.get(pk=tea.pk).quantity_to_sell_on_facebook == 7
    cancellation = services.cancel(meta_shop.shop, order.pk, quantities={items["TEA-1"].pk: 2},
                                   reason_code="OUT_OF_STOCK", description="Sold out", restock=True)
    assert synced(cancellation)
    assert Product.objects.get(pk=tea.pk).quantity_to_sell_on_facebook == 9
    [at_meta] = meta_shop.meta(placed["id"])["cancellations"]
    assert at_meta["cancel_reason"] == {"reason_code": "OUT_OF_STOCK", "reason_description": "Sold out"}
    assert at_meta["restock_items"] is True and at_meta["items"][0]["quantity"] == 2
    meta_shop.poll()
    cancellation.refresh_from_db()
    assert cancellation.meta_cancellation_id == at_meta["id"] and order.cancellations.count() == 1


def test_a_refund_by_quantity_with_shipping_and_deduction_is_exactly_what_meta_applies(meta_shop, order_of):
    placed, order, items = order_of(items=[TEA], tax_rate="10",
                                    shipping={"name": "Std", "reference_id": "std", "price": "5.00"})
    services.ship(meta_shop.shop, order.pk, quantities={items["TEA-1"].pk: 2}, carrier="UPS", tracking_number="1")
    refund = services.refund(meta_shop.shop, order.pk, quantities={items["TEA-1"].pk: 1}, shipping_minor=500,
                             deduction_minor=150, reason_code="DAMAGED_GOODS", reason_text="Sorry!")
    assert synced(refund)
    assert (refund.subtotal_minor, refund.shipping_minor, refund.tax_minor, refund.total_minor) == (1200, 500, 170,
                                                                                                    1720)
    [at_meta] = meta_shop.meta(placed["id"])["refunds"]
    assert (at_meta["subtotal"], at_meta["shipping"], at_meta["tax"], at_meta["deductions"], at_meta["total"]) == (
        "12.00", "5.00", "1.70", "1.50", "17.20")
    assert at_meta["reason_code"] == "DAMAGED_GOODS" and at_meta["reason_text"] == "Sorry!"
    meta_shop.poll()
    refund.refresh_from_db()
    assert refund.meta_refund_id == at_meta["id"] and order.refunds.count() == 1


def test_orders_with_order_level_offers_are_refunded_by_amount(meta_shop, order_of):
    placed, order, items = order_of(items=[{"retailer_id": "A", "quantity": 3, "price": "10.00"}],
                                    discounts=[{"type": "order", "amount_off": "1.00"}])
    line = items["A"]
    services.ship(meta_shop.shop, order.pk, quantities={line.pk: 3}, carrier="UPS", tracking_number="1")
    with pytest.raises(ActionError, match="by amount only"):
        services.refund(meta_shop.shop, order.pk, quantities={line.pk: 1}, reason_code="QUALITY_ISSUE")
    with pytest.raises(ActionError, match="At most"):
        services.refund(meta_shop.shop, order.pk, amounts={line.pk: 2901}, reason_code="QUALITY_ISSUE")
    refund = services.refund(meta_shop.shop, order.pk, amounts={line.pk: 967}, reason_code="QUALITY_ISSUE")
    assert synced(refund)
    [at_meta] = meta_shop.meta(placed["id"])["refunds"]
    assert at_meta["items"][0]["subtotal"] == "9.67" and at_meta["total"] == "9.67"
    assert meta_shop.meta(placed["id"])["items"][0]["available_for_refund"] == "19.33"


def test_buy_x_get_y_lines_are_shipped_by_item_id(meta_shop, order_of):
    placed, order, _ = order_of(items=[{**TEA, "quantity": 1}],
                                discounts=[{"type": "bxgy", "retailer_id": "TEA-1", "get_quantity": 1}])
    free = order.items.get(price_per_unit_minor=0)
    shipment = services.ship(meta_shop.shop, order.pk, quantities={free.pk: 1}, carrier="UPS", tracking_number="1")
    assert synced(shipment)
    [at_meta] = meta_shop.meta(placed["id"])["shipments"]
    assert at_meta["items"] == [{"id": free.meta_item_id, "retailer_id": "TEA-1",
                                 "product_id": at_meta["items"][0]["product_id"], "quantity": 1}]


def test_a_return_is_approved_with_our_id_and_refunded_when_received(meta_shop, order_of):
    placed, order, items = order_of(items=[TEA])
    services.ship(meta_shop.shop, order.pk, quantities={items["TEA-1"].pk: 2}, carrier="UPS", tracking_number="1")
    meta_shop.buyer.request_return(placed["id"], [{"item_id": placed["items"][0]["id"], "quantity": 1}])
    import time

    time.sleep(1.1)
    meta_shop.poll()
    ret = order.returns.get()
    decision = services.decide_return(meta_shop.shop, order.pk, ret.pk, event="ACCEPT_RETURN",
                                      merchant_return_id="RMA-7")
    assert synced(decision)
    ret.refresh_from_db()
    assert ret.status == Return.Status.APPROVED
    assert meta_shop.meta(placed["id"])["returns"][0]["merchant_return_id"] == "RMA-7"
    refund = services.refund(meta_shop.shop, order.pk, quantities={items["TEA-1"].pk: 1}, deduction_minor=200,
                             reason_code="REFUND_FOR_RETURN", return_id=ret.pk)
    assert synced(refund)
    state = meta_shop.meta(placed["id"])
    assert state["returns"][0]["status"] == "REFUNDED" and state["refunds"][0]["return_id"] == ret.meta_return_id
    assert state["refunds"][0]["total"] == "10.00"
    ret.refresh_from_db()
    assert ret.status == Return.Status.REFUNDED
    with pytest.raises(ActionError, match="closed"):
        services.refund(meta_shop.shop, order.pk, quantities={items["TEA-1"].pk: 1}, reason_code="REFUND_FOR_RETURN",
                        return_id=ret.pk)


def test_a_declined_return_is_declined_at_meta(meta_shop, order_of):
    placed, order, items = order_of(items=[TEA])
    services.ship(meta_shop.shop, order.pk, quantities={items["TEA-1"].pk: 2}, carrier="UPS", tracking_number="1")
    meta_shop.buyer.request_return(placed["id"], [{"item_id": placed["items"][0]["id"], "quantity": 2}])
    import time

    time.sleep(1.1)
    meta_shop.poll()
    ret = order.returns.get()
    assert synced(services.decide_return(meta_shop.shop, order.pk, ret.pk, event="DISAPPROVE_RETURN", notes="Used"))
    assert meta_shop.meta(placed["id"])["returns"][0]["status"] == "DISAPPROVED"
    order.refresh_from_db()
    assert order.open_returns == 0


def test_metas_refusal_is_shown_with_its_message_and_retry_sends_it_once(meta_shop, order_of):
    placed, order, items = order_of(items=[TEA])
    meta_shop.sandbox.add_fault(path="*/shipments", method="POST", kind="error", code=100,
                                message="(#100) The carrier rejected this tracking number", count=1)
    shipment = services.ship(meta_shop.shop, order.pk, quantities={items["TEA-1"].pk: 2}, carrier="UPS",
                             tracking_number="1Z")
    shipment.refresh_from_db()
    assert shipment.push.state == SyncState.FAILED
    assert shipment.push.error == "(#100) The carrier rejected this tracking number"
    order.refresh_from_db()
    assert order.failed_pushes == 1
    services.retry_push(meta_shop.shop, order.pk, shipment.push.pk)
    assert synced(shipment)
    assert len(meta_shop.meta(placed["id"])["shipments"]) == 1
    order.refresh_from_db()
    assert order.failed_pushes == 0


def test_a_double_submitted_refund_form_makes_one_refund(meta_shop, order_of, owner):
    placed, order, items = order_of(items=[TEA])
    services.ship(meta_shop.shop, order.pk, quantities={items["TEA-1"].pk: 2}, carrier="UPS", tracking_number="1")
    url = reverse("orders:refund", args=[meta_shop.shop.pk, order.pk])
    form = owner.get(url).context["form"]
    data = {"submission": form["submission"].value(), "mode": "quantity", f"item_{items['TEA-1'].pk}": "1",
            "reason_code": "DAMAGED_GOODS", "shipping": "", "deduction": "", "reason_text": ""}
    review = owner.post(url, data)
    assert review.context["step"] == "review" and review.context["plan"].total_minor == 1200
    assert Refund.objects.count() == 0
    first = owner.post(url, {**data, "confirm": "1"})
    second = owner.post(url, {**data, "confirm": "1"})
    assert first.status_code == second.status_code == 302
    assert Refund.objects.filter(order=order).count() == 1
    assert len(meta_shop.meta(placed["id"])["refunds"]) == 1


def test_the_ship_form_reviews_then_confirms(meta_shop, order_of, owner):
    placed, order, items = order_of(items=[TEA])
    url = reverse("orders:ship", args=[meta_shop.shop.pk, order.pk])
    form = owner.get(url).context["form"]
    data = {"submission": form["submission"].value(), f"item_{items['TEA-1'].pk}": "2", "carrier": "UPS",
            "tracking_number": "", "shipping_method": ""}
    assert "tracking_number" in owner.post(url, data).context["form"].errors
    review = owner.post(url, {**data, "tracking_number": "1Z"})
    assert review.context["step"] == "review" and review.context["value"].minor == 2400
    done = owner.post(url, {**data, "tracking_number": "1Z", "confirm": "1"})
    assert done.status_code == 302
    assert len(meta_shop.meta(placed["id"])["shipments"]) == 1


def test_acting_before_acknowledgement_is_refused(meta_shop):
    placed = meta_shop.place(state="FB_PROCESSING")
    meta_shop.poll()
    order = meta_shop.local(placed["id"])
    with pytest.raises(ActionError, match="still checking"):
        services.ship(meta_shop.shop, order.pk, quantities={order.items.get().pk: 1}, carrier="UPS",
                      tracking_number="1")
