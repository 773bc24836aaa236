"""Onboarding permissions (issue 12): the wizard asks for every feature's permissions, Verify says
per feature what will work from the permissions the token really has, a missing one is a shop
issue with Reconnect, and a periodic job that keeps failing is a shop issue with its reason."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from django.urls import reverse

from kernel.models import JobRun
from shops.models import AuditEvent, ShopIssue
from shops.permissions import FEATURES, all_permissions
from shops.tasks import check_shop_health
from shops.tests import sandboxflow as flow


def _open(shop) -> dict[str, ShopIssue]:
    return {i.kind: i for i in ShopIssue.objects.filter(shop=shop, resolved_at__isnull=True)}


def test_the_dialog_asks_for_every_features_permissions_and_begin_is_audited(owner_client, alice, shop_a):
    location = flow.start_connect(owner_client, shop_a)
    query = parse_qs(urlsplit(location).query)
    asked = query["scope"][0].split(",")
    assert set(asked) == {s for _label, scopes in FEATURES.values() for s in scopes}
    assert "commerce_account_manage_orders" in asked and "read_insights" in asked and len(asked) == 15
    event = AuditEvent.objects.get(shop=shop_a, action="connection.begin")
    assert event.actor == alice and event.changes["scopes"] == all_permissions()
    assert query["state"][0] not in str(event.changes) + event.summary  # the state works like a password


def test_a_shop_connected_through_the_wizard_has_every_permission_and_every_feature_works(meta_shop):
    conn = meta_shop.connection
    assert set(conn.scopes) == set(all_permissions())
    page = meta_shop.client.get(reverse("shops:verify", args=[meta_shop.shop.pk]))
    assert [f["ok"] for f in page.context["features"]] == [True] * len(FEATURES)
    assert "All permissions granted" in page.content.decode()


def test_a_permission_declined_at_meta_shows_per_feature_and_is_an_issue(sandbox, connect_shop, shop_a, alice):
    sandbox.decline_scopes(["commerce_account_manage_orders"])
    shop = connect_shop(shop_a, alice, register_app=False)
    page = shop.client.get(reverse("shops:verify", args=[shop_a.pk]))
    features = {f["key"]: f for f in page.context["features"]}
    assert features["orders"]["ok"] is False and features["orders"]["missing"] == ["commerce_account_manage_orders"]
    assert features["catalog"]["ok"] is True
    html = page.content.decode()
    assert "Will not work" in html and "Meta did not grant: commerce_account_manage_orders" in html
    issue = _open(shop_a)["shop.missing_permissions"]
    assert issue.cta_url == reverse("shops:connect", args=[shop_a.pk])
    assert "Orders" in issue.explanation
    # Reconnecting with everything granted resolves it.
    sandbox.decline_scopes([])
    flow.connect(shop.client, shop_a)
    assert "shop.missing_permissions" not in _open(shop_a)


def test_the_health_check_reads_permissions_with_the_token_in_a_header_never_a_url(sandbox, meta_shop):
    sandbox.clear_requests()
    check_shop_health(meta_shop.shop.pk)
    calls = sandbox.requests()
    assert any(c["path"].endswith("me/permissions") for c in calls)
    assert not any("debug_token" in c["path"] for c in calls)
    token = str(meta_shop.connection.access_token)
    for c in calls:
        assert token not in c["path"] and "input_token" not in (c.get("params") or {}), c


def test_removing_a_permission_at_meta_is_found_by_the_health_check(sandbox, meta_shop):
    sandbox.set_token_scopes(str(meta_shop.connection.access_token),
                             [s for s in all_permissions() if s != "commerce_account_manage_orders"])
    check_shop_health(meta_shop.shop.pk)
    issue = _open(meta_shop.shop)["shop.missing_permissions"]
    assert "commerce_account_manage_orders" in issue.title and issue.severity == "critical"


# --- a periodic job failing ---------------------------------------------------------------------------


def test_an_order_poll_refused_for_a_permission_is_a_shop_issue_at_once(sandbox, meta_shop, owner_client):
    sandbox.add_fault(path="*/commerce_orders", code=200, count=None,
                      message="(#200) Requires commerce_account_read_orders permission to manage the object")
    meta_shop.poll()
    run = JobRun.objects.filter(shop=meta_shop.shop, job="orders.poll").first()
    assert run.status == JobRun.Status.FAILED and "commerce_account_read_orders" in run.error
    issue = _open(meta_shop.shop)["job.orders"]
    assert issue.severity == "critical" and issue.cta_url == reverse("shops:connect", args=[meta_shop.shop.pk])
    page = owner_client.get(reverse("shops:issues", args=[meta_shop.shop.pk])).content.decode()
    assert "Orders from Meta stopped working" in page and "commerce_account_read_orders" in page
    assert "GraphError" not in page and "PermissionDenied" not in page
    sandbox.clear_faults()
    meta_shop.poll()
    assert "job.orders" not in _open(meta_shop.shop)


def test_meta_failing_a_poll_three_times_in_a_row_is_an_issue_not_once(sandbox, meta_shop, settings):
    settings.GRAPH_MAX_ATTEMPTS = 1
    sandbox.add_fault(path="*/commerce_orders", code=2, is_transient=True, http_status=503, count=None,
                      message="Service temporarily unavailable")
    meta_shop.poll()
    meta_shop.poll()
    assert "job.orders" not in _open(meta_shop.shop)
    meta_shop.poll()
    issue = _open(meta_shop.shop)["job.orders"]
    assert issue.severity == "must_fix" and issue.params["failures"] == 3
    assert "did not answer the last 3 attempts" in issue.explanation
    assert issue.cta_url == reverse("orders:index", args=[meta_shop.shop.pk])


@pytest.mark.parametrize("language,expected", [("zh-hans", "停止")])
def test_the_job_issue_is_worded_in_the_readers_language(sandbox, meta_shop, owner_client, language, expected):
    sandbox.add_fault(path="*/commerce_orders", code=200, count=None,
                      message="(#200) Requires commerce_account_read_orders permission to manage the object")
    meta_shop.poll()
    page = owner_client.get(reverse("shops:issues", args=[meta_shop.shop.pk]), HTTP_ACCEPT_LANGUAGE=language)
    assert expected in page.content.decode()
