"""The sync panel, its polled fragment, the history and the Sync now button."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from catalog.models import SyncRun
from catalog.tests.factories import make_product


@pytest.fixture
def connected(connect_shop, shop_a, alice):
    """Shop A as alice connected it: the wizard, the sandbox's FBE dialog, the code exchange (its
    first full sync ran then, against the sandbox)."""
    return connect_shop(shop_a, alice, register_app=False).connection


def test_the_panel_shows_a_running_sync_with_progress_and_polls(connected, client, alice, shop_a):
    make_product(shop_a)
    SyncRun.objects.create(shop=shop_a, kind="full", total=200, sent=200, confirmed=50, rejected=2)
    client.force_login(alice)
    page = client.get(reverse("catalog:index", args=[shop_a.pk])).content.decode()
    assert 'value="26"' in page and "52 of 200" in page
    assert 'hx-get="' + reverse("catalog:sync_panel", args=[shop_a.pk]) in page
    fragment = client.get(reverse("catalog:sync_panel", args=[shop_a.pk])).content.decode()
    assert fragment.strip().startswith("<section") and "52 of 200" in fragment


def test_the_panel_shows_the_last_result_and_history_without_polling(connected, client, alice, shop_a):
    SyncRun.objects.create(shop=shop_a, kind="changes", status="succeeded", total=3, sent=3, confirmed=2, rejected=1,
                           finished_at=timezone.now())
    client.force_login(alice)
    page = client.get(reverse("catalog:index", args=[shop_a.pk])).content.decode()
    assert "hx-get" not in page.split('id="sync-panel"')[1].split(">")[0]
    assert "1 product refused by Meta" in page
    history = client.get(reverse("catalog:sync_history", args=[shop_a.pk])).content.decode()
    assert "Changes" in history and "Done" in history


def test_sync_now_queues_a_sync_for_writers_only(connected, client, alice, bob, shop_a,
                                                 django_capture_on_commit_callbacks,
                                                 monkeypatch):
    queued = []
    monkeypatch.setattr("django_q.tasks.async_task", lambda *a, **k: queued.append((a, k)))
    client.force_login(bob)  # a viewer
    page = client.get(reverse("catalog:index", args=[shop_a.pk])).content.decode()
    assert "read-only" in page
    assert client.post(reverse("catalog:sync_now", args=[shop_a.pk])).status_code == 403
    client.force_login(alice)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("catalog:sync_now", args=[shop_a.pk]))
    assert response.status_code == 302
    assert queued == [(("catalog.tasks.sync_changes", shop_a.pk, "seller"),
                       {"user_id": alice.pk, "group": "catalog.sync_changes"})]
    from shops.models import AuditEvent

    assert AuditEvent.objects.get(shop=shop_a, action="catalog.sync").actor_label == alice.username


def test_an_unconnected_shop_says_what_to_do(client, alice, shop_a):
    client.force_login(alice)
    page = client.get(reverse("catalog:index", args=[shop_a.pk])).content.decode()
    assert "Connect the shop to Meta" in page and "Sync now" not in page
