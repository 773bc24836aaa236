from __future__ import annotations

import json

import pytest
from django.test import Client
from django.urls import reverse

from graph import webhooks
from graph.models import WebhookEvent
from shops import checks as C
from shops.health.recording import record
from shops.models import MetaConnection, ShopIssue


@pytest.fixture
def connect(connect_shop):
    """connect(shop, user) -> its MetaConnection, as `user` made it through the FBE dialog."""
    return lambda shop, user: connect_shop(shop, user, register_app=False).connection


def _meta_later_says(conn, **state):
    """What a later health check stores when Meta changes its mind (the admin only reads it)."""
    type(conn).objects.filter(pk=conn.pk).update(**state)


def test_the_admin_never_shows_the_token(staff_client, shop_a, alice, connect):
    conn = connect(shop_a, alice)
    token = str(conn.access_token)
    for url in (reverse("admin:shops_metaconnection_change", args=[conn.pk]),
                reverse("admin:shops_shop_change", args=[shop_a.pk]),
                reverse("admin:shops_metaconnection_changelist")):
        html = staff_client.get(url).content.decode()
        assert token not in html and 'name="access_token"' not in html
    assert "token set" in staff_client.get(reverse("admin:shops_metaconnection_changelist")).content.decode().lower()


def test_the_admin_lists_connections_by_health(staff_client, shop_a, shop_b, alice, charlie, connect):
    from shops.services import create_shop

    connect(shop_a, alice)
    _meta_later_says(connect(shop_b, charlie), status="needs_reconnect")
    disabled = create_shop(owner=alice, name="Disabled shop")
    _meta_later_says(connect(disabled, alice), merchant_status="EXTERNALLY_DISABLED")
    incomplete = create_shop(owner=alice, name="Incomplete shop")
    conn = connect(incomplete, alice)
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


def test_the_admin_issue_history_is_read_only(staff_client, shop_a, alice, connect):
    conn = connect(shop_a, alice)
    record(shop_a, conn, [C.Check("token", False)], None)
    issue = ShopIssue.objects.get()
    assert staff_client.get(reverse("admin:shops_shopissue_change", args=[issue.pk])).status_code == 200
    assert staff_client.get(reverse("admin:shops_shopissue_add")).status_code == 403


def _deliver(client, value, settings):
    body = json.dumps({"object": "user", "entry": [{"id": "0", "time": 1764300000, "uid": "42", "changes": [
        {"field": "fbe_install", "value": value}]}]}).encode()
    return client.post("/webhooks/meta/", body, content_type="application/json",
                       HTTP_X_HUB_SIGNATURE_256=webhooks.sign(body, settings.META_APP_SECRET))


def test_an_uninstall_webhook_disconnects_the_shop_and_opens_an_issue(shop_a, alice, connect, settings,
                                                                      django_capture_on_commit_callbacks):
    conn = connect(shop_a, alice)
    catalog_id = conn.catalog_id
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
    assert conn.catalog_id == catalog_id  # local data kept
    issue = ShopIssue.objects.get(shop=shop_a, resolved_at=None)
    assert issue.kind == "shop.uninstalled" and issue.cta_url == reverse("shops:connect", args=[shop_a.pk])
    assert received and received[0]["shop_id"] == shop_a.pk and received[0]["reason"] == "uninstalled"


def test_an_install_webhook_is_only_a_hint(shop_a, alice, connect, settings, django_capture_on_commit_callbacks,
                                           monkeypatch):
    queued = []
    monkeypatch.setattr("shops.webhooks.async_task", lambda *a, **k: queued.append(a))
    with django_capture_on_commit_callbacks(execute=True):
        _deliver(Client(), {"business_id": shop_a.external_business_id, "access_token": "new-token-from-meta"}, settings)
    conn = MetaConnection.objects.get(shop=shop_a)
    assert conn.status == "not_connected" and not conn.has_token  # never a token from a webhook
    assert queued == []
    token = str(connect(shop_a, alice).access_token)
    with django_capture_on_commit_callbacks(execute=True):
        _deliver(Client(), {"business_id": shop_a.external_business_id, "access_token": "another-token"}, settings)
    assert queued == [("shops.tasks.check_shop_health", shop_a.pk)]
    assert str(MetaConnection.objects.get(shop=shop_a).access_token) == token


def test_a_webhook_for_an_unknown_shop_is_ignored(db, settings, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        _deliver(Client(), {"business_id": "shop-unknown"}, settings)
    assert "ignored" in WebhookEvent.objects.get().note


def test_every_shops_admin_page_renders(staff_client, shop_a, alice, connect):
    conn = connect(shop_a, alice)  # its connect attempt is listed too
    token = str(conn.access_token)
    record(shop_a, conn, [C.Check("token", False)], None)
    for model in ("shop", "metaconnection", "shopissue", "connectattempt", "membership"):
        response = staff_client.get(reverse(f"admin:shops_{model}_changelist"))
        assert response.status_code == 200, model
        assert token not in response.content.decode()
    from shops.models import ConnectAttempt

    attempt = ConnectAttempt.objects.get()
    html = staff_client.get(reverse("admin:shops_connectattempt_change", args=[attempt.pk])).content.decode()
    assert attempt.state_hash not in html


def test_the_admin_action_queues_health_checks(staff_client, shop_a, shop_b, alice, connect, monkeypatch,
                                                django_capture_on_commit_callbacks):
    connect(shop_a, alice)
    queued = []
    monkeypatch.setattr("shops.services._queue", lambda func, *args, group: queued.append(args))
    with django_capture_on_commit_callbacks(execute=True):
        staff_client.post(reverse("admin:shops_shop_changelist"), {
            "action": "check_now", "_selected_action": [shop_a.pk, shop_b.pk]})
    assert queued == [(shop_a.pk,)]  # shop B is not connected
