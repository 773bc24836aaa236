"""The retry policy: path and version checks, which calls are retried, capped backoff with jitter,
and the per-call wait budget (a longer rate-limit wait raises ``RateLimited``)."""

from __future__ import annotations

import logging
import random
import re
from collections.abc import Callable, Mapping
from typing import Any

from graph.client.encoding import fields_param
from graph.client.transport import Transport
from graph.errors import GraphError, RateLimited
from kernel.jobs import heartbeat

log = logging.getLogger(__name__)

_VERSION_RE = re.compile(r"^v\d+\.\d+$")
#: The longest single sleep between attempts: well under a lease (kernel.jobs.lease_seconds()).
HEARTBEAT_STEP = 10.0


class RetryPolicy(Transport):
    """``request()``: one call, retried when that is safe; settings come from ``GraphClient``."""

    version: str
    orders_version: str
    max_attempts: int
    backoff_base: float
    backoff_max: float
    max_wait: float
    rate_limit_default_wait: float
    sleep: Callable[[float], Any]

    def request(
        self,
        method: str,
        path: str,
        params: Mapping | None = None,
        *,
        fields: str | list | tuple | None = None,
        version: str | None = None,
        orders: bool = False,
        idempotent: bool = False,
        retry: bool | None = None,
        max_wait: float | None = None,
        body: str = "form",
    ) -> Any:
        """Call Graph and return the decoded JSON answer, or raise a ``GraphError``.

        ``orders=True`` (or ``version="orders"``) uses the order API's version. ``idempotent``
        marks an upsert-like write as safe to retry; a write carrying ``idempotency_key`` is
        retried too. ``retry`` forces the choice. ``max_wait`` caps the seconds this call may
        spend sleeping between attempts (default: the client's ``max_wait``); a rate-limit wait
        longer than what is left raises ``RateLimited`` with ``retry_after`` instead. ``body="json"``
        sends a POST's parameters as a JSON body (large writes: items_batch), ``"form"`` as form fields.
        """
        method = method.upper()
        if method not in ("GET", "POST", "DELETE"):
            raise ValueError(f"unsupported method {method}")
        if body not in ("form", "json"):
            raise ValueError(f"body must be 'form' or 'json', not {body!r}")
        path = self._clean_path(path)
        params = dict(params or {})
        if fields is not None:
            params["fields"] = fields
        if isinstance(params.get("fields"), list | tuple):
            params["fields"] = fields_param(params["fields"])
        orders = orders or version == "orders"
        api_version = self.orders_version if orders else (version or self.version)
        if not _VERSION_RE.match(api_version):
            raise ValueError(f"version must look like v26.0, not {api_version!r}")
        if retry is None:
            retry = method == "GET" or idempotent or params.get("idempotency_key") not in (None, "")
        budget = self.max_wait if max_wait is None else max_wait

        waited = 0.0
        attempt = 0
        while True:
            attempt += 1
            heartbeat()  # the worker is alive: keep its leases (kernel.jobs), each attempt is < a lease
            result = self._attempt(method, path, api_version, params, attempt, removed_hint=orders, body=body)
            if not isinstance(result, GraphError):
                return result
            error = result
            if isinstance(error, RateLimited) and error.retry_after is None:
                error.retry_after = self.rate_limit_default_wait
            if error.permanent or not retry or attempt >= self.max_attempts:
                raise error
            delay = self._delay(error, attempt)
            if waited + delay > budget:
                raise error
            log.info("graph %s %s: %s; retrying in %.2f s (attempt %d)", method, path, type(error).__name__, delay, attempt)
            self._wait(delay)
            waited += delay

    def _wait(self, delay: float) -> None:
        """Sleep between attempts in steps shorter than a lease, renewing this worker's leases."""
        while delay > 0:
            step = min(delay, HEARTBEAT_STEP)
            self.sleep(step)
            delay -= step
            heartbeat()

    @staticmethod
    def _clean_path(path: str) -> str:
        path = path.strip().lstrip("/")
        if not path or "?" in path or "#" in path or "://" in path or ".." in path.split("/"):
            raise ValueError(f"not a Graph path: {path!r}")
        if _VERSION_RE.match(path.split("/", 1)[0]):
            raise ValueError("pass the path without the version; the client adds it")
        return path

    def _delay(self, error: GraphError, attempt: int) -> float:
        if isinstance(error, RateLimited) and error.retry_after:
            # Meta said how long; add a little jitter so a fleet of workers does not return at once.
            return float(error.retry_after) * random.uniform(1.0, 1.1)
        backoff = min(self.backoff_max, self.backoff_base * (2 ** (attempt - 1)))
        return backoff * random.uniform(0.5, 1.0)
