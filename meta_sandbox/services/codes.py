"""The consent dialog's outcome: single-use OAuth codes and the user tokens they are exchanged for."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from django.utils import timezone

from .. import auth
from ..config import get_config
from ..models import (
    AuthCode,
    Node,
    Token,
)
from .businesses import admin_user, ensure_assets, find_business, new_business
from .fbe import install_fbe

# --- OAuth dialog and codes ----------------------------------------------------------------------


def _code_hash(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()


def complete_dialog(*, client_id: str, redirect_uri: str, scopes: list[str], setup: dict,
                    business_config: dict) -> str:
    """The consent page's Continue: create or reuse the business for setup.external_business_id,
    with its assets and an FBE install; returns a single-use code."""
    config = get_config()["dialog"]
    declined = [s for s in scopes if s in config["decline_scopes"]]
    granted = [s for s in scopes if s not in declined]
    external_id = setup["external_business_id"]
    business = find_business(external_id)
    if business is None and setup.get("merchant_settings_id"):
        cms = Node.objects.of_type("commerce_merchant_settings").filter(
            pk=Node.pk_from_gid(str(setup["merchant_settings_id"])) or 0).first()
        if cms is not None:
            business = Node.objects.get(pk=Node.pk_from_gid(cms.business_id))
    if business is None:
        name = (business_config.get("business") or {}).get("name") or f"Business {external_id}"
        business = new_business(name=name, external_business_id=external_id, timezone_name=setup["timezone"],
                                currency=setup["currency"], vertical=setup["business_vertical"])
    ensure_assets(business)
    install, _ = install_fbe(business, external_business_id=external_id, scopes=granted, declined=declined,
                             setup=setup, business_config=business_config)
    code = secrets.token_urlsafe(32)
    AuthCode.objects.create(
        code_hash=_code_hash(code), client_id=client_id, redirect_uri=redirect_uri, user_id=admin_user(business).gid,
        business_id=business.gid, install_id=install.gid, scopes=granted, declined=declined,
        expires_at=timezone.now() + timedelta(seconds=int(config["code_ttl_seconds"])),
    )
    return code


def find_code(code: str) -> AuthCode | None:
    return AuthCode.objects.select_for_update().filter(code_hash=_code_hash(code)).first()


def user_token_for_code(auth_code: AuthCode) -> tuple[str, int]:
    ttl = int(get_config()["dialog"]["user_token_ttl_seconds"])
    auth_code.used_at = timezone.now()
    auth_code.save(update_fields=["used_at"])
    raw, _ = auth.mint(kind=Token.Kind.USER, user_id=auth_code.user_id, business_id=auth_code.business_id,
                       scopes=auth_code.scopes, declined=auth_code.declined, expires_in=ttl,
                       install_id=auth_code.install_id)
    return raw, ttl
