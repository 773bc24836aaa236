"""FBE installs: a business as FBE leaves it, (re)installs with a system-user token, the fbe_installs payload, uninstalls."""

from __future__ import annotations

from django.utils import timezone

from .. import auth, webhooks
from ..models import (
    Node,
    Token,
)
from .businesses import _feature_id, admin_user, assets, ensure_assets, new_business, new_node, system_user


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
        "ad_account_id": ad_account_id(bid),
        "catalog_id": found["catalog_id"],
        "pages": page_ids,
        "instagram_profiles": ig_ids,
        "token_type": install.data.get("token_type", "User"),
        "commerce_partner_integration_id": found["commerce_partner_integration_id"],
        "installed_features": installed_features(install, found, page_ids),
    }
    return {k: v for k, v in payload.items() if v is not None}


def ad_account_id(business_id: str) -> str:
    """The business's first ad account (the number after act_), or "0" for none, as Meta's
    fbe_installs writes it (META_API §5.2)."""
    node = Node.objects.of_type("ad_account").filter(business_id=business_id).order_by("pk").first()
    return node.gid if node else "0"


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
        "ad_account_id": ad_account_id(install.business_id),
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
