"""Tokens as the control API hands them out and breaks them: mint, expire, revoke, change scopes."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from .. import auth, services
from ..models import Token
from . import ControlError, NotFound
from .world import node_or_404


def _token(access_token: str) -> Token:
    token = auth.find(str(access_token)) if access_token else None
    if token is None:
        raise NotFound("unknown access_token")
    return token


def mint_token(business_id: str, *, scopes=None, expires_in: int | None = None) -> dict:
    """A system-user token for the business, or a user token of its admin when `expires_in`
    (seconds) is given."""
    business = node_or_404(str(business_id or ""), "business")
    if scopes is not None:
        unknown = [s for s in scopes if s not in auth.KNOWN_SCOPES]
        if unknown:
            raise ControlError(f"unknown scope(s): {', '.join(unknown)}")
    with transaction.atomic():
        if expires_in:
            user = services.admin_user(business)
            raw, token = auth.mint(kind=Token.Kind.USER, user_id=user.gid, business_id=business.gid, scopes=scopes,
                                   expires_in=int(expires_in))
        else:
            su = services.system_user(business)
            raw, token = auth.mint(kind=Token.Kind.SYSTEM_USER, user_id=su.gid, business_id=business.gid,
                                   scopes=scopes)
    return {"access_token": raw, "kind": token.kind, "scopes": token.scopes,
            "expires_at": token.expires_at.isoformat() if token.expires_at else None}


def expire_token(access_token: str) -> None:
    """The token expires now (190/463 from the next call)."""
    token = _token(access_token)
    token.expires_at = timezone.now()
    token.save(update_fields=["expires_at"])


def revoke_token(access_token: str, *, subcode: int | str | None = 460) -> None:
    """Revoke: 460 (session invalidated, the default) or 458 (app not authorized)."""
    token = _token(access_token)
    subcode = int(subcode or 460)
    if subcode not in (458, 460):
        raise ControlError("subcode must be 458 (app not authorized) or 460 (session invalidated)")
    auth.revoke(token, subcode=subcode)


def set_token_scopes(access_token: str, scopes) -> dict:
    """The token keeps exactly `scopes`; the others become declined."""
    token = _token(access_token)
    if not isinstance(scopes, list) or any(s not in auth.KNOWN_SCOPES for s in scopes):
        raise ControlError("scopes must be a list of known permissions")
    token.declined = sorted({*token.declined, *(s for s in token.scopes if s not in scopes)} - set(scopes))
    token.scopes = list(scopes)
    token.save(update_fields=["scopes", "declined"])
    return {"scopes": token.scopes, "declined": token.declined}
