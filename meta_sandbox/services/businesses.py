"""Businesses and their people and assets (page, Instagram account, catalog, pixel, commerce account)."""

from __future__ import annotations

import re
import secrets

from django.conf import settings
from django.utils import timezone

from ..models import (
    Node,
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
