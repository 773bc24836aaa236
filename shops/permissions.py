"""The Meta permissions each feature needs: the one list the FBE dialog asks for.

A feature's permissions are named here once; the wizard asks for all of them (`requested_scopes`)
and the checks say which feature a missing permission stops (`features_missing`). Sources:
META_API.md §3.1 (order management: Meta's "Setting up the Commerce API" and "Using the API"
pages), §5.1 (the FBE login dialog; WooCommerce's set), §7 (Pixel, Conversions API); Meta's Page and
Instagram insights references (the organic figures).
"""

from __future__ import annotations

from django.conf import settings
from django.utils.translation import gettext_lazy as _

#: feature -> (label, permissions it needs). Order matters only for the dialog's scope list.
FEATURES: dict[str, tuple] = {
    "extension": (_("Facebook Business Extension"), ("manage_business_extension", "business_management")),
    "catalog": (_("Catalog sync"), ("catalog_management",)),
    "shop": (_("Facebook Page and Instagram shop"), ("pages_show_list", "pages_read_engagement", "instagram_basic")),
    "orders": (_("Orders"), ("commerce_account_read_settings", "commerce_account_read_orders",
                            "commerce_account_manage_orders", "commerce_manage_accounts")),
    "reports": (_("Payouts and finance reports"), ("commerce_account_read_reports",)),
    "ads": (_("Pixel, Conversions API and ads figures"), ("ads_management", "ads_read")),
    # Page Insights need read_insights (and pages_read_engagement, asked for "shop"); Instagram
    # account insights need instagram_manage_insights (and instagram_basic): Meta's "Get Page
    # Insights" and "Instagram Account Insights" pages (metatools.figures).
    "insights": (_("Page and Instagram figures"), ("read_insights", "instagram_manage_insights")),
}


def all_permissions() -> list[str]:
    seen: list[str] = []
    for _label, scopes in FEATURES.values():
        seen.extend(s for s in scopes if s not in seen)
    return seen


def requested_scopes() -> list[str]:
    """What the FBE dialog asks for (a META_FBE_SCOPES setting replaces it, e.g. for an app that
    was not granted every permission in App Review)."""
    return list(getattr(settings, "META_FBE_SCOPES", None) or all_permissions())


def features_missing(granted) -> dict[str, list[str]]:
    """{feature: [missing permissions]} for every feature a token with `granted` cannot serve."""
    have = set(granted or [])
    return {key: [s for s in scopes if s not in have] for key, (_label, scopes) in FEATURES.items()
            if any(s not in have for s in scopes)}


def feature_labels(keys) -> str:
    """"Orders, Payouts and finance reports": the features named by `keys` (comma-separated or a
    list), in the active language; unknown keys are left out."""
    if isinstance(keys, str):
        keys = [k for k in keys.split(",") if k]
    return ", ".join(str(FEATURES[k][0]) for k in keys if k in FEATURES)


def feature_rows(granted) -> list[dict]:
    """Per feature, for the Verify step: {key, label, ok, missing} from the permissions the
    token really has."""
    missing = features_missing(granted)
    return [{"key": key, "label": label, "ok": key not in missing, "missing": missing.get(key, [])}
            for key, (label, _scopes) in FEATURES.items()]
