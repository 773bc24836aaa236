"""Helpers for the sandbox's contract tests: plain `requests` against the live sandbox."""

from __future__ import annotations

import hashlib
import hmac

import pytest
import requests
from django.conf import settings

VERSION = "v26.0"


def proof(token: str) -> str:
    return hmac.new(settings.META_APP_SECRET.encode(), token.encode(), hashlib.sha256).hexdigest()


class Graph:
    """Calls the sandbox like any HTTP client would: `g.get("me", token=t, fields="id,name")`."""

    def __init__(self, base: str):
        self.base = base
        self.session = requests.Session()

    def url(self, path: str, version: str | None = VERSION) -> str:
        return f"{self.base}/{version}/{path}" if version else f"{self.base}/{path}"

    def call(self, verb: str, path: str, *, token: str | None = None, with_proof: bool = True,
             version: str | None = VERSION, bearer: bool = False, json_body: dict | None = None,
             timeout: float = 10, **params) -> requests.Response:
        params = dict(params)
        headers = {}
        if token:
            if bearer:
                headers["Authorization"] = f"Bearer {token}"
            else:
                params["access_token"] = token
            if with_proof and "|" not in token:
                params.setdefault("appsecret_proof", proof(token))
        if verb == "GET":
            return self.session.get(self.url(path, version), params=params, headers=headers, timeout=timeout)
        if json_body is not None:
            return self.session.request(verb, self.url(path, version), params=params, json=json_body,
                                        headers=headers, timeout=timeout)
        return self.session.request(verb, self.url(path, version), data=params, headers=headers, timeout=timeout)

    def get(self, path, **kw):
        return self.call("GET", path, **kw)

    def post(self, path, **kw):
        return self.call("POST", path, **kw)

    def delete(self, path, **kw):
        return self.call("DELETE", path, **kw)


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
