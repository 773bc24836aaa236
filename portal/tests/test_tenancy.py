"""Tenancy: every seller URL under /shop/<id>/ is checked for owner, member, viewer and outsider.

The URL list is read from the resolver, so a view added later is covered automatically; a view
with extra URL arguments is given objects of shop A by `portal.testing.shop_url`.
"""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from portal.testing import shop_routes, shop_url

ROUTES = shop_routes()


def _url(name, extra, shop):
    return shop_url(name, extra, shop)


def test_the_route_list_is_not_empty():
    names = {n for n, _ in ROUTES}
    assert {"dashboard", "shops:settings", "catalog:index", "orders:index"} <= names


@pytest.mark.parametrize("name,extra", ROUTES, ids=[r[0] for r in ROUTES])
def test_an_outsider_gets_404_for_every_shop_url(name, extra, shop_a, shop_b, charlie):
    client = Client()
    client.force_login(charlie)
    url = _url(name, extra, shop_a)
    assert client.get(url).status_code in (404, 405)
    assert client.post(url).status_code == 404


@pytest.mark.parametrize("name,extra", ROUTES, ids=[r[0] for r in ROUTES])
def test_anonymous_users_are_sent_to_login(name, extra, shop_a):
    response = Client().get(_url(name, extra, shop_a))
    if response.status_code == 405:  # POST-only views
        response = Client().post(_url(name, extra, shop_a))
    assert response.status_code == 302 and reverse("login") in response["Location"]


@pytest.mark.parametrize("name,extra", ROUTES, ids=[r[0] for r in ROUTES])
def test_a_viewer_can_read_but_not_change(name, extra, shop_a, bob):
    client = Client()
    client.force_login(bob)
    url = _url(name, extra, shop_a)
    assert client.get(url).status_code in (200, 405)
    assert client.post(url).status_code == 403


@pytest.mark.parametrize("name,extra", ROUTES, ids=[r[0] for r in ROUTES])
def test_the_owner_can_open_every_page(name, extra, shop_a, alice):
    client = Client()
    client.force_login(alice)
    assert client.get(_url(name, extra, shop_a)).status_code in (200, 405)


def test_a_seller_with_two_shops_switches_between_them(alice, shop_a):
    from shops.services import create_shop

    second = create_shop(owner=alice, name="Second shop")
    client = Client()
    client.force_login(alice)
    page = client.get(reverse("dashboard", args=[shop_a.pk])).content.decode()
    assert reverse("dashboard", args=[second.pk]) in page  # the switcher lists both
    assert client.get(reverse("dashboard", args=[second.pk])).status_code == 200
    # Home remembers the shop used last.
    assert client.get("/")["Location"] == reverse("dashboard", args=[second.pk])
    client.get(reverse("dashboard", args=[shop_a.pk]))
    assert client.get("/")["Location"] == reverse("dashboard", args=[shop_a.pk])


def test_a_user_without_shops_sees_what_to_do(charlie):
    client = Client()
    client.force_login(charlie)
    response = client.get("/")
    assert response.status_code == 200
    assert b"not a member of any shop" in response.content
