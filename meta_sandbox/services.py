"""State changes of the sandbox's world: businesses and their assets, FBE installs, OAuth
codes, uninstalls and the "bad states" used to test onboarding health checks.

Every function here is called inside a transaction by its caller (a Graph handler runs in
one; control views use `transaction.atomic`).
"""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from . import auth, webhooks
from .config import get_config
from .models import (
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

APP_NAME_DEFAULT = "Seller Portal"


def app_name() -> str:
    return getattr(settings, "META_APP_NAME", APP_NAME_DEFAULT)


def new_node(type: str, *, business_id: str = "", parent_id: str = "", key: str = "", **data) -> Node:
    return Node.objects.create(type=type, business_id=business_id, parent_id=parent_id, key=key, data=data)


def _now_iso() -> str:
    return timezone.now().strftime("%Y-%m-%dT%H:%M:%S+0000")


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")[:20] or "shop"


def _feature_id() -> str:
    return str(10**15 + secrets.randbelow(9 * 10**15))


# --- businesses and assets ----------------------------------------------------------------------


def create_business(*, name: str = "Sandbox Business", external_business_id: str | None = None,
                    with_catalog: bool = True, with_merchant_settings: bool = True, with_pixel: bool = True,
                    timezone_name: str = "America/Los_Angeles", currency: str = "USD", vertical: str = "ECOMMERCE",
                    scopes=None) -> dict:
    """A business with its people and assets; an FBE install when external_business_id is given.
    Returns the ids and a valid system-user token (see SandboxControl.create_business)."""
    business = new_business(name=name, external_business_id=external_business_id or "", timezone_name=timezone_name,
                            currency=currency, vertical=vertical)
    ensure_assets(business, with_catalog=with_catalog, with_pixel=with_pixel,
                  with_merchant_settings=with_merchant_settings)
    install = None
    if external_business_id:
        install, raw = install_fbe(business, external_business_id=external_business_id, scopes=scopes)
    else:
        raw, _ = auth.mint(kind=Token.Kind.SYSTEM_USER, user_id=system_user(business).gid, business_id=business.gid,
                           scopes=scopes)
    found = assets(business.gid)
    return {
        "business_id": business.gid,
        "page_id": found["page_id"],
        "instagram_profile_id": found["instagram_profile_id"],
        "catalog_id": found["catalog_id"],
        "pixel_id": found["pixel_id"],
        "commerce_merchant_settings_id": found["commerce_merchant_settings_id"],
        "fbe_install_id": install.gid if install else None,
        "user_id": admin_user(business).gid,
        "system_user_id": system_user(business).gid,
        "access_token": raw,
    }


def new_business(*, name: str, external_business_id: str = "", timezone_name: str = "America/Los_Angeles",
                 currency: str = "USD", vertical: str = "ECOMMERCE") -> Node:
    """The business node with its admin (the person in the dialog) and its FBE system user."""
    business = new_node("business", key=external_business_id, name=name, timezone=timezone_name, currency=currency,
                        vertical=vertical, verification_status="verified", created_time=_now_iso(),
                        external_business_id=external_business_id)
    business.business_id = business.gid
    business.save(update_fields=["business_id"])
    new_node("user", business_id=business.gid, parent_id=business.gid, name=f"Sandbox Admin ({name})")
    new_node("system_user", business_id=business.gid, parent_id=business.gid,
             name=f"{app_name()} System User (FBE)", role="ADMIN")
    return business


def admin_user(business: Node) -> Node:
    return Node.objects.of_type("user").filter(business_id=business.gid).order_by("pk").first()


def system_user(business: Node) -> Node:
    return Node.objects.of_type("system_user").filter(business_id=business.gid).order_by("pk").first()


def _first(type: str, business_id: str) -> Node | None:
    return Node.objects.of_type(type).filter(business_id=business_id).order_by("pk").first()


def assets(business_id: str) -> dict:
    """Ids of the business's first page, Instagram account, catalog, pixel and CMS (or None)."""
    found = {}
    for type, key in (("page", "page_id"), ("instagram_account", "instagram_profile_id"), ("catalog", "catalog_id"),
                      ("pixel", "pixel_id"), ("commerce_merchant_settings", "commerce_merchant_settings_id"),
                      ("commerce_partner_integration", "commerce_partner_integration_id")):
        node = _first(type, business_id)
        found[key] = node.gid if node else None
    return found


def ensure_assets(business: Node, *, with_catalog: bool = True, with_pixel: bool = True,
                  with_merchant_settings: bool = True) -> None:
    """Create whichever of the business's assets are missing."""
    bid = business.gid
    name = business.data.get("name", "Sandbox Business")
    page = _first("page", bid)
    if page is None:
        page = new_node("page", business_id=bid, parent_id=bid, name=name, category="Shopping & Retail",
                        business=bid, fan_count=0, verification_status="not_verified")
        page.data["link"] = f"https://www.facebook.com/{page.gid}"
        page.save(update_fields=["data"])
    ig = _first("instagram_account", bid)
    if ig is None:
        ig = new_node("instagram_account", business_id=bid, parent_id=bid, name=name, followers_count=0,
                      media_count=0, biography="")
        ig.data.update(username=f"{_slug(name)}_{ig.gid[-4:]}", ig_id=int(ig.gid[-9:]))
        ig.save(update_fields=["data"])
        page.data["instagram_business_account"] = ig.gid
        page.save(update_fields=["data"])
    catalog = _first("catalog", bid)
    if catalog is None and with_catalog:
        catalog = new_node("catalog", business_id=bid, parent_id=bid, name=f"{name} Catalog", vertical="commerce",
                           business=bid, is_catalog_segment=False)
    pixel = _first("pixel", bid)
    if pixel is None and with_pixel:
        new_node("pixel", business_id=bid, parent_id=bid, name=f"{name} Pixel", owner_business=bid,
                 creation_time=_now_iso(), is_unavailable=False, data_use_setting="ADVERTISING_AND_ANALYTICS",
                 enable_automatic_matching=False)
    cms = _first("commerce_merchant_settings", bid)
    if cms is None and with_merchant_settings:
        cms = new_node(
            "commerce_merchant_settings", business_id=bid, parent_id=bid, display_name=name,
            merchant_status="ENABLED", cta="ONSITE_CHECKOUT", contact_email=f"{_slug(name)}@example.com",
            merchant_page=page.gid, catalog_ids=[catalog.gid] if catalog else [], instagram_ids=[ig.gid],
            facebook_channel_enabled=True, instagram_channel_enabled=True, has_onsite_intent=True,
            review_rejection_reasons=[], review_rejection_messages=[], supported_card_types=[
                "AMERICANEXPRESS", "DISCOVER", "MASTERCARD", "VISA"],
            payment_provider="STRIPE", checkout_message="", terms="", offsite_iab_checkout_enabled_countries=[],
            external_merchant_id=business.data.get("external_business_id", ""),
            setup_status={"shop_setup": "SETUP", "payment_setup": "SETUP",
                          "review_status": {"status": "APPROVED", "reasons": []}},
        )
        new_node("shop", business_id=bid, parent_id=cms.gid, shop_status="ACTIVE", commerce_merchant_settings=cms.gid,
                 fb_sales_channel={"status": "ENABLED", "fb_page": {"id": page.gid, "name": name}},
                 ig_sales_channel={"status": "ENABLED", "ig_profile": {"id": ig.gid, "username": ig.data["username"]}},
                 workspace={"id": bid, "name": name})
    if catalog is not None and cms is not None:
        if catalog.gid not in cms.data.get("catalog_ids", []):
            cms.data["catalog_ids"] = [*cms.data.get("catalog_ids", []), catalog.gid]
            cms.save(update_fields=["data"])
        if catalog.data.get("commerce_merchant_settings") != cms.gid:
            catalog.data["commerce_merchant_settings"] = cms.gid
            catalog.save(update_fields=["data"])
    if _first("commerce_partner_integration", bid) is None:
        new_node("commerce_partner_integration", business_id=bid, parent_id=bid,
                 installation_status="ACCESS_TOKEN_DEPOSITED", commerce_partner_seller_platform_type="SELF_SERVE")


def find_business(external_business_id: str) -> Node | None:
    return Node.objects.of_type("business").filter(key=external_business_id).order_by("-pk").first()


# --- FBE installs -------------------------------------------------------------------------------


def active_install(external_business_id: str) -> Node | None:
    return (Node.objects.of_type("fbe_install").filter(key=external_business_id, data__status="installed")
            .order_by("-pk").first())


def install_fbe(business: Node, *, external_business_id: str, scopes=None, declined=(), setup=None,
                business_config=None, token_type: str = "User") -> tuple[Node, str]:
    """(Re)install FBE for the business: the install record, a system-user token for it and an
    fbe_install webhook carrying that token. Returns (install, raw token)."""
    previous = active_install(external_business_id)
    if previous is not None:
        uninstall(previous, notify=False)
    scopes = list(auth.DEFAULT_SCOPES if scopes is None else scopes)
    install = new_node(
        "fbe_install", business_id=business.gid, parent_id=business.gid, key=external_business_id,
        external_business_id=external_business_id, status="installed", token_type=token_type, scopes=scopes,
        declined=list(declined), install_time=int(timezone.now().timestamp()), setup=setup or {},
        business_config=business_config or {}, feature_ids={k: _feature_id() for k in
                                                             ("pixel", "catalog", "fb_shop", "ig_shopping")},
    )
    su = system_user(business)
    raw, _ = auth.mint(kind=Token.Kind.SYSTEM_USER, user_id=su.gid, business_id=business.gid, scopes=scopes,
                       declined=declined, install_id=install.gid)
    _fbe_webhook(install, access_token=raw)
    return install, raw


def install_payload(install: Node) -> dict:
    """One element of GET /fbe_business/fbe_installs (META_API §5.2)."""
    bid = install.business_id
    found = assets(bid)
    page_ids = list(Node.objects.of_type("page").filter(business_id=bid).order_by("pk")
                    .values_list("pk", flat=True))
    page_ids = [Node(pk=pk).gid for pk in page_ids]
    ig_ids = [Node(pk=pk).gid for pk in Node.objects.of_type("instagram_account").filter(business_id=bid)
              .order_by("pk").values_list("pk", flat=True)]
    payload = {
        "business_manager_id": bid,
        "commerce_merchant_settings_id": found["commerce_merchant_settings_id"],
        "onsite_eligible": False,
        "pixel_id": found["pixel_id"],
        "profiles": page_ids,
        "ad_account_id": "0",
        "catalog_id": found["catalog_id"],
        "pages": page_ids,
        "instagram_profiles": ig_ids,
        "token_type": install.data.get("token_type", "User"),
        "commerce_partner_integration_id": found["commerce_partner_integration_id"],
        "installed_features": installed_features(install, found, page_ids),
    }
    return {k: v for k, v in payload.items() if v is not None}


def installed_features(install: Node, found: dict, page_ids: list[str]) -> list[dict]:
    ids = install.data.get("feature_ids", {})
    page_id = page_ids[0] if page_ids else None
    extra = {"additional_info": {"onsite_eligible": False}}
    features = []

    def add(kind: str, assets_: dict):
        features.append({"feature_instance_id": ids.get(kind, "0"), "feature_type": kind,
                         "connected_assets": {k: v for k, v in assets_.items() if v}, **extra})

    if found["pixel_id"]:
        add("pixel", {"page_id": page_id, "pixel_id": found["pixel_id"]})
    if found["catalog_id"]:
        add("catalog", {"catalog_id": found["catalog_id"], "page_id": page_id, "pixel_id": found["pixel_id"]})
    if found["catalog_id"] and found["commerce_merchant_settings_id"]:
        add("fb_shop", {"catalog_id": found["catalog_id"], "commerce_merchant_settings_id":
                        found["commerce_merchant_settings_id"], "page_id": page_id})
        if found["instagram_profile_id"]:
            add("ig_shopping", {"catalog_id": found["catalog_id"], "commerce_merchant_settings_id":
                                found["commerce_merchant_settings_id"],
                                "instagram_profile_id": found["instagram_profile_id"]})
    return features


def _fbe_webhook(install: Node, *, access_token: str | None) -> None:
    """Queue the fbe_install webhook: install (with the system-user token) or uninstall (without
    access_token, pages and profiles)."""
    payload = install_payload(install)
    business = Node.objects.get(pk=Node.pk_from_gid(install.business_id))
    su = system_user(business)
    value = {
        "business_id": install.key,
        "business_manager_id": install.business_id,
        "commerce_merchant_settings_id": payload.get("commerce_merchant_settings_id"),
        "catalog_id": payload.get("catalog_id"),
        "pixel_id": payload.get("pixel_id"),
        "ad_account_id": "0",
        "install_time": install.data.get("install_time"),
    }
    if access_token:
        value.update(access_token=access_token, pages=payload.get("pages", []), profiles=payload.get("profiles", []),
                     instagram_profiles=payload.get("instagram_profiles", []), onsite_eligible=False,
                     commerce_partner_integration_id=payload.get("commerce_partner_integration_id"),
                     installed_features=payload.get("installed_features", []))
    else:
        value["uninstall_time"] = int(timezone.now().timestamp())
    value = {k: v for k, v in value.items() if v is not None}
    entry = {"id": su.gid, "uid": su.gid, "time": int(timezone.now().timestamp()),
             "changes": [{"field": "fbe_install", "value": value}]}
    webhooks.enqueue("user", [entry], field="fbe_install")


def uninstall(install: Node, *, notify: bool = True) -> None:
    """Uninstall: the install ends, its tokens stop working (190/458), an uninstall webhook."""
    install.data["status"] = "uninstalled"
    install.data["uninstall_time"] = int(timezone.now().timestamp())
    install.save(update_fields=["data"])
    for token in Token.objects.filter(install_id=install.gid, revoked_at__isnull=True):
        auth.revoke(token, subcode=458)
    if notify:
        _fbe_webhook(install, access_token=None)


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
