"""What we check about a shop's Meta connection, and how each failed check reads to a seller.

One catalogue serves the wizard's Verify step (each check as pass or fail with a fix link),
the health task (a failed check opens a `ShopIssue` of the check's kind; a passing one
resolves it) and the Issues page. Wording lives here once, marked for translation; `params`
fill the blanks (Meta's own review messages, the missing permissions).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from shops import links
from shops.permissions import feature_labels

#: Call-to-action targets. "reconnect" and "settings" are buttons in the portal; "cm_*" are
#: Commerce Manager deep links to the exact page.
RECONNECT, SETTINGS, CM_SETTINGS, CM_SUPPORT, CM_CHANNELS = "reconnect", "settings", "cm_settings", "cm_support", "cm_channels"


@dataclass(frozen=True)
class CheckKind:
    key: str
    #: what the Verify step shows next to the pass/fail mark
    label: str
    issue_kind: str
    severity: str
    title: str
    explanation: str
    cta: str
    cta_label: str
    #: the settings form field a "settings" call to action highlights
    field: str = ""


CATALOGUE: tuple[CheckKind, ...] = (
    CheckKind(
        "token", _("Meta accepts the shop's access"), "shop.token_invalid", "critical",
        _("Meta no longer accepts this shop's connection"),
        _("The access Meta gave this shop has expired or was withdrawn, so products, prices and stock "
          "stop reaching Facebook and Instagram. Reconnecting takes a minute and keeps all your data."),
        RECONNECT, _("Reconnect"),
    ),
    CheckKind(
        "token_expiry", _("Access does not run out soon"), "shop.token_expiring", "warning",
        _("The connection to Meta runs out on %(expires)s"),
        _("After that date nothing reaches Facebook and Instagram until you reconnect. Reconnect now "
          "to renew it."),
        RECONNECT, _("Reconnect"),
    ),
    CheckKind(
        "permissions", _("All permissions granted"), "shop.missing_permissions", "critical",
        _("Meta permissions are missing: %(missing)s"),
        _("Without them these features do not work: %(features)s. Reconnect and allow every "
          "permission Meta asks for."),
        RECONNECT, _("Reconnect"),
    ),
    CheckKind(
        "install", _("Facebook Business Extension installed"), "shop.uninstalled", "critical",
        _("The shop was disconnected at Meta"),
        _("The Facebook Business Extension was removed for this shop on Meta's side, so nothing is "
          "synced any more. Your products and settings here are kept; reconnect to resume."),
        RECONNECT, _("Reconnect"),
    ),
    CheckKind(
        "catalog", _("Catalog connected"), "shop.catalog_missing", "critical",
        _("No catalog is connected"),
        _("Products are sent to a catalog at Meta. Reconnect and choose or create a catalog in "
          "Meta's window."),
        RECONNECT, _("Reconnect"),
    ),
    CheckKind(
        "merchant_settings", _("Commerce account found"), "shop.merchant_settings_missing", "critical",
        _("Meta cannot find the shop's commerce account"),
        _("The commerce account holds the shop's settings at Meta. Reconnect and finish the shop "
          "step in Meta's window."),
        RECONNECT, _("Reconnect"),
    ),
    CheckKind(
        "merchant_status", _("Commerce account enabled"), "shop.merchant_disabled", "critical",
        _("Meta has disabled this shop"),
        _("Meta turned the shop off (status: %(status)s), usually after an integrity or policy "
          "review. Buyers cannot see it until Meta re-enables it. You can ask Meta for a review in "
          "Commerce Manager."),
        CM_SUPPORT, _("Request a review"),
    ),
    CheckKind(
        "review", _("Shop approved in Meta's review"), "shop.review_rejected", "must_fix",
        _("Meta's review rejected the shop"),
        _("Meta said: %(reasons)s. Fix what Meta names, then request a new review in Commerce Manager."),
        CM_SUPPORT, _("Request a review"),
    ),
    CheckKind(
        "setup", _("Shop set-up complete at Meta"), "shop.setup_incomplete", "must_fix",
        _("The shop's set-up at Meta is not finished"),
        _("Meta lists these steps as not done: %(steps)s. The shop stays hidden from buyers until they "
          "are. Finish them in Commerce Manager."),
        CM_SETTINGS, _("Finish set-up"),
    ),
    CheckKind(
        "facebook_channel", _("Selling on Facebook"), "shop.facebook_channel_off", "warning",
        _("The shop is not visible on Facebook"),
        _("Your Facebook shop is off (%(status)s), so buyers on Facebook cannot find your products. "
          "Turn the sales channel on in Commerce Manager."),
        CM_CHANNELS, _("Turn on Facebook"),
    ),
    CheckKind(
        "instagram_channel", _("Selling on Instagram"), "shop.instagram_channel_off", "warning",
        _("The shop is not visible on Instagram"),
        _("Your Instagram shop is off (%(status)s), so buyers on Instagram cannot find your products. "
          "Turn the sales channel on in Commerce Manager."),
        CM_CHANNELS, _("Turn on Instagram"),
    ),
    CheckKind(
        "storefront", _("Storefront address set"), "shop.storefront_missing", "warning",
        _("The shop has no storefront address"),
        _("Meta sends buyers to your website to pay. Enter your storefront's https address in the "
          "shop settings."),
        SETTINGS, _("Fix settings"), field="storefront_url",
    ),
)

BY_KEY = {c.key: c for c in CATALOGUE}
BY_ISSUE_KIND = {c.issue_kind: c for c in CATALOGUE}
ORDER = {c.key: i for i, c in enumerate(CATALOGUE)}


@dataclass(frozen=True)
class Check:
    """One check's result: ok True (pass), False (fail) or None (could not be checked)."""

    key: str
    ok: bool | None
    params: dict | None = None

    def as_json(self) -> dict:
        return {"key": self.key, "ok": self.ok, "params": self.params or {}}


def fill(text, params: dict | None) -> str:
    """Translate `text` now and fill its %(name)s blanks; missing values read as "—"."""
    text = str(text)
    if "%(" not in text:
        return text
    values = _Defaults(params or {})
    if "features" in values:  # feature keys (shops/permissions.py), named in the active language
        values["features"] = feature_labels(values["features"]) or "—"
    try:
        return text % values
    except (TypeError, ValueError):
        return text


class _Defaults(dict):
    def __missing__(self, key):
        return "—"


def cta_url(kind: CheckKind, *, shop, cms_id: str = "") -> tuple[str, bool]:
    """(url, external) for a check's call to action."""
    if kind.cta == RECONNECT:
        return reverse("shops:connect", args=[shop.pk]), False
    if kind.cta == SETTINGS:
        return f"{reverse('shops:settings', args=[shop.pk])}?field={kind.field}#id_{kind.field}", False
    if not cms_id:
        return reverse("shops:connect", args=[shop.pk]), False
    if kind.cta == CM_SUPPORT:
        return links.support(cms_id), True
    if kind.cta == CM_CHANNELS:
        return links.sales_channels(cms_id), True
    return links.shop_settings(cms_id), True
