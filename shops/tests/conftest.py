from __future__ import annotations

import pytest
from django.urls import NoReverseMatch, reverse


def _global_urls_mounted() -> bool:
    try:
        reverse("onboarding:callback")
    except NoReverseMatch:
        return False
    return True


@pytest.fixture(autouse=True)
def _shop_global_urls(settings):
    """Mount shops.urls_global when portal/urls.py does not yet (see shops/tests/urls.py)."""
    if not _global_urls_mounted():
        settings.ROOT_URLCONF = "shops.tests.urls"
    yield
