"""Typed errors for Graph API calls, classified once from Meta's error envelope.

Meta answers errors as ``{"error": {"message", "type", "code", "error_subcode", "is_transient",
"error_user_title", "error_user_msg", "error_data", "fbtrace_id"}}``; clients must switch on
``code`` (and ``error_subcode``), not on the HTTP status. ``classify()`` turns one answer into one
exception; the retry loop in ``graph.client.retry`` only looks at ``permanent``.

No exception here ever holds an access token or an ``appsecret_proof``: the client scrubs the
secrets it knows from every message before it builds an error.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from django.utils.translation import gettext_lazy as _

# Throttling codes: platform (4 app, 17 user, 32 page, 613 custom, 341 app limit) and the
# business-use-case throttles 80000-80014 (80009 catalog management, 80014 catalog batch).
RATE_LIMIT_CODES = frozenset({4, 17, 32, 341, 613, *range(80000, 80015)})
TOKEN_INVALID_CODES = frozenset({102, 190})
PERMISSION_CODES = frozenset({10, *range(200, 300)})
TRANSIENT_CODES = frozenset({1, 2, 2361081})  # 2361081: WooCommerce retries it on every order call
DEPRECATED_CODES = frozenset({12, 2635})
NOT_FOUND_CODES = frozenset({803})

# Business-use-case type that each BUC throttle code belongs to (Meta's rate-limiting docs).
BUC_TYPE_BY_CODE = {
    80000: "ads_insights",
    80001: "pages",
    80002: "instagram",
    80003: "custom_audience",
    80004: "ads_management",
    80005: "leadgen",
    80006: "messenger",
    80008: "whatsapp_business_management",
    80009: "catalog_management",
    80014: "catalog_batch",
}


class GraphError(Exception):
    """Any failed Graph call. ``permanent`` errors are never retried."""

    permanent = True
    #: Shown to a seller when Meta sent no ``error_user_msg``.
    default_user_message = _("Meta could not complete the request.")

    def __init__(
        self,
        message: str,
        *,
        code: int | None = None,
        subcode: int | None = None,
        http_status: int | None = None,
        error_type: str = "",
        is_transient: bool = False,
        user_title: str = "",
        user_msg: str = "",
        fbtrace_id: str = "",
        error_data: Any = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.subcode = subcode
        self.http_status = http_status
        self.error_type = error_type
        self.is_transient = is_transient
        self.user_title = user_title
        self.user_msg = user_msg
        self.fbtrace_id = fbtrace_id
        self.error_data = error_data

    def __str__(self) -> str:
        details = []
        if self.code is not None:
            details.append(f"code {self.code}" + (f"/{self.subcode}" if self.subcode is not None else ""))
        if self.fbtrace_id:
            details.append(f"fbtrace_id {self.fbtrace_id}")
        return f"{self.message} [{', '.join(details)}]" if details else self.message

    def __repr__(self) -> str:
        return f"{type(self).__name__}({str(self)!r})"

    @property
    def user_message(self) -> str:
        """What a seller may read: Meta's ``error_user_msg`` when given, else a plain sentence."""
        return self.user_msg or str(self.default_user_message)

    @property
    def blame_fields(self) -> list:
        """``error_data.blame_field_specs`` when Meta names the offending fields."""
        if isinstance(self.error_data, Mapping):
            specs = self.error_data.get("blame_field_specs")
            if isinstance(specs, list):
                return specs
        return []


class TokenInvalid(GraphError):
    """The access token is expired, revoked or otherwise unusable (190 and its subcodes, 102)."""

    default_user_message = _("The connection to Meta has expired. Please reconnect the shop.")


class PermissionDenied(GraphError):
    """The token lacks a permission for this object or edge (10, 200-299)."""

    default_user_message = _("Meta refused the request: a permission is missing. Please reconnect the shop.")


class RateLimited(GraphError):
    """Meta throttles us (4, 17, 32, 341, 613, 80000-80014). ``retry_after`` is in seconds."""

    permanent = False
    default_user_message = _("Meta asked us to slow down. We will try again shortly.")

    def __init__(self, message: str, *, retry_after: float | None = None, buc_type: str = "", **kwargs) -> None:
        super().__init__(message, **kwargs)
        self.retry_after = retry_after
        self.buc_type = buc_type


class Transient(GraphError):
    """A temporary failure (1, 2, ``is_transient``, 5xx, timeouts, dropped or garbled answers)."""

    permanent = False
    default_user_message = _("Meta is temporarily unavailable. We will try again.")


class InvalidParameter(GraphError):
    """Meta rejected a parameter (100 and its subcodes); needs a fix, not a retry."""

    default_user_message = _("Meta rejected the data we sent.")


class NotFound(GraphError):
    """The object does not exist or is not visible to this token (803, 100/33)."""

    default_user_message = _("Meta could not find this object.")


class Deprecated(GraphError):
    """The endpoint is deprecated for this API version (12, 2635)."""

    default_user_message = _("Meta no longer offers this function in the API version we use.")


class Removed(Deprecated):
    """The endpoint no longer exists in any version (Meta's Order Management API after its removal)."""

    default_user_message = _("Meta has removed this function.")


class NotConnected(GraphError):
    """Raised before any call when a shop has no usable Meta connection (no token)."""

    default_user_message = _("The shop is not connected to Meta yet.")


def _as_int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _parse_error_data(value: Any) -> Any:
    # Meta sends error_data either as an object or as a JSON-encoded string.
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def _error_class(code: int | None, subcode: int | None, is_transient: bool, http_status: int | None,
                 message: str, removed_hint: bool) -> type[GraphError]:
    if code in TOKEN_INVALID_CODES:
        return TokenInvalid
    if code in RATE_LIMIT_CODES:
        return RateLimited
    if code in DEPRECATED_CODES:
        # "deprecated for versions v26.0 and higher" can be fixed by calling an older version;
        # "removed" (from every version) cannot.
        return Removed if "removed" in message.lower() else Deprecated
    if code in TRANSIENT_CODES or is_transient:
        return Transient
    if code in PERMISSION_CODES:
        return PermissionDenied
    if code in NOT_FOUND_CODES or (code == 100 and subcode == 33):
        return NotFound
    if code == 100:
        # A removed edge answers "(#100) Tried accessing nonexisting field (commerce_orders) ...".
        if removed_hint and "nonexisting field" in message.lower():
            return Removed
        return InvalidParameter
    if http_status is not None and http_status >= 500:
        return Transient
    if http_status == 429:
        return RateLimited
    return GraphError


def classify(
    http_status: int | None,
    payload: Any,
    *,
    retry_after: float | None = None,
    buc_type: str = "",
    removed_hint: bool = False,
) -> GraphError:
    """Build the typed error for one non-successful answer.

    ``payload`` is the decoded JSON body (or None when there was none); ``retry_after`` is the
    wait the caller read from the usage headers, attached to RateLimited. ``removed_hint`` marks
    calls to endpoints Meta is known to remove (orders), so that "(#100) Tried accessing
    nonexisting field" becomes ``Removed``; code 12 is ``Removed`` when Meta says "removed" and
    ``Deprecated`` when only this version is blocked.
    """
    envelope = payload.get("error") if isinstance(payload, Mapping) else None
    if not isinstance(envelope, Mapping):
        cls = _error_class(None, None, False, http_status, "", removed_hint)
        if http_status is not None and http_status >= 500:
            message = f"Meta answered HTTP {http_status}."
        else:
            message = f"Meta answered HTTP {http_status} without an error description."
        kwargs: dict[str, Any] = {"http_status": http_status}
        if cls is RateLimited:
            kwargs.update(retry_after=retry_after, buc_type=buc_type)
        return cls(message, **kwargs)

    code = _as_int(envelope.get("code"))
    subcode = _as_int(envelope.get("error_subcode"))
    is_transient = envelope.get("is_transient") is True
    message = str(envelope.get("message") or "") or f"Graph error {code}"
    cls = _error_class(code, subcode, is_transient, http_status, message, removed_hint)
    kwargs = {
        "code": code,
        "subcode": subcode,
        "http_status": http_status,
        "error_type": str(envelope.get("type") or ""),
        "is_transient": is_transient,
        "user_title": str(envelope.get("error_user_title") or ""),
        "user_msg": str(envelope.get("error_user_msg") or ""),
        "fbtrace_id": str(envelope.get("fbtrace_id") or ""),
        "error_data": _parse_error_data(envelope.get("error_data")),
    }
    if cls is RateLimited:
        kwargs.update(retry_after=retry_after, buc_type=buc_type or BUC_TYPE_BY_CODE.get(code or 0, ""))
    return cls(message, **kwargs)


# --- what a seller reads about a failure --------------------------------------------------------

#: Transient failures where no answer came at all (graph/client/transport.py words them so).
_NO_ANSWER = ("could not connect to meta", "meta did not answer within", "the connection to meta failed",
              "connectionerror", "timeout")

_KIND_BY_CLASS = {
    "TokenInvalid": "token", "PermissionDenied": "permission", "RateLimited": "throttle", "Transient": "transient",
    "InvalidParameter": "validation", "NotFound": "not_found", "Deprecated": "removed", "Removed": "removed",
    "NotConnected": "not_connected", "GraphError": "meta", "Deferred": "throttle",
    "ConnectionError": "connection", "ConnectTimeout": "connection", "ReadTimeout": "connection",
    "Timeout": "connection",
}

#: kind → "what happened. What happens next." (translated when shown)
FAILURE_SENTENCES = {
    "connection": _("We could not reach Meta (no answer came back). We will try again automatically; "
                    "you do not need to do anything."),
    "transient": _("Meta had a temporary problem. We will try again automatically; you do not need to do anything."),
    "throttle": _("Meta asked us to slow down. The sync carries on by itself as soon as Meta allows it."),
    "token": _("The connection to Meta has expired. Reconnect the shop in Settings; syncing resumes after that."),
    "permission": _("Meta refused because the shop's connection lacks a permission. Reconnect the shop and "
                    "grant every permission asked for; syncing resumes after that."),
    "validation": _("Meta refused the data we sent. The next sync tries again; if this keeps happening, "
                    "contact support."),
    "not_found": _("Meta could not find the shop's catalog. Check the connection in Settings and reconnect if "
                   "the catalog was removed at Meta."),
    "removed": _("Meta no longer offers a function this sync uses. The next sync tries again; if this keeps "
                 "happening, contact support."),
    "not_connected": _("The shop is not connected to Meta. Connect it in Settings; syncing starts after that."),
    "meta": _("Meta could not complete the request. The next sync tries again; if this keeps happening, "
              "contact support."),
    "unexpected": _("The sync stopped on an unexpected error. The next sync tries again; if this keeps "
                    "happening, contact support."),
}


def failure_kind(error: BaseException | str) -> str:
    """The kind of a failure, one of FAILURE_SENTENCES: from the exception, or from the text a job
    stored for it ("ClassName: message", as catalog/sync/run.py writes it)."""
    if isinstance(error, BaseException):
        name = next((c.__name__ for c in type(error).__mro__ if c.__name__ in _KIND_BY_CLASS), "")
        message = str(error)
        no_answer = isinstance(error, Transient) and error.http_status is None and error.code is None
    else:
        head, sep, message = str(error).partition(":")
        name = head.strip() if sep and head.strip().isidentifier() else ""
        message = message if name else str(error)
        no_answer = name == "Transient" and any(p in message.lower() for p in _NO_ANSWER)
    kind = _KIND_BY_CLASS.get(name, "unexpected")
    if kind == "transient" and no_answer:
        return "connection"
    return kind


def seller_failure(error: BaseException | str) -> str:
    """One sentence for the seller, in their language: what happened and what happens next. The
    raw detail (exception text, Meta's message) is for staff: the admin and the logs."""
    if not error:
        return ""
    return str(FAILURE_SENTENCES[failure_kind(error)])
