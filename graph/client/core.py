"""``GraphClient``: a client for one token, its configuration (``from_settings``) and its verbs."""

from __future__ import annotations

import copy
import time
from collections.abc import Callable, Mapping
from typing import Any

import requests

from graph.client.encoding import appsecret_proof
from graph.client.endpoints import Endpoints
from graph.client.paging import Paging
from graph.client.retry import _VERSION_RE, RetryPolicy
from graph.client.session import shared_session
from graph.client.transport import Hook
from graph.usage import DEFAULT_RATE_LIMIT_WAIT

GRAPH_URL = "https://graph.facebook.com"
DEFAULT_VERSION = "v26.0"
DEFAULT_ORDERS_VERSION = "v25.0"


class GraphClient(Endpoints, Paging, RetryPolicy):
    """A Graph API client for one token (a shop's or the app's).

    Hooks (all optional, called synchronously, their failures logged and swallowed):
    ``on_call(CallRecord)`` for every attempt; ``on_usage(dict)`` with each response's parsed
    usage headers; ``on_token_invalid(TokenInvalid)``; ``on_success()`` after a 2xx answer.
    """

    def __init__(
        self,
        token: str,
        *,
        app_secret: str,
        app_id: str = "",
        base_url: str = GRAPH_URL,
        version: str = DEFAULT_VERSION,
        orders_version: str = DEFAULT_ORDERS_VERSION,
        connect_timeout: float = 5.0,
        read_timeout: float = 30.0,
        max_attempts: int = 4,
        backoff_base: float = 0.5,
        backoff_max: float = 30.0,
        max_wait: float = 60.0,
        rate_limit_default_wait: float = DEFAULT_RATE_LIMIT_WAIT,
        session: requests.Session | None = None,
        on_call: Hook | None = None,
        on_usage: Hook | None = None,
        on_token_invalid: Hook | None = None,
        on_success: Hook | None = None,
        sleep: Callable[[float], Any] = time.sleep,
    ) -> None:
        for name, value in (("version", version), ("orders_version", orders_version)):
            if not _VERSION_RE.match(value):
                raise ValueError(f"{name} must look like v26.0, not {value!r}")
        if max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        self._token = token
        self._app_secret = app_secret
        self._proof = appsecret_proof(token, app_secret) if token and app_secret else ""
        self.app_id = app_id
        self.base_url = base_url.rstrip("/")
        self.version = version
        self.orders_version = orders_version
        self.timeout = (connect_timeout, read_timeout)
        self.max_attempts = max_attempts
        self.backoff_base = backoff_base
        self.backoff_max = backoff_max
        self.max_wait = max_wait
        self.rate_limit_default_wait = rate_limit_default_wait
        self.session = session or shared_session()
        self.on_call = on_call
        self.on_usage = on_usage
        self.on_token_invalid = on_token_invalid
        self.on_success = on_success
        self.sleep = sleep

    def with_session(self, session: requests.Session) -> GraphClient:
        """The same client (token, settings, hooks) over another HTTP session: for calls made from
        another thread beside this client's own."""
        twin = copy.copy(self)
        twin.session = session
        return twin

    def __repr__(self) -> str:
        return f"<GraphClient {self.base_url} {self.version}>"

    @classmethod
    def from_settings(cls, token: str, **overrides: Any) -> GraphClient:
        """A client configured by the GRAPH_* and META_* settings; keyword arguments win."""
        from django.conf import settings

        options: dict[str, Any] = {
            "app_secret": settings.META_APP_SECRET,
            "app_id": settings.META_APP_ID,
            "base_url": getattr(settings, "GRAPH_BASE_URL", GRAPH_URL),
            "version": getattr(settings, "GRAPH_API_VERSION", DEFAULT_VERSION),
            "orders_version": getattr(settings, "GRAPH_ORDERS_API_VERSION", DEFAULT_ORDERS_VERSION),
            "connect_timeout": getattr(settings, "GRAPH_CONNECT_TIMEOUT", 5.0),
            "read_timeout": getattr(settings, "GRAPH_READ_TIMEOUT", 30.0),
            "max_attempts": getattr(settings, "GRAPH_MAX_ATTEMPTS", 4),
            "backoff_base": getattr(settings, "GRAPH_BACKOFF_BASE", 0.5),
            "backoff_max": getattr(settings, "GRAPH_BACKOFF_MAX", 30.0),
            "max_wait": getattr(settings, "GRAPH_MAX_WAIT", 60.0),
        }
        options.update(overrides)
        return cls(token, **options)

    # --- public verbs ---------------------------------------------------------------------

    def get(self, path: str, params: Mapping | None = None, **options: Any) -> Any:
        return self.request("GET", path, params, **options)

    def post(self, path: str, params: Mapping | None = None, **options: Any) -> Any:
        """A write. ``body="json"`` sends the parameters as one JSON object instead of form fields:
        for a large write (items_batch: up to 28 MB of records) it spares percent-encoding a JSON
        string. Graph reads a JSON body's keys as parameters: Meta documents POSTs with
        ``Content-Type: application/json`` bodies to graph.facebook.com (Messenger's Send API
        reference, https://developers.facebook.com/docs/messenger-platform/reference/send-api/:
        "The payload must be provided in JSON format"), and Meta's own Facebook for WooCommerce
        plugin sends every Graph call, items_batch included, as a JSON body
        (facebook/facebook-for-woocommerce, includes/API.php sets ``Content-Type:
        application/json``; includes/API/ProductCatalog/ItemsBatch/Create/Request.php puts
        ``requests`` in that body as an array)."""
        return self.request("POST", path, params, **options)

    def delete(self, path: str, params: Mapping | None = None, **options: Any) -> Any:
        return self.request("DELETE", path, params, **options)
