"""Meta's Finance API of the order era over real HTTP: `commerce_payouts` and
`commerce_transactions` (v21-v25), their ledger computed from the orders the sandbox holds, the
selling fee in USD, JPY and KWD to the minor unit, refunds and chargebacks, payouts that tie out,
paging, time filters, the version gate, the removal switch and the permission (META_API §6;
docs/sandbox.md, "Finance"). Figures are worked out by hand in the comments."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from django.test import Client

from meta_sandbox import facade, finance
from meta_sandbox.actions import ControlError

from .conftest import error_of

V = "v25.0"
UPS = {"carrier": "UPS", "tracking_number": "1Z"}
TXN_FIELDS = {"id", "order_id", "order_created", "transaction_date", "transaction_type", "net_payment_amount",
              "processing_fee", "tax_rate", "postal_code", "state"}


def call(graph, shop, path, **params):
    encoded = {k: json.dumps(v) if isinstance(v, (dict, list)) else v for k, v in params.items()}
    answer = graph.post(path, token=shop["token"], version=V, **encoded)
    assert answer.status_code == 200, answer.json()
    return answer.json()


def get(graph, shop, path, version=V, **params):
    answer = graph.get(path, token=shop["token"], version=version, **params)
    assert answer.status_code == 200, answer.json()
    return answer.json()


def shipped_order(graph, shop, orders, *, ship: list[int] | None = None, key="s", **spec) -> dict:
    """Place, acknowledge and ship an order (one shipment per entry of `ship`, units of line 1)."""
    placed = orders.place(shop["cms"], **spec)
    call(graph, shop, f"{placed['id']}/acknowledge_order", idempotency_key=f"ack-{placed['id']}")
    item = placed["items"][0]["id"]
    for n, k in enumerate(ship or [placed["items"][0]["quantity"]]):
        call(graph, shop, f"{placed['id']}/shipments", idempotency_key=f"{key}-{placed['id']}-{n}",
             tracking_info=UPS, items=[{"item_id": item, "quantity": k}])
    return {"id": placed["id"], "item": item}


def tea(**overrides) -> dict:
    # 2 × 12.00, shipping 5.00, tax 8.25 %: items tax 1.98, shipping tax 0.4125 → 0.41; paid 31.39.
    return {"items": [{"retailer_id": "TEA-1", "quantity": 2, "price": "12.00"}],
            "shipping": {"price": "5.00"}, "tax_rate": "8.25", **overrides}


def transactions(graph, shop, **params) -> list[dict]:
    return get(graph, shop, f"{shop['cms']}/commerce_transactions", **params)["data"]


def test_a_shipment_is_a_sale_with_meta_selling_fee(graph, shop, orders):
    order = shipped_order(graph, shop, orders, **tea())
    [row] = transactions(graph, shop)
    # 5 % of 31.39 = 1.5695 → 1.57 (half up); net 29.82.
    assert set(row) == TXN_FIELDS, row  # merchant_order_id, payout ids: empty until set, so left out
    assert row["order_id"] == order["id"]
    assert row["transaction_type"] == "SALE"
    assert row["net_payment_amount"] == {"amount": "29.82", "currency": "USD"}
    assert row["processing_fee"] == {"amount": "1.57", "currency": "USD"}
    assert (row["tax_rate"], row["postal_code"], row["state"]) == ("8.25", "78701", "TX")
    assert row["order_created"].endswith("+00:00") and row["transaction_date"].endswith("+00:00")
    assert "order_details" not in row
    [detailed] = transactions(graph, shop, fields="order_details{id,channel},transaction_type")
    assert detailed == {"id": row["id"], "transaction_type": "SALE",
                        "order_details": {"id": order["id"], "channel": "instagram"}}


def test_shipments_are_one_sale_each_shipping_with_the_first(graph, shop, orders):
    # 3 × 4.00, shipping 2.00, no tax: first shipment 1 unit + shipping = 6.00 → flat 0.40;
    # second 2 units = 8.00 → flat 0.40 (8.00 or less); Meta's example: 10.00 pays 0.50.
    shipped_order(graph, shop, orders, ship=[1, 2], items=[{"retailer_id": "A", "quantity": 3, "price": "4.00"}],
                  shipping={"price": "2.00"})
    rows = transactions(graph, shop)
    assert [(r["net_payment_amount"]["amount"], r["processing_fee"]["amount"]) for r in rows] == [
        ("5.60", "0.40"), ("7.60", "0.40")]
    assert finance.selling_fee(1000, "USD") == 50 and finance.selling_fee(801, "USD") == 40  # 40.05 → 40


@pytest.mark.parametrize(("currency", "price", "fee", "net"), [
    ("JPY", "1999", "100", "1899"),    # 5 % of ¥1999 = 99.95 → ¥100
    ("JPY", "150", "8", "142"),        # 7.5 → 8; no flat fee outside USD
    ("KWD", "1.234", "0.062", "1.172"),  # 61.7 fils → 62
    ("KWD", "1.230", "0.062", "1.168"),  # 61.5 → 62 (half up)
    ("USD", "0.30", "0.30", "0.00"),   # the flat 0.40 never exceeds the shipment
])
def test_fee_to_the_minor_unit(graph, shop, orders, currency, price, fee, net):
    shipped_order(graph, shop, orders, currency=currency, items=[{"retailer_id": "A", "quantity": 1, "price": price}])
    [row] = transactions(graph, shop)
    assert row["processing_fee"] == {"amount": fee, "currency": currency}
    assert row["net_payment_amount"] == {"amount": net, "currency": currency}


def test_refunds_are_negative_and_give_the_fee_back_in_proportion(graph, shop, orders):
    order = shipped_order(graph, shop, orders, **tea())
    # Refund 1 unit: 12.00 + its tax 0.99 = 12.99. Fee back: floor(1.57 × 12.99 / 31.39) = 0.64
    # (203943 / 3139 = 64.97); net −12.35.
    call(graph, shop, f"{order['id']}/refunds", idempotency_key="r-1", reason_code="QUALITY_ISSUE",
         items=[{"item_id": order["item"], "item_refund_quantity": 1}])
    refund = transactions(graph, shop)[1]
    assert refund["transaction_type"] == "REFUND"
    assert refund["processing_fee"]["amount"] == "-0.64"
    assert refund["net_payment_amount"]["amount"] == "-12.35"
    # Meta refunds the rest (unit, tax and shipping: 18.40): the fees come back in full, 1.57 − 0.64 = 0.93.
    facade.meta_refund(order["id"])
    rows = facade.finance(shop["cms"])["transactions"]
    assert [(r["transaction_type"], r["amount"], r["processing_fee"], r["net"]) for r in rows] == [
        ("SALE", "31.39", "1.57", "29.82"), ("REFUND", "-12.99", "-0.64", "-12.35"),
        ("REFUND", "-18.40", "-0.93", "-17.47")]
    assert sum(r["net_minor"] for r in rows) == 0


def test_a_meta_funded_offer_is_not_in_the_sale_nor_its_refund(graph, shop, orders):
    # 2 × 10.00, 10 % off the order paid by Meta (2.00), no tax or shipping: the buyer paid 18.00;
    # the full refund returns 18.00 to the buyer and 2.00 to Meta.
    order = shipped_order(graph, shop, orders, items=[{"retailer_id": "A", "quantity": 2, "price": "10.00"}],
                          discounts=[{"type": "order", "percent_off": "10", "sponsor": "facebook"}])
    facade.meta_refund(order["id"])
    rows = facade.finance(shop["cms"])["transactions"]
    assert [(r["amount"], r["processing_fee"]) for r in rows] == [("18.00", "0.90"), ("-18.00", "-0.90")]


def test_chargebacks_won_and_lost(graph, shop, orders):
    order = shipped_order(graph, shop, orders, **tea())
    with pytest.raises(ControlError):
        facade.open_chargeback(order["id"], amount_minor=3140)  # more than the 31.39 paid
    opened = facade.open_chargeback(order["id"], amount_minor=1000, reason="not received")
    assert (opened["status"], opened["amount"]) == ("OPEN", "10.00")
    with pytest.raises(ControlError):
        facade.open_chargeback(order["id"])  # one open at a time
    facade.resolve_chargeback(order["id"], won=True)
    lost = facade.open_chargeback(order["id"])  # default: all not had back, 31.39
    assert lost["amount"] == "31.39"
    facade.resolve_chargeback(order["id"], won=False)
    with pytest.raises(ControlError):
        facade.resolve_chargeback(order["id"], won=True)
    rows = transactions(graph, shop, fields="transaction_type,net_payment_amount,processing_fee")
    assert [(r["transaction_type"], r["net_payment_amount"]["amount"], r["processing_fee"]["amount"])
            for r in rows] == [("SALE", "29.82", "1.57"), ("CHARGEBACK", "-10.00", "0.00"),
                               ("CHARGEBACK_REVERSAL", "10.00", "0.00"), ("CHARGEBACK", "-31.39", "0.00")]
    with pytest.raises(ControlError):
        facade.open_chargeback(order["id"])  # everything paid is charged back


def test_chargeback_needs_something_paid(shop, orders):
    placed = orders.place(shop["cms"], **tea())
    with pytest.raises(ControlError):
        facade.open_chargeback(placed["id"])
    with pytest.raises(LookupError):
        facade.open_chargeback("100000000999999")


def test_pay_out_now_ties_out_and_filters_transactions_by_payout(graph, shop, orders):
    shipped_order(graph, shop, orders, **tea())
    shipped_order(graph, shop, orders, items=[{"retailer_id": "B", "quantity": 1, "price": "20.00"}])
    [payout] = facade.pay_out_now(shop["cms"])["payouts"]
    # 29.82 + (20.00 − 1.00) = 48.82
    assert (payout["amount"], payout["status"], payout["corrupted"]) == ("48.82", "PAID", False)
    [row] = get(graph, shop, f"{shop['cms']}/commerce_payouts")["data"]
    assert set(row) == {"id", "amount", "payout_date", "payout_reference_id", "status", "transfer_id"}
    assert row["amount"] == {"amount": "48.82", "currency": "USD"}
    assert row["payout_reference_id"].startswith("FBMP") and row["status"] == "PAID"
    paid = transactions(graph, shop, payout_reference_id=row["payout_reference_id"])
    assert len(paid) == 2 and {r["transfer_id"] for r in paid} == {row["transfer_id"]}
    assert transactions(graph, shop, payout_reference_id="FBMP000000000") == []
    assert facade.pay_out_now(shop["cms"])["payouts"] == []  # nothing pending
    # A refund after the payout is pending, negative: carried forward, not paid out.
    facade.meta_refund(paid[0]["order_id"])
    assert facade.pay_out_now(shop["cms"])["payouts"] == []
    state = facade.finance(shop["cms"])
    assert [t["status"] for t in state["transactions"]] == ["PAID_OUT", "PAID_OUT", "PENDING"]
    facade.corrupt_payout(row["payout_reference_id"], 1)
    [corrupted] = get(graph, shop, f"{shop['cms']}/commerce_payouts")["data"]
    assert corrupted["amount"]["amount"] == "48.83"
    [held] = facade.finance(shop["cms"])["payouts"]
    assert held["corrupted"] and held["transactions_net_minor"] == 4882
    assert facade.set_payout_status(row["payout_reference_id"], "FAILED")["status"] == "FAILED"
    with pytest.raises(ControlError):
        facade.set_payout_status(row["payout_reference_id"], "LOST")


def test_paging_both_ways(graph, shop, orders):
    for n in range(5):
        shipped_order(graph, shop, orders, key=f"p{n}", items=[{"retailer_id": "A", "quantity": 1, "price": "9.00"}])
    path = f"{shop['cms']}/commerce_transactions"
    first = get(graph, shop, path, limit=2)
    assert len(first["data"]) == 2 and "next" in first["paging"] and "previous" not in first["paging"]
    second = get(graph, shop, path, limit=2, after=first["paging"]["cursors"]["after"])
    third = get(graph, shop, path, limit=2, after=second["paging"]["cursors"]["after"])
    assert len(third["data"]) == 1 and "next" not in third["paging"] and "previous" in third["paging"]
    ids = [r["id"] for page in (first, second, third) for r in page["data"]]
    assert len(set(ids)) == 5
    back = get(graph, shop, path, limit=2, before=third["paging"]["cursors"]["before"])
    assert [r["id"] for r in back["data"]] == [r["id"] for r in second["data"]]
    assert "limit=2" in first["paging"]["next"] and "after=" in first["paging"]["next"]
    facade.pay_out_now(shop["cms"])
    assert len(get(graph, shop, f"{shop['cms']}/commerce_payouts", limit=1)["data"]) == 1


def test_demo_history_ties_out_on_a_weekly_schedule(graph, shop):
    now = datetime.now(UTC)
    seeded = facade.seed_finance_demo(shop["cms"])
    assert seeded["seeded"] and facade.seed_finance_demo(shop["cms"])["seeded"] is False
    state = facade.finance(shop["cms"])
    kinds = [t["transaction_type"] for t in state["transactions"]]
    assert kinds.count("SALE") == 14  # 12 orders, two shipped in two parts and kinds.count("REFUND") == 1 and kinds.count("CHARGEBACK") == 1
    assert [c["status"] for c in state["chargebacks"]] == ["OPEN"]
    assert len(state["payouts"]) >= 9
    by_ref = {}
    for t in state["transactions"]:
        by_ref.setdefault(t["payout_reference_id"], []).append(t)
    for p in state["payouts"]:
        assert p["amount_minor"] == sum(t["net_minor"] for t in by_ref[p["payout_reference_id"]]) > 0
        assert datetime.fromtimestamp(p["payout_ts"], UTC).strftime("%a %H:%M") == "Mon 00:00"
        assert all(t["transaction_ts"] <= p["payout_ts"] - 7 * 86400 for t in by_ref[p["payout_reference_id"]])
    assert all(t["transaction_ts"] > now.timestamp() - 15 * 86400 for t in by_ref.get(None, []))
    assert {p["status"] for p in state["payouts"][:-1]} == {"PAID"}
    # Time filters: payout_date and transaction_date, unix seconds or ISO 8601, end exclusive.
    month_ago = now - timedelta(days=30)
    recent = get(graph, shop, f"{shop['cms']}/commerce_payouts", start_time=month_ago.isoformat())["data"]
    assert len(recent) == sum(1 for p in state["payouts"] if p["payout_ts"] >= int(month_ago.timestamp()))
    assert 3 <= len(recent) <= 5
    first = state["payouts"][0]
    only = get(graph, shop, f"{shop['cms']}/commerce_payouts", start_time=first["payout_ts"],
               end_time=first["payout_ts"] + 1)["data"]
    assert [p["payout_reference_id"] for p in only] == [first["payout_reference_id"]]
    assert get(graph, shop, f"{shop['cms']}/commerce_payouts", end_time=first["payout_ts"])["data"] == []
    old = get(graph, shop, f"{shop['cms']}/commerce_transactions", limit=100,
              end_time=int(month_ago.timestamp()))["data"]
    assert len(old) == sum(1 for t in state["transactions"] if t["transaction_ts"] < int(month_ago.timestamp()))
    assert 0 < len(old) < len(state["transactions"])
    bad = graph.get(f"{shop['cms']}/commerce_payouts", token=shop["token"], version=V, start_time="last tuesday")
    assert error_of(bad)["code"] == 100


def test_the_demo_accounts_get_their_history_on_first_read(graph, sandbox, shop):
    from meta_sandbox.seed import _finance_demo

    class Shop:
        external_business_id = "shop-1"

    _finance_demo([Shop()])
    assert len(get(graph, shop, f"{shop['cms']}/commerce_payouts")["data"]) >= 9


def test_page_path_version_gate_removal_switch_and_permission(graph, sandbox, shop, orders):
    shipped_order(graph, shop, orders, **tea())
    page = shop["biz"]["page_id"]
    assert len(get(graph, shop, f"{page}/commerce_transactions")["data"]) == 1
    for version in ("v21.0", "v25.0"):
        get(graph, shop, f"{shop['cms']}/commerce_payouts", version=version)
    for edge in ("commerce_payouts", "commerce_transactions"):
        answer = graph.get(f"{shop['cms']}/{edge}", token=shop["token"], version="v26.0")
        assert error_of(answer)["code"] == 12 and "deprecated for versions v26.0" in error_of(answer)["message"]
    orders.set_removed(True)
    try:
        answer = graph.get(f"{shop['cms']}/commerce_transactions", token=shop["token"], version=V)
        assert error_of(answer)["code"] == 12 and "removed" in error_of(answer)["message"]
    finally:
        orders.set_removed(False)
    scopes = [s for s in facade.default_scopes() if s != "commerce_account_read_reports"]
    token = sandbox.mint_token(shop["biz"]["business_id"], scopes=scopes)
    for edge in ("commerce_payouts", "commerce_transactions"):
        error = error_of(graph.get(f"{shop['cms']}/{edge}", token=token, version=V))
        assert error["code"] == 200 and "commerce_account_read_reports" in error["message"]


def test_console_pays_out_and_plays_chargebacks(graph, shop, orders, django_user_model):
    order = shipped_order(graph, shop, orders, **tea())
    user = django_user_model.objects.create_user("finance-staff", password="pw", is_staff=True)
    client = Client()
    client.force_login(user)
    page = client.get("/graph-sandbox/console/")
    assert page.status_code == 200 and b'id="finance"' in page.content
    answer = client.post("/graph-sandbox/console/finance/chargeback",
                         {"order_id": order["id"], "amount": "5.00", "reason": "fraud"}, follow=True)
    assert answer.redirect_chain == [("/graph-sandbox/console/#finance", 302)]
    assert "Chargeback of 5.00 USD opened" in str(list(answer.context["messages"])[0])
    answer = client.post(f"/graph-sandbox/console/finance/orders/{order['id']}/resolve", {"outcome": "won"},
                         follow=True)
    assert "won the chargeback" in str(list(answer.context["messages"])[0])
    answer = client.post("/graph-sandbox/console/finance/pay-out", {"cms_id": shop["cms"]}, follow=True)
    assert "Paid out: FBMP" in str(list(answer.context["messages"])[0])
    state = facade.finance(shop["cms"])
    [payout] = state["payouts"]
    assert payout["amount"] == "29.82" and [c["status"] for c in state["chargebacks"]] == ["WON"]
    answer = client.post("/graph-sandbox/console/finance/chargeback", {"order_id": order["id"], "amount": "x"},
                         follow=True)
    assert "No chargeback" in str(list(answer.context["messages"])[0])
