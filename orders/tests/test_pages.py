"""The orders list and order page: filters, search, keyset pages, CSV, and tenancy."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from orders.models import Order
from orders.tests.factories import make_failed_push, make_order, make_return, make_shipment


def list_url(shop, **query):
    from urllib.parse import urlencode

    return reverse("orders:index", args=[shop.pk]) + (f"?{urlencode(query)}" if query else "")


def refs(response) -> list[str]:
    return [o.reference for o in response.context["page"].orders]


def test_quick_views_show_what_needs_the_seller(owner, shop_a):
    to_ack = make_order(shop_a, state=Order.State.CREATED)
    to_ship = make_order(shop_a, state=Order.State.IN_PROGRESS)
    done = make_order(shop_a, state=Order.State.COMPLETED, units_to_ship=0)
    returned = make_order(shop_a, state=Order.State.COMPLETED, units_to_ship=0, open_returns=1)
    assert refs(owner.get(list_url(shop_a, view="to_ack"))) == [to_ack.reference]
    assert refs(owner.get(list_url(shop_a, view="to_ship"))) == [to_ship.reference]
    assert refs(owner.get(list_url(shop_a, view="returns"))) == [returned.reference]
    page = owner.get(list_url(shop_a))
    assert refs(page) == [returned.reference, done.reference, to_ship.reference, to_ack.reference]
    assert page.context["counts"] == {"to_ack": 1, "to_ship": 1, "returns": 1, "failed": 0}


def test_search_finds_meta_ids_references_buyers_and_retailer_ids(owner, shop_a):
    tea = make_order(shop_a, buyer_name="Grace Hopper", items=(("TEA-9", 1, 100),))
    other = make_order(shop_a, buyer_name="Ada Lovelace", items=(("CUP-1", 1, 100),))
    assert refs(owner.get(list_url(shop_a, q=tea.meta_order_id))) == [tea.reference]
    assert refs(owner.get(list_url(shop_a, q=other.reference.lower()))) == [other.reference]
    assert refs(owner.get(list_url(shop_a, q="hopper"))) == [tea.reference]
    assert refs(owner.get(list_url(shop_a, q="TEA-9"))) == [tea.reference]
    assert refs(owner.get(list_url(shop_a, channel="facebook"))) == []


def test_pages_are_keyset_and_cost_the_same_queries(owner, shop_a):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    orders = [make_order(shop_a) for _ in range(55)]
    first = owner.get(list_url(shop_a))
    assert len(refs(first)) == 50 and first.context["page"].next_after == orders[5].pk
    second = owner.get(list_url(shop_a, after=first.context["page"].next_after))
    assert refs(second) == [o.reference for o in reversed(orders[:5])]
    back = owner.get(list_url(shop_a, before=second.context["page"].prev_before))
    assert refs(back) == refs(first)
    with CaptureQueriesContext(connection) as on_first:
        owner.get(list_url(shop_a))
    with CaptureQueriesContext(connection) as deeper:
        owner.get(list_url(shop_a, after=orders[30].pk))
    assert len(deeper) == len(on_first)
    order_queries = [q["sql"] for q in deeper if 'FROM "orders_order"' in q["sql"] and "LIMIT 51" in q["sql"]]
    assert len(order_queries) == 1 and "OFFSET" not in order_queries[0]


def test_the_csv_export_streams_the_filtered_orders(owner, shop_a):
    make_order(shop_a, state=Order.State.CREATED, buyer_name="Zed")
    make_order(shop_a, state=Order.State.COMPLETED, buyer_name="Yan", units_to_ship=0)
    response = owner.get(reverse("orders:export", args=[shop_a.pk]) + "?view=to_ack")
    text = b"".join(response.streaming_content).decode()
    lines = text.strip().splitlines()
    assert lines[0].startswith("reference,meta_order_id")
    assert len(lines) == 2 and "Zed" in lines[1] and "24.00" in lines[1]


def test_the_order_page_shows_items_money_and_timeline(owner, shop_a):
    order = make_order(shop_a, items=(("TEA-1", 2, 1200), ("CUP-1", 1, 800)))
    make_shipment(order)
    make_return(order)
    push = make_failed_push(order)
    from orders.models import OrderEvent

    OrderEvent.objects.create(order=order, kind=OrderEvent.Kind.REFUNDED, push=push,
                              params={"reason": "DAMAGED_GOODS", "total_minor": 500})
    page = owner.get(reverse("orders:detail", args=[shop_a.pk, order.pk])).content.decode()
    assert "Product TEA-1" in page and "$24.00" in page and "$32.00" in page
    assert "Failed" in page and "(#100) Invalid parameter" in page and "Retry" in page
    assert "Approve" in page and "Update tracking" in page


def test_offers_without_a_coupon_code_and_event_reasons_render(owner, shop_a):
    promo = {"promotion_id": "1", "campaign_name": "Spring", "applied_amount": {"amount": "1.00", "currency": "USD"},
             "sponsor": "merchant", "target_granularity": "order_level"}
    order = make_order(shop_a, promotions=[promo, {**promo, "campaign_name": "", "sponsor": "facebook"}])
    from orders.models import OrderEvent

    order.items.update(promotions=[promo])
    OrderEvent.objects.create(order=order, kind=OrderEvent.Kind.CANCELLED, params={"reason": "OUT_OF_STOCK",
                                                                                    "units": 2})
    page = owner.get(reverse("orders:detail", args=[shop_a.pk, order.pk])).content.decode()
    assert "Spring" in page and "Offer" in page and "2 units cancelled (Out of stock)." in page


def test_another_shops_order_is_not_found_on_any_order_page(owner, shop_a, shop_b):
    theirs = make_order(shop_b)
    shipment = make_shipment(theirs)
    ret = make_return(theirs)
    push = make_failed_push(theirs)
    for name, kwargs in [("detail", {}), ("ship", {}), ("cancel", {}), ("refund", {}),
                         ("tracking", {"shipment_id": shipment.pk}),
                         ("return_decision", {"return_id": ret.pk, "decision": "approve"})]:
        url = reverse(f"orders:{name}", kwargs={"shop_id": shop_a.pk, "order_id": theirs.pk, **kwargs})
        assert owner.get(url).status_code == 404, name
        assert owner.post(url).status_code == 404, name
    mine = make_order(shop_a)
    for name in ("retry", "discard"):
        url = reverse(f"orders:{name}", args=[shop_a.pk, mine.pk, push.pk])
        assert owner.post(url).status_code == 404, name
    assert owner.get(reverse("orders:tracking", args=[shop_a.pk, mine.pk, shipment.pk])).status_code == 404


def test_a_viewer_reads_orders_but_cannot_act(shop_a, bob):
    order = make_order(shop_a)
    client = Client()
    client.force_login(bob)
    assert client.get(reverse("orders:detail", args=[shop_a.pk, order.pk])).status_code == 200
    for name in ("ship", "cancel", "refund"):
        assert client.post(reverse(f"orders:{name}", args=[shop_a.pk, order.pk]), {"confirm": "1"}).status_code == 403
    assert client.post(reverse("orders:check_now", args=[shop_a.pk])).status_code == 403
    assert Order.objects.get(pk=order.pk).shipments.count() == 0


def test_actions_explain_why_they_are_not_possible(owner, shop_a):
    order = make_order(shop_a, state=Order.State.CREATED)
    page = owner.get(reverse("orders:ship", args=[shop_a.pk, order.pk])).content.decode()
    assert "must be acknowledged" in page


@pytest.mark.parametrize("view", ["to_ack", "to_ship", "returns", "failed", "ack_failed", "processing"])
def test_every_quick_view_renders(owner, shop_a, view):
    make_order(shop_a)
    assert owner.get(list_url(shop_a, view=view)).status_code == 200


def test_the_issue_cards_name_late_acknowledgements_and_failed_changes(shop_a):
    from datetime import timedelta

    from django.utils import timezone

    from orders.issues import order_issue_cards

    make_order(shop_a, state=Order.State.CREATED, placed_at=timezone.now() - timedelta(hours=3))
    make_order(shop_a, state=Order.State.CREATED)
    make_order(shop_a, failed_pushes=1)
    cards = {card.kind: card for card in order_issue_cards(shop_a)}
    assert cards["orders.ack_late"].count == 1 and cards["orders.ack_late"].cta_method == "post"
    assert cards["orders.sync_failed"].count == 1


def test_order_pages_render_in_simplified_chinese(owner, shop_a):
    order = make_order(shop_a)
    make_shipment(order)
    make_return(order)
    for url in (reverse("orders:index", args=[shop_a.pk]), reverse("orders:detail", args=[shop_a.pk, order.pk]),
                reverse("orders:refund", args=[shop_a.pk, order.pk]), reverse("orders:ingest", args=[shop_a.pk])):
        response = owner.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans")
        assert response.status_code == 200 and 'lang="zh-hans"' in response.content.decode()


def test_an_order_keeps_its_own_copies_when_the_product_is_deleted(owner, shop_a):
    from catalog.tests.factories import make_product

    product = make_product(shop_a, retailer_id="TEA-1", title="Jasmine tea (current title)")
    order = make_order(shop_a)
    order.items.update(product=product, title="Jasmine tea (as ordered)")
    product.delete()
    item = order.items.get()
    assert item.product_id is None and item.title == "Jasmine tea (as ordered)" and item.price_per_unit_minor == 1200
    page = owner.get(reverse("orders:detail", args=[shop_a.pk, order.pk])).content.decode()
    assert "Jasmine tea (as ordered)" in page and "$24.00" in page


def test_the_csv_export_does_not_let_a_buyer_name_run_as_a_formula(owner, shop_a):
    make_order(shop_a, buyer_name='=HYPERLINK("http://evil.example","click")')
    response = owner.get(reverse("orders:export", args=[shop_a.pk]))
    body = b"".join(response.streaming_content).decode()
    assert "'=HYPERLINK" in body
    assert ',=HYPERLINK' not in body and '"=HYPERLINK' not in body


def test_an_exact_id_is_found_first_and_only_in_the_shop(owner, shop_a, shop_b):
    tea = make_order(shop_a, buyer_name="Grace Hopper", items=(("TEA-9", 1, 100),))
    # A buyer whose name holds the other order's reference: the exact reference wins.
    make_order(shop_a, buyer_name=f"Fan of {tea.reference}")
    assert refs(owner.get(list_url(shop_a, q=tea.reference))) == [tea.reference]
    # Another shop's ids and retailer ids name nothing here (and fall back to the name search).
    theirs = make_order(shop_b, buyer_name="Linus", items=(("LIN-1", 1, 100),))
    assert refs(owner.get(list_url(shop_a, q=theirs.meta_order_id))) == []
    assert refs(owner.get(list_url(shop_a, q="LIN-1"))) == []
    # A retailer id in several orders lists them all, newest first.
    again = make_order(shop_a, buyer_name="Ada Lovelace", items=(("TEA-9", 2, 100),))
    assert refs(owner.get(list_url(shop_a, q="TEA-9"))) == [again.reference, tea.reference]


def test_orders_search_can_use_the_buyer_trigram_index_on_postgresql(shop_a):
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("trigram indexes exist on PostgreSQL only")
    sql, params = Order.objects.filter(buyer_name__icontains="farthingale").order_by().query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("EXPLAIN " + sql, params)
        plan = " ".join(row[0] for row in cursor.fetchall())
    assert "orders_order_buyer_trgm" in plan, plan
