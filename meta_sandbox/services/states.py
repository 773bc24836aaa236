"""Resetting the sandbox and the "bad states" onboarding health checks must notice."""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from ..config import get_config
from ..models import (
    AuthCode,
    Fault,
    IdempotencyRecord,
    Node,
    RequestLog,
    Switch,
    Token,
    WebhookAttempt,
    WebhookEvent,
)
from .businesses import _first, ensure_assets

# --- control helpers -----------------------------------------------------------------------------


def reset() -> None:
    """Forget every object, token, code, fault, journal row, webhook and switch."""
    with transaction.atomic():
        for model in (WebhookAttempt, WebhookEvent, IdempotencyRecord, RequestLog, Fault, AuthCode, Token, Node,
                      Switch):
            model.objects.all().delete()


BAD_STATES = ("token_expired", "token_revoked", "permission_missing", "setup_incomplete", "merchant_disabled",
              "no_catalog", "healthy")


def set_business_state(business_id: str, state: str, *, scope: str | None = None) -> dict:
    """Put a business into a state an onboarding health check must notice."""
    business = Node.objects.of_type("business").filter(pk=Node.pk_from_gid(business_id) or 0).first()
    if business is None:
        raise LookupError(f"no business {business_id}")
    tokens = Token.objects.filter(business_id=business.gid)
    cms = _first("commerce_merchant_settings", business.gid)
    now = timezone.now()
    if state == "token_expired":
        tokens.filter(revoked_at__isnull=True).update(expires_at=now - timedelta(seconds=1))
    elif state == "token_revoked":
        tokens.filter(revoked_at__isnull=True).update(revoked_at=now, revoked_subcode=460)
    elif state == "permission_missing":
        scope = scope or "catalog_management"
        for token in tokens:
            if scope in token.scopes:
                token.scopes = [s for s in token.scopes if s != scope]
                token.declined = sorted({*token.declined, scope})
                token.save(update_fields=["scopes", "declined"])
    elif state == "setup_incomplete":
        if cms is None:
            raise LookupError("the business has no commerce merchant settings")
        cms.data["setup_status"] = {"shop_setup": "NOT_SETUP", "payment_setup": "NOT_SETUP",
                                    "review_status": {"status": "IN_REVIEW", "reasons": []}}
        cms.save(update_fields=["data"])
    elif state == "merchant_disabled":
        if cms is None:
            raise LookupError("the business has no commerce merchant settings")
        cms.data.update(merchant_status="EXTERNALLY_DISABLED",
                        review_rejection_reasons=["POLICY_VIOLATION"],
                        review_rejection_messages=["Your shop does not comply with our Commerce Policies."])
        cms.data["setup_status"] = {**cms.data.get("setup_status", {}), "review_status": {
            "status": "REJECTED", "reasons": [{"code": "UNKNOWN", "message": "Your account is not eligible for "
                                               "Facebook Shops at this time.",
                                               "help_url": "https://www.facebook.com/help/contact/481136396104354"}]}}
        cms.save(update_fields=["data"])
    elif state == "no_catalog":
        Node.objects.of_type("catalog").filter(business_id=business.gid).update(deleted=True)
        if cms is not None:
            cms.data["catalog_ids"] = []
            cms.save(update_fields=["data"])
    elif state == "healthy":
        # Revive what the bad states broke; tokens of an uninstall (458) stay dead.
        tokens.filter(revoked_subcode=460).update(revoked_at=None, revoked_subcode=None)
        expired = tokens.filter(expires_at__lte=now)
        ttl = int(get_config()["dialog"]["user_token_ttl_seconds"])
        expired.filter(kind=Token.Kind.USER).update(expires_at=now + timedelta(seconds=ttl))
        expired.exclude(kind=Token.Kind.USER).update(expires_at=None)
        ensure_assets(business)
        cms = _first("commerce_merchant_settings", business.gid)
        if cms is not None:
            cms.data.update(merchant_status="ENABLED", review_rejection_reasons=[], review_rejection_messages=[],
                            setup_status={"shop_setup": "SETUP", "payment_setup": "SETUP",
                                          "review_status": {"status": "APPROVED", "reasons": []}})
            cms.save(update_fields=["data"])
    else:
        raise ValueError(f"state must be one of {', '.join(BAD_STATES)}")
    return {"business_id": business.gid, "state": state}
