from __future__ import annotations

import pytest

from orders.tests.helpers import connect


@pytest.fixture
def meta_shop(sandbox, shop_a, settings):
    """Shop A connected to a sandbox business (token, catalog, merchant settings)."""
    settings.GRAPH_BACKOFF_BASE = 0.01
    settings.GRAPH_BACKOFF_MAX = 0.05
    shop = connect(sandbox, shop_a, register_app=False)
    yield shop
    from graph.client import shared_session

    shared_session().close()
    sandbox.session.close()
