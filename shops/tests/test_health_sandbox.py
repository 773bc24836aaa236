"""Shop health against the Graph sandbox: for each issue type, put Meta into the bad state,
run the health task, find the issue with its call to action, repair, and see it resolve."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from kernel import jobs
from kernel.models import JobRun
from shops.models import MetaConnection, ShopIssue
from shops.signals import shop_connected
from shops.tasks import check_all_shops_health, check_shop_health
from shops.tests import sandboxflow as flow

CM = "https://business.facebook.com/commerce"


@pytest.fixture
def connected(sandbox, alice, shop_a, settings):
    """Shop A connected through the real FBE flow; returns (client, shop, connection)."""
    settings.GRAPH_MAX_ATTEMPTS = 1
    shop_a.storefront_url = "https://shop-a.example.com"
    shop_a.save()
    client = Client()
    client.force_login(alice)
    assert flow.connect(client, shop_a)["Location"] == reverse("shops:verify", args=[shop_a.pk])
    conn = MetaConnection.objects.get(shop=shop_a)
    assert conn.failed_checks == []
    return client, shop_a, conn


def _open(shop) -> dict[str, ShopIssue]:
    return {i.kind: i for i in ShopIssue.objects.filter(shop=shop, resolved_at__isnull=True)}


def _check(shop) -> dict:
    counts = check_shop_health(shop.pk)
    assert JobRun.objects.filter(job="shops.health", shop=shop).latest("started_at").status == "succeeded"
    return counts


def _card(client, shop, kind) -> str:
    """The issue card as the seller sees it on the Issues page."""
    html = client.get(reverse("shops:issues", args=[shop.pk])).content.decode()
    start = html.index(f'data-kind="{kind}"')
    return html[start:html.index("</li>", start)]


def _assert_resolved(shop, kind):
    assert kind not in _open(shop)
    assert ShopIssue.objects.get(shop=shop, kind=kind).resolved_at is not None  # history kept


def test_token_invalid(sandbox, connected):
    client, shop, conn = connected
    sandbox.set_business_state(conn.business_manager_id, "token_expired")
    _check(shop)
    issue = _open(shop)["shop.token_invalid"]
    assert issue.severity == "critical" and issue.cta_url == reverse("shops:connect", args=[shop.pk])
    conn.refresh_from_db()
    assert conn.status == MetaConnection.Status.NEEDS_RECONNECT
    card = _card(client, shop, "shop.token_invalid")
    assert "Reconnect" in card and reverse("shops:connect", args=[shop.pk]) in card
    # Repair: the seller reconnects through Meta.
    flow.connect(client, shop)
    _check(shop)
    _assert_resolved(shop, "shop.token_invalid")
    conn.refresh_from_db()
    assert conn.status == MetaConnection.Status.CONNECTED


def test_token_revoked(sandbox, connected):
    client, shop, conn = connected
    sandbox.set_business_state(conn.business_manager_id, "token_revoked")
    _check(shop)
    assert "shop.token_invalid" in _open(shop)
    sandbox.set_business_state(conn.business_manager_id, "healthy")
    _check(shop)
    _assert_resolved(shop, "shop.token_invalid")
    conn.refresh_from_db()
    assert conn.status == MetaConnection.Status.CONNECTED


def test_token_expiring(sandbox, connected):
    # About a hand-made token: FBE's system-user token never expires, so only a token minted
    # at the sandbox (with the expiry the connect would have stored) can run out.
    client, shop, conn = connected
    conn.access_token = sandbox.mint_token(conn.business_manager_id, expires_in=3 * 86400)
    conn.token_expires_at = timezone.now() + timedelta(days=3)
    conn.save()
    _check(shop)
    issue = _open(shop)["shop.token_expiring"]
    assert issue.severity == "warning" and issue.cta_url == reverse("shops:connect", args=[shop.pk])
    assert (timezone.now() + timedelta(days=3)).date().isoformat() in issue.title
    conn.access_token = sandbox.mint_token(conn.business_manager_id)  # what a reconnect gets: no expiry
    conn.token_expires_at = None
    conn.save()
    _check(shop)
    _assert_resolved(shop, "shop.token_expiring")


def test_missing_permissions(sandbox, connected):
    client, shop, conn = connected
    sandbox.set_business_state(conn.business_manager_id, "permission_missing", scope="catalog_management")
    _check(shop)
    issue = _open(shop)["shop.missing_permissions"]
    assert issue.params == {"missing": "catalog_management", "features": "catalog"}
    assert "catalog_management" in issue.title and "Catalog sync" in issue.explanation
    assert issue.cta_url == reverse("shops:connect", args=[shop.pk])
    sandbox.set_token_scopes(str(conn.access_token), [*conn.scopes])
    _check(shop)
    _assert_resolved(shop, "shop.missing_permissions")


def test_permissions_declined_in_the_dialog_show_on_verify(sandbox, alice, shop_a, settings):
    settings.GRAPH_MAX_ATTEMPTS = 1
    sandbox.decline_scopes(["catalog_management"])
    client = Client()
    client.force_login(alice)
    flow.connect(client, shop_a)
    page = client.get(reverse("shops:verify", args=[shop_a.pk]))
    failed = {r["key"]: r for r in page.context["failed"]}
    assert set(failed) == {"permissions", "storefront"}
    assert failed["permissions"]["fix_url"] == reverse("shops:connect", args=[shop_a.pk])
    assert "shop.missing_permissions" in _open(shop_a)
    # Reconnecting and granting everything fixes it.
    sandbox.decline_scopes([])
    flow.connect(client, shop_a)
    _assert_resolved(shop_a, "shop.missing_permissions")


def test_not_installed(sandbox, connected):
    client, shop, conn = connected
    install = sandbox.state()["fbe_installs"][-1]["id"]
    sandbox.patch_object(install, status="removed")  # Meta lost the install; the token still answers
    _check(shop)
    issue = _open(shop)["shop.uninstalled"]
    assert issue.severity == "critical" and issue.cta_url == reverse("shops:connect", args=[shop.pk])
    sandbox.patch_object(install, status="installed")
    _check(shop)
    _assert_resolved(shop, "shop.uninstalled")


def test_catalog_missing_then_a_new_catalog(sandbox, connected):
    client, shop, conn = connected
    seen = []
    shop_connected.connect(receiver := lambda sender, **kw: seen.append(kw))
    try:
        old_catalog = conn.catalog_id
        sandbox.set_business_state(conn.business_manager_id, "no_catalog")
        _check(shop)
        issue = _open(shop)["shop.catalog_missing"]
        assert issue.cta_url == reverse("shops:connect", args=[shop.pk])
        sandbox.set_business_state(conn.business_manager_id, "healthy")  # a new catalog at Meta
        counts = _check(shop)
        _assert_resolved(shop, "shop.catalog_missing")
        conn.refresh_from_db()
        assert conn.catalog_id != old_catalog and conn.catalog_id in sandbox.state()["catalogs"]
        assert counts["catalog_changed"] and seen[-1]["reconnect"] is True  # the catalog app re-syncs
    finally:
        shop_connected.disconnect(receiver)


def test_merchant_settings_missing(sandbox, connected):
    client, shop, conn = connected
    sandbox.delete_object(conn.commerce_merchant_settings_id)
    _check(shop)
    assert _open(shop)["shop.merchant_settings_missing"].severity == "critical"
    sandbox.set_business_state(conn.business_manager_id, "healthy")
    _check(shop)
    _assert_resolved(shop, "shop.merchant_settings_missing")


def test_merchant_disabled_and_review_rejected_link_to_the_appeal(sandbox, connected):
    client, shop, conn = connected
    cms = conn.commerce_merchant_settings_id
    sandbox.set_business_state(conn.business_manager_id, "merchant_disabled")
    _check(shop)
    issues = _open(shop)
    disabled, rejected = issues["shop.merchant_disabled"], issues["shop.review_rejected"]
    assert disabled.severity == "critical" and "EXTERNALLY_DISABLED" in disabled.explanation
    assert disabled.cta_url == f"{CM}/{cms}/support/" and disabled.cta_external
    assert rejected.cta_url == f"{CM}/{cms}/support/"
    # v26 has no review_rejection_messages: Meta's reasons are setup_status.review_status's.
    assert "Meta said: Your account is not eligible for Facebook Shops at this time. Fix" in rejected.explanation
    card = _card(client, shop, "shop.merchant_disabled")
    assert f'href="{CM}/{cms}/support/"' in card and 'target="_blank"' in card and "Request a review" in card
    conn.refresh_from_db()
    assert conn.merchant_status == "EXTERNALLY_DISABLED"
    sandbox.set_business_state(conn.business_manager_id, "healthy")
    _check(shop)
    _assert_resolved(shop, "shop.merchant_disabled")
    _assert_resolved(shop, "shop.review_rejected")


APPROVED = {"shop_setup": "SETUP", "payment_setup": "SETUP", "review_status": {"status": "APPROVED", "reasons": []}}
REJECTED = {"shop_setup": "SETUP", "payment_setup": "SETUP", "review_status": {
    "status": "REJECTED", "reasons": [{"code": "PROHIBITED", "message": "Images show prohibited items."}]}}


@pytest.mark.parametrize("version", ["v25.0", "v26.0"])
def test_review_rejected_alone(sandbox, connected, settings, version):
    """v25 has the merchant settings' review_rejection_messages; v26 does not (asking for it
    fails the read), and the reasons come from setup_status.review_status."""
    settings.GRAPH_API_VERSION = version
    client, shop, conn = connected
    cms = conn.commerce_merchant_settings_id
    if version == "v25.0":
        sandbox.patch_object(cms, review_rejection_messages=["Images show prohibited items."])
    else:
        sandbox.patch_object(cms, setup_status=REJECTED)
    _check(shop)
    issues = _open(shop)
    assert set(issues) == {"shop.review_rejected"}
    assert issues["shop.review_rejected"].severity == "must_fix"
    assert "Images show prohibited items." in _card(client, shop, "shop.review_rejected")
    sandbox.patch_object(cms, review_rejection_messages=[], setup_status=APPROVED)
    _check(shop)
    _assert_resolved(shop, "shop.review_rejected")


def test_setup_incomplete_links_to_commerce_manager_settings(sandbox, connected):
    client, shop, conn = connected
    sandbox.set_business_state(conn.business_manager_id, "setup_incomplete")
    _check(shop)
    issue = _open(shop)["shop.setup_incomplete"]
    assert issue.cta_url == f"{CM}/{conn.commerce_merchant_settings_id}/settings/" and issue.cta_external
    assert "shop setup" in issue.explanation
    assert set(_open(shop)) == {"shop.setup_incomplete"}  # "in review" is not a rejection
    sandbox.set_business_state(conn.business_manager_id, "healthy")
    _check(shop)
    _assert_resolved(shop, "shop.setup_incomplete")


@pytest.mark.parametrize("field,kind", [("facebook_channel_enabled", "shop.facebook_channel_off"),
                                        ("instagram_channel_enabled", "shop.instagram_channel_off")])
def test_sales_channel_off(sandbox, connected, field, kind):
    client, shop, conn = connected
    sandbox.patch_object(conn.commerce_merchant_settings_id, **{field: False})
    _check(shop)
    issue = _open(shop)[kind]
    assert issue.severity == "warning"
    assert issue.cta_url == f"{CM}/{conn.commerce_merchant_settings_id}/settings/sales_channels/"
    sandbox.patch_object(conn.commerce_merchant_settings_id, **{field: True})
    _check(shop)
    _assert_resolved(shop, kind)


def test_storefront_missing_is_fixed_in_our_settings(sandbox, connected):
    client, shop, conn = connected
    shop.storefront_url = ""
    shop.save()
    _check(shop)
    issue = _open(shop)["shop.storefront_missing"]
    assert not issue.cta_external and "field=storefront_url" in issue.cta_url
    card = _card(client, shop, "shop.storefront_missing")
    assert "Fix settings" in card
    client.post(reverse("shops:settings", args=[shop.pk]), {
        "name": shop.name, "storefront_url": "https://shop-a.example.com", "country": shop.country,
        "currency": shop.currency, "timezone": shop.timezone, "business_vertical": shop.business_vertical})
    _check(shop)
    _assert_resolved(shop, "shop.storefront_missing")


def test_meta_down_during_a_check_changes_no_issue(sandbox, connected):
    client, shop, conn = connected
    sandbox.set_business_state(conn.business_manager_id, "setup_incomplete")
    _check(shop)
    sandbox.set_business_state(conn.business_manager_id, "healthy")
    sandbox.add_fault(path="*/setup_status", code=2, is_transient=True, http_status=503, count=None)
    counts = _check(shop)
    assert "meta_error" in counts
    assert "shop.setup_incomplete" in _open(shop)  # unknown is not "fixed"
    conn.refresh_from_db()
    assert conn.last_error and conn.status == MetaConnection.Status.CONNECTED
    page = client.get(reverse("shops:issues", args=[shop.pk])).content.decode()
    assert "Meta did not answer the last check" in page
    sandbox.clear_faults()
    _check(shop)
    _assert_resolved(shop, "shop.setup_incomplete")
    conn.refresh_from_db()
    assert conn.last_error == ""


def test_check_now_button_runs_the_check(sandbox, connected):
    client, shop, conn = connected
    sandbox.set_business_state(conn.business_manager_id, "setup_incomplete")
    response = client.post(reverse("shops:check_now", args=[shop.pk]), HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-kind="shop.setup_incomplete"' in html  # the sync worker already ran it
    conn.refresh_from_db()
    assert conn.last_checked_at >= conn.check_requested_at


def test_the_hourly_fan_out_checks_each_connected_shop_once(sandbox, connected, charlie, shop_b):
    client, shop, conn = connected
    before = JobRun.objects.filter(job="shops.health").count()
    assert check_all_shops_health() == 1  # shop B is not connected
    assert JobRun.objects.filter(job="shops.health").count() == before + 1
    assert JobRun.objects.filter(job="shops.health", shop=shop_b).count() == 0


def test_a_check_holding_the_lease_makes_a_second_one_skip(sandbox, connected):
    client, shop, conn = connected
    held = jobs.claim(f"shops.connection:{shop.pk}", 60)
    assert held is not None
    check_shop_health(shop.pk)
    run = JobRun.objects.filter(job="shops.health", shop=shop).latest("started_at")
    assert run.status == "skipped" and "another" in run.error
    assert held.held  # the skipped run left the other worker's lease alone
