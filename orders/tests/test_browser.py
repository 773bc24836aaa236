"""Browser test: a seller sees a new order, ships it with tracking and refunds one unit; the
timeline shows both changes synced to Meta. Headless Debian Chromium through Playwright, against
the live portal and its Graph sandbox (tasks run inline in tests)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from orders.tests.helpers import TEA

pytestmark = pytest.mark.browser


def test_a_seller_ships_an_order_and_refunds_one_unit(page, meta_shop, live_server):
    shop = meta_shop.shop
    placed = meta_shop.place(items=[TEA], buyer={"name": "Grace Hopper"})
    page.goto(live_server.url + reverse("login"))
    page.get_by_label("Username").fill("alice")
    page.get_by_label("Password").fill("pw-alice")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_load_state()

    # A new order: the seller checks Meta and sees it.
    page.goto(live_server.url + reverse("orders:index", args=[shop.pk]))
    page.get_by_role("button", name="Check now").click()
    row = page.get_by_role("row").filter(has_text="Grace Hopper")
    assert row.count() == 1
    row.get_by_role("link").first.click()
    assert "Jasmine tea" in page.content()

    # Ship it with tracking: review shows the money, then confirm.
    page.get_by_role("link", name="Ship").click()
    page.get_by_label("Carrier").select_option("UPS")
    page.get_by_label("Tracking number").fill("1Z999AA10123456784")
    page.get_by_role("button", name="Review shipment").click()
    assert "$24.00" in page.content()
    page.get_by_role("button", name="Confirm shipment").click()
    shipped = page.locator("#timeline li[data-kind='shipped']")
    assert "1Z999AA10123456784" in shipped.inner_text()
    assert shipped.locator("[data-sync='synced']").count() == 1

    # Refund one unit.
    page.get_by_role("link", name="Refund").click()
    page.get_by_label("Units of Jasmine tea").fill("1")
    page.get_by_role("button", name="Review refund").click()
    assert page.locator("#refund-total").inner_text() == "$12.00"
    page.get_by_role("button", name="Refund $12.00").click()

    timeline = page.locator("#timeline")
    refunded = timeline.locator("li[data-kind='refunded']")
    assert refunded.locator("[data-sync='synced']").count() == 1
    assert timeline.locator("li[data-kind='shipped'] [data-sync='synced']").count() == 1
    assert "Synced" in refunded.inner_text()

    at_meta = meta_shop.meta(placed["id"])
    assert len(at_meta["shipments"]) == 1 and at_meta["shipments"][0]["tracking_info"]["carrier"] == "UPS"
    assert [r["total"] for r in at_meta["refunds"]] == ["12.00"]
