"""The request journal: what the sandbox received, with every secret masked.

Masked: the values of `access_token`, `appsecret_proof`, `client_secret`, `code`,
`input_token`, `fb_exchange_token` (at any depth, as keys and inside strings such as a batch
operation's `relative_url` or `body`), the Authorization header and any `Bearer`/`OAuth`
credential, the app secret wherever it appears, and anything that looks like a Graph token
(`EAA` followed by ten or more token characters) inside other strings. The sandbox masks with
its own rules (`redact`), not the portal's log filter.
"""

from __future__ import annotations

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
    text = redact(text)
    secret = settings.META_APP_SECRET
    if secret and secret in text:
        text = text.replace(secret, MASK)
    if len(text) > _MAX_STRING:
        text = f"{text[:_MAX_STRING]}…({len(text)} chars)"
    return text


def record(*, method: str, path: str, version: str, params: dict, headers: dict, status: int | None,
           error=None, fault=None, business_id: str = "", buc_type: str = "", token_kind: str = "",
           duration_ms: int = 0, fbtrace_id: str = "") -> RequestLog:
    return RequestLog.objects.create(
        created=timezone.now(), method=method, path=path[:500], version=version, params=mask(params),
        headers=mask(headers), status=status,
        error_code=getattr(error, "code", None), error_subcode=getattr(error, "subcode", None),
        fault=fault.kind if fault else "", fault_id=fault.pk if fault else None,
        business_id=business_id or "", buc_type=buc_type or "", token_kind=token_kind or "",
        duration_ms=max(0, int(duration_ms)), fbtrace_id=fbtrace_id,
    )


def prune(*, keep_seconds: int) -> int:
    deleted, _ = RequestLog.objects.filter(created__lt=timezone.now() - timedelta(seconds=keep_seconds)).delete()
    return deleted
