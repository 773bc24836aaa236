"""Onboarding end to end against the Graph sandbox: connect, every failure, reconnect,
disconnect, the uninstall webhook. Real HTTP; nothing of our Graph client is mocked."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from kernel.models import JobRun
from shops.models import ConnectAttempt, MetaConnection, ShopIssue
from shops.signals import shop_connected, shop_disconnected
from shops.tests import sandboxflow as flow


@pytest.fixture
def fast_graph(settings):
    """No retry waits: a failing Meta fails the callback at once."""
    settings.GRAPH_MAX_ATTEMPTS = 1
    settings.GRAPH_BACKOFF_BASE = 0.0


@pytest.fixture
def seller(sandbox, alice, shop_a, fast_graph):
    shop_a.storefront_url = "https://shop-a.example.com"
    shop_a.timezone = "America/New_York"
    shop_a.save()
    client = Client()
    client.force_login(alice)
    return client


@pytest.fixture
def signals():
    seen = []

    def on_connected(sender, **kwargs):
        seen.append(("connected", kwargs))

    def on_disconnected(sender, **kwargs):
        seen.append(("disconnected", kwargs))

    shop_connected.connect(on_connected)
    shop_disconnected.connect(on_disconnected)
    yield seen
    shop_connected.disconnect(on_connected)
    shop_disconnected.disconnect(on_disconnected)


def _snapshot(shop):
    conn = MetaConnection.objects.get(shop=shop)
    return (conn.status, flow.raw_token(shop), conn.catalog_id, conn.commerce_merchant_settings_id, conn.connected_at,
            list(conn.checks), ShopIssue.objects.filter(shop=shop).count())


def test_a_seller_connects_a_shop(sandbox, seller, shop_a, signals):
    response = flow.connect(seller, shop_a)
    assert response["Location"] == reverse("shops:verify", args=[shop_a.pk])

    conn = MetaConnection.objects.get(shop=shop_a)
    state = sandbox.state()
    assert conn.status == MetaConnection.Status.CONNECTED and conn.connected_at is not None
    assert conn.business_manager_id in state["businesses"]
    assert conn.catalog_id in state["catalogs"]
    assert conn.commerce_merchant_settings_id in state["commerce_merchant_settings"]
    assert conn.pixel_id in state["pixels"] and conn.page_id in state["pages"]
    assert conn.instagram_profile_id in state["instagram_accounts"]
    assert {"pixel", "catalog", "fb_shop"} <= set(conn.installed_features)
    # We keep the install's system-user token (no expiry), verified at Meta.
    assert conn.token_type and conn.token_expires_at is None
    assert {"manage_business_extension", "catalog_management"} <= set(conn.scopes)
    assert conn.merchant_status == "ENABLED"
    assert ConnectAttempt.objects.get(shop=shop_a).outcome == ConnectAttempt.Outcome.SUCCEEDED

    # The token is encrypted at rest: the raw column holds no trace of it.
    token = str(conn.access_token)
    raw = flow.raw_token(shop_a)
    assert token and token not in raw and raw.startswith("gAAAA")

    # Verify shows every check passing; Continue leads to Finish and the dashboard shows it.
    page = seller.get(reverse("shops:verify", args=[shop_a.pk]))
    assert [r["ok"] for r in page.context["rows"]] == [True] * len(page.context["rows"])
    assert seller.post(reverse("shops:finish", args=[shop_a.pk]))["Location"] == reverse("shops:finish", args=[shop_a.pk])
    finish = seller.get(reverse("shops:finish", args=[shop_a.pk])).content.decode()
    assert "first full catalog sync is queued" in finish
    dashboard = seller.get(reverse("dashboard", args=[shop_a.pk])).content.decode()
    assert "Connected to Meta" in dashboard and conn.catalog_id in dashboard
    assert token not in dashboard and token not in finish

    # The catalog app's hook fired once, after the commit.
    assert signals == [("connected", {"signal": shop_connected, "shop_id": shop_a.pk, "reconnect": False})]


def test_the_dialog_gets_the_shops_setup(sandbox, seller, shop_a):
    location = flow.answer_dialog(flow.start_connect(seller, shop_a), action="continue")
    assert flow.query_of(location)["code"]
    details = sandbox.state()["business_details"]
    assert [(b["name"], b["external_business_id"]) for b in details] == [("Shop A", shop_a.external_business_id)]
    business = sandbox.get_object(details[0]["id"])
    assert (business["data"]["timezone"], business["data"]["currency"]) == ("America/New_York", "USD")


def test_cancel_at_meta(sandbox, seller, shop_a):
    before = _snapshot(shop_a)
    location = flow.answer_dialog(flow.start_connect(seller, shop_a), action="cancel")
    assert flow.query_of(location)["error"] == "access_denied"
    response = seller.get(flow.callback_path(location))
    assert response["Location"] == reverse("shops:connect", args=[shop_a.pk])
    page = seller.get(response["Location"])
    assert page.context["failure"]["code"] == "cancelled"
    assert _snapshot(shop_a) == before


def test_a_replayed_callback_changes_nothing(sandbox, seller, shop_a):
    location = flow.answer_dialog(flow.start_connect(seller, shop_a))
    seller.get(flow.callback_path(location))
    after_first = _snapshot(shop_a)
    response = seller.get(flow.callback_path(location))
    # Already connected: the seller continues where they were, told the link was used.
    assert response["Location"] == reverse("shops:verify", args=[shop_a.pk])
    page = seller.get(response["Location"]).content.decode()
    assert "already used" in page or "works once" in page
    assert _snapshot(shop_a) == after_first
    assert "failure" not in seller.get(reverse("shops:connect", args=[shop_a.pk])).context
    # Meta's single-use code was exchanged only once.
    assert len(sandbox.requests(path="oauth/access_token")) == 1


def test_a_state_from_another_browser_is_refused(sandbox, seller, shop_a, alice):
    location = flow.answer_dialog(flow.start_connect(seller, shop_a))
    other = Client()
    other.force_login(alice)
    before = _snapshot(shop_a)
    assert other.get(flow.callback_path(location)).status_code == 400
    assert _snapshot(shop_a) == before
    assert sandbox.requests(path="oauth/access_token") == []


def test_a_code_meta_refuses(sandbox, seller, shop_a):
    before = _snapshot(shop_a)
    sandbox.add_fault(path="oauth/access_token", code=100, error_subcode=36007, message="This authorization code has expired.")
    response = flow.connect(seller, shop_a)
    page = seller.get(response["Location"])
    assert page.context["failure"]["code"] == "exchange_failed"
    assert "Try again" in page.content.decode()
    assert _snapshot(shop_a) == before


@pytest.mark.parametrize("path", ["oauth/access_token", "fbe_business/fbe_installs", "me/permissions", "*/setup_status"])
def test_meta_down_at_any_step_saves_nothing(sandbox, seller, shop_a, path):
    before = _snapshot(shop_a)
    sandbox.add_fault(path=path, code=2, is_transient=True, http_status=503, message="Service temporarily unavailable",
                      count=None)
    response = flow.connect(seller, shop_a)
    assert response.status_code == 302
    page = seller.get(response["Location"])
    assert page.context["failure"]["code"] == "meta_unavailable"
    assert _snapshot(shop_a) == before
    sandbox.clear_faults()
    # Retry works.
    assert flow.connect(seller, shop_a)["Location"] == reverse("shops:verify", args=[shop_a.pk])


def test_a_missing_catalog_is_explained_and_nothing_saved(sandbox, seller, shop_a):
    before = _snapshot(shop_a)

    def lose_catalog(location):
        business = sandbox.state()["businesses"][0]
        sandbox.set_business_state(business, "no_catalog")

    response = flow.connect(seller, shop_a, before_callback=lose_catalog)
    page = seller.get(response["Location"])
    assert page.context["failure"]["code"] == "missing_catalog"
    assert _snapshot(shop_a) == before


def test_missing_merchant_settings_are_explained_and_nothing_saved(sandbox, seller, shop_a):
    before = _snapshot(shop_a)

    def lose_cms(location):
        sandbox.delete_object(sandbox.state()["commerce_merchant_settings"][0])

    response = flow.connect(seller, shop_a, before_callback=lose_cms)
    page = seller.get(response["Location"])
    assert page.context["failure"]["code"] == "missing_merchant_settings"
    assert _snapshot(shop_a) == before


def test_reconnect_keeps_the_external_id_and_replaces_the_token(sandbox, seller, shop_a, signals):
    flow.connect(seller, shop_a)
    conn = MetaConnection.objects.get(shop=shop_a)
    old_token, old_raw = str(conn.access_token), flow.raw_token(shop_a)
    sandbox.expire_token(old_token)
    from shops.tasks import check_shop_health

    check_shop_health(shop_a.pk)
    conn.refresh_from_db()
    assert conn.status == MetaConnection.Status.NEEDS_RECONNECT
    assert ShopIssue.objects.get(shop=shop_a, resolved_at=None).kind == "shop.token_invalid"

    dialog = flow.start_connect(seller, shop_a)
    assert f"%22external_business_id%22%3A%22{shop_a.external_business_id}%22" in dialog
    assert ConnectAttempt.objects.order_by("-pk").first().purpose == ConnectAttempt.Purpose.RECONNECT
    response = seller.get(flow.callback_path(flow.answer_dialog(dialog)))
    assert response["Location"] == reverse("shops:verify", args=[shop_a.pk])
    conn.refresh_from_db()
    assert conn.status == MetaConnection.Status.CONNECTED
    assert str(conn.access_token) != old_token and flow.raw_token(shop_a) != old_raw
    assert len(sandbox.state()["businesses"]) == 1  # the same business at Meta
    assert not ShopIssue.objects.filter(shop=shop_a, resolved_at=None).exists()
    assert ShopIssue.objects.get(shop=shop_a).resolved_at is not None  # history kept
    assert [s[1]["reconnect"] for s in signals if s[0] == "connected"] == [False, True]


def test_disconnect_uninstalls_at_meta_and_wipes_the_token(sandbox, seller, shop_a, signals):
    flow.connect(seller, shop_a)
    conn = MetaConnection.objects.get(shop=shop_a)
    catalog = conn.catalog_id
    response = seller.post(reverse("shops:disconnect", args=[shop_a.pk]))
    assert response["Location"] == reverse("shops:connect", args=[shop_a.pk])
    conn.refresh_from_db()
    assert conn.status == MetaConnection.Status.DISCONNECTED
    assert not conn.has_token and not conn.uninstall_pending
    assert conn.catalog_id == catalog  # local data kept
    deletes = sandbox.requests(path="fbe_business/fbe_installs", method="DELETE")
    assert [r["status"] for r in deletes] == [200]
    assert [i["status"] for i in sandbox.state()["fbe_installs"]] == ["uninstalled"]
    assert [t["status"] for t in sandbox.state()["tokens"] if t["kind"] == "system_user"][-1] != "valid"
    assert ("disconnected", {"signal": shop_disconnected, "shop_id": shop_a.pk, "reason": "seller"}) in signals
    # The dashboard offers to reconnect.
    assert "Reconnect" in seller.get(reverse("dashboard", args=[shop_a.pk])).content.decode()


def test_a_disconnect_meta_does_not_confirm_stays_pending_then_completes(sandbox, seller, shop_a):
    flow.connect(seller, shop_a)
    sandbox.add_fault(path="fbe_business/fbe_installs", method="DELETE", code=2, is_transient=True, http_status=503,
                      count=None)
    seller.post(reverse("shops:disconnect", args=[shop_a.pk]))
    run = JobRun.objects.filter(job="shops.uninstall", shop=shop_a).get()
    assert run.status == JobRun.Status.FAILED  # django-q2 retries it
    conn = MetaConnection.objects.get(shop=shop_a)
    assert conn.status == MetaConnection.Status.DISCONNECTED and conn.uninstall_pending and conn.has_token
    sandbox.clear_faults()
    from shops.tasks import check_all_shops_health

    check_all_shops_health()  # the hourly fan-out retries pending disconnects
    conn.refresh_from_db()
    assert not conn.uninstall_pending and not conn.has_token


def test_uninstall_at_meta_arrives_by_webhook(sandbox, seller, shop_a, signals):
    flow.connect(seller, shop_a)
    sandbox._call("POST", "webhooks/flush")  # the install webhook: only a hint
    assert MetaConnection.objects.get(shop=shop_a).status == MetaConnection.Status.CONNECTED
    sandbox._call("POST", "webhooks/fbe_install", json={"external_business_id": shop_a.external_business_id,
                                                         "action": "uninstall"})
    result = sandbox._call("POST", "webhooks/flush")
    assert result
    conn = MetaConnection.objects.get(shop=shop_a)
    assert conn.status == MetaConnection.Status.DISCONNECTED and not conn.has_token
    issue = ShopIssue.objects.get(shop=shop_a, resolved_at=None)
    assert issue.kind == "shop.uninstalled" and issue.cta_url == reverse("shops:connect", args=[shop_a.pk])
    page = seller.get(reverse("shops:issues", args=[shop_a.pk])).content.decode()
    assert "The shop was disconnected at Meta" in page
    # Reconnecting resolves it.
    flow.connect(seller, shop_a)
    assert not ShopIssue.objects.filter(shop=shop_a, resolved_at=None).exists()


def test_a_disconnect_whose_answer_was_lost_completes_on_the_retry_that_gets_190(sandbox, seller, shop_a):
    """Meta applies DELETE fbe_installs but the answer is lost; the retry gets 190/458 (the
    uninstall revoked the token). That is Meta saying it is done: the connection stays
    disconnected (never "needs reconnect"), the token is wiped and nothing retries again."""
    flow.connect(seller, shop_a)
    sandbox.add_fault(path="fbe_business/fbe_installs", method="DELETE", kind="after_apply", then="drop")
    seller.post(reverse("shops:disconnect", args=[shop_a.pk]))
    assert [i["status"] for i in sandbox.state()["fbe_installs"]] == ["uninstalled"]  # applied at Meta
    conn = MetaConnection.objects.get(shop=shop_a)
    assert conn.status == MetaConnection.Status.DISCONNECTED
    if conn.uninstall_pending:  # the lost answer failed the first run: the hourly fan-out retries it
        from shops.tasks import check_all_shops_health

        check_all_shops_health()
    deletes = sandbox.requests(path="fbe_business/fbe_installs", method="DELETE")
    assert any(r["status"] == 400 for r in deletes), deletes  # the retry met Meta's 190
    conn.refresh_from_db()
    assert conn.status == MetaConnection.Status.DISCONNECTED
    assert not conn.uninstall_pending and not conn.has_token
    from shops.tasks import check_all_shops_health

    calls = len(sandbox.requests())
    assert check_all_shops_health() == 0  # no health check, no uninstall retry: nothing left to do
    assert len(sandbox.requests()) == calls


def test_a_disconnect_stuck_in_needs_reconnect_by_an_older_build_is_finished_by_the_hourly_job(sandbox, seller,
                                                                                                shop_a):
    """Rows an older build left behind (disconnect requested, uninstall applied at Meta, the
    connection flipped to "needs reconnect" by the 190): the next hourly run finishes them."""
    flow.connect(seller, shop_a)
    sandbox.add_fault(path="fbe_business/fbe_installs", method="DELETE", kind="after_apply", then="drop")
    seller.post(reverse("shops:disconnect", args=[shop_a.pk]))
    MetaConnection.objects.filter(shop=shop_a).update(status=MetaConnection.Status.NEEDS_RECONNECT,
                                                      uninstall_pending=True)
    from shops.tasks import check_all_shops_health

    assert check_all_shops_health() == 0  # no health check of a shop the seller disconnected
    conn = MetaConnection.objects.get(shop=shop_a)
    assert conn.status == MetaConnection.Status.DISCONNECTED
    assert not conn.uninstall_pending and not conn.has_token
