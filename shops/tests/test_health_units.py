"""Judging Meta's answers and recording issues, without the network (the sandbox tests in
test_health_sandbox.py drive the same code through real HTTP)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from graph.client.results import FbeInstall, TokenInfo
from shops import checks as C
from shops.health.judging import judge
from shops.health.reading import Reading
from shops.health.recording import record
from shops.models import ShopIssue
from shops.permissions import all_permissions

#: what the wizard asks Meta for (every feature's permissions), all granted
GOOD_TOKEN = TokenInfo(is_valid=True, scopes=all_permissions())
INSTALL = FbeInstall(catalog_id="111", commerce_merchant_settings_id="222", business_manager_id="333")
CMS = {"id": "222", "merchant_status": "ENABLED", "cta": "ONSITE_CHECKOUT",
       "facebook_channel": {"pages": {"data": [{"id": "5", "name": "Shop A"}]}},
       "instagram_channel": {"instagram_users": {"data": [{"id": "6"}]}}}
SETUP = {"shop_setup": "SETUP", "payment_setup": "NOT_SETUP", "review_status": {"status": "APPROVED"}}


def _reading(**overrides):
    values = {"token_info": GOOD_TOKEN, "install": INSTALL, "installs_read": True, "cms": dict(CMS),
              "setup_status": dict(SETUP)}
    values.update(overrides)
    return Reading(**values)


def _verdicts(shop, reading):
    return {c.key: c.ok for c in judge(shop, reading)}


@pytest.fixture
def shop(shop_a):
    shop_a.storefront_url = "https://a.example.com"
    shop_a.save()
    conn = shop_a.meta_connection
    conn.commerce_merchant_settings_id = "222"
    conn.save()
    return shop_a


def test_a_healthy_shop_passes_every_check(shop):
    verdicts = _verdicts(shop, _reading())
    assert set(verdicts) == {c.key for c in C.CATALOGUE}
    assert all(verdicts.values()), verdicts


@pytest.mark.parametrize("overrides,key,params", [
    ({"token_info": TokenInfo(is_valid=False)}, "token", {}),
    ({"token_info": TokenInfo(is_valid=True, scopes=[s for s in all_permissions() if s != "catalog_management"])},
     "permissions", {"missing": "catalog_management", "features": "catalog"}),
    # The order permissions the wizard once forgot: the check fails and names the feature.
    ({"token_info": TokenInfo(is_valid=True, scopes=[s for s in all_permissions() if not s.startswith("commerce_")])},
     "permissions", {"missing": "commerce_account_read_settings, commerce_account_read_orders, "
                                "commerce_account_manage_orders, commerce_manage_accounts, "
                                "commerce_account_read_reports", "features": "orders,reports"}),
    ({"token_info": TokenInfo(is_valid=True, scopes=GOOD_TOKEN.scopes,
                              expires_at=timezone.now() + timedelta(days=2))}, "token_expiry", None),
    ({"install": None}, "install", {}),
    ({"install": FbeInstall(commerce_merchant_settings_id="222")}, "catalog", {}),
    ({"cms": {**CMS, "merchant_status": "EXTERNALLY_DISABLED"}}, "merchant_status", {"status": "EXTERNALLY_DISABLED"}),
    ({"cms": {**CMS, "review_rejection_messages": ["Prohibited items"]}}, "review", {"reasons": "Prohibited items"}),
    ({"setup_status": {**SETUP, "review_status": {"status": "REJECTED", "reasons": [{"message": "Bad"}]}}},
     "review", {"reasons": "Bad"}),
    ({"setup_status": {**SETUP, "shop_setup": "NOT_SETUP"}}, "setup", {"steps": "shop setup", "payment_setup": "NOT_SETUP"}),
    ({"cms": {**CMS, "facebook_channel": {"status": "DISABLED"}}}, "facebook_channel", {"status": "DISABLED"}),
    ({"cms": {**CMS, "facebook_channel": {"status": "ENABLED"}}}, None, None),
    ({"cms": {**CMS, "instagram_channel": None}}, "instagram_channel", {"status": "OFF"}),
    ({"cms": {k: v for k, v in CMS.items() if k != "facebook_channel"}}, "facebook_channel", {"status": "OFF"}),
    ({"cms": {**CMS, "instagram_channel": {"instagram_users": {"data": []}}}}, "instagram_channel",
     {"status": "NO_ACCOUNT"}),
])
def test_each_bad_answer_fails_its_own_check(shop, overrides, key, params):
    results = {c.key: c for c in judge(shop, _reading(**overrides))}
    if key is None:  # a healthy variant
        assert all(c.ok for c in results.values())
        return
    assert results[key].ok is False
    if params is not None:
        assert (results[key].params or {}) == params
    others = [k for k, c in results.items() if c.ok is False and k != key]
    # A dead token or missing install also makes the later checks unknown, never failed.
    assert others == [], others


def test_a_dead_token_leaves_everything_else_unknown(shop):
    reading = Reading(token_info=TokenInfo(is_valid=False))
    verdicts = _verdicts(shop, reading)
    assert verdicts["token"] is False
    assert {k for k, v in verdicts.items() if v is None} == {c.key for c in C.CATALOGUE} - {"token", "storefront"}


def test_recording_opens_refreshes_and_resolves_issues_with_history(shop):
    conn = shop.meta_connection
    t0 = timezone.now()
    bad = judge(shop, _reading(cms={**CMS, "merchant_status": "EXTERNALLY_DISABLED"}))
    assert record(shop, conn, bad, CMS, now=t0)["opened"] == 1
    issue = ShopIssue.objects.get(shop=shop, resolved_at=None)
    assert issue.kind == "shop.merchant_disabled" and issue.severity == "critical"
    assert issue.cta_url == "https://business.facebook.com/commerce/222/support/" and issue.cta_external
    assert "EXTERNALLY_DISABLED" in issue.explanation

    t1 = t0 + timedelta(hours=1)
    counts = record(shop, conn, bad, CMS, now=t1)
    assert counts["refreshed"] == 1 and counts["opened"] == 0
    issue.refresh_from_db()
    assert (issue.first_seen, issue.last_seen) == (t0, t1)

    t2 = t1 + timedelta(hours=1)
    assert record(shop, conn, judge(shop, _reading()), CMS, now=t2)["resolved"] == 1
    issue.refresh_from_db()
    assert issue.resolved_at == t2
    # It comes back: a new row, the old one stays as history.
    record(shop, conn, bad, CMS, now=t2 + timedelta(hours=1))
    assert ShopIssue.objects.filter(shop=shop, kind="shop.merchant_disabled").count() == 2
    assert ShopIssue.objects.filter(shop=shop, resolved_at=None).count() == 1


def test_unknown_checks_leave_open_issues_alone(shop):
    conn = shop.meta_connection
    record(shop, conn, [C.Check("setup", False, {"steps": "shop setup"})], CMS)
    record(shop, conn, [C.Check("setup", None)], None)
    assert ShopIssue.objects.get(shop=shop).resolved_at is None


def test_the_storefront_issue_links_to_the_highlighted_settings_field(shop_a, alice_client):
    record(shop_a, shop_a.meta_connection, [C.Check("storefront", False)], None)
    issue = ShopIssue.objects.get(shop=shop_a)
    assert issue.cta_url.endswith("/settings/?field=storefront_url#id_storefront_url") and not issue.cta_external
    page = alice_client.get(issue.cta_url.split("#")[0])
    assert page.context["highlight"] == "storefront_url"
    assert b'id="highlight-storefront_url"' in page.content


def test_issue_wording_is_translated_when_shown(shop, alice_client):
    record(shop, shop.meta_connection, [C.Check("token", False)], None)
    alice_client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/"})
    page = alice_client.get(f"/shop/{shop.pk}/issues/").content.decode()
    # Recorded in English for history; shown in the reader's language when a translation exists.
    assert ShopIssue.objects.get().title == "Meta no longer accepts this shop's connection"
    assert 'data-kind="shop.token_invalid"' in page
