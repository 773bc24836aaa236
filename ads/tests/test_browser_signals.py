"""Browser test: the seller makes a storefront API key, installs the Ads page's snippet on the
sandbox's stand-in storefront, browses and buys there (the pixel fires, and the order goes to
the storefront API with the key), and the Ads page shows Meta counting the Purchase once."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

pytestmark = pytest.mark.browser


def test_the_browser_and_server_purchase_count_once(page, live_server, meta_shop, alice):
    base, shop = live_server.url, meta_shop.shop
    page.goto(f"{base}{reverse('login')}")
    page.get_by_label("Username").fill(alice.username)
    page.get_by_label("Password").fill("pw-alice")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_load_state()

    page.goto(f"{base}{reverse('shops:api_keys', args=[shop.pk])}")
    page.get_by_label("Name").fill("Sandbox storefront")
    page.get_by_role("button", name="Make key").click()
    key = page.get_by_label("New API key").input_value()
    assert re.fullmatch(r"sp_[0-9a-f]{12}_\S+", key)

    page.goto(f"{base}{reverse('ads:index', args=[shop.pk])}")
    snippet = page.locator("#snippet").input_value()
    assert "portalEventId" in snippet and "graph-sandbox" in snippet and "fbevents.js" in snippet

    page.goto(f"{base}/graph-sandbox/storefront/")
    page.locator("#snippet").fill(snippet)
    page.get_by_role("button", name="Install").click()
    page.wait_for_load_state()
    page.wait_for_function("typeof window.portalTrack === 'function'")
    # the id rule in the browser: a Purchase needs its order id, keys are trimmed
    assert page.evaluate("portalEventId('Purchase', ' W-77 ')") == "purchase.W-77"
    assert "order id" in page.evaluate("(() => { try { portalTrack('Purchase', {}); return ''; }"
                                       " catch (e) { return e.message; } })()")
    page.get_by_role("button", name="View product").click()
    page.locator("#order").fill("W-77")
    page.locator("#key").fill(key)
    page.get_by_role("button", name="Buy").click()
    page.locator("#log").get_by_text(re.compile("storefront API 202")).wait_for()
    page.wait_for_load_state("networkidle")  # the pixel's image requests have landed

    page.goto(f"{base}{reverse('ads:index', args=[shop.pk])}")
    page.get_by_role("button", name="Refresh from Meta").click()
    page.wait_for_load_state()
    text = page.locator("main").inner_text()
    # PageView, ViewContent and the Purchase from the browser; the Purchase from the server: one kept
    assert re.search(r"3 from the browser, 1 from your server, 1 counted once \(deduplicated\)", text), text
