from __future__ import annotations

from django.core import mail
from django.test import Client
from django.urls import reverse

from shops.models import Membership


def _m(shop, user):
    return Membership.objects.get(shop=shop, user=user)


def _pending(client, shop):
    rows = client.get(reverse("shops:members", args=[shop.pk])).context["rows"]
    return {r["m"].user.email for r in rows if r["pending"]}


def test_the_owner_changes_a_role(alice_client, shop_a, bob):
    response = alice_client.post(reverse("shops:change_role", args=[shop_a.pk]),
                                 {"membership": _m(shop_a, bob).pk, "role": "manager"})
    assert response["Location"] == reverse("shops:members", args=[shop_a.pk])
    assert _m(shop_a, bob).role == "manager"


def test_the_last_owner_cannot_step_down(alice_client, shop_a, alice):
    alice_client.post(reverse("shops:change_role", args=[shop_a.pk]), {"membership": _m(shop_a, alice).pk, "role": "viewer"})
    assert _m(shop_a, alice).role == "owner"
    page = alice_client.get(reverse("shops:members", args=[shop_a.pk]))
    assert b"at least one owner" in page.content


def test_an_owner_can_hand_over_ownership(alice_client, shop_a, alice, carol):
    alice_client.post(reverse("shops:change_role", args=[shop_a.pk]), {"membership": _m(shop_a, carol).pk, "role": "owner"})
    alice_client.post(reverse("shops:change_role", args=[shop_a.pk]), {"membership": _m(shop_a, alice).pk, "role": "manager"})
    assert (_m(shop_a, carol).role, _m(shop_a, alice).role) == ("owner", "manager")


def test_a_manager_cannot_change_roles(client, carol, bob, shop_a):
    client.force_login(carol)
    response = client.post(reverse("shops:change_role", args=[shop_a.pk]), {"membership": _m(shop_a, bob).pk, "role": "owner"})
    assert response.status_code == 403
    assert _m(shop_a, bob).role == "viewer"


def test_a_membership_of_another_shop_cannot_be_changed(alice_client, shop_a, shop_b, charlie):
    other = _m(shop_b, charlie)
    alice_client.post(reverse("shops:change_role", args=[shop_a.pk]), {"membership": other.pk, "role": "viewer"})
    assert Membership.objects.get(pk=other.pk).role == "owner"


def test_the_owner_removes_a_member(alice_client, shop_a, bob):
    m = _m(shop_a, bob)
    alice_client.post(reverse("shops:remove_member", args=[shop_a.pk, m.pk]))
    assert not Membership.objects.filter(pk=m.pk).exists()


def test_inviting_an_existing_member_again_changes_their_role(alice_client, shop_a, bob):
    alice_client.post(reverse("shops:members", args=[shop_a.pk]), {"email": "BOB@example.com", "role": "manager"})
    assert _m(shop_a, bob).role == "manager"
    assert mail.outbox == []  # an existing account is not sent a password link


def test_a_new_invitee_is_pending_until_first_login_and_can_be_reminded(alice_client, shop_a):
    alice_client.post(reverse("shops:members", args=[shop_a.pk]), {"email": "dora@example.com", "role": "viewer"})
    assert len(mail.outbox) == 1
    assert "Shop A" in mail.outbox[0].subject and "/accounts/reset/" in mail.outbox[0].body
    dora = Membership.objects.get(shop=shop_a, user__email="dora@example.com")
    assert _pending(alice_client, shop_a) == {"bob@example.com", "carol@example.com", "dora@example.com"}
    alice_client.post(reverse("shops:resend_invitation", args=[shop_a.pk]), {"membership": dora.pk})
    assert len(mail.outbox) == 2
    Client().force_login(dora.user)  # force_login updates last_login
    assert "dora@example.com" not in _pending(alice_client, shop_a)
    alice_client.post(reverse("shops:resend_invitation", args=[shop_a.pk]), {"membership": dora.pk})
    assert len(mail.outbox) == 2


def test_members_page_offers_role_changes_only_to_owners(client, carol, shop_a):
    client.force_login(carol)
    page = client.get(reverse("shops:members", args=[shop_a.pk])).content.decode()
    assert "Change role" not in page and "Invite someone" not in page
