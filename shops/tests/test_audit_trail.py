"""Every change a seller or staff member makes to a shop, its members or its Meta connection
goes through a service that writes an audit event with the actor: each test drives the seller's
page (or the admin) end to end and reads the trail."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from shops import services
from shops.models import AuditEvent, Membership, MetaConnection, Shop
from shops.tests import sandboxflow as flow

PROFILE = {"name": "Tea & Co", "storefront_url": "https://tea.example.com", "country": "gb", "currency": "gbp",
           "timezone": "Europe/London", "business_vertical": "ECOMMERCE"}


def _event(shop, action) -> AuditEvent:
    return AuditEvent.objects.get(shop=shop, action=action)


@pytest.fixture
def connected(connect_shop, shop_a, alice) -> MetaConnection:
    """Shop A's connection as alice made it: the wizard, the sandbox's FBE dialog, the code exchange."""
    return connect_shop(shop_a, alice, register_app=False).connection


@pytest.fixture
def no_queue(monkeypatch):
    queued = []
    monkeypatch.setattr("shops.services._queue", lambda func, *args, group: queued.append((func, args)))
    return queued


def _profile(shop, **changes) -> dict:
    return {"name": shop.name, "storefront_url": shop.storefront_url or "https://a.example.com",
            "country": shop.country, "currency": shop.currency, "timezone": shop.timezone,
            "business_vertical": shop.business_vertical, **changes}


# --- the shop -------------------------------------------------------------------------------------


def test_creating_a_shop_is_audited_as_its_owner(charlie):
    client = Client()
    client.force_login(charlie)
    client.post(reverse("onboarding:new_shop"), PROFILE)
    shop = Shop.objects.get(name="Tea & Co")
    event = _event(shop, "shop.create")
    assert (event.actor, event.actor_label, event.target_id) == (charlie, "charlie", str(shop.pk))
    assert event.changes["currency"] == "GBP"


def test_the_settings_page_saves_the_profile_and_audits_the_change(alice_client, alice, shop_a):
    old = shop_a.name
    response = alice_client.post(reverse("shops:settings", args=[shop_a.pk]), _profile(shop_a, name="Renamed"))
    assert response["Location"] == reverse("shops:settings", args=[shop_a.pk])
    shop_a.refresh_from_db()
    assert shop_a.name == "Renamed"
    event = _event(shop_a, "shop.update")
    assert event.actor == alice and event.changes["name"] == [old, "Renamed"]


def test_saving_an_unchanged_profile_writes_no_event(alice_client, shop_a):
    alice_client.post(reverse("shops:settings", args=[shop_a.pk]), _profile(shop_a))
    alice_client.post(reverse("shops:settings", args=[shop_a.pk]), _profile(shop_a))
    assert AuditEvent.objects.filter(shop=shop_a, action="shop.update").count() == 1  # the storefront URL, once


def test_the_wizards_profile_step_is_audited(alice_client, alice, shop_a):
    response = alice_client.post(reverse("shops:profile", args=[shop_a.pk]), _profile(shop_a, timezone="Asia/Tokyo"))
    assert response["Location"] == reverse("shops:connect", args=[shop_a.pk])
    event = _event(shop_a, "shop.update")
    assert event.actor == alice and event.changes["timezone"][1] == "Asia/Tokyo"


def test_the_service_takes_profile_fields_only(shop_a, alice):
    with pytest.raises(ValueError):
        services.update_shop_profile(shop_a, values={"external_business_id": "x"}, actor=alice)


def test_finishing_the_wizard_is_audited_once(alice_client, alice, shop_a, connected):
    alice_client.post(reverse("shops:finish", args=[shop_a.pk]))
    alice_client.post(reverse("shops:finish", args=[shop_a.pk]))
    shop_a.refresh_from_db()
    assert shop_a.onboarded_at is not None
    assert _event(shop_a, "shop.finish_onboarding").actor == alice


# --- members --------------------------------------------------------------------------------------


def test_inviting_a_member_is_audited(alice_client, alice, shop_a):
    alice_client.post(reverse("shops:members", args=[shop_a.pk]), {"email": "dora@example.com", "role": "manager"})
    membership = Membership.objects.get(shop=shop_a, user__email="dora@example.com")
    event = _event(shop_a, "member.add")
    assert (event.actor, event.target_id, event.summary) == (alice, str(membership.pk), "dora@example.com")
    assert event.changes == {"user": membership.user_id, "role": "manager"}


def test_changing_a_role_is_audited(alice_client, alice, shop_a, bob):
    membership = Membership.objects.get(shop=shop_a, user=bob)
    alice_client.post(reverse("shops:change_role", args=[shop_a.pk]), {"membership": membership.pk, "role": "manager"})
    assert Membership.objects.get(pk=membership.pk).role == "manager"
    event = _event(shop_a, "member.change_role")
    assert event.actor == alice and event.changes == {"role": ["viewer", "manager"]}


def test_inviting_an_existing_member_audits_the_role_change(alice_client, alice, shop_a, bob):
    alice_client.post(reverse("shops:members", args=[shop_a.pk]), {"email": bob.email, "role": "manager"})
    assert _event(shop_a, "member.change_role").actor == alice
    assert not AuditEvent.objects.filter(shop=shop_a, action="member.add").exists()


def test_removing_a_member_is_audited(alice_client, alice, shop_a, bob):
    membership = Membership.objects.get(shop=shop_a, user=bob)
    alice_client.post(reverse("shops:remove_member", args=[shop_a.pk, membership.pk]))
    assert not Membership.objects.filter(pk=membership.pk).exists()
    event = _event(shop_a, "member.remove")
    assert (event.actor, event.target_id) == (alice, str(membership.pk))
    assert event.changes == {"user": bob.pk, "role": "viewer"}


def test_a_refused_change_writes_no_event(alice_client, alice, shop_a):
    own = Membership.objects.get(shop=shop_a, user=alice)
    alice_client.post(reverse("shops:change_role", args=[shop_a.pk]), {"membership": own.pk, "role": "viewer"})
    assert not AuditEvent.objects.filter(shop=shop_a, action="member.change_role").exists()


# --- the Meta connection --------------------------------------------------------------------------


def test_check_now_is_audited(alice_client, alice, shop_a, connected, no_queue, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        alice_client.post(reverse("shops:check_now", args=[shop_a.pk]))
    assert no_queue == [("shops.tasks.check_shop_health", (shop_a.pk,))]
    assert _event(shop_a, "connection.check").actor == alice


def test_the_admin_action_is_audited_as_staff(staff_client, staff_user, shop_a, connected, no_queue,
                                              django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        staff_client.post(reverse("admin:shops_shop_changelist"), {"action": "check_now", "_selected_action": [shop_a.pk]})
    event = _event(shop_a, "connection.check")
    assert event.actor == staff_user and event.actor_label == f"staff:{staff_user.username}"


def test_disconnecting_is_audited(alice_client, alice, shop_a, connected, no_queue,
                                 django_capture_on_commit_callbacks):
    conn = connected
    with django_capture_on_commit_callbacks(execute=True):
        alice_client.post(reverse("shops:disconnect", args=[shop_a.pk]))
    assert MetaConnection.objects.get(pk=conn.pk).status == MetaConnection.Status.DISCONNECTED
    event = _event(shop_a, "connection.disconnect")
    assert (event.actor, event.target_id, event.summary) == (alice, str(conn.pk), "seller")


def test_an_uninstall_at_meta_is_audited_as_meta(shop_a, connected):
    assert services.mark_uninstalled_at_meta(shop_a)
    event = _event(shop_a, "connection.uninstalled")
    assert event.actor is None and event.actor_label == "Meta"


def test_connecting_through_the_fbe_dialog_is_audited_as_the_seller(sandbox, shop_a, alice):
    shop_a.storefront_url = "https://shop-a.example.com"
    shop_a.save()
    client = Client()
    client.force_login(alice)
    flow.connect(client, shop_a)
    conn = MetaConnection.objects.get(shop=shop_a)
    event = _event(shop_a, "connection.connect")
    assert event.actor == alice and event.changes["status"] == ["not_connected", "connected"]
    assert event.changes["catalog_id"] == ["", conn.catalog_id]
    assert not any("token" in key for key in event.changes)
