from __future__ import annotations

import pytest


@pytest.fixture
def meta_shop(connect_shop, shop_a, alice):
    """Shop A connected through the FBE dialog; the order app is not registered yet."""
    return connect_shop(shop_a, alice, register_app=False)
