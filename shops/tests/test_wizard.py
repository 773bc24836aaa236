"""The wizard's local behaviour: creating a shop, the dialog URL, the state, and every callback
failure that needs no answer from Meta. The full flow against the sandbox is in test_onboarding_e2e."""

from __future__ import annotations

import json
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from shops import onboarding
from shops.models import ConnectAttempt, Membership, MetaConnection, Shop

PROFILE = {"name": "Tea & Co", "storefront_url": "https://tea.example.com", "country": "gb", "currency": "gbp",
           "timezone": "Europe/London", "business_vertical": "ECOMMERCE"}


def _start(client, shop) -> tuple[str, dict]:
    """POST the Connect button; returns (state, dialog query)."""
    response = client.post(reverse("shops:connect", args=[shop.pk]))
    assert response.status_code == 302
    query = parse_qs(urlsplit(response["Location"]).query)
    return query["state"][0], query


def _snapshot(shop):
    conn = MetaConnection.objects.get(shop=shop)
    return (conn.status, str(conn.access_token), conn.catalog_id, conn.commerce_merchant_settings_id, conn.connected_at,
            list(conn.checks), shop.issues.count())


def test_a_seller_without_a_shop_creates_one_and_becomes_its_owner(charlie):
    client = Client()
    client.force_login(charlie)
    assert client.get(reverse("onboarding:new_shop")).status_code == 200
    response = client.post(reverse("onboarding:new_shop"), PROFILE)
    shop = Shop.objects.get(name="Tea & Co")
    assert response["Location"] == reverse("shops:connect", args=[shop.pk])
    assert (shop.country, shop.currency, shop.timezone) == ("GB", "GBP", "Europe/London")
    assert shop.external_business_id.startswith("shop-") and len(shop.external_business_id) > 10
    assert Membership.objects.get(shop=shop, user=charlie).role == Membership.Role.OWNER
    assert MetaConnection.objects.get(shop=shop).status == MetaConnection.Status.NOT_CONNECTED


def test_a_second_shop_gets_its_own_stable_external_id(alice_client, shop_a):
    alice_client.post(reverse("onboarding:new_shop"), PROFILE)
    new = Shop.objects.get(name="Tea & Co")
    assert new.external_business_id != shop_a.external_business_id
    before = new.external_business_id
    alice_client.post(reverse("shops:profile", args=[new.pk]), {**PROFILE, "name": "Renamed"})
    new.refresh_from_db()
    assert (new.name, new.external_business_id) == ("Renamed", before)


def test_the_profile_step_shows_field_errors_and_creates_nothing(charlie):
    client = Client()
    client.force_login(charlie)
    response = client.post(reverse("onboarding:new_shop"), {**PROFILE, "currency": "XYZ", "timezone": "Mars/Base",
                                                            "storefront_url": "http://insecure.example"})
    assert response.status_code == 200
    assert set(response.context["form"].errors) == {"currency", "timezone", "storefront_url"}
    assert not Shop.objects.filter(name="Tea & Co").exists()


def test_new_shop_needs_login(db):
    response = Client().get(reverse("onboarding:new_shop"))
    assert response.status_code == 302 and reverse("login") in response["Location"]


def test_connect_sends_the_seller_to_the_fbe_dialog_with_extras(alice_client, shop_a, settings):
    settings.META_DIALOG_BASE_URL = "https://dialog.example/www"
    shop_a.storefront_url = "https://a.example.com"
    shop_a.timezone = "America/New_York"
    shop_a.save()
    response = alice_client.post(reverse("shops:connect", args=[shop_a.pk]))
    url = urlsplit(response["Location"])
    assert f"{url.scheme}://{url.netloc}{url.path}" == f"https://dialog.example/www/{settings.GRAPH_API_VERSION}/dialog/oauth"
    query = {k: v[0] for k, v in parse_qs(url.query).items()}
    assert query["client_id"] == settings.META_APP_ID
    assert query["redirect_uri"] == "http://testserver" + reverse("onboarding:callback")
    assert query["response_type"] == "code"
    assert {"manage_business_extension", "catalog_management"} <= set(query["scope"].split(","))
    extras = json.loads(query["extras"])
    assert extras["setup"] == {
        "external_business_id": shop_a.external_business_id, "timezone": "America/New_York", "currency": "USD",
        "business_vertical": "ECOMMERCE", "channel": "COMMERCE_OFFSITE", "domain": "https://a.example.com",
    }
    assert extras["business_config"]["business"] == {"name": "Shop A"}
    assert extras["repeat"] is False
    # The state is random, stored only as a hash, and bound to this session and user.
    attempt = ConnectAttempt.objects.get(shop=shop_a)
    assert attempt.state_hash != query["state"] and len(query["state"]) >= 40
    assert attempt.user.username == "alice" and attempt.outcome == "pending"
    assert attempt.expires_at > timezone.now() + timedelta(minutes=5)
    assert attempt.state_hash in alice_client.session[onboarding.SESSION_KEY]


def test_a_viewer_cannot_start_a_connect(client, bob, shop_a):
    client.force_login(bob)
    assert client.post(reverse("shops:connect", args=[shop_a.pk])).status_code == 403
    page = client.get(reverse("shops:connect", args=[shop_a.pk]))
    assert page.status_code == 200 and b"connect-button" not in page.content
    assert not ConnectAttempt.objects.exists()


def _callback(client, **params):
    return client.get(reverse("onboarding:callback"), params)


def _failure_page(client, shop):
    page = client.get(reverse("shops:connect", args=[shop.pk]))
    assert page.status_code == 200
    return page.context["failure"]


def test_cancel_at_meta_shows_a_retry_and_saves_nothing(alice_client, shop_a):
    before = _snapshot(shop_a)
    state, _q = _start(alice_client, shop_a)
    response = _callback(alice_client, state=state, error="access_denied", error_reason="user_denied",
                         error_description="Permissions error")
    assert response["Location"] == reverse("shops:connect", args=[shop_a.pk])
    failure = _failure_page(alice_client, shop_a)
    assert failure["code"] == "cancelled" and failure["action"] == "retry"
    assert ConnectAttempt.objects.get().outcome == ConnectAttempt.Outcome.CANCELLED
    assert _snapshot(shop_a) == before
    # The failure stays on the Connect step until the next attempt (the seller may come back later).
    assert _failure_page(alice_client, shop_a)["code"] == "cancelled"
    page = alice_client.get(reverse("shops:connect", args=[shop_a.pk])).content.decode()
    assert "Try again" in page and 'role="alert"' in page


def test_other_meta_errors_are_shown_with_metas_words(alice_client, shop_a):
    state, _q = _start(alice_client, shop_a)
    _callback(alice_client, state=state, error="server_error", error_description="Something broke at Meta")
    failure = _failure_page(alice_client, shop_a)
    assert failure["code"] == "meta_error" and "Something broke at Meta" in failure["message"]


@pytest.mark.parametrize("state", ["", "forged-state", "x" * 300])
def test_a_forged_or_missing_state_is_refused_without_a_500(alice_client, shop_a, state):
    _start(alice_client, shop_a)
    before = _snapshot(shop_a)
    response = _callback(alice_client, state=state, code="anything")
    assert response.status_code == 400
    assert b"not valid" in response.content
    assert _snapshot(shop_a) == before
    assert ConnectAttempt.objects.get().outcome == "pending"


def test_a_state_from_another_session_is_refused(alice, shop_a):
    first, second = Client(), Client()
    first.force_login(alice)
    second.force_login(alice)
    state, _q = _start(first, shop_a)
    response = _callback(second, state=state, error="access_denied")
    assert response.status_code == 400
    assert ConnectAttempt.objects.get().used_at is None  # still usable in the session that started it


def test_a_state_is_bound_to_the_user(alice, carol, shop_a):
    client = Client()
    client.force_login(alice)
    state, _q = _start(client, shop_a)
    client.force_login(carol)  # same browser, another user (the session is flushed on login)
    assert _callback(client, state=state, code="x").status_code == 400


def test_an_expired_state_is_refused(alice_client, shop_a):
    before = _snapshot(shop_a)
    state, _q = _start(alice_client, shop_a)
    ConnectAttempt.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    response = _callback(alice_client, state=state, code="a-code")
    assert response["Location"] == reverse("shops:connect", args=[shop_a.pk])
    failure = _failure_page(alice_client, shop_a)
    assert failure["code"] == "expired" and "15 minutes" in failure["message"]
    assert ConnectAttempt.objects.get().outcome == ConnectAttempt.Outcome.EXPIRED
    assert _snapshot(shop_a) == before


def test_a_state_cannot_be_replayed(alice_client, shop_a):
    state, _q = _start(alice_client, shop_a)
    _callback(alice_client, state=state, error="access_denied")
    # The state is gone from the session; put it back to prove the database claim also holds.
    session = alice_client.session
    session[onboarding.SESSION_KEY] = [ConnectAttempt.objects.get().state_hash]
    session.save()
    response = _callback(alice_client, state=state, code="a-code")
    assert response.status_code == 302
    assert _failure_page(alice_client, shop_a)["code"] == "replayed"
    assert ConnectAttempt.objects.get().outcome == ConnectAttempt.Outcome.CANCELLED  # unchanged


def test_a_callback_without_code_fails_cleanly(alice_client, shop_a):
    state, _q = _start(alice_client, shop_a)
    _callback(alice_client, state=state)
    assert _failure_page(alice_client, shop_a)["code"] == "exchange_failed"


def test_the_callback_needs_login(db):
    response = Client().get(reverse("onboarding:callback"), {"state": "s", "code": "c"})
    assert response.status_code == 302 and reverse("login") in response["Location"]


def test_a_member_who_lost_write_access_cannot_finish_a_connect(alice_client, shop_a, alice):
    state, _q = _start(alice_client, shop_a)
    Membership.objects.filter(user=alice, shop=shop_a).update(role=Membership.Role.VIEWER)
    assert _callback(alice_client, state=state, code="x").status_code == 400


def test_the_wizard_resumes_at_the_shops_step(alice_client, alice, shop_a, connect_shop):
    url = reverse("shops:onboarding", args=[shop_a.pk])
    assert alice_client.get(url).context["step"] == "connect"
    connect_shop(shop_a, alice, register_app=False)  # the seller went to Meta's dialog and came back
    assert alice_client.get(url).context["step"] == "verify"
    response = alice_client.post(reverse("shops:finish", args=[shop_a.pk]))
    assert response["Location"] == reverse("shops:finish", args=[shop_a.pk])
    shop_a.refresh_from_db()
    assert shop_a.onboarded_at is not None
    page = alice_client.get(url)
    assert page.context["step"] == "finish" and "first full catalog sync" in page.content.decode()


def test_finish_refuses_an_unconnected_shop(alice_client, shop_a):
    response = alice_client.post(reverse("shops:finish", args=[shop_a.pk]))
    assert response["Location"] == reverse("shops:connect", args=[shop_a.pk])
    shop_a.refresh_from_db()
    assert shop_a.onboarded_at is None


def test_the_dashboard_invites_to_finish_set_up(alice_client, shop_a):
    page = alice_client.get(reverse("dashboard", args=[shop_a.pk])).content.decode()
    assert reverse("shops:onboarding", args=[shop_a.pk]) in page
    assert reverse("onboarding:new_shop") in page
