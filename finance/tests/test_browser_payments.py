"""Browser test: a Meta order the sandbox's buyer placed is shipped through the seller's form,
Meta pays it out, the seller presses "Check now" on the Payments page, opens the payout,
follows its transaction to the order (which shows the payout), comes back, builds the tax
report from the Payments page and downloads its CSV. On a 390 px wide phone the Payments and
payout pages do not scroll sideways (their tables scroll inside `.table-wrap`). Headless Debian
Chromium through Playwright, against the live portal and its Graph sandbox (tasks run inline)."""

from __future__ import annotations

import csv
import io
import re

import pytest
from django.urls import reverse

from finance.models import Payout, Report
from kernel.money import Money, format_money
from orders.tests.helpers import TEA

pytestmark = pytest.mark.browser

NO_SIDEWAYS_SCROLL = """() => {
  const doc = document.documentElement, body = document.body;
  return {doc: doc.scrollWidth - doc.clientWidth, body: body.scrollWidth - body.clientWidth};
}"""


WIDE = """() => {
  const clipped = e => { for (let a = e.parentElement; a && a !== document.body; a = a.parentElement)
    if (getComputedStyle(a).overflowX !== 'visible') return true; return false; };
  return [...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > 391 && !clipped(e))
    .map(e => e.tagName + '.' + e.className + '#' + e.id + ' ' + Math.round(e.getBoundingClientRect().right)).slice(0, 20);
}"""


def _log_in(page, base: str) -> None:
    page.goto(base + reverse("login"))
    page.get_by_label("Username").fill("alice")
    page.get_by_label("Password").fill("pw-alice")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_load_state()


def _ship_in_browser(page, base: str, shop) -> None:
    page.goto(base + reverse("orders:index", args=[shop.pk]))
    page.get_by_role("button", name="Check now").click()
    page.get_by_role("row").filter(has_text="Grace Hopper").get_by_role("link").first.click()
    page.get_by_role("link", name="Ship").click()
    page.get_by_label("Carrier").select_option("UPS")
    page.get_by_label("Tracking number").fill("1Z999AA10123456784")
    page.get_by_role("button", name="Review shipment").click()
    page.get_by_role("button", name="Confirm shipment").click()
    page.locator("#timeline li[data-kind='shipped'] [data-sync='synced']").wait_for()
    # The next reading of Meta's orders brings the tax Meta captured with the shipment.
    page.goto(base + reverse("orders:index", args=[shop.pk]))
    page.get_by_role("button", name="Check now").click()
    page.wait_for_load_state()


def _assert_no_sideways_scroll(page, url: str) -> None:
    page.goto(url)
    overflow = page.evaluate(NO_SIDEWAYS_SCROLL)
    wide = page.evaluate(WIDE)
    assert overflow == {"doc": 0, "body": 0}, (url, overflow, wide)


def test_a_seller_follows_a_payout_to_its_order_and_downloads_the_tax_report(page, meta_shop, live_server):
    from meta_sandbox import facade

    base, shop = live_server.url, meta_shop.shop
    placed = meta_shop.place(items=[TEA], buyer={"name": "Grace Hopper"}, tax_rate="8.25")
    _log_in(page, base)
    _ship_in_browser(page, base, shop)
    order = meta_shop.local(placed["id"])
    tax_minor = sum(order.items.values_list("captured_tax_minor", flat=True))
    assert tax_minor == 198  # 8.25 % of the two teas' $24.00

    (paid,) = facade.pay_out_now(meta_shop.cms)["payouts"]
    reference = paid["payout_reference_id"]

    # Payments: "Check now" reads Meta; the payout is listed and everything ties out.
    payments_url = base + reverse("finance:index", args=[shop.pk])
    page.goto(payments_url)
    page.get_by_role("button", name="Check now").click()
    page.wait_for_load_state()
    assert page.locator("#tied-out-USD").is_visible()
    row = page.locator("#payouts tbody tr").filter(has_text=reference)
    assert row.count() == 1 and format_money(Money(paid["amount_minor"], "USD")) in row.inner_text()

    # The payout: its one transaction, tied out; the transaction leads to the order.
    row.get_by_role("link", name=reference).click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", level=1).inner_text() == f"Payout {reference}"
    assert page.locator("#payout-tied-out").is_visible()
    (payout,) = Payout.objects.filter(shop=shop)
    payout_url = base + reverse("finance:payout", args=[shop.pk, payout.pk])
    assert page.url == payout_url
    page.locator("#transactions").get_by_role("link", name=order.reference).click()
    page.wait_for_load_state()
    assert page.url == base + reverse("orders:detail", args=[shop.pk, order.pk])
    panel = page.locator("#order-payments")
    assert panel.get_by_role("link", name=reference).is_visible() and "Sale" in panel.inner_text()

    # Back to the payout, back to Payments; the tax report from the Reports form.
    page.go_back()
    assert page.url == payout_url
    page.get_by_role("link", name="Payments", exact=False).filter(has_text="←").click()
    assert page.url == payments_url
    reports = page.get_by_role("region", name="Reports")
    reports.get_by_label("Report").select_option(label="Tax by jurisdiction")
    reports.get_by_role("button", name="Build report").click()
    page.wait_for_load_state()
    report = Report.objects.get(shop=shop)
    assert page.url == base + reverse("finance:report", args=[shop.pk, report.pk])
    download_link = page.locator("#download")
    download_link.wait_for(timeout=30_000)  # the page refreshes itself until the worker is done
    with page.expect_download() as info:
        download_link.click()
    download = info.value
    assert re.fullmatch(rf"tax-{shop.pk}-\d{{4}}-\d\d-\d\d-\d{{4}}-\d\d-\d\d\.csv", download.suggested_filename)
    with open(download.path(), encoding="utf-8") as fh:
        text = fh.read()
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == ["country", "region", "currency", "orders", "taxable_sales", "tax_captured", "tax_refunded",
                       "tax_remitted_by_meta", "tax_you_owe"]
    body = [dict(zip(rows[0], r, strict=True)) for r in rows[1:]]
    assert sum(int(r["orders"]) for r in body) == 1 and {r["currency"] for r in body} == {"USD"}
    assert sum(Money.from_decimal(r["tax_captured"], "USD").minor for r in body) == tax_minor
    assert "1.98" in page.locator("#report-rows").inner_text()

    # A 390 px wide phone: no sideways scroll of the page; the tables scroll in their wrappers.
    page.set_viewport_size({"width": 390, "height": 844})
    _assert_no_sideways_scroll(page, payments_url)
    assert page.locator("#payouts").evaluate("t => getComputedStyle(t.parentElement).overflowX") == "auto"
    _assert_no_sideways_scroll(page, payout_url)
    assert page.locator("#transactions").evaluate("t => getComputedStyle(t.parentElement).overflowX") == "auto"
