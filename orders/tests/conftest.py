from __future__ import annotations

import pytest

from orders.tests.helpers import connect


@pytest.fixture
def meta_shop(sandbox, shop_a, settings):
    settings.GRAPH_BACKOFF_BASE = 0.01
    settings.GRAPH_BACKOFF_MAX = 0.05
    shop = connect(sandbox, shop_a)
    yield shop
    sandbox.session.close()


@pytest.fixture
def owner(client, alice):
    client.force_login(alice)
    return client
