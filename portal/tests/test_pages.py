from __future__ import annotations

import re

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from shops.models import Membership, Shop

PUBLIC = ["login", "password_reset", "password_reset_done", "password_reset_complete", "healthz"]


@pytest.mark.parametrize("name", ["home", "password_change", "password_change_done"])
def test_pages_outside_a_shop_require_login(db, name):
    response = Client().get(reverse(name))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("name", PUBLIC)
def test_public_pages_need_no_login(db, name):
    assert Client().get(reverse(name)).status_code in (200, 503)


def test_the_short_login_address_leads_to_the_login_page_and_keeps_next(db):
    response = Client().get("/login/?next=/shop/1/")
    assert response.status_code == 302 and response["Location"] == f"{reverse('login')}?next=%2Fshop%2F1%2F"
    assert Client().get("/login/?next=https://evil.example/")["Location"] == reverse("login")
    assert Client().get("/login/", follow=True).resolver_match.view_name == "login"


def test_sellers_never_reach_the_admin(alice_client):
    response = alice_client.get("/admin/")
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_login_and_logout(alice, shop_a):
    client = Client()
    response = client.post(reverse("login"), {"username": "alice", "password": "pw-alice"})
    assert response.status_code == 302
    assert client.get("/", follow=True).resolver_match.view_name == "dashboard"
    client.post(reverse("logout"))
    assert client.get("/").status_code == 302


def test_wrong_password_shows_an_error_not_a_500(alice):
    response = Client().post(reverse("login"), {"username": "alice", "password": "nope"})
    assert response.status_code == 200
    assert b"didn&#x27;t match" in response.content or b"didn't match" in response.content


def test_password_reset_sends_a_working_link(alice):
    client = Client()
    client.post(reverse("password_reset"), {"email": "alice@example.com"})
    assert len(mail.outbox) == 1
    link = re.search(r"https?://[^/]+(/accounts/reset/\S+/)", mail.outbox[0].body).group(1)
    form_url = client.get(link)["Location"]
    response = client.post(form_url, {"new_password1": "A-much-better-pass-42", "new_password2": "A-much-better-pass-42"})
    assert response.status_code == 302
    assert Client().login(username="alice", password="A-much-better-pass-42")


def test_password_change(alice_client):
    response = alice_client.post(reverse("password_change"), {
        "old_password": "pw-alice", "new_password1": "Another-good-pass-77", "new_password2": "Another-good-pass-77"})
    assert response.status_code == 302
    assert Client().login(username="alice", password="Another-good-pass-77")


def test_settings_form_shows_field_errors(alice_client, shop_a):
    url = reverse("shops:settings", args=[shop_a.pk])
    response = alice_client.post(url, {"name": "", "storefront_url": "http://x.example", "country": "USA",
                                       "currency": "XXY", "timezone": "Mars/Base", "business_vertical": "ECOMMERCE"})
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert set(errors) == {"name", "storefront_url", "country", "currency", "timezone"}
    shop_a.refresh_from_db()
    assert shop_a.name == "Shop A"


def test_a_manager_saves_settings(client, carol, shop_a):
    client.force_login(carol)
    url = reverse("shops:settings", args=[shop_a.pk])
    response = client.post(url, {"name": "Shop A+", "storefront_url": "https://a.example", "country": "cn",
                                 "currency": "cny", "timezone": "Asia/Shanghai", "business_vertical": "ECOMMERCE"})
    assert response.status_code == 302
    shop_a.refresh_from_db()
    assert (shop_a.name, shop_a.country, shop_a.currency) == ("Shop A+", "CN", "CNY")


def test_a_viewer_cannot_save_settings(client, bob, shop_a):
    client.force_login(bob)
    response = client.post(reverse("shops:settings", args=[shop_a.pk]), {"name": "hacked"})
    assert response.status_code == 403
    assert Shop.objects.get(pk=shop_a.pk).name == "Shop A"


def test_the_owner_invites_a_member_who_gets_a_set_password_mail(alice_client, shop_a):
    response = alice_client.post(reverse("shops:members", args=[shop_a.pk]), {"email": "dora@example.com", "role": "manager"})
    assert response.status_code == 302
    m = Membership.objects.get(shop=shop_a, user__email="dora@example.com")
    assert m.role == "manager"
    assert len(mail.outbox) == 1 and "dora@example.com" in mail.outbox[0].to


def test_a_manager_cannot_invite(client, carol, shop_a):
    client.force_login(carol)
    client.post(reverse("shops:members", args=[shop_a.pk]), {"email": "eve@example.com", "role": "owner"})
    assert not Membership.objects.filter(user__email="eve@example.com").exists()


def test_the_last_owner_cannot_be_removed(alice_client, shop_a, alice):
    own = Membership.objects.get(shop=shop_a, user=alice)
    alice_client.post(reverse("shops:remove_member", args=[shop_a.pk, own.pk]))
    assert Membership.objects.filter(pk=own.pk).exists()


def test_pages_render_in_simplified_chinese(alice_client, shop_a):
    alice_client.post(reverse("set_language"), {"language": "zh-hans", "next": "/"})
    response = alice_client.get(reverse("dashboard", args=[shop_a.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'lang="zh-hans"' in html
    assert "仪表板" in html  # "Dashboard"
