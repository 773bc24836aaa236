"""Fixtures for the shops tests that drive the Graph client against the sandbox: a business at the
sandbox for shop A, its connection, and the client as shops wire it (sleeps recorded, not slept)."""

from __future__ import annotations

import pytest

from graph.client import GraphClient
from graph.tests.helpers import READ_TIMEOUT
from shops.graph import client_for_shop
from shops.models import MetaConnection


@pytest.fixture
def business(sandbox, shop_a):
    return sandbox.create_business(name="Shop A business", external_business_id=shop_a.external_business_id)


@pytest.fixture
def connection(shop_a, business):
    conn = shop_a.meta_connection
    conn.access_token = business["access_token"]
    conn.status = MetaConnection.Status.CONNECTED
    conn.business_manager_id = business["business_id"]
    conn.catalog_id = business["catalog_id"] or ""
    conn.commerce_merchant_settings_id = business["commerce_merchant_settings_id"] or ""
    conn.page_id = business["page_id"] or ""
    conn.save()
    return MetaConnection.objects.get(pk=conn.pk)


@pytest.fixture
def sleeps():
    """The client's sleep: recorded, not slept, so backoff and rate-limit waits cost no time."""
    return []


@pytest.fixture
def graph(connection, sleeps) -> GraphClient:
    return client_for_shop(connection, sleep=sleeps.append, max_attempts=3, backoff_base=0.01, backoff_max=0.05,
                           read_timeout=READ_TIMEOUT, connect_timeout=2.0, max_wait=30)
