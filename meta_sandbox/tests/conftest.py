"""Helpers for the sandbox's contract tests: plain `requests` against the live sandbox."""

from __future__ import annotations

import pytest
import requests

from meta_sandbox.testing import VERSION, proof  # noqa: F401
from meta_sandbox.testing import GraphCaller as Graph


@pytest.fixture
def graph(sandbox) -> Graph:
    g = Graph(sandbox.base_url)
    yield g
    g.session.close()


@pytest.fixture(autouse=True)
def _close_keep_alive_connections(request):
    """Close the test's HTTP connections before the live server can outlive the test's
    database connection (keep-alive sockets otherwise close at interpreter exit)."""
    control = request.getfixturevalue("sandbox") if "sandbox" in request.fixturenames else None
    yield
    if control is not None:
        control.session.close()


@pytest.fixture
def biz(sandbox) -> dict:
    """A business with every asset and an FBE install (external id "shop-1")."""
    return sandbox.create_business(name="Lotus Tea", external_business_id="shop-1")


def error_of(response: requests.Response) -> dict:
    body = response.json()
    assert set(body) == {"error"}, body
    error = body["error"]
    assert {"message", "type", "code", "is_transient", "fbtrace_id"} <= set(error), error
    return error


@pytest.fixture
def orders(sandbox):
    """The sandbox's buyer and order controls (what the console and the facade drive)."""
    from meta_sandbox.facade import OrdersControl

    return OrdersControl(sandbox)


@pytest.fixture
def shop(graph, biz):
    """The business with the order management app registered on v25 (orders wait in CREATED):
    its token, its commerce account, the business under `biz` and its ids at the top level."""
    token, cms = biz["access_token"], biz["commerce_merchant_settings_id"]
    answer = graph.post(f"{cms}/order_management_apps", token=token, version="v25.0")
    assert answer.status_code == 200 and answer.json() == {"success": True}
    return {**biz, "token": token, "cms": cms, "biz": biz}
