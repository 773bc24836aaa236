"""One HTTP exchange: the request, timeouts, decoding the answer into a result or a ``GraphError``,
scrubbing secrets from messages, and the hooks (journal, usage, token state)."""

from __future__ import annotations

import json
import logging
import re
import time
from collections.abc import Callable, Mapping
from typing import Any

import requests

from graph.client.encoding import MASK, encode_params, json_body, masked_params, strip_secret_query
from graph.client.results import CallRecord
from graph.errors import GraphError, RateLimited, TokenInvalid, Transient, classify
from graph.usage import parse_usage_headers, rate_limit_wait

log = logging.getLogger(__name__)

_QUERY_IN_TEXT = re.compile(r"\?[^\s'\")]*")

Hook = Callable[..., Any]


class Transport:
    """The HTTP half of ``GraphClient``: attributes are set by ``GraphClient.__init__``."""

    base_url: str
    timeout: tuple[float, float]
    session: requests.Session
    on_call: Hook | None
    on_usage: Hook | None
    on_token_invalid: Hook | None
    on_success: Hook | None
    _token: str
    _proof: str
    _app_secret: str

    def _scrub(self, text: str) -> str:
        """Remove the secrets this client knows (and any query string) from a message."""
        text = _QUERY_IN_TEXT.sub("?…", text)
        for secret in (self._token, self._proof, self._app_secret):
            if secret:
                text = text.replace(secret, MASK)
        return text

    def _scrub_obj(self, value: Any) -> Any:
        if isinstance(value, str):
            for secret in (self._token, self._proof, self._app_secret):
                if secret:
                    value = value.replace(secret, MASK)
            return value
        if isinstance(value, Mapping):
            return {k: self._scrub_obj(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self._scrub_obj(v) for v in value]
        return value

    def _hook(self, hook: Hook | None, *args: Any) -> None:
        if hook is None:
            return
        try:
            hook(*args)
        except Exception:  # the journal or a status update must never break the call itself
            log.warning("graph client hook %s failed", getattr(hook, "__name__", hook), exc_info=True)

    def _attempt(self, method: str, path: str, version: str, params: dict, attempt: int, *,
                 removed_hint: bool, body: str = "form") -> Any:
        """One HTTP exchange. Returns the decoded answer or (not raises) a GraphError.

        A POST sends its parameters as form fields, or with ``body="json"`` as one JSON object
        (``Content-Type: application/json``): no percent-encoding of a large JSON value."""
        url = f"{self.base_url}/{version}/{path}"
        headers = {"Authorization": f"Bearer {self._token}"} if self._token else {}
        if body == "json" and method == "POST":
            payload_kw = {"data": json_body({**params, "appsecret_proof": self._proof or None})}
            headers["Content-Type"] = "application/json"
        else:
            send = encode_params(params)
            if self._proof:
                send["appsecret_proof"] = self._proof
            payload_kw = {"params": send} if method in ("GET", "DELETE") else {"data": send}

        started = time.monotonic()
        response = None
        result: Any = None
        try:
            response = self.session.request(
                method, url, headers=headers, timeout=self.timeout, allow_redirects=False, **payload_kw
            )
        except requests.ConnectTimeout:
            result = Transient(f"Could not connect to Meta within {self.timeout[0]} s.")
        except requests.ReadTimeout:
            result = Transient(f"Meta did not answer within {self.timeout[1]} s.")
        except requests.RequestException as exc:
            result = Transient(self._scrub(f"The connection to Meta failed ({type(exc).__name__}: {exc})."))
        duration_ms = int((time.monotonic() - started) * 1000)

        usage: dict = {}
        if response is not None:
            usage = parse_usage_headers(response.headers)
            if usage:
                self._hook(self.on_usage, usage)
            result = self._decode(response, usage, removed_hint)

        error = result if isinstance(result, GraphError) else None
        # Meta's trace id: in the error envelope, and on every answer as a header.
        trace = response.headers.get("x-fb-trace-id", "") if response is not None else ""
        if error is not None and not error.fbtrace_id:
            error.fbtrace_id = trace
        record = CallRecord(
            method=method,
            path=path,
            version=version,
            params=masked_params(params),
            attempt=attempt,
            status=response.status_code if response is not None else None,
            duration_ms=duration_ms,
            error=error,
            fbtrace_id=(error.fbtrace_id if error is not None else trace)[:64],
        )
        self._hook(self.on_call, record)
        if error is None:
            log.debug("graph %s %s %s -> %s in %d ms", method, version, path, record.status, duration_ms)
            self._hook(self.on_success)
        else:
            log.warning(
                "graph %s %s %s -> %s %s in %d ms (attempt %d): %s",
                method, version, path, record.status, type(error).__name__, duration_ms, attempt, error,
            )
            if isinstance(error, TokenInvalid):
                self._hook(self.on_token_invalid, error)
        return result

    def _decode(self, response: requests.Response, usage: dict, removed_hint: bool) -> Any:
        status = response.status_code
        if 300 <= status < 400:
            return GraphError(f"Meta answered with a redirect (HTTP {status}); redirects are not followed.",
                              http_status=status)
        try:
            payload = json.loads(response.content) if response.content else None
        except ValueError:
            payload = None
            if 200 <= status < 300:
                return Transient(f"Meta's answer (HTTP {status}) is not valid JSON.", http_status=status)
        if 200 <= status < 300:
            if payload is None:
                return Transient(f"Meta's answer (HTTP {status}) was empty.", http_status=status)
            if not (isinstance(payload, Mapping) and isinstance(payload.get("error"), Mapping)):
                return self._clean_paging(payload)
        error = classify(status, self._scrub_obj(payload), removed_hint=removed_hint)
        if isinstance(error, RateLimited):
            error.retry_after = rate_limit_wait(usage, error.buc_type, error.error_data)
        return error

    @staticmethod
    def _clean_paging(payload: Any) -> Any:
        # Meta's paging URLs carry the access token; callers may store raw pages.
        if isinstance(payload, dict) and isinstance(payload.get("paging"), dict):
            paging = dict(payload["paging"])
            for key in ("next", "previous"):
                if isinstance(paging.get(key), str):
                    paging[key] = strip_secret_query(paging[key])
            payload = {**payload, "paging": paging}
        return payload
