"""The shared pytest fixtures (a plugin, loaded by the root conftest): people, shops, logged-in
clients, the live Graph sandbox, a shop connected the way a seller connects one, and Chromium.

People: alice owns shop A, carol manages it, bob views it; charlie owns shop B and is an
outsider to A; `staff_user` is a staff member. Clients are Django test clients logged in as
one of them (`owner_client`, `manager_client`, `viewer_client`, `outsider_client`,
`staff_client`).

`meta_shop` is shop A after alice pressed Connect, answered Meta's FBE dialog (the sandbox's)
and came back: the token, assets and permissions are what the wizard really got, never a
hand-made token. Tests that are about a hand-made token make their own.

Lower apps' tests use these fixtures by name (pytest injects them), never by import, so the
layers stay one-way.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from shops.tests import sandboxflow

#: Chromium as the probe of this machine starts it: no network chatter, no sandbox as root.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-quic"]


# --- between tests --------------------------------------------------------------------------------


def clear_cache() -> None:
    """Empty this run's cache: on Redis only this run's keys (its KEY_PREFIX; other pytest-xdist
    workers share the server), elsewhere the whole (per-process) cache."""
    from django.core.cache import caches
    from django.core.cache.backends.redis import RedisCache

    cache = caches["default"]  # the backend itself (django.core.cache.cache is a proxy)
    if isinstance(cache, RedisCache):
        client = cache._cache.get_client(write=True)
        keys = list(client.scan_iter(match=cache.make_key("*"), count=1000))
        if keys:
            client.delete(*keys)
    else:
        cache.clear()


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Every test starts with an empty cache (shop figures, rate-limit windows, coalesced send
    requests), whichever cache backend the run uses."""
    clear_cache()
    yield


# --- people and shops ----------------------------------------------------------------------------


def make_user(username: str, **extra):
    return get_user_model().objects.create_user(username=username, email=f"{username}@example.com",
                                                password="pw-" + username, **extra)


@pytest.fixture
def alice(db):
    return make_user("alice")


@pytest.fixture
def bob(db):
    return make_user("bob")


@pytest.fixture
def carol(db):
    return make_user("carol")


@pytest.fixture
def charlie(db):
    return make_user("charlie")


@pytest.fixture
def staff_user(db):
    return make_user("stella", is_staff=True, is_superuser=True)


@pytest.fixture
def shop_a(alice, bob, carol):
    from shops.models import Membership
    from shops.services import create_shop

    shop = create_shop(owner=alice, name="Shop A", currency="USD", country="US")
    Membership.objects.create(user=bob, shop=shop, role=Membership.Role.VIEWER)
    Membership.objects.create(user=carol, shop=shop, role=Membership.Role.MANAGER)
    return shop


@pytest.fixture
def shop_b(charlie):
    from shops.services import create_shop

    return create_shop(owner=charlie, name="Shop B", currency="JPY", country="JP")


# --- logged-in clients ---------------------------------------------------------------------------


def login(client, user):
    client.force_login(user)
    return client


@pytest.fixture
def alice_client(client, alice):
    return login(client, alice)


@pytest.fixture
def owner_client(alice_client):
    """Alice, owner of shop A (the same client as `alice_client`)."""
    return alice_client


@pytest.fixture
def owner(alice_client, shop_a):
    """Alice logged in, with her shop A (the fixture most page tests start from)."""
    return alice_client


@pytest.fixture
def manager_client(carol):
    return login(Client(), carol)


@pytest.fixture
def viewer_client(bob):
    return login(Client(), bob)


@pytest.fixture
def outsider_client(charlie):
    return login(Client(), charlie)


@pytest.fixture
def staff_client(staff_user):
    return login(Client(), staff_user)


# --- the admin -----------------------------------------------------------------------------------


def _field_data(bound, data: dict) -> None:
    from django import forms

    value = bound.value()
    widget = bound.field.widget
    if isinstance(widget, forms.MultiWidget):
        for i, part in enumerate(widget.decompress(value)):
            data[f"{bound.html_name}_{i}"] = "" if part is None else part
    elif isinstance(bound.field, forms.BooleanField):
        if value:
            data[bound.html_name] = "on"
    elif isinstance(value, list | tuple):
        data[bound.html_name] = [str(v) for v in value]
    else:
        data[bound.html_name] = "" if value is None else value


@pytest.fixture
def admin_form():
    """admin_form(response, **changes) -> POST data: what an admin add/change page shows, as the
    browser would send it back (the form, its inlines' management forms and rows), with
    `changes` (by field name, prefixed for inline rows, e.g. memberships-0-role) applied."""

    def build(response, **changes) -> dict:
        data: dict = {}
        form = response.context["adminform"].form
        for name in form.fields:
            _field_data(form[name], data)
        for inline in response.context["inline_admin_formsets"]:
            formset = inline.formset
            management = formset.management_form
            for name in management.fields:
                data[management[name].html_name] = management[name].value()
            for row in formset.forms:
                for name in row.fields:
                    _field_data(row[name], data)
        data.update(changes)
        return data

    return build


# --- seller pages: the routes, and "a GET writes no row" ------------------------------------------


def shop_routes() -> list[tuple[str, tuple[str, ...]]]:
    """(view name, extra URL kwarg names) of every pattern mounted under shop/<int:shop_id>/, read
    from the resolver, so a view added later is covered automatically."""
    from django.urls import URLPattern, URLResolver, get_resolver

    found = []

    def walk(patterns, prefix_ns, under_shop, kwargs):
        for p in patterns:
            if isinstance(p, URLResolver):
                ns = f"{prefix_ns}{p.namespace}:" if p.namespace else prefix_ns
                converters = set(p.pattern.converters)
                walk(p.url_patterns, ns, under_shop or "shop_id" in converters, kwargs | converters)
            elif isinstance(p, URLPattern) and under_shop and p.name:
                found.append((prefix_ns + p.name, tuple(sorted((kwargs | set(p.pattern.converters)) - {"shop_id"}))))

    walk(get_resolver().url_patterns, "", False, set())
    return sorted(set(found))


def shop_url(name: str, extra: tuple[str, ...], shop) -> str:
    """The URL of the shop route `name`; objects of `shop` are made for its extra arguments by the
    app's `tests/tenancy.py`."""
    from django.urls import reverse

    from shops.models import Membership

    kwargs = {}
    if extra and name == "shops:remove_member":
        kwargs = {"membership_id": shop.memberships.get(role=Membership.Role.VIEWER).pk}
    elif extra and name.startswith("orders:"):
        from orders.tests.tenancy import extra_kwargs as order_kwargs

        kwargs = order_kwargs(name, extra, shop)
    elif extra and name.startswith("promotions:"):
        from promotions.tests.tenancy import extra_kwargs as promotions_kwargs

        kwargs = promotions_kwargs(name, extra, shop)
    elif extra and name.startswith("catalog:"):
        from catalog.tests.tenancy import extra_kwargs as catalog_kwargs

        kwargs = catalog_kwargs(name, extra, shop)
    elif extra and name.startswith("finance:"):
        from finance.tests.tenancy import extra_kwargs as finance_kwargs

        kwargs = finance_kwargs(name, extra, shop)
    elif extra:
        raise AssertionError(f"Add {name} {extra} to portal.testing.shop_url")
    return reverse(name, kwargs={"shop_id": shop.pk, **kwargs})


@pytest.fixture
def shop_pages():
    """`shop_pages("catalog", shop)`: [(view name, url)] of every route of that URL namespace
    under /shop/<id>/ ("" for the shell's own, e.g. the dashboard)."""

    def pages(namespace: str, shop) -> list[tuple[str, str]]:
        routes = [(n, e) for n, e in shop_routes()
                  if (n.split(":")[0] == namespace if namespace else ":" not in n)]
        assert routes, f"no shop routes in namespace {namespace!r}"
        return [(name, shop_url(name, extra, shop)) for name, extra in routes]

    return pages


WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE")


@pytest.fixture
def writes_of_get():
    """`writes_of_get(client, url)`: GET `url` (reading a streamed body to its end) and return
    (the response, the INSERT/UPDATE/DELETE statements it ran). A GET must write no row."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def get(client, url: str):
        with CaptureQueriesContext(connection) as captured:
            response = client.get(url)
            if response.streaming:
                b"".join(response.streaming_content)
        writes = [q["sql"] for q in captured.captured_queries if q["sql"].lstrip().upper().startswith(WRITES)]
        return response, writes

    return get


@pytest.fixture
def gets_write_nothing(shop_pages, writes_of_get):
    """`gets_write_nothing(client, namespace, shop)`: GET every page of that URL namespace for the
    shop and assert each answers (200, a redirect, or 405 for a POST-only view) and writes no row."""

    def check(client, namespace: str, shop) -> None:
        for name, url in shop_pages(namespace, shop):
            response, writes = writes_of_get(client, url)
            assert response.status_code in (200, 302, 405), (name, response.status_code)
            assert writes == [], (name, writes)

    return check


# --- the Graph sandbox ---------------------------------------------------------------------------


def close_keep_alive(*sessions) -> None:
    """Close kept-alive HTTP connections to the live server, so its threads (and their
    database connections) end with the test instead of at interpreter exit."""
    from graph.client.session import shared_session

    shared_session().close()
    for session in sessions:
        if session is not None:
            session.close()


@pytest.fixture
def settle_hung_requests(sandbox):
    """After a sandbox test: let the sandbox finish the requests it keeps hanging, and close the
    client's keep-alive connections, so that no live-server thread outlives its test (and
    touches the next test's database connection)."""
    import time
    from datetime import datetime

    from django.utils import timezone

    from graph.tests.helpers import HANG

    yield
    hung = [r for r in sandbox.requests() if r.get("fault") in ("hang", "after_apply")]
    if hung:
        last = max(datetime.fromisoformat(r["created"]) for r in hung)
        remaining = HANG + 0.2 - (timezone.now() - last).total_seconds()
        if remaining > 0:
            time.sleep(remaining)
    close_keep_alive(sandbox.session)


@pytest.fixture(scope="session")
def live_server(django_db_setup, live_server):
    """pytest-django's live server, started only once the test database exists. Session fixtures
    come before a test's function ones, so a session whose first database test used the live
    server started it while the connection still named the file database: then, on SQLite, the
    server's threads had their own connections to the in-memory test database (a shared cache,
    where a write transaction fails every other connection at once with "database table is
    locked") instead of the test's one connection, depending on which test file a worker ran
    first."""
    return live_server


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
    close_keep_alive(control.session)


@dataclass
class MetaShop:
    """A shop connected to a sandbox business through the FBE dialog, with the sandbox's buyer
    (`buyer`, OrdersControl) and catalog controls (`catalog`, CatalogControl) at hand."""

    shop: object
    sandbox: object
    buyer: object
    catalog: object
    business: dict
    client: object

    @property
    def cms(self) -> str:
        return self.business["commerce_merchant_settings_id"]

    @property
    def catalog_id(self) -> str:
        return self.business["catalog_id"]

    @property
    def connection(self):
        from shops.models import MetaConnection

        return MetaConnection.objects.get(shop=self.shop)

    def place(self, **spec) -> dict:
        """The sandbox's buyer places an order (spec as docs/sandbox.md; default one tea)."""
        spec.setdefault("items", [{"retailer_id": "TEA-1", "quantity": 2, "price": "12.00",
                                   "product_name": "Jasmine tea"}])
        return self.buyer.place(self.cms, **spec)

    def meta(self, order_id: str) -> dict:
        return self.buyer.order(order_id)

    def poll(self, **kwargs) -> dict:
        from orders.ingest import poll_shop

        return poll_shop(self.shop.pk, **kwargs)

    def local(self, meta_id: str):
        from orders.models import Order

        return Order.objects.get(shop=self.shop, meta_order_id=meta_id)

    def requests(self, path: str, method: str = "POST") -> list[dict]:
        """Answered calls the sandbox received on `path` (a glob)."""
        return [r for r in self.sandbox.requests(path=path, method=method) if r["status"] is not None]


@pytest.fixture
def connect_shop(sandbox, settings):
    """connect_shop(shop, user, register_app=True) -> MetaShop: `user` (an owner or manager)
    connects `shop` through the wizard and the FBE dialog; with `register_app` a first order
    poll runs, which registers the order management app (as the first scheduled poll does)."""
    from meta_sandbox.facade import CatalogControl, OrdersControl
    from shops.models import MetaConnection

    settings.GRAPH_BACKOFF_BASE = 0.01
    settings.GRAPH_BACKOFF_MAX = 0.05

    def connect(shop, user, *, register_app: bool = True) -> MetaShop:
        if not shop.storefront_url:
            type(shop).objects.filter(pk=shop.pk).update(storefront_url=f"https://shop-{shop.pk}.example.com")
        client = login(Client(), user)
        response = sandboxflow.connect(client, shop)
        conn = MetaConnection.objects.select_related("shop").get(shop=shop)
        assert conn.is_connected, (response.status_code, response.get("Location"), conn.last_error)
        business = {
            "business_id": conn.business_manager_id, "catalog_id": conn.catalog_id, "pixel_id": conn.pixel_id,
            "page_id": conn.page_id, "instagram_profile_id": conn.instagram_profile_id,
            "commerce_merchant_settings_id": conn.commerce_merchant_settings_id,
        }
        meta_shop = MetaShop(shop=conn.shop, sandbox=sandbox, buyer=OrdersControl(sandbox),
                             catalog=CatalogControl(sandbox), business=business, client=client)
        if register_app:
            meta_shop.poll()
        return meta_shop

    return connect


@pytest.fixture
def meta_shop(connect_shop, shop_a, alice):
    """Shop A, connected by alice through the FBE dialog, its order app registered."""
    return connect_shop(shop_a, alice)


# --- the browser ---------------------------------------------------------------------------------


@pytest.fixture
def page(sandbox, live_server, monkeypatch):
    """A headless Debian Chromium tab driven by Playwright, for browser tests against the live
    portal and its sandbox. Skips cleanly when Playwright or Chromium is missing.

    On SQLite the test database is in memory and the live server's threads share its one
    connection: a browser firing requests in parallel (a page, its pixel, a fetch) must not use
    it at once, or the connection's transaction state breaks for every later test. So the
    browser's requests are served one at a time; other clients' calls (the portal's Graph client
    calling the sandbox inside a request) are not held, so a request that waits for one cannot
    deadlock."""
    import threading

    from django.db import connections

    sync_api = pytest.importorskip("playwright.sync_api")
    executable = "/usr/bin/chromium" if os.path.exists("/usr/bin/chromium") else shutil.which("chromium")
    if not executable:
        pytest.skip("Debian's Chromium is not installed (apt-get install chromium)")
    # Playwright's sync API runs an event loop in this thread; the test's own ORM calls are safe.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    server = live_server.thread.httpd
    app, lock = server.get_app(), threading.Lock()

    def one_browser_request_at_a_time(environ, start_response):
        if "Mozilla/" not in environ.get("HTTP_USER_AGENT", ""):  # the Graph client, the sandbox's control
            return app(environ, start_response)
        with lock:
            return list(app(environ, start_response))

    server.set_app(one_browser_request_at_a_time)
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
    server.set_app(app)
