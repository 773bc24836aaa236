"""Step 2, judge (pure): a reading becomes ``Check``s (pass, fail, or unknown when not read)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.utils import timezone

from shops import checks as C
from shops.models import Shop
from shops.permissions import FEATURES, features_missing, requested_scopes

if TYPE_CHECKING:
    from shops.health.reading import Reading

#: A token that expires within this many days raises a warning.
EXPIRY_WARNING_DAYS = 7

SETUP_DONE = {"SETUP", "COMPLETE", "COMPLETED", "DONE", "APPROVED", "ENABLED", "NOT_REQUIRED", "NOT_APPLICABLE"}
REVIEW_REJECTED = {"REJECTED", "DISAPPROVED", "REJECTED_BY_REVIEW"}
CHANNEL_ON = {"ENABLED", "ACTIVE", "ON", "LIVE", "VISIBLE", "PUBLISHED", "APPROVED"}


def required_scopes() -> list[str]:
    """The permissions a connection must have: every one the wizard asks Meta for (each feature's,
    shops/permissions.py), unless META_REQUIRED_SCOPES names fewer."""
    return list(getattr(settings, "META_REQUIRED_SCOPES", None) or requested_scopes())


def _text(value: Any) -> str:
    if isinstance(value, Mapping):
        for key in ("status", "state", "value", "enabled", "is_enabled"):
            if key in value:
                return _text(value[key])
        return ""
    if isinstance(value, bool):
        return "ENABLED" if value else "DISABLED"
    return str(value or "").strip().upper()


def _messages(value: Any) -> list[str]:
    """Meta's review messages and reasons, as plain strings."""
    if isinstance(value, Mapping):
        value = value.get("data", [value])
    if isinstance(value, str):
        return [value] if value.strip() else []
    out = []
    for item in value or []:
        if isinstance(item, Mapping):
            text = item.get("message") or item.get("reason") or item.get("description") or item.get("code")
            if text:
                out.append(str(text))
        elif item:
            out.append(str(item))
    return out


def judge(shop: Shop, reading: Reading) -> list[C.Check]:
    """The checks for one reading, in catalogue order. Unknown (None) when not read."""
    Check = C.Check
    out: list[Check] = []
    info = reading.token_info
    token_ok = None if info is None else bool(info.is_valid)
    out.append(Check("token", token_ok))
    if token_ok:
        expires: datetime | None = info.expires_at
        soon = expires is not None and expires - timezone.now() < timedelta(days=EXPIRY_WARNING_DAYS)
        out.append(Check("token_expiry", not soon, {"expires": expires.date().isoformat()} if expires else {}))
        granted = set(info.scopes)
        missing = [s for s in required_scopes() if s not in granted]
        stopped = [key for key in features_missing(info.scopes) if any(s in missing for s in FEATURES[key][1])]
        out.append(Check("permissions", not missing,
                         {"missing": ", ".join(missing), "features": ",".join(stopped)} if missing else {}))
    else:
        out += [Check("token_expiry", None), Check("permissions", None)]

    install = reading.install
    if not reading.installs_read:
        out += [Check("install", None), Check("catalog", None), Check("merchant_settings", None)]
    else:
        out.append(Check("install", install is not None))
        out.append(Check("catalog", bool(install and install.catalog_id) if install else None))
        has_cms = bool(install and install.commerce_merchant_settings_id) and reading.cms != {}
        out.append(Check("merchant_settings", has_cms if install else None))

    cms, setup = reading.cms, reading.setup_status
    if not cms:
        out += [Check(k, None) for k in ("merchant_status", "review", "setup", "facebook_channel", "instagram_channel")]
    else:
        status = _text(cms.get("merchant_status"))
        out.append(Check("merchant_status", status in ("", "ENABLED"), {"status": status}))
        reasons = _messages(cms.get("review_rejection_messages")) or _messages(cms.get("review_rejection_reasons"))
        review = (setup or {}).get("review_status")
        review_state = _text(review)
        if review_state in REVIEW_REJECTED and isinstance(review, Mapping):
            reasons = reasons or _messages(review.get("reasons")) or [review_state]
        rejected = bool(reasons) or review_state in REVIEW_REJECTED
        # The explanation adds its own full stop after Meta's words.
        text = "; ".join(r.strip().rstrip(".") for r in reasons)
        out.append(Check("review", not rejected, {"reasons": text} if rejected else {}))
        if setup:
            undone = sorted(
                k for k in ("shop_setup",)
                if k in setup and _text(setup.get(k)) not in SETUP_DONE
            )
            params = {"steps": ", ".join(_step_name(k) for k in undone)} if undone else {}
            if setup.get("payment_setup") not in (None, ""):
                # Payouts for onsite checkout: shown on the Payments page, not a set-up step (website
                # checkout, Meta's only checkout since 2025, needs none).
                params["payment_setup"] = _text(setup.get("payment_setup"))
            out.append(Check("setup", not undone, params))
        else:
            out.append(Check("setup", None))
        for key in ("facebook_channel", "instagram_channel"):
            on, state = _channel(cms.get(key))
            out.append(Check(key, on, {} if on else {"status": state}))

    out.append(Check("storefront", bool(shop.storefront_url)))
    return out


def _channel(value: Any) -> tuple[bool, str]:
    """(on, status) of a sales channel field. Meta leaves the field out (null) when the channel
    is off; when on it lists the channel's pages or Instagram users, or carries a status."""
    if isinstance(value, Mapping):
        if any(k in value for k in ("status", "state", "enabled", "is_enabled")):
            state = _text(value)
            return state in CHANNEL_ON, state
        for items in value.values():
            data = items.get("data") if isinstance(items, Mapping) else items
            if data:
                return True, "ENABLED"
        return False, "NO_ACCOUNT"
    if value in (None, "", False, [], {}):
        return False, "OFF"
    state = _text(value)
    return state in CHANNEL_ON, state


def _step_name(key: str) -> str:
    return key.replace("_", " ")
