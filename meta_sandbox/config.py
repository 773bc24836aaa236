"""The sandbox's switches: defaults here, overrides in the `Switch` table (control API
`GET/POST _control/config`). A reset restores the defaults."""

from __future__ import annotations

from typing import Any

from .models import Switch

#: BUC type -> the throttle code Meta answers when that budget is spent (META_API §1.3).
BUC_THROTTLE_CODES = {
    "ads_insights": 80000,
    "pages": 80001,
    "instagram": 80002,
    "custom_audience": 80003,
    "ads_management": 80004,
    "leadgen": 80005,
    "messenger": 80006,
    "whatsapp_business_management": 80008,
    "catalog_management": 80009,
    "catalog_batch": 80014,
}

DEFAULTS: dict[str, Any] = {
    # Meta's "Require App Secret" app setting: every call with a user/system/page token must
    # carry appsecret_proof. POST /{business}/access_token always requires it.
    "require_appsecret_proof": True,
    "usage": {
        # Rolling window over which calls are counted, for the app and for each BUC.
        "window_seconds": 3600,
        # Platform (app) budget: calls and summed wall time per window (X-App-Usage, code 4).
        "app_calls": 20000,
        "app_time_ms": 3_600_000,
        # Business use case budgets: calls per business and type per window.
        "buc_calls": {
            "catalog_management": 20000,
            "catalog_batch": 200,
            "pages": 4800,
            "instagram": 4800,
            "ads_management": 100000,
            "ads_insights": 100000,
            "custom_audience": 5000,
            "leadgen": 4800,
            "messenger": 4800,
            "whatsapp_business_management": 4800,
        },
        "buc_time_ms": 3_600_000,
        # {"<business id>": {"<buc type>": calls}} overrides for one business.
        "business_calls": {},
    },
    "dialog": {
        # Scopes the consent page grants even when asked (declined instead): "permission missing".
        "decline_scopes": [],
        # Lifetime of a dialog code and of the user token from the code exchange.
        "code_ttl_seconds": 600,
        "user_token_ttl_seconds": 5_184_000,
    },
    "webhooks": {
        # Empty: settings.PORTAL_BASE_URL + "/webhooks/meta/".
        "callback_url": "",
        # Deliver queued webhooks through a django-q2 task right after they are queued. Off by
        # default so tests stay deterministic (they call _control/webhooks/flush); the demo
        # seeder turns it on.
        "auto_deliver": False,
        "timeout_seconds": 5,
        "max_attempts": 5,
        # Callback URLs whose hub.challenge handshake succeeded: {url: iso time}.
        "verified": {},
    },
}


def _merge(base: dict, patch: dict) -> dict:
    out = dict(base)
    for key, value in patch.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


def _fresh(value):
    """A copy of the defaults' nested dicts and lists (what deepcopy made, at a tenth of its
    cost: every call reads the config)."""
    if isinstance(value, dict):
        return {key: _fresh(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_fresh(item) for item in value]
    return value


def get_config() -> dict:
    """The effective switches: defaults overlaid with the stored values (one query)."""
    config = _fresh(DEFAULTS)
    for key, value in Switch.objects.values_list("key", "value"):
        if isinstance(value, dict) and isinstance(config.get(key), dict):
            config[key] = _merge(config[key], value)
        else:
            config[key] = value
    return config


def update_config(patch: dict) -> dict:
    """Merge `patch` into the stored switches (nested dicts merge; other values replace).
    Unknown top-level keys are refused so that typos do not pass silently."""
    unknown = set(patch) - set(DEFAULTS)
    if unknown:
        raise ValueError(f"unknown switch(es): {', '.join(sorted(unknown))}")
    for key, value in patch.items():
        row = Switch.objects.filter(key=key).first()
        if isinstance(value, dict) and isinstance(DEFAULTS[key], dict):
            stored = row.value if row and isinstance(row.value, dict) else {}
            value = _merge(stored, value)
        Switch.objects.update_or_create(key=key, defaults={"value": value})
    return get_config()
