"""Shared fixtures: alice owns shop A, bob is a viewer of shop A, carol manages shop A,
charlie owns shop B (an outsider to A)."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from shops.models import Membership
from shops.services import create_shop


def _user(username: str):
    return get_user_model().objects.create_user(username=username, email=f"{username}@example.com", password="pw-" + username)


@pytest.fixture
def alice(db):
    return _user("alice")


@pytest.fixture
def bob(db):
    return _user("bob")


@pytest.fixture
def carol(db):
    return _user("carol")


@pytest.fixture
def charlie(db):
    return _user("charlie")


@pytest.fixture
def shop_a(alice, bob, carol):
    shop = create_shop(owner=alice, name="Shop A", currency="USD", country="US")
    Membership.objects.create(user=bob, shop=shop, role=Membership.Role.VIEWER)
    Membership.objects.create(user=carol, shop=shop, role=Membership.Role.MANAGER)
    return shop


@pytest.fixture
def shop_b(charlie):
    return create_shop(owner=charlie, name="Shop B", currency="JPY", country="JP")


def login(client, user):
    client.force_login(user)
    return client


@pytest.fixture
def alice_client(client, alice):
    return login(client, alice)


@pytest.fixture
def sandbox(live_server, settings):
    """The Graph sandbox over real HTTP (pytest-django's live server), reset for the test.

    The portal's Graph client is pointed at it through settings.GRAPH_BASE_URL.
    """
    from graph.sandbox.testing import SandboxControl

    base = f"{live_server.url}/graph-sandbox"
    settings.GRAPH_BASE_URL = base
    settings.PORTAL_BASE_URL = live_server.url
    settings.META_DIALOG_BASE_URL = f"{base}/www"
    control = SandboxControl(base)
    control.reset()
    yield control
    # Close kept-alive connections so live-server threads don't outlive the test.
    from graph.client import shared_session

    shared_session().close()
    control.session.close()
