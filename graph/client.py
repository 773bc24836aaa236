"""The Graph API client: the one place where the portal speaks HTTP to Meta (or its sandbox).

It knows HTTP and Graph conventions, not our models (STYLE §7). Whatever must touch the
database (the call journal, usage figures, the connection's health) is passed in as hooks;
``shops.graph`` wires them to our models.

* Every call: API version in the path, ``appsecret_proof``, connect and read timeouts, no
  redirects, one pooled ``requests.Session`` per process.
* The token travels in the ``Authorization`` header, never in a URL, so it cannot leak through a
  logged URL or a ``requests`` exception message; every message we build is scrubbed of the
  token and the proof anyway.
* Parameters are encoded as Meta's SDKs do: query string for GET/DELETE, form fields for POST,
  nested values JSON-encoded.
* Errors become the typed exceptions of ``graph.errors``. Reads, and writes that are idempotent
  (an ``idempotency_key`` parameter, or ``idempotent=True`` for upserts), are retried on
  transient and rate-limit errors with capped exponential backoff and jitter. Nothing else is
  retried: a plain write gets exactly one attempt, even when it timed out.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
import random
import re
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import requests
from requests.adapters import HTTPAdapter

from graph.errors import GraphError, RateLimited, TokenInvalid, Transient, classify
from graph.usage import DEFAULT_RATE_LIMIT_WAIT, parse_usage_headers, rate_limit_wait

log = logging.getLogger(__name__)

GRAPH_URL = "https://graph.facebook.com"
DEFAULT_VERSION = "v26.0"
DEFAULT_ORDERS_VERSION = "v25.0"

#: Parameters whose values are secrets: masked in the journal, dropped from paging URLs.
SECRET_PARAMS = frozenset({
    "access_token", "appsecret_proof", "client_secret", "input_token", "fb_exchange_token", "code",
    "merchant_access_token", "password",
})
MASK = "***"
_JOURNAL_VALUE_LIMIT = 200
_VERSION_RE = re.compile(r"^v\d+\.\d+$")
_QUERY_IN_TEXT = re.compile(r"\?[^\s'\")]*")

# --- the shared session ---------------------------------------------------------------------

_session_lock = threading.Lock()
_session: requests.Session | None = None
_session_pid: int | None = None


def shared_session() -> requests.Session:
    """One pooled session per process (re-created after a fork, e.g. in a django-q2 worker)."""
    global _session, _session_pid
    with _session_lock:
        if _session is None or _session_pid != os.getpid():
            session = requests.Session()
            # Retries are ours (they depend on the Graph error), never urllib3's.
            adapter = HTTPAdapter(pool_connections=8, pool_maxsize=32, max_retries=0)
            session.mount("https://", adapter)
            session.mount("http://", adapter)
            session.headers.update({"User-Agent": "seller-portal-graph-client/1", "Accept": "application/json"})
            _session, _session_pid = session, os.getpid()
        return _session


# --- values passed to hooks and returned by typed methods -------------------------------------


@dataclass(frozen=True)
class CallRecord:
    """One call attempt, for the journal. Holds no secret: params are masked, path unversioned."""

    method: str
    path: str
    version: str
    params: dict
    attempt: int
    status: int | None
    duration_ms: int
    error: GraphError | None = None
    fbtrace_id: str = ""

    @property
    def is_retry(self) -> bool:
        return self.attempt > 1


@dataclass(frozen=True)
class TokenInfo:
    """``GET /debug_token`` → ``data``."""

    is_valid: bool
    app_id: str = ""
    type: str = ""
    application: str = ""
    user_id: str = ""
    expires_at: datetime | None = None
    data_access_expires_at: datetime | None = None
    scopes: list[str] = field(default_factory=list)
    error: dict = field(default_factory=dict)
    raw: dict = field(default_factory=dict, repr=False)


class _SecretStr(str):
    def __repr__(self) -> str:
        return "'***'"


@dataclass(frozen=True)
class AccessToken:
    """``GET /oauth/access_token`` → a token; its repr never shows the value."""

    access_token: str = field(repr=False)
    token_type: str = ""
    expires_in: int | None = None


@dataclass(frozen=True)
class FbeInstall:
    """One entry of ``GET /fbe_business/fbe_installs``."""

    business_manager_id: str = ""
    catalog_id: str = ""
    pixel_id: str = ""
    commerce_merchant_settings_id: str = ""
    pages: list[str] = field(default_factory=list)
    profiles: list[str] = field(default_factory=list)
    instagram_profiles: list[str] = field(default_factory=list)
    ad_account_id: str = ""
    token_type: str = ""
    onsite_eligible: bool = False
    commerce_partner_integration_id: str = ""
    installed_features: list[dict] = field(default_factory=list)
    raw: dict = field(default_factory=dict, repr=False)

    @property
    def page_id(self) -> str:
        return self.pages[0] if self.pages else ""

    @property
    def feature_types(self) -> list[str]:
        return [f.get("feature_type", "") for f in self.installed_features if isinstance(f, Mapping)]

    @classmethod
    def from_graph(cls, data: Mapping) -> FbeInstall:
        features = [f for f in data.get("installed_features") or [] if isinstance(f, Mapping)]
        pixel_id = str(data.get("pixel_id") or "")
        # The top-level pixel_id can be stale; the pixel feature's asset is the current one.
        for feature in features:
            if feature.get("feature_type") == "pixel":
                pixel_id = str((feature.get("connected_assets") or {}).get("pixel_id") or pixel_id)
        ad_account = str(data.get("ad_account_id") or "")
        return cls(
            business_manager_id=str(data.get("business_manager_id") or ""),
            catalog_id=str(data.get("catalog_id") or ""),
            pixel_id=pixel_id,
            commerce_merchant_settings_id=str(data.get("commerce_merchant_settings_id") or ""),
            pages=[str(p) for p in data.get("pages") or []],
            profiles=[str(p) for p in data.get("profiles") or []],
            instagram_profiles=[str(p) for p in data.get("instagram_profiles") or []],
            ad_account_id="" if ad_account == "0" else ad_account,
            token_type=str(data.get("token_type") or ""),
            onsite_eligible=bool(data.get("onsite_eligible")),
            commerce_partner_integration_id=str(data.get("commerce_partner_integration_id") or ""),
            installed_features=[dict(f) for f in features],
            raw=dict(data),
        )


def _timestamp(value: Any) -> datetime | None:
    try:
        seconds = int(value)
    except (TypeError, ValueError):
        return None
    # Meta uses 0 for "never expires".
    return datetime.fromtimestamp(seconds, tz=UTC) if seconds > 0 else None


# --- encoding -------------------------------------------------------------------------------


def encode_value(value: Any) -> str:
    """One parameter value as Meta's SDKs send it: nested values as JSON, booleans lower-case."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Mapping | list | tuple):
        return json.dumps(value, separators=(",", ":"), default=_json_default)
    return str(value)


def _json_default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def encode_params(params: Mapping[str, Any]) -> dict[str, str]:
    """All parameters encoded; None values are left out."""
    return {str(k): encode_value(v) for k, v in params.items() if v is not None}


def fields_param(fields: str | list | tuple) -> str:
    return fields if isinstance(fields, str) else ",".join(str(f) for f in fields)


def appsecret_proof(token: str, app_secret: str) -> str:
    return hmac.new(app_secret.encode(), token.encode(), hashlib.sha256).hexdigest()


def masked_params(params: Mapping[str, Any]) -> dict[str, str]:
    """Parameters as the journal keeps them: secrets masked, long values cut."""
    out = {}
    for key, value in params.items():
        if key in SECRET_PARAMS:
            out[key] = MASK
            continue
        text = encode_value(value) if value is not None else ""
        out[key] = text if len(text) <= _JOURNAL_VALUE_LIMIT else text[:_JOURNAL_VALUE_LIMIT] + "…"
    return out


def strip_secret_query(url: str) -> str:
    """A URL (e.g. Meta's ``paging.next``) without secret query parameters."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return ""
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k not in SECRET_PARAMS]
    return urlunsplit(parts._replace(query=urlencode(query)))


# --- the client -----------------------------------------------------------------------------

Hook = Callable[..., Any]


class GraphClient:
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
        return self.request("POST", path, params, **options)

    def delete(self, path: str, params: Mapping | None = None, **options: Any) -> Any:
        return self.request("DELETE", path, params, **options)

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
    ) -> Any:
        """Call Graph and return the decoded JSON answer, or raise a ``GraphError``.

        ``orders=True`` (or ``version="orders"``) uses the order API's version. ``idempotent``
        marks an upsert-like write as safe to retry; a write carrying ``idempotency_key`` is
        retried too. ``retry`` forces the choice. ``max_wait`` caps the seconds this call may
        spend sleeping between attempts (default: the client's ``max_wait``); a rate-limit wait
        longer than what is left raises ``RateLimited`` with ``retry_after`` instead.
        """
        method = method.upper()
        if method not in ("GET", "POST", "DELETE"):
            raise ValueError(f"unsupported method {method}")
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
            result = self._attempt(method, path, api_version, params, attempt, removed_hint=orders)
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
            self.sleep(delay)
            waited += delay

    def iter_pages(
        self,
        path: str,
        params: Mapping | None = None,
        *,
        limit: int | None = None,
        max_pages: int | None = None,
        **options: Any,
    ) -> Iterator[dict]:
        """Each page (``{"data": [...], "paging": {...}}``) of a cursor-paginated edge.

        Follows ``paging.cursors.after`` while ``paging.next`` is present (the only reliable
        end-of-list signal); when a page has ``next`` but no cursor, the query of ``next``
        (without its secrets) is reused on the same path, never its host.
        """
        params = dict(params or {})
        if limit is not None:
            params["limit"] = limit
        pages = 0
        seen_after: set[str] = set()
        while True:
            page = self.get(path, params, **options)
            if not isinstance(page, Mapping):
                raise Transient("Meta answered a list request with something that is not a page.")
            yield page
            pages += 1
            paging = page.get("paging") or {}
            next_url = paging.get("next")
            if not next_url or (max_pages is not None and pages >= max_pages):
                return
            after = (paging.get("cursors") or {}).get("after")
            if after:
                if after in seen_after:  # a server repeating itself must not loop us forever
                    return
                seen_after.add(after)
                params = {k: v for k, v in params.items() if k != "before"} | {"after": after}
                continue
            query = dict(parse_qsl(urlsplit(next_url).query))
            query = {k: v for k, v in query.items() if k not in SECRET_PARAMS}
            if not query or query == {k: encode_value(v) for k, v in params.items()}:
                return
            params = query

    def paginate(self, path: str, params: Mapping | None = None, **options: Any) -> Iterator[Any]:
        """Each item of ``data`` over all pages (see ``iter_pages``)."""
        for page in self.iter_pages(path, params, **options):
            yield from page.get("data") or []

    # --- typed convenience methods --------------------------------------------------------

    def me(self, fields: str | list | tuple = ("id", "name")) -> dict:
        return self.get("me", fields=fields)

    def debug_token(self, input_token: str) -> TokenInfo:
        """Inspect a token; call it with the app client (``app_id|app_secret``)."""
        data = (self.get("debug_token", {"input_token": input_token}) or {}).get("data") or {}
        return TokenInfo(
            is_valid=bool(data.get("is_valid")),
            app_id=str(data.get("app_id") or ""),
            type=str(data.get("type") or ""),
            application=str(data.get("application") or ""),
            user_id=str(data.get("user_id") or ""),
            expires_at=_timestamp(data.get("expires_at")),
            data_access_expires_at=_timestamp(data.get("data_access_expires_at")),
            scopes=[str(s) for s in data.get("scopes") or []],
            error=dict(data.get("error") or {}),
            raw=dict(data),
        )

    def exchange_code(self, code: str, redirect_uri: str) -> AccessToken:
        """Trade an OAuth ``code`` for an access token. Never retried: a code works once."""
        data = self.get(
            "oauth/access_token",
            {"client_id": self.app_id, "client_secret": self._app_secret, "redirect_uri": redirect_uri, "code": code},
            retry=False,
        )
        expires_in = data.get("expires_in")
        return AccessToken(
            access_token=_SecretStr(data.get("access_token") or ""),
            token_type=str(data.get("token_type") or ""),
            expires_in=int(expires_in) if str(expires_in or "").isdigit() else None,
        )

    def get_fbe_installs(self, external_business_id: str) -> list[FbeInstall]:
        data = self.get("fbe_business/fbe_installs", {"fbe_external_business_id": external_business_id})
        return [FbeInstall.from_graph(item) for item in (data or {}).get("data") or [] if isinstance(item, Mapping)]

    def delete_fbe_installs(self, external_business_id: str) -> bool:
        data = self.delete("fbe_business/fbe_installs", {"fbe_external_business_id": external_business_id})
        return bool(isinstance(data, Mapping) and data.get("success"))

    # --- internals ------------------------------------------------------------------------

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
                 removed_hint: bool) -> Any:
        """One HTTP exchange. Returns the decoded answer or (not raises) a GraphError."""
        url = f"{self.base_url}/{version}/{path}"
        send = encode_params(params)
        if self._proof:
            send["appsecret_proof"] = self._proof
        headers = {"Authorization": f"Bearer {self._token}"} if self._token else {}
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
