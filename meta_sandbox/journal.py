"""The request journal: what the sandbox received, with every secret masked.

Masked: the values of `access_token`, `appsecret_proof`, `client_secret`, `code`,
`input_token`, `fb_exchange_token` (at any depth, as keys and inside strings such as a batch
operation's `relative_url` or `body`), the Authorization header and any `Bearer`/`OAuth`
credential, the app secret wherever it appears, and anything that looks like a Graph token
(`EAA` followed by ten or more token characters) inside other strings. The sandbox masks with
its own rules (`redact`), not the portal's log filter.
"""

from __future__ import annotations

import json
import re
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.utils import timezone

from .models import RequestLog

SECRET_KEYS = frozenset({"access_token", "appsecret_proof", "client_secret", "code", "input_token",
                         "fb_exchange_token", "authorization", "password", "merchant_access_token"})
MASK = "***"
#: Secret parameters inside text: `name=value` (query strings, form bodies) and `"name": "value"` (JSON).
_SECRET_PARAMS = "access_token|appsecret_proof|client_secret|code|input_token|fb_exchange_token"
_SECRET_PATTERNS = (
    re.compile(rf"(?<![A-Za-z0-9])((?:{_SECRET_PARAMS})=)[^&\s\"']+"),
    re.compile(rf"((?<![A-Za-z0-9])[\"']?(?:{_SECRET_PARAMS})[\"']?\s*:\s*[\"'])[^\"']+"),
    re.compile(r"((?:Bearer|OAuth)\s+)[^\s\"',]+", re.IGNORECASE),
    re.compile(r"()EAA[A-Za-z0-9_\-]{10,}"),  # Meta's user/page/system-user tokens, and the sandbox's
)
_MAX_STRING = 2000
#: Characters past the cut that are masked too, so a secret cut in half is still masked.
_MASK_MARGIN = 1024
#: The journal keeps a day of calls (or the usage window if longer), pruned every 500 calls.
RETENTION_SECONDS = 86400
PRUNE_EVERY = 500


def mask(value: Any, key: str | None = None) -> Any:
    if key is not None and key.lower() in SECRET_KEYS:
        return MASK
    if isinstance(value, dict):
        return {k: mask(v, str(k)) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [mask(v) for v in value]
    if isinstance(value, str):
        return mask_text(value)
    if value is None or isinstance(value, (bool, int, float)):
        return value
    return f"<{type(value).__name__}>"  # e.g. an uploaded file


def redact(text: str) -> str:
    """`text` with every secret parameter, credential and token-looking string masked."""
    for pattern in _SECRET_PATTERNS:
        text = pattern.sub(rf"\1{MASK}", text)
    return text


def mask_text(text: str) -> str:
    size = len(text)
    if size > _MAX_STRING:
        # Only the head is kept: mask that (with room for a secret that starts inside it) rather
        # than run every pattern over megabytes (an items_batch `requests` of 28 MB).
        text = text[:_MAX_STRING + _MASK_MARGIN]
    text = redact(text)
    secret = settings.META_APP_SECRET
    if secret and secret in text:
        text = text.replace(secret, MASK)
    if size > _MAX_STRING:
        text = f"{text[:_MAX_STRING]}…({size} chars)"
    return text


def mask_params(params: dict) -> dict:
    """A call's parameters as the journal keeps them. A nested value too long to keep whole (the
    records of an items_batch sent as a JSON body) is kept as its JSON text, cut like a long
    string: what the journal shows of the same call sent form-encoded, without masking thousands
    of values one by one."""
    out = {}
    for key, value in params.items():
        if isinstance(value, (dict, list)) and str(key).lower() not in SECRET_KEYS:
            head = _json_head(value)
            if head is not None:
                out[key] = head
                continue
        out[key] = mask(value, str(key))
    return out


def _json_head(value) -> str | None:
    """The masked, cut JSON text of a nested value too long to keep whole, or None if it fits.
    A list is encoded item by item only as far as the journal keeps (not 5,000 records)."""
    keep = _MAX_STRING + _MASK_MARGIN
    if isinstance(value, dict):
        text = json.dumps(value, separators=(",", ":"), ensure_ascii=False, default=str)
        return mask_text(text) if len(text) > _MAX_STRING else None
    parts, size = [], 1
    for item in value:
        parts.append(json.dumps(item, separators=(",", ":"), ensure_ascii=False, default=str))
        size += len(parts[-1]) + 1
        if size > keep:
            break
    if size <= _MAX_STRING:
        return None
    text = redact("[" + ",".join(parts))
    secret = settings.META_APP_SECRET
    if secret and secret in text:
        text = text.replace(secret, MASK)
    return f"{text[:_MAX_STRING]}…({len(value)} items)"


def record(*, method: str, path: str, version: str, params: dict, headers: dict, status: int | None,
           error=None, fault=None, business_id: str = "", buc_type: str = "", token_kind: str = "",
           duration_ms: int = 0, fbtrace_id: str = "") -> RequestLog:
    return RequestLog.objects.create(
        created=timezone.now(), method=method, path=path[:500], version=version, params=mask_params(params),
        headers=mask(headers), status=status,
        error_code=getattr(error, "code", None), error_subcode=getattr(error, "subcode", None),
        fault=fault.kind if fault else "", fault_id=fault.pk if fault else None,
        business_id=business_id or "", buc_type=buc_type or "", token_kind=token_kind or "",
        duration_ms=max(0, int(duration_ms)), fbtrace_id=fbtrace_id,
    )


def prune(*, keep_seconds: int) -> int:
    deleted, _ = RequestLog.objects.filter(created__lt=timezone.now() - timedelta(seconds=keep_seconds)).delete()
    return deleted
