from __future__ import annotations

import json

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from graph import webhooks
from graph.models import WebhookEvent
from shops import checks as C
from shops.health.recording import record
from shops.models import MetaConnection, ShopIssue

TOKEN = "sandbox-secret-token-value-1234567890"


@pytest.fixture
def staff_client(db):
    staff = get_user_model().objects.create_superuser("staffer", "staff@example.com", "pw")
    client = Client()
    client.force_login(staff)
    return client


def _connect(shop, **extra):
    conn = shop.meta_connection
    conn.status, conn.access_token, conn.commerce_merchant_settings_id = "connected", TOKEN, "222"
    for k, v in extra.items():
        setattr(conn, k, v)
    conn.save()
    return conn


def test_the_admin_never_shows_the_token(staff_client, shop_a):
    conn = _connect(shop_a)
    for url in (reverse("admin:shops_metaconnection_change", args=[conn.pk]),
                reverse("admin:shops_shop_change", args=[shop_a.pk]),
                reverse("admin:shops_metaconnection_changelist")):
        html = staff_client.get(url).content.decode()
        assert TOKEN not in html and 'name="access_token"' not in html
    assert "token set" in staff_client.get(reverse("admin:shops_metaconnection_changelist")).content.decode().lower()


def test_the_admin_lists_connections_by_health(staff_client, shop_a, shop_b, alice):
    from shops.services import create_shop

    _connect(shop_a)
    _connect(shop_b, status="needs_reconnect")
    disabled = create_shop(owner=alice, name="Disabled shop")
    _connect(disabled, merchant_status="EXTERNALLY_DISABLED")
    incomplete = create_shop(owner=alice, name="Incomplete shop")
    conn = _connect(incomplete)
    record(incomplete, conn, [C.Check("setup", False, {"steps": "shop setup"})], None)

    def names(value, model="metaconnection"):
        response = staff_client.get(reverse(f"admin:shops_{model}_changelist"), {"health": value})
        assert response.status_code == 200
        rows = response.context["cl"].result_list
        return sorted(str(getattr(r, "shop", r)) for r in rows)

    assert names("needs_reconnect") == ["Shop B"]
    assert names("disabled") == ["Disabled shop"]
    assert names("setup_incomplete") == ["Incomplete shop"]
    assert names("has_issues") == ["Incomplete shop"]
    assert names("healthy") == ["Disabled shop", "Shop A"]
    assert names("setup_incomplete", model="shop") == ["Incomplete shop"]


def test_the_admin_issue_history_is_read_only(staff_client, shop_a):
    conn = _connect(shop_a)
    record(shop_a, conn, [C.Check("token", False)], None)
    issue = ShopIssue.objects.get()
    assert staff_client.get(reverse("admin:shops_shopissue_change", args=[issue.pk])).status_code == 200
    assert staff_client.get(reverse("admin:shops_shopissue_add")).status_code == 403


def _deliver(client, value, settings):
    body = json.dumps({"object": "user", "entry": [{"id": "0", "time": 1764300000, "uid": "42", "changes": [
        {"field": "fbe_install", "value": value}]}]}).encode()
    return client.post("/webhooks/meta/", body, content_type="application/json",
                       HTTP_X_HUB_SIGNATURE_256=webhooks.sign(body, settings.META_APP_SECRET))


def test_an_uninstall_webhook_disconnects_the_shop_and_opens_an_issue(shop_a, settings, django_capture_on_commit_callbacks):
    conn = _connect(shop_a, catalog_id="111")
    received = []
    from shops.signals import shop_disconnected

    def receiver(**kwargs):
        received.append(kwargs)

    shop_disconnected.connect(receiver)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            response = _deliver(Client(), {"business_id": shop_a.external_business_id, "pixel_id": "9"}, settings)
    finally:
        shop_disconnected.disconnect(receiver)
    assert response.status_code == 200
    event = WebhookEvent.objects.get()
    assert event.status == "processed" and "disconnected" in event.note
    conn.refresh_from_db()
    assert conn.status == MetaConnection.Status.DISCONNECTED and not conn.has_token
    assert conn.catalog_id == "111"  # local data kept
    issue = ShopIssue.objects.get(shop=shop_a, resolved_at=None)
    assert issue.kind == "shop.uninstalled" and issue.cta_url == reverse("shops:connect", args=[shop_a.pk])
    assert received and received[0]["shop_id"] == shop_a.pk and received[0]["reason"] == "uninstalled"


def test_an_install_webhook_is_only_a_hint(shop_a, settings, django_capture_on_commit_callbacks, monkeypatch):
    queued = []
    monkeypatch.setattr("shops.webhooks.async_task", lambda *a, **k: queued.append(a))
    with django_capture_on_commit_callbacks(execute=True):
        _deliver(Client(), {"business_id": shop_a.external_business_id, "access_token": "new-token-from-meta"}, settings)
    conn = MetaConnection.objects.get(shop=shop_a)
    assert conn.status == "not_connected" and not conn.has_token  # never a token from a webhook
    assert queued == []
    _connect(shop_a)
    with django_capture_on_commit_callbacks(execute=True):
        _deliver(Client(), {"business_id": shop_a.external_business_id, "access_token": "another-token"}, settings)
    assert queued == [("shops.tasks.check_shop_health", shop_a.pk)]
    assert str(MetaConnection.objects.get(shop=shop_a).access_token) == TOKEN


def test_a_webhook_for_an_unknown_shop_is_ignored(db, settings, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        _deliver(Client(), {"business_id": "shop-unknown"}, settings)
    assert "ignored" in WebhookEvent.objects.get().note


def test_every_shops_admin_page_renders(staff_client, shop_a, alice_client, monkeypatch):
    conn = _connect(shop_a)
    record(shop_a, conn, [C.Check("token", False)], None)
    alice_client.post(reverse("shops:connect", args=[shop_a.pk]))  # a connect attempt to list
    for model in ("shop", "metaconnection", "shopissue", "connectattempt", "membership"):
        response = staff_client.get(reverse(f"admin:shops_{model}_changelist"))
        assert response.status_code == 200, model
        assert TOKEN not in response.content.decode()
    from shops.models import ConnectAttempt

    attempt = ConnectAttempt.objects.get()
    html = staff_client.get(reverse("admin:shops_connectattempt_change", args=[attempt.pk])).content.decode()
    assert attempt.state_hash not in html


def test_the_admin_action_queues_health_checks(staff_client, shop_a, shop_b, monkeypatch,
                                                django_capture_on_commit_callbacks):
    _connect(shop_a)
    queued = []
    monkeypatch.setattr("shops.services._queue", lambda func, *args, group: queued.append(args))
    with django_capture_on_commit_callbacks(execute=True):
        staff_client.post(reverse("admin:shops_shop_changelist"), {
            "action": "check_now", "_selected_action": [shop_a.pk, shop_b.pk]})
    assert queued == [(shop_a.pk,)]  # shop B is not connected
