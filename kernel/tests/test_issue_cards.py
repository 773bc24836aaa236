"""The issue providers are read once per request, however many parts of the page show them."""

from __future__ import annotations

import pytest
from django.urls import reverse

from kernel import issues


@pytest.fixture
def counting_provider():
    calls = []

    def provider(shop):
        calls.append(shop.pk)
        return [issues.IssueCard(kind="test.thing", severity="warning", title="A test issue",
                                 explanation="Only for this test.", cta_label="Fix", cta_url="/")]

    issues.register_provider(provider)
    yield calls
    issues._PROVIDERS.remove(provider)


@pytest.mark.parametrize("name", ["dashboard", "shops:issues"])
def test_a_page_reads_the_issue_providers_once(alice_client, shop_a, counting_provider, name):
    response = alice_client.get(reverse(name, args=[shop_a.pk]))
    assert response.status_code == 200
    assert "A test issue" in response.content.decode() or name == "dashboard"
    assert counting_provider == [shop_a.pk]


def test_without_a_request_every_call_reads_afresh(shop_a, counting_provider):
    issues.issue_cards(shop_a)
    issues.issue_cards(shop_a)
    assert counting_provider == [shop_a.pk, shop_a.pk]


def test_a_cached_reading_in_a_request_does_not_stand_in_for_a_live_one(shop_a, counting_provider):
    from django.test import RequestFactory

    issues.issue_cards(shop_a)  # fills the cache
    request = RequestFactory().get("/")
    assert [c.kind for c in issues.recent_issue_cards(shop_a, request)] == ["test.thing"]
    assert counting_provider == [shop_a.pk]  # the badge took the cached reading
    issues.issue_cards(shop_a, request)  # the Issues page reads live all the same...
    issues.issue_cards(shop_a, request)
    issues.recent_issue_cards(shop_a, request)
    assert counting_provider == [shop_a.pk, shop_a.pk]  # ...once per request, shared afterwards
