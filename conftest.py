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
    from meta_sandbox.facade import SandboxControl

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


CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]


@pytest.fixture
def page(sandbox, monkeypatch):
    """A headless Debian Chromium tab driven by Playwright, for browser tests against the live
    portal and its sandbox. Skips cleanly when Playwright or Chromium is missing."""
    import os
    import shutil

    from django.db import connections

    sync_api = pytest.importorskip("playwright.sync_api")
    executable = "/usr/bin/chromium" if os.path.exists("/usr/bin/chromium") else shutil.which("chromium")
    if not executable:
        pytest.skip("Debian's Chromium is not installed (apt-get install chromium)")
    # Playwright's sync API runs an event loop in this thread; the test's own ORM calls are safe.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1200, "height": 900})
        context.set_default_timeout(20_000)
        yield context.new_page()
        context.close()
        browser.close()
        # Inside Playwright's event loop the ORM got its own connection (Django keeps them per
        # async context): close it here, or it outlives the test database.
        connections.close_all()
