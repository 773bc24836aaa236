"""Businesses and their assets: Business, Page, IGUser, ProductCatalog, AdsPixel,
CommerceMerchantSettings (with `setup_status`, `shops`, `product_catalogs`), Shop and
CommercePartnerIntegration (META_API §5.3)."""

from __future__ import annotations

from .. import errors
from ..models import Node, Token
from ..params import P
from ..router import Computed, Ref, Reply, Value, edge, node_type, route, version_tuple

BUSINESS_PERMS = ("business_management", "manage_business_extension")
PAGE_PERMS = ("pages_read_engagement", "pages_show_list", "manage_business_extension", "business_management")
IG_PERMS = ("instagram_basic", "manage_business_extension", "business_management")
CATALOG_PERMS = ("catalog_management",)
PIXEL_PERMS = ("ads_management", "ads_read", "business_management", "manage_business_extension")
CMS_PERMS = ("commerce_account_read_settings", "commerce_manage_accounts", "manage_business_extension",
             "catalog_management")
CMS_WRITE_PERMS = ("commerce_manage_accounts", "manage_business_extension")

MERCHANT_STATUSES = ("ENABLED", "EXTERNALLY_DISABLED")


def _children(type: str, business_id: str):
    return Node.objects.of_type(type).filter(business_id=business_id)


# --- Business -----------------------------------------------------------------------------------

node_type("business", label="Business", perms=BUSINESS_PERMS, default_fields=("id", "name"), fields={
    "name": Value(),
    "created_time": Value(),
    "verification_status": Value(),
    "vertical": Value(),
    "timezone": Value(),
    "link": Computed(lambda ctx, n: f"https://business.facebook.com/settings/info?business_id={n.gid}"),
    "primary_page": Computed(lambda ctx, n: next(({"id": p.gid, "name": p.data.get("name")}
                                                   for p in _children("page", n.gid).order_by("pk")[:1]), None)),
})

for _edge_name, _type in (("owned_product_catalogs", "catalog"), ("owned_pages", "page"),
                          ("instagram_accounts", "instagram_account"), ("owned_instagram_accounts", "instagram_account"),
                          ("owned_pixels", "pixel"), ("adspixels", "pixel"),
                          ("commerce_merchant_settings", "commerce_merchant_settings"),
                          ("system_users", "system_user")):
    edge("business", _edge_name, summary=True)(lambda ctx, node, args, _type=_type: _children(_type, node.gid))


# --- Page and Instagram account -------------------------------------------------------------------


def _page_token(ctx, page: Node) -> str | None:
    """Pages hand out a page token (derived from the caller's token) in `access_token`."""
    from .. import auth

    if ctx.token is None:
        return None
    raw, _ = auth.mint(kind=Token.Kind.PAGE, user_id=ctx.token.user_id, business_id=page.business_id,
                       page_id=page.gid, scopes=ctx.token.scopes, install_id=ctx.token.install_id)
    return raw


node_type("page", label="Page", perms=PAGE_PERMS, buc="pages", default_fields=("id", "name"), fields={
    "name": Value(),
    "category": Value(),
    "link": Value(),
    "fan_count": Value(),
    "verification_status": Value(),
    "business": Ref(),
    "instagram_business_account": Ref(default_fields=("id",)),
    "access_token": Computed(_page_token),
})


@edge("page", "commerce_merchant_settings", item_label="CommerceMerchantSettings")
def page_cms(ctx, node, args):
    return _children("commerce_merchant_settings", node.business_id).filter(data__merchant_page=node.gid)


node_type("instagram_account", label="IGUser", perms=IG_PERMS, buc="instagram", default_fields=("id", "username"),
          fields={name: Value() for name in ("username", "name", "ig_id", "biography", "followers_count",
                                             "media_count", "profile_picture_url", "website")})


# --- Catalog and pixel ----------------------------------------------------------------------------

node_type("catalog", label="ProductCatalog", perms=CATALOG_PERMS, buc="catalog_management",
          default_fields=("id", "name"), fields={
              "name": Value(),
              "vertical": Value(),
              "is_catalog_segment": Value(),
              "business": Ref(),
              "commerce_merchant_settings": Ref(default_fields=("id",)),
              "product_count": Computed(lambda ctx, n: Node.objects.of_type("product").filter(parent_id=n.gid).count()),
              "feed_count": Computed(lambda ctx, n: Node.objects.of_type("product_feed").filter(parent_id=n.gid).count()),
          })

node_type("pixel", label="AdsPixel", perms=PIXEL_PERMS, default_fields=("id", "name"), fields={
    "name": Value(),
    "creation_time": Value(),
    "last_fired_time": Value(),
    "is_unavailable": Value(),
    "data_use_setting": Value(),
    "enable_automatic_matching": Value(),
    "owner_business": Ref(),
})


# --- Commerce merchant settings ---------------------------------------------------------------------


def _facebook_channel(ctx, cms: Node):
    if not cms.data.get("facebook_channel_enabled", True):
        return None
    page = ctx.peek(str(cms.data.get("merchant_page", "")))
    pages = [{"name": page.data.get("name"), "id": page.gid}] if page else []
    return {"pages": {"data": pages}}


def _instagram_channel(ctx, cms: Node):
    if not cms.data.get("instagram_channel_enabled", True):
        return None
    return {"instagram_users": {"data": [{"id": gid} for gid in cms.data.get("instagram_ids", [])]}}


def _onsite(ctx, cms: Node):
    # Only shops configured for onsite checkout carry onsite_commerce_merchant.
    return {"id": cms.gid} if cms.data.get("cta") == "ONSITE_CHECKOUT" else None


_CMS_VALUES = ("braintree_merchant_id", "checkout_config", "checkout_message", "contact_email", "cta",
               "disable_checkout_urls", "display_name", "external_merchant_id", "feature_eligibility",
               "has_discount_code", "has_onsite_intent", "korea_ftc_listing", "merchant_alert_email",
               "merchant_status", "offsite_iab_checkout_enabled_countries", "payment_provider",
               "privacy_policy_localized", "privacy_url_by_locale", "review_rejection_messages",
               "review_rejection_reasons", "shops_ads_setup", "supported_card_types", "terms", "terms_url_by_locale")

#: Fields Meta's v26 CommerceMerchantSettings no longer has (the v26.0 SDK's field list; v25's
#: reference lists them): on v26+ they are nonexisting fields, like any unknown name.
CMS_REMOVED_IN_V26 = ("cta", "review_rejection_reasons", "review_rejection_messages")


class _UntilV26(Value):
    def render(self, ctx, node, sel):
        if version_tuple(ctx.version) >= (26, 0):
            raise errors.nonexisting_field(sel.name, "CommerceMerchantSettings")
        return super().render(ctx, node, sel)


node_type("commerce_merchant_settings", label="CommerceMerchantSettings", perms=CMS_PERMS,
          default_fields=("id", "display_name", "merchant_status"), fields={
              **{name: (_UntilV26() if name in CMS_REMOVED_IN_V26 else Value()) for name in _CMS_VALUES},
              "merchant_page": Ref(),
              "facebook_channel": Computed(_facebook_channel),
              "instagram_channel": Computed(_instagram_channel),
              "onsite_commerce_merchant": Computed(_onsite),
          })

SETUP_STATUS_FIELDS = ("shop_setup", "payment_setup", "review_status", "deals_setup", "marketplace_approval_status",
                       "marketplace_approval_status_details")


@edge("commerce_merchant_settings", "setup_status", paged=False, item_label="CommerceMerchantSettingsSetupStatus",
      item_fields=SETUP_STATUS_FIELDS)
def cms_setup_status(ctx, node, args):
    return [dict(node.data.get("setup_status", {}))]


@edge("commerce_merchant_settings", "shops", item_label="Shop")
def cms_shops(ctx, node, args):
    return Node.objects.of_type("shop").filter(parent_id=node.gid)


@edge("commerce_merchant_settings", "product_catalogs", item_label="ProductCatalog")
def cms_catalogs(ctx, node, args):
    ids = [Node.pk_from_gid(gid) for gid in node.data.get("catalog_ids", [])]
    return Node.objects.of_type("catalog").filter(pk__in=[pk for pk in ids if pk])


@route("POST", "{cms:commerce_merchant_settings}", perms=CMS_WRITE_PERMS, params=(
    P("merchant_status", "enum", enum=MERCHANT_STATUSES), P("display_name"), P("contact_email"),
    P("merchant_alert_email"), P("checkout_message"),
))
def update_cms(ctx):
    changes = {k: v for k, v in ctx.args.items() if v is not None}
    ctx.node.data.update(changes)
    ctx.node.save(update_fields=["data", "updated"])
    return Reply({"success": True})


node_type("shop", label="Shop", perms=CMS_PERMS, default_fields=("id", "shop_status"), fields={
    "shop_status": Value(),
    "fb_sales_channel": Value(),
    "ig_sales_channel": Value(),
    "workspace": Value(),
    "commerce_merchant_settings": Ref(default_fields=("id",)),
})

node_type("commerce_partner_integration", label="CommercePartnerIntegration", perms=("manage_business_extension",),
          default_fields=("id",), fields={name: Value() for name in (
              "installation_status", "commerce_partner_seller_platform_type", "extension_version", "admin_url",
              "country_code", "currency", "platform_store_id")})


@route("POST", "{cpi:commerce_partner_integration}", perms=("manage_business_extension",), params=(
    P("installation_status", "enum", enum=("ACCESS_TOKEN_DEPOSITED", "ONBOARDING_COMPLETE")),
    P("commerce_partner_seller_platform_type", "enum", enum=("SELF_SERVE", "SELF_SERVE_PLATFORM", "MANAGED")),
    P("extension_version"), P("admin_url"), P("country_code"), P("currency"), P("platform_store_id"),
))
def update_cpi(ctx):
    ctx.node.data.update({k: v for k, v in ctx.args.items() if v is not None})
    ctx.node.save(update_fields=["data", "updated"])
    return {"success": True}


# The FBE install record is the sandbox's bookkeeping, not a Graph node: `/{id}` on it is 100/33.
node_type("fbe_install", label="FBEInstall", fields={}, addressable=False)
