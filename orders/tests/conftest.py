from __future__ import annotations

import pytest

from orders.tests.helpers import connect


@pytest.fixture
def meta_shop(sandbox, shop_a, settings):
    settings.GRAPH_BACKOFF_BASE = 0.01
    settings.GRAPH_BACKOFF_MAX = 0.05
    shop = connect(sandbox, shop_a)
    yield shop
    # Close keep-alive connections to the live server so its threads (and their database
    # connections) end with the test.
    from graph.client import shared_session

    shared_session().close()
    sandbox.session.close()


@pytest.fixture
def owner(client, alice):
    client.force_login(alice)
    return client
