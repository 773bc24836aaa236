"""Parameters as Meta's SDKs encode them (form fields, or one JSON body), the journal's masking, paging
URLs without secrets, the proof."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

#: Parameters whose values are secrets: masked in the journal, dropped from paging URLs.
SECRET_PARAMS = frozenset({
    "access_token", "appsecret_proof", "client_secret", "input_token", "fb_exchange_token", "code",
    "merchant_access_token", "password",
})
MASK = "***"
_JOURNAL_VALUE_LIMIT = 200


class RawJSON(str):
    """A parameter value that is JSON text already (e.g. the records of an items_batch call, each
    encoded once as it was built): sent as that text in a form field, and spliced in verbatim,
    typed, in a JSON body, instead of being decoded and encoded again."""


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


def json_body(params: Mapping[str, Any]) -> bytes:
    """All parameters as one JSON object (the body of a ``Content-Type: application/json`` POST):
    values keep their JSON types (``true``, numbers, nested arrays and objects), ``RawJSON``
    values go in as they are, None values are left out. Graph reads a JSON body as it reads form
    fields (see ``GraphClient.post``)."""
    parts = []
    for key, value in params.items():
        if value is None:
            continue
        text = value if isinstance(value, RawJSON) else json.dumps(value, separators=(",", ":"), ensure_ascii=False,
                                                                    default=_json_default)
        parts.append(f"{json.dumps(str(key))}:{text}")
    return ("{" + ",".join(parts) + "}").encode()


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
