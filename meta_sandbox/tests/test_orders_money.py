"""Meta's documented order money over real HTTP, figures worked out by hand: what a line can
still refund, and Meta's part of a refund, on lines shipped in parts (Build Offers
Integration, Requirement 1, Steps 2, 4 and 6; META_API §3.5, §3.10)."""

from __future__ import annotations

import json

V = "v25.0"
UPS = {"carrier": "UPS", "tracking_number": "1Z"}


def call(graph, shop, path, **params):
    encoded = {k: json.dumps(v) if isinstance(v, (dict, list)) else v for k, v in params.items()}
    answer = graph.post(path, token=shop["token"], version=V, **encoded)
    assert answer.status_code == 200, answer.json()
    return answer.json()


def placed_and_acknowledged(graph, shop, orders, **spec):
    placed = orders.place(shop["cms"], **spec)
    call(graph, shop, f"{placed['id']}/acknowledge_order", idempotency_key="ack")
    return placed["id"], placed["items"][0]["id"]


def available(graph, shop, order_id) -> str:
    [item] = graph.get(f"{order_id}/items", token=shop["token"], version=V,
                       fields="id,amount_available_for_refund").json()["data"]
    return item["amount_available_for_refund"]["amount"]


def ship(graph, shop, order_id, item_id, quantity, key):
    call(graph, shop, f"{order_id}/shipments", idempotency_key=key, tracking_info=UPS,
         items=[{"item_id": item_id, "quantity": quantity}])


def refund(graph, shop, order_id, item_id, amount, currency, key):
    call(graph, shop, f"{order_id}/refunds", idempotency_key=key, reason_code="QUALITY_ISSUE",
         items=[{"item_id": item_id, "item_refund_amount": {"amount": amount, "currency": currency}}])


def test_available_for_refund_is_price_times_fulfilled_less_the_fulfilled_offers(graph, shop, orders):
    # 3 × 10.00 with 1.00 off the order. Shipping one unit allocates 0.33 to it (Meta's example),
    # so 10.00 − 0.33 = 9.67 is refundable (not 29.00 · 1/3 = 9.66).
    order_id, item = placed_and_acknowledged(graph, shop, orders, items=[
        {"retailer_id": "A", "quantity": 3, "price": "10.00"}], discounts=[{"type": "order", "amount_off": "1.00"}])
    ship(graph, shop, order_id, item, 1, "s-1")
    assert available(graph, shop, order_id) == "9.67"
    refund(graph, shop, order_id, item, "9.67", "USD", "r-1")
    assert available(graph, shop, order_id) == "0.00"
    ship(graph, shop, order_id, item, 2, "s-2")  # 0.67 more: 30.00 − 1.00 − 9.67
    assert available(graph, shop, order_id) == "19.33"


def test_units_cancelled_between_shipments_take_their_part_of_the_offer(graph, shop, orders):
    # 3 × ¥1000, ¥100 off: ship 1 (¥33), cancel 1 (¥33), ship 1 (¥34): ¥2000 − ¥67 refundable.
    order_id, item = placed_and_acknowledged(graph, shop, orders, currency="JPY", items=[
        {"retailer_id": "A", "quantity": 3, "price": "1000"}], discounts=[{"type": "order", "amount_off": "100"}])
    ship(graph, shop, order_id, item, 1, "s-1")
    call(graph, shop, f"{order_id}/cancellations", idempotency_key="c-1", items=[{"item_id": item, "quantity": 1}])
    ship(graph, shop, order_id, item, 1, "s-2")
    state = orders.order(order_id)
    allocations = [p["items"][0]["promotion_allocations"][0]["allocation_amount"]["amount"] for p in state["payments"]]
    cancelled = state["cancellations"][0]["items"][0]["promotion_allocations"][0]["allocation_amount"]["amount"]
    assert (allocations, cancelled) == (["33", "34"], "33")
    assert available(graph, shop, order_id) == "1933"


def test_metas_part_follows_what_buyer_and_meta_paid_for_the_fulfilled_units(graph, shop, orders):
    # 3 × ¥1000 with a Meta-funded ¥100: shipping one unit, Meta pays ¥33 of its ¥1000.
    # Refunding ¥999 of it gives Meta floor(33 · 999 / 1000) = ¥32 (the line's whole proportion,
    # 100/3000, would give ¥33); the last ¥1 gives Meta its last ¥1.
    order_id, item = placed_and_acknowledged(graph, shop, orders, currency="JPY", items=[
        {"retailer_id": "A", "quantity": 3, "price": "1000"}],
        discounts=[{"type": "order", "amount_off": "100", "sponsor": "facebook"}])
    ship(graph, shop, order_id, item, 1, "s-1")
    assert available(graph, shop, order_id) == "1000"  # Meta pays the seller its part
    refund(graph, shop, order_id, item, "999", "JPY", "r-1")
    refund(graph, shop, order_id, item, "1", "JPY", "r-2")
    refunds = orders.order(order_id)["refunds"]
    assert [(r["items"][0]["subtotal"], r["items"][0]["meta"], r["items"][0]["buyer"]) for r in refunds] == [
        ("999", "32", "967"), ("1", "1", "0")]
    # The other two units: paid ¥3000, Meta ¥100 in all; refunding the ¥2000 left returns Meta's ¥67.
    ship(graph, shop, order_id, item, 2, "s-2")
    refund(graph, shop, order_id, item, "2000", "JPY", "r-3")
    last = orders.order(order_id)["refunds"][-1]["items"][0]
    assert (last["meta"], orders.order(order_id)["items"][0]["refunded_meta"]) == ("67", "100")


def test_kwd_seller_offer_shipped_in_two_parts(graph, shop, orders):
    # 7 × 1.234 KWD, 10 % off the order = 0.863: ship 3 → 0.369 allocated, 3.702 − 0.369 = 3.333
    # refundable; ship 4 → 0.494 more, 8.638 − 0.863 = 7.775 in all.
    order_id, item = placed_and_acknowledged(graph, shop, orders, currency="KWD", items=[
        {"retailer_id": "A", "quantity": 7, "price": "1.234"}], discounts=[{"type": "order", "percent_off": "10"}])
    ship(graph, shop, order_id, item, 3, "s-1")
    assert available(graph, shop, order_id) == "3.333"
    ship(graph, shop, order_id, item, 4, "s-2")
    assert available(graph, shop, order_id) == "7.775"
