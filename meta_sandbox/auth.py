"""Tokens: minting, lookup, validation, appsecret_proof and debug_token's view of a token.

Tokens are random strings with Meta's `EAA` prefix; the sandbox stores only their SHA-256
(and a four-character tail to tell them apart in the console), so a token never sits in the
database in clear.

Rejections (docs/sandbox.md): unknown token -> 190/467; expired -> 190/463; revoked through
the control API -> 190/460 (session invalidated); revoked by an uninstall or a permission
removal -> 190/458 (app not authorized).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from . import errors
from .models import Token

#: Every permission the sandbox knows; the dialog refuses others ("Invalid Scopes").
KNOWN_SCOPES = (
    "ads_management", "ads_read", "business_management", "catalog_management", "commerce_account_manage_orders",
    "commerce_account_read_orders", "commerce_account_read_reports", "commerce_account_read_settings",
    "commerce_manage_accounts", "email", "instagram_basic", "instagram_manage_insights", "instagram_shopping_tag_products",
    "manage_business_extension", "pages_manage_metadata", "pages_read_engagement", "pages_show_list",
    "public_profile", "read_insights",
)
#: What control-minted tokens get unless told otherwise.
DEFAULT_SCOPES = (
    "manage_business_extension", "business_management", "catalog_management", "ads_management", "ads_read",
    "pages_read_engagement", "pages_show_list", "instagram_basic", "commerce_account_read_settings",
    "commerce_account_manage_orders", "commerce_account_read_orders", "commerce_account_read_reports",
    "commerce_manage_accounts", "read_insights", "instagram_manage_insights",
)

_PREFIX = "EAA"


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def appsecret_proof(token: str, secret: str | None = None) -> str:
    secret = settings.META_APP_SECRET if secret is None else secret
    return hmac.new(secret.encode(), token.encode(), hashlib.sha256).hexdigest()


def app_token() -> str:
    return f"{settings.META_APP_ID}|{settings.META_APP_SECRET}"


def mint(*, kind: str, user_id: str, business_id: str = "", scopes=None, expires_in: int | None = None,
         page_id: str = "", install_id: str = "", declined=None) -> tuple[str, Token]:
    """Create a token; returns (raw token, row). The raw value is never stored."""
    raw = _PREFIX + secrets.token_urlsafe(48).replace("-", "").replace("_", "")[:60]
    now = timezone.now()
    token = Token.objects.create(
        token_hash=hash_token(raw), hint=raw[-4:], kind=kind, app_id=settings.META_APP_ID, user_id=user_id,
        business_id=business_id, page_id=page_id, install_id=install_id,
        scopes=list(DEFAULT_SCOPES if scopes is None else scopes), declined=list(declined or []), issued_at=now,
        expires_at=now + timedelta(seconds=expires_in) if expires_in else None,
    )
    return raw, token


def find(raw: str) -> Token | None:
    return Token.objects.filter(token_hash=hash_token(raw)).first()


def _fmt(dt) -> str:
    return timezone.localtime(dt, timezone.get_fixed_timezone(-480)).strftime("%A, %d-%b-%y %H:%M:%S PST")


def problem(token: Token | None) -> errors.GraphError | None:
    """Why this token cannot be used, or None."""
    if token is None:
        return errors.invalid_token()
    if token.revoked_at:
        return errors.revoked_token(token.revoked_subcode or 460, token.app_id)
    now = timezone.now()
    if token.expires_at and token.expires_at <= now:
        return errors.expired_token(_fmt(token.expires_at), _fmt(now))
    return None


def is_app_token(raw: str) -> bool:
    return "|" in raw


def check_app_token(raw: str) -> None:
    app_id, _, secret = raw.partition("|")
    if app_id != settings.META_APP_ID or not hmac.compare_digest(secret, settings.META_APP_SECRET):
        raise errors.malformed_app_token()


def check_proof(raw: str, proof: str | None, *, required: bool) -> None:
    if not proof:
        if required:
            raise errors.proof_missing()
        return
    if not hmac.compare_digest(str(proof).lower(), appsecret_proof(raw)):
        raise errors.proof_invalid()


def revoke(token: Token, subcode: int = 460) -> None:
    if not token.revoked_at:
        token.revoked_at = timezone.now()
        token.revoked_subcode = subcode
        token.save(update_fields=["revoked_at", "revoked_subcode"])


def epoch(dt) -> int:
    return int(dt.timestamp()) if dt else 0
