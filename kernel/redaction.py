"""Log filter that removes access tokens and app-secret proofs from every log record."""

from __future__ import annotations

import logging
import re

# Graph tokens start with EAA; the sandbox issues tokens with the same prefix. Query or form
# parameters named like secrets are masked whatever their value looks like.
_PATTERNS = [
    re.compile(r"((?:access_token|appsecret_proof|client_secret|fb_exchange_token|input_token|code)=)[^&\s\"']+"),
    re.compile(r"(Bearer\s+)\S+"),
    re.compile(r"()EAA[A-Za-z0-9_\-]{10,}"),
    re.compile(r"(sp_[0-9a-f]{8,12}_)[A-Za-z0-9_\-]{10,}"),  # storefront API keys (shops.api_keys)
]


def redact(text: str) -> str:
    for pattern in _PATTERNS:
        text = pattern.sub(r"\1***", text)
    return text


class RedactSecretsFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a bad format string must not lose the record
            return True
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True
