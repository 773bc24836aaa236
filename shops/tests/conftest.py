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


@pytest.fixture(autouse=True)
def _close_sandbox_connections(request):
    """Close kept-alive HTTP connections to the live server when a sandbox test ends, so no
    server thread outlives the test's database (the Graph client's pooled session is
    process-wide)."""
    control = request.getfixturevalue("sandbox") if "sandbox" in request.fixturenames else None
    yield
    if control is not None:
        from graph.client import shared_session

        shared_session().close()
        control.session.close()
