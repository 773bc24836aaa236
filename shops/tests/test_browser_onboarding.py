"""Browser tests: a seller walks the onboarding wizard and a reconnect in headless Chromium
(Debian's, driven by Playwright) against the live portal and its Graph sandbox."""

from __future__ import annotations

import re
import threading
import time

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from shops.models import MetaConnection, Shop, ShopIssue
from shops.services import create_shop
from shops.tasks import check_shop_health
from shops.tests import sandboxflow as flow

pytestmark = pytest.mark.browser


def _wait_for_server_threads(timeout: float = 10.0) -> None:
    """Let the live server's request threads end (they close their database connections when
    the browser's kept-alive sockets close), so none outlives the test database."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        busy = [t for t in threading.enumerate() if "process_request_thread" in t.name and t.is_alive()]
        if not busy:
            return
        busy[0].join(timeout=0.2)



def _badge(page) -> int:
    badge = page.locator("nav.mainnav .badge")
    return int(badge.inner_text().strip()) if badge.count() else 0


def _log_in(page, base: str, username: str, password: str) -> None:
    page.goto(f"{base}{reverse('login')}")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_load_state()


def test_a_new_seller_onboards_a_shop(page, live_server, sandbox):
    get_user_model().objects.create_user("newseller", "new@example.com", "A-good-pass-2026")
    base = live_server.url
    _log_in(page, base, "newseller", "A-good-pass-2026")
    # No shop yet: the portal says so; the seller starts a new shop.
    assert "not a member of any shop" in page.content()
    new_shop = page.get_by_role("link", name=re.compile("shop", re.I)).filter(has_text=re.compile("new|create", re.I))
    if new_shop.count():
        new_shop.first.click()
    else:  # until the no-shop page links to it (portal/templates are not ours)
        page.goto(f"{base}{reverse('onboarding:new_shop')}")

    # Step 1: shop profile.
    page.get_by_label("display name").fill("Jade Garden Tea")
    page.get_by_label("Storefront URL").fill("https://jade-garden.example.com")
    page.get_by_label("country").fill("CN")
    page.get_by_label("currency").fill("CNY")
    page.get_by_label("timezone").select_option("Asia/Shanghai")
    page.get_by_role("button", name="Create shop and continue").click()
    shop = Shop.objects.get(name="Jade Garden Tea")
    page.wait_for_url(f"**{reverse('shops:connect', args=[shop.pk])}")
    assert page.locator('[aria-current="step"]').inner_text().strip().endswith("Connect to Meta")

    # Step 2: Meta's FBE window (the sandbox's consent page), Continue.
    page.get_by_role("button", name="Connect with Meta").click()
    page.wait_for_url(re.compile(r"/graph-sandbox/www/v\d+\.\d+/dialog/oauth"))
    assert "Jade Garden Tea" in page.content()
    page.get_by_role("button", name="Continue").click()

    # Step 3: back in the portal, every check passes.
    page.wait_for_url(f"**{reverse('shops:verify', args=[shop.pk])}")
    checks = page.locator("li.check")
    assert checks.count() >= 10
    assert page.locator("li.check-fail").count() == 0
    page.get_by_role("button", name="Continue").click()

    # Step 4: finish, then the dashboard shows the connection.
    page.wait_for_url(f"**{reverse('shops:finish', args=[shop.pk])}")
    assert "Your shop is connected" in page.content()
    assert "first full catalog sync is queued" in page.content()
    page.get_by_role("link", name="Go to the dashboard").click()
    page.wait_for_url(f"**{reverse('dashboard', args=[shop.pk])}")
    card = page.locator("#connection-card")
    assert "Connected to Meta" in card.inner_text()

    conn = MetaConnection.objects.get(shop=shop)
    assert conn.status == MetaConnection.Status.CONNECTED and conn.catalog_id in card.inner_text()
    assert str(conn.access_token) not in page.content()
    assert shop.memberships.get().user.username == "newseller"


def test_a_seller_reconnects_after_meta_expires_the_token(page, live_server, sandbox, settings):
    settings.GRAPH_MAX_ATTEMPTS = 1
    user = get_user_model().objects.create_user("owner", "owner@example.com", "Owner-pass-2026")
    shop = create_shop(owner=user, name="Harbour Ceramics", currency="GBP", country="GB", timezone="Europe/London",
                       storefront_url="https://harbour.example.com")
    client = Client()
    client.force_login(user)
    flow.connect(client, shop)
    conn = MetaConnection.objects.get(shop=shop)
    old_token = str(conn.access_token)

    sandbox.expire_token(old_token)
    check_shop_health(shop.pk)  # the hourly check notices
    assert ShopIssue.objects.get(shop=shop, resolved_at=None).kind == "shop.token_invalid"

    base = live_server.url
    _log_in(page, base, "owner", "Owner-pass-2026")
    page.goto(f"{base}{reverse('dashboard', args=[shop.pk])}")
    assert "Needs you" in page.locator("#connection-card").inner_text()
    # The navigation badge counts the issue (with any other app's); the Issues page shows it.
    badge_before = _badge(page)
    assert badge_before >= 1
    page.get_by_role("navigation", name="Main").get_by_role("link", name=re.compile("^Issues")).click()
    card = page.locator('[data-kind="shop.token_invalid"]')
    assert "Meta no longer accepts this shop" in card.inner_text()
    card.get_by_role("link", name="Reconnect").click()

    page.wait_for_url(f"**{reverse('shops:connect', args=[shop.pk])}")
    page.get_by_role("button", name="Reconnect with Meta").click()
    page.wait_for_url(re.compile(r"/graph-sandbox/www/v\d+\.\d+/dialog/oauth"))
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url(f"**{reverse('shops:verify', args=[shop.pk])}")
    assert "Reconnected to Meta" in page.content()
    assert page.locator("li.check-fail").count() == 0

    page.goto(f"{base}{reverse('shops:issues', args=[shop.pk])}")
    assert page.locator('[data-kind^="shop."]').count() == 0
    assert _badge(page) == badge_before - 1
    conn.refresh_from_db()
    assert conn.status == MetaConnection.Status.CONNECTED and str(conn.access_token) != old_token
    assert shop.external_business_id == Shop.objects.get(pk=shop.pk).external_business_id


def test_cancel_at_meta_in_the_browser_offers_a_retry(page, live_server, sandbox):
    user = get_user_model().objects.create_user("canceller", "c@example.com", "Cancel-pass-2026")
    shop = create_shop(owner=user, name="Cancel Shop")
    _log_in(page, live_server.url, "canceller", "Cancel-pass-2026")
    page.goto(f"{live_server.url}{reverse('shops:connect', args=[shop.pk])}")
    page.get_by_role("button", name="Connect with Meta").click()
    page.wait_for_url(re.compile(r"/dialog/oauth"))
    page.get_by_role("button", name="Cancel").click()
    page.wait_for_url(f"**{reverse('shops:connect', args=[shop.pk])}")
    alert = page.get_by_role("alert")
    assert "You cancelled at Meta" in alert.inner_text()
    assert alert.get_by_role("button", name="Try again").is_visible()
    assert MetaConnection.objects.get(shop=shop).status == MetaConnection.Status.NOT_CONNECTED


def test_a_wizard_onboarded_shop_gets_its_orders_and_a_removed_permission_becomes_an_issue(page, live_server, sandbox):
    """Issue 12's "done when": onboard through the wizard only (no hand-made token), a Meta order
    arrives and is acknowledged, and a permission removed at Meta is a shop issue with its action."""
    from meta_sandbox.facade import OrdersControl

    get_user_model().objects.create_user("teaseller", "tea@example.com", "Tea-seller-2026")
    base = live_server.url
    _log_in(page, base, "teaseller", "Tea-seller-2026")
    page.goto(f"{base}{reverse('onboarding:new_shop')}")
    page.get_by_label("display name").fill("Lotus Leaf Tea")
    page.get_by_label("Storefront URL").fill("https://lotus-leaf.example.com")
    page.get_by_label("country").fill("US")
    page.get_by_label("currency").fill("USD")
    page.get_by_role("button", name="Create shop and continue").click()
    shop = Shop.objects.get(name="Lotus Leaf Tea")
    page.wait_for_url(f"**{reverse('shops:connect', args=[shop.pk])}")
    page.get_by_role("button", name="Connect with Meta").click()
    page.wait_for_url(re.compile(r"/graph-sandbox/www/v\d+\.\d+/dialog/oauth"))
    page.get_by_role("button", name="Continue").click()

    # Verify: every check passes and every feature, orders included, will work.
    page.wait_for_url(f"**{reverse('shops:verify', args=[shop.pk])}")
    assert page.locator("li.check-fail").count() == 0
    orders_row = page.locator('[data-feature="orders"]')
    assert "Works" in orders_row.inner_text()
    assert page.locator("li.feature-fail").count() == 0
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url(f"**{reverse('shops:finish', args=[shop.pk])}")

    # The first check of orders registers the app at Meta; a buyer orders; the next check
    # brings the order in and acknowledges it.
    conn = MetaConnection.objects.get(shop=shop)
    assert "commerce_account_manage_orders" in conn.scopes
    page.goto(f"{base}{reverse('orders:index', args=[shop.pk])}")
    page.locator("#check-now").click()
    page.wait_for_load_state()
    placed = OrdersControl(sandbox).place(conn.commerce_merchant_settings_id, items=[
        {"retailer_id": "TEA-1", "quantity": 1, "price": "9.50", "product_name": "Lotus leaf tea"}])
    page.locator("#check-now").click()
    page.wait_for_load_state()
    page.goto(f"{base}{reverse('orders:index', args=[shop.pk])}")
    assert "Lotus leaf tea" in page.content() or placed["id"] in page.content()
    assert OrdersControl(sandbox).order(placed["id"])["state"] == "IN_PROGRESS"  # acknowledged at Meta

    # Meta loses one permission; the seller's "Check now" on Issues turns it into an issue
    # whose one action is Reconnect.
    sandbox.set_business_state(conn.business_manager_id, "permission_missing", scope="commerce_account_manage_orders")
    page.goto(f"{base}{reverse('shops:issues', args=[shop.pk])}")
    page.locator("#check-now").click()
    card = page.locator('[data-kind="shop.missing_permissions"]')
    card.wait_for()
    assert "commerce_account_manage_orders" in card.inner_text() and "Orders" in card.inner_text()
    reconnect = card.get_by_role("link", name="Reconnect")
    assert reconnect.get_attribute("href") == reverse("shops:connect", args=[shop.pk])
    page.goto(f"{base}{reverse('shops:verify', args=[shop.pk])}")
    assert "Will not work" in page.locator('[data-feature="orders"]').inner_text()
    _wait_for_server_threads()
