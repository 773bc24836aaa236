"""Reports the way a seller gets them: website orders come in through the storefront API, the
seller asks for a report on the Payments page, the worker builds it, the seller reads it on
screen and downloads the CSV. The tax report's total is the tax captured on the lines."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from finance import tasks
from finance.models import Report
from orders.models import OrderItem

TODAY = timezone.localdate()
PERIOD = {"start": (TODAY - timedelta(days=30)).isoformat(), "end": (TODAY + timedelta(days=1)).isoformat()}
ORDERS = [
    ("W-1", {"country": "US", "state": "OR"}, [("TEA-1", 2, "12.00", "0.00")]),
    ("W-2", {"country": "US", "state": "WA"}, [("TEA-1", 1, "12.00", "1.08"), ("CUP-2", 3, "5.00", "1.35")]),
    ("W-3", {"country": "US", "state": "WA"}, [("CUP-2", 1, "5.00", "0.46")]),
    ("W-4", {"country": "CA", "state": "BC"}, [("TEA-1", 1, "12.00", "1.44")]),
]


def _key(owner, shop) -> str:
    response = owner.post(reverse("shops:api_keys", args=[shop.pk]), {"name": "storefront"})
    return re.search(r'value="(sp_[^"]+)"', response.content.decode()).group(1)


@pytest.fixture
def website_orders(owner, shop_a):
    key = _key(owner, shop_a)
    for order_id, address, lines in ORDERS:
        body = {"order_id": order_id, "currency": shop_a.currency, "shipping_address": address,
                "items": [{"retailer_id": r, "quantity": q, "price": p, "tax": t} for r, q, p, t in lines]}
        response = Client().post("/api/storefront/v1/orders", body, content_type="application/json",
                                 HTTP_AUTHORIZATION=f"Bearer {key}")
        assert response.status_code == 202, response.content
    return shop_a


def _build(owner, shop, kind: str) -> Report:
    response = owner.post(reverse("finance:report_new", args=[shop.pk]),
                          {"kind": kind, **PERIOD})
    assert response.status_code == 302
    report = Report.objects.get(shop=shop, kind=kind)
    page = owner.get(response["Location"]).content.decode()
    assert 'hx-trigger="every 2s"' in page and "<progress" in page  # queued: the page waits for the worker
    tasks.build_report(report.pk)  # what the worker runs
    report.refresh_from_db()
    assert report.state == Report.State.DONE and report.done == report.total == len(ORDERS)
    return report


def _csv(owner, shop, report) -> list[dict]:
    response = owner.get(reverse("finance:report_download", args=[shop.pk, report.pk]))
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    return list(csv.DictReader(io.StringIO(response.content.decode())))


def test_the_tax_report_groups_captured_tax_by_jurisdiction_and_ties_to_the_lines(owner, website_orders):
    shop = website_orders
    report = _build(owner, shop, "tax")
    rows = {(r["country"], r["region"]): r for r in _csv(owner, shop, report)}
    assert rows[("US", "WA")]["tax_captured"] == "2.89" and rows[("US", "WA")]["orders"] == "2"
    assert rows[("US", "OR")]["tax_captured"] == "0.00" and rows[("CA", "BC")]["tax_captured"] == "1.44"
    # website orders: nobody remitted it for the seller
    assert all(r["tax_remitted_by_meta"] == "0.00" and r["tax_you_owe"] == r["tax_captured"] for r in rows.values())
    lines_tax = sum(OrderItem.objects.filter(order__shop=shop).values_list("tax_minor", flat=True))
    assert sum(int(r["tax_captured"].replace(".", "")) for r in rows.values()) == lines_tax == 433
    page = owner.get(reverse("finance:report", args=[shop.pk, report.pk])).content.decode()
    assert "2.89" in page and "Download CSV" in page


def test_the_sales_report_covers_every_channel_and_its_tax_equals_the_tax_report(owner, website_orders):
    shop = website_orders
    sales = _csv(owner, shop, _build(owner, shop, "sales"))
    tax = _csv(owner, shop, _build(owner, shop, "tax"))
    assert sorted(r["channel"] for r in sales) == ["website"] * 4
    assert {r["ties_out"] for r in sales} == {"paid through your payment provider"}
    cents = lambda rows, col: sum(int(r[col].replace(".", "")) for r in rows)  # noqa: E731
    assert cents(sales, "tax") == cents(tax, "tax_captured") == 433


def test_a_bad_period_is_refused_where_the_seller_typed_it(owner, shop_a):
    url = reverse("finance:report_new", args=[shop_a.pk])
    response = owner.post(url, {"kind": "tax", "start": "2026-12-01", "end": "2026-01-01"})
    assert response.status_code == 400 and "The end is before the start." in response.content.decode()
    response = owner.post(url, {"kind": "nope", "start": "2026-01-01", "end": "2026-02-01"})
    assert response.status_code == 400 and not Report.objects.exists()


def test_a_report_cell_cannot_run_as_a_formula(owner, shop_a):
    key = _key(owner, shop_a)
    body = {"order_id": "W-9", "currency": shop_a.currency, "shipping_address": {"country": "US", "state": "=1+1"},
            "items": [{"retailer_id": "TEA-1", "quantity": 1, "price": "1.00"}]}
    assert Client().post("/api/storefront/v1/orders", body, content_type="application/json",
                         HTTP_AUTHORIZATION=f"Bearer {key}").status_code == 202
    report = _build_one(owner, shop_a)
    (row,) = _csv(owner, shop_a, report)
    assert row["region"] == "'=1+1"


def _build_one(owner, shop) -> Report:
    owner.post(reverse("finance:report_new", args=[shop.pk]), {"kind": "tax", **PERIOD})
    report = Report.objects.get(shop=shop)
    tasks.build_report(report.pk)
    report.refresh_from_db()
    return report


def test_viewers_read_reports_but_cannot_ask_for_one(viewer_client, shop_a):
    response = viewer_client.post(reverse("finance:report_new", args=[shop_a.pk]),
                                  {"kind": "tax", "start": "2026-01-01", "end": "2026-02-01"})
    assert response.status_code == 403 and not Report.objects.exists()
    assert viewer_client.get(reverse("finance:index", args=[shop_a.pk])).status_code == 200


def test_payments_pages_write_nothing_on_get(owner, shop_a, gets_write_nothing):
    gets_write_nothing(owner, "finance", shop_a)


def test_a_website_orders_page_says_its_payment_is_with_the_sellers_provider(owner, website_orders):
    from orders.models import Order

    order = Order.objects.get(shop=website_orders, website_order_id="W-2")
    page = owner.get(reverse("orders:detail", args=[website_orders.pk, order.pk])).content.decode()
    assert "payment provider" in page
    index = owner.get(reverse("finance:index", args=[website_orders.pk])).content.decode()
    assert 'id="website-orders"' in index


def test_a_meta_orders_shipped_tax_counts_before_meta_reports_it(meta_shop, owner):
    from orders.tests.seller import Seller

    s = Seller(meta_shop, owner).place([("A", 3, "10.00")], tax_rate="10")
    s.ship({0: 2})  # no order read since: Meta's captured_tax has not come back yet
    assert s.order.items.get().captured_tax_minor == 0
    report = _build_one(owner, meta_shop.shop)
    (row,) = _csv(owner, meta_shop.shop, report)
    assert row["tax_captured"] == "2.00" and row["tax_remitted_by_meta"] in ("2.00", "0.00")
    meta_shop.poll()  # Meta's own figure arrives with the next read: the same
    report.delete()
    again = _build_one(owner, meta_shop.shop)
    assert _csv(owner, meta_shop.shop, again)[0]["tax_captured"] == "2.00"


@pytest.mark.parametrize("query", [
    {"start": "9999-12-01", "end": "9999-12-31"}, {"start": "0001-01-01"}, {"end": "1900-01-01"},
    {"start": "2026-05-01", "end": "2026-04-01"}, {"start": "not a date"}, {"start": "2020-01-01", "end": "2026-12-01"},
])
def test_a_bad_period_on_the_payments_page_shows_its_error_and_the_default_period(owner, shop_a, query):
    response = owner.get(reverse("finance:index", args=[shop_a.pk]), query)
    assert response.status_code == 200
    assert response.context["period"].errors
    assert (response.context["end"] - response.context["start"]).days <= 366


def test_a_report_of_a_month_covers_that_month(owner, shop_a):
    url = reverse("finance:report_new", args=[shop_a.pk])
    assert owner.post(url, {"kind": "tax", "month": "2026-02"}).status_code == 302
    report = Report.objects.get(shop=shop_a)
    assert (report.start.isoformat(), report.end.isoformat()) == ("2026-02-01", "2026-02-28")
    bad = owner.post(url, {"kind": "tax", "month": "2026-13"})
    assert bad.status_code == 400 and "A month like 2026-11." in bad.content.decode()
    empty = owner.post(url, {"kind": "tax"})
    assert empty.status_code == 400 and Report.objects.count() == 1
