from __future__ import annotations

import pytest
from django.urls import reverse

from kernel import issues as registry
from kernel.issues import IssueCard
from shops import checks as C
from shops.health.recording import record
from shops.models import MetaConnection, ShopIssue


@pytest.fixture
def product_provider():
    """Stands in for the catalog app's provider: the Issues page shows every provider's cards."""

    def provider(shop):
        return [IssueCard(kind="catalog.IMAGE_TOO_SMALL", severity="warning", title="12 products have images that are too small",
                          explanation="They are hidden from Instagram.", cta_label="Fix images", cta_url="/fix", count=12,
                          group="catalog")]

    registry.register_provider(provider)
    yield provider
    registry._PROVIDERS.remove(provider)


@pytest.fixture
def connected(connect_shop, shop_a, alice):
    """Shop A's connection as alice made it: the wizard, the sandbox's FBE dialog, the code exchange."""
    return connect_shop(shop_a, alice, register_app=False).connection


def test_cards_are_grouped_counted_and_sorted_by_severity(alice_client, shop_a, product_provider, connected):
    conn = connected
    record(shop_a, conn, [C.Check("facebook_channel", False, {"status": "DISABLED"}),
                                 C.Check("token", False), C.Check("storefront", False)], None)
    response = alice_client.get(reverse("shops:issues", args=[shop_a.pk]))
    # (Other apps' providers may add their own groups; only ours and the stand-in matter here.)
    groups = [g for g in response.context["groups"] if g["key"] in ("shop", "catalog")]
    assert [g["key"] for g in groups] == ["shop", "catalog"]  # the group with a critical card first
    assert [c.kind for c in groups[0]["cards"]] == ["shop.token_invalid", "shop.facebook_channel_off",
                                                    "shop.storefront_missing"]
    assert groups[0]["count"] == 3 and groups[1]["count"] == 12
    total = response.context["total"]
    assert total == sum(g["count"] for g in response.context["groups"]) >= 15
    html = response.content.decode()
    assert "12 products have images that are too small" in html
    assert "Shop last checked" in html
    # The navigation badge counts the same cards.
    assert '<span class="badge"' in html and f">{total}</span>" in html


def test_resolved_issues_leave_the_list(alice_client, shop_a, connected):
    conn = connected
    record(shop_a, conn, [C.Check("token", False)], None)
    record(shop_a, conn, [C.Check("token", True)], None)
    response = alice_client.get(reverse("shops:issues", args=[shop_a.pk]))
    assert "shop" not in [g["key"] for g in response.context["groups"]]
    assert b'data-kind="shop.' not in response.content
    assert ShopIssue.objects.filter(shop=shop_a).count() == 1  # kept as history


def test_issue_cards_carry_one_call_to_action(alice_client, shop_a, connected):
    conn = connected
    record(shop_a, conn, [C.Check("merchant_status", False, {"status": "EXTERNALLY_DISABLED"}),
                                 C.Check("token", False)], None)
    html = alice_client.get(reverse("shops:issues", args=[shop_a.pk])).content.decode()
    assert f'href="https://business.facebook.com/commerce/{conn.commerce_merchant_settings_id}/support/" target="_blank"' in html
    assert f'href="{reverse("shops:connect", args=[shop_a.pk])}"' in html


def test_check_now_queues_the_health_task(alice_client, shop_a, connected, monkeypatch,
                                         django_capture_on_commit_callbacks):
    queued = []
    monkeypatch.setattr("shops.services._queue", lambda func, *args, group: queued.append((func, args)))
    with django_capture_on_commit_callbacks(execute=True):
        response = alice_client.post(reverse("shops:check_now", args=[shop_a.pk]), HTTP_HX_REQUEST="true")
    assert queued == [("shops.tasks.check_shop_health", (shop_a.pk,))]
    # htmx gets the list fragment back, polling until the check has run.
    html = response.content.decode()
    assert response.status_code == 200 and html.startswith('<div id="issue-list"') and 'hx-trigger="load delay:2s"' in html
    assert MetaConnection.objects.get(shop=shop_a).check_requested_at is not None


def test_check_now_without_htmx_redirects(alice_client, shop_a, monkeypatch, connected):
    monkeypatch.setattr("shops.services._queue", lambda *a, **k: None)
    response = alice_client.post(reverse("shops:check_now", args=[shop_a.pk]))
    assert response["Location"] == reverse("shops:issues", args=[shop_a.pk])


def test_check_now_on_an_unconnected_shop_explains(alice_client, shop_a):
    response = alice_client.post(reverse("shops:check_now", args=[shop_a.pk]), HTTP_HX_REQUEST="true")
    assert b"Connect the shop to Meta first" in response.content


def test_a_viewer_sees_issues_but_cannot_check(client, bob, shop_a, connected):
    client.force_login(bob)
    page = client.get(reverse("shops:issues", args=[shop_a.pk]))
    assert page.status_code == 200 and b'id="check-now"' not in page.content
    assert client.post(reverse("shops:check_now", args=[shop_a.pk])).status_code == 403


def test_the_issues_page_query_count_does_not_grow_with_issues(alice_client, shop_a, connected):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    conn = connected
    url = reverse("shops:issues", args=[shop_a.pk])
    alice_client.get(url)  # warm the session and preferences
    record(shop_a, conn, [C.Check("token", False)], None)
    with CaptureQueriesContext(connection) as one:
        alice_client.get(url)
    record(shop_a, conn, [C.Check(c.key, False) for c in C.CATALOGUE], None)
    with CaptureQueriesContext(connection) as many:
        response = alice_client.get(url)
    assert len(response.context["groups"][0]["cards"]) == len(C.CATALOGUE)
    assert len(many) == len(one)


def test_the_dashboard_shows_issue_counts(alice_client, shop_a, connected):
    conn = connected
    record(shop_a, conn, [C.Check("token", False), C.Check("storefront", False)], None)
    html = alice_client.get(reverse("dashboard", args=[shop_a.pk])).content.decode()
    from kernel.issues import issue_cards

    total = sum(c.count for c in issue_cards(shop_a))
    assert total >= 2 and f"{total} things need your attention" in html
    assert "Meta no longer accepts this shop&#x27;s connection" in html


def _badge(client, shop) -> int:
    """The navigation badge's count on the shop's settings page (0: no badge)."""
    html = client.get(reverse("shops:settings", args=[shop.pk])).content.decode()
    if '<span class="badge" aria-hidden="true">' not in html:
        return 0
    return int(html.split('<span class="badge" aria-hidden="true">')[1].split("<")[0])


def test_the_badge_reads_recent_cards_the_issues_page_and_a_sellers_change_read_them_anew(
        alice_client, shop_a, connected, monkeypatch):
    monkeypatch.setattr("shops.services._queue", lambda *a, **k: None)
    record(shop_a, connected, [C.Check("token", False)], None)
    first = _badge(alice_client, shop_a)
    assert first >= 1
    # A background check finds another problem: the badge may show the earlier reading for a minute...
    record(shop_a, connected, [C.Check("token", False), C.Check("storefront", False)], None)
    assert _badge(alice_client, shop_a) == first
    # ...but the Issues page is always live, and the badge follows it.
    page = alice_client.get(reverse("shops:issues", args=[shop_a.pk])).content.decode()
    assert "storefront" in page.lower() or "website" in page.lower()
    assert _badge(alice_client, shop_a) == first + 1
    # A change the seller makes (any POST in the shop) drops the cached reading at once.
    record(shop_a, connected, [C.Check("token", True), C.Check("storefront", False)], None)
    assert alice_client.post(reverse("shops:check_now", args=[shop_a.pk])).status_code == 302
    assert _badge(alice_client, shop_a) == first


def test_the_badge_is_cached_per_language(alice_client, shop_a, connected):
    from kernel.issues import recent_issue_cards

    record(shop_a, connected, [C.Check("token", False)], None)
    alice_client.get(reverse("shops:settings", args=[shop_a.pk]))
    from django.utils import translation

    with translation.override("zh-hans"):
        titles = [c.title for c in recent_issue_cards(shop_a)]
    with translation.override("en"):
        english = [c.title for c in recent_issue_cards(shop_a)]
    assert titles != english and "Meta no longer accepts this shop's connection" in english
