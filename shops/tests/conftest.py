"""Fixtures for the shops tests that drive the Graph client against the sandbox: shop A connected
through the FBE dialog (its business at the sandbox, its connection), and the client as shops wire
it (sleeps recorded, not slept)."""

from __future__ import annotations

import pytest

from graph.client import GraphClient
from graph.models import GraphCall
from graph.tests.helpers import READ_TIMEOUT
from shops.graph import client_for_shop
from shops.models import MetaConnection


@pytest.fixture
def connected_a(connect_shop, shop_a, alice):
    """Shop A as alice connected it through the FBE dialog (no order poll yet). The connect's own
    calls are then forgotten on both sides (our journal, the sandbox's journal and usage window),
    so the tests count only their own."""
    connected = connect_shop(shop_a, alice, register_app=False)
    GraphCall.objects.all().delete()
    connected.sandbox.clear_requests()
    MetaConnection.objects.filter(shop=shop_a).update(usage={}, usage_updated_at=None)
    return connected


@pytest.fixture
def business(connected_a):
    """Shop A's business at the sandbox as the FBE dialog made it, with the token the connect got."""
    return {**connected_a.business, "access_token": str(connected_a.connection.access_token)}


@pytest.fixture
def connection(connected_a):
    return MetaConnection.objects.get(shop=connected_a.shop)


@pytest.fixture
def sleeps():
    """The client's sleep: recorded, not slept, so backoff and rate-limit waits cost no time."""
    return []


@pytest.fixture
def graph(connection, sleeps) -> GraphClient:
    return client_for_shop(connection, sleep=sleeps.append, max_attempts=3, backoff_base=0.01, backoff_max=0.05,
                           read_timeout=READ_TIMEOUT, connect_timeout=2.0, max_wait=30)
