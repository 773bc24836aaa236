"""Shop health: read what Meta says about a shop, judge it, record it.

Three steps, kept apart so each can be tested on its own:

1. *read* (network): the token (`debug_token` with the app's token), the FBE install, the
   commerce merchant settings (`merchant_status`, `cta`, review rejections, the Facebook and
   Instagram channels) and `setup_status`;
2. *judge* (pure): turn those answers into `Check`s (pass, fail, or unknown when Meta could
   not be asked);
3. *record* (database): store the checks on the connection, open or refresh one `ShopIssue`
   per failed check, resolve the issues of checks that pass; unknown checks leave their issues
   alone. History is kept: a resolved issue keeps its row, a new occurrence gets a new one.

The onboarding callback runs 1-3 for a brand-new token (`read_new_connection`); the health
task runs them for a stored one (`shops.tasks.check_shop_health`).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from graph.client import GraphClient
from graph.client.results import FbeInstall, TokenInfo
from graph.errors import GraphError, NotFound, TokenInvalid
from shops import checks as C
from shops.models import MetaConnection, Shop, ShopIssue

log = logging.getLogger(__name__)

#: Permissions the portal cannot work without (catalog sync and FBE management).
DEFAULT_REQUIRED_SCOPES = ("manage_business_extension", "catalog_management")
#: A token that expires within this many days raises a warning.
EXPIRY_WARNING_DAYS = 7

CMS_FIELDS = ("id", "merchant_status", "cta", "review_rejection_reasons", "review_rejection_messages",
              "facebook_channel", "instagram_channel")

SETUP_DONE = {"SETUP", "COMPLETE", "COMPLETED", "DONE", "APPROVED", "ENABLED", "NOT_REQUIRED", "NOT_APPLICABLE"}
REVIEW_REJECTED = {"REJECTED", "DISAPPROVED", "REJECTED_BY_REVIEW"}
CHANNEL_ON = {"ENABLED", "ACTIVE", "ON", "LIVE", "VISIBLE", "PUBLISHED", "APPROVED"}


def required_scopes() -> list[str]:
    return list(getattr(settings, "META_REQUIRED_SCOPES", DEFAULT_REQUIRED_SCOPES))


class ConnectProblem(Exception):
    """The connect cannot be completed for a reason the seller can fix (see onboarding.FAILURES)."""

    def __init__(self, code: str, detail: str = "") -> None:
        super().__init__(f"{code}: {detail}")
        self.code = code
        self.detail = detail


@dataclass
class Reading:
    """What Meta said about one shop (anything None was not read)."""

    token: str = field(default="", repr=False)
    token_info: TokenInfo | None = None
    install: FbeInstall | None = None
    installs_read: bool = False
    cms: dict | None = None
    setup_status: dict | None = None
    checks: list[C.Check] = field(default_factory=list)
    #: the error that stopped the reading early (Meta unreachable, ...), for `last_error`
    error: GraphError | None = None


#: The onboarding callback is the one web request that talks to Meta: it makes about seven calls
#: in a row, so each is kept short (the seller sees "Meta did not answer, try again" instead of
#: a request that hangs past the web server's timeout).
WEB_REQUEST_LIMITS = {"max_attempts": 2, "max_wait": 5.0, "read_timeout": 10.0, "backoff_max": 1.0}


def app_client(**limits) -> GraphClient:
    """The app's own client (`app_id|app_secret`), for `debug_token` and the code exchange."""
    from shops.graph import app_client as journalled_app_client

    return journalled_app_client(**limits)


def token_client(shop: Shop, token: str) -> GraphClient:
    """A client for a token not saved yet (the callback's), journalled under the shop; with the
    web-request limits."""
    from shops.graph import record_call

    return GraphClient.from_settings(token, on_call=lambda record: record_call(shop.pk, record, secrets=(token,)),
                                     **WEB_REQUEST_LIMITS)


# --- 1. read ---------------------------------------------------------------------------------


def read_cms(client: GraphClient, cms_id: str) -> tuple[dict, dict]:
    """(merchant settings, setup_status) of a commerce account."""
    cms = client.get(cms_id, fields=list(CMS_FIELDS)) or {}
    setup = client.get(f"{cms_id}/setup_status") or {}
    rows = setup.get("data") if isinstance(setup, Mapping) else None
    setup_row = rows[0] if isinstance(rows, list) and rows and isinstance(rows[0], Mapping) else {}
    return dict(cms), dict(setup_row)


def read_new_connection(shop: Shop, *, code: str, redirect_to: str) -> Reading:
    """The onboarding callback's reads for a fresh code. Raises ConnectProblem for what the
    seller must fix at Meta and GraphError when Meta fails; nothing is saved here.

    FBE's flow (META_API.md §5.2): the code gives the business admin's user token; with it we
    read the install and trade it for the install's system-user token (not tied to a person,
    no expiry), which is the one we keep and verify the shop with.
    """
    app = app_client(**WEB_REQUEST_LIMITS)
    try:
        user_token = str(app.exchange_code(code, redirect_to).access_token)
    except GraphError as exc:
        if exc.permanent:
            raise ConnectProblem("exchange_failed", str(exc)) from exc
        raise
    if not user_token:
        raise ConnectProblem("exchange_failed", "Meta returned no access token")
    user_info = app.debug_token(user_token)
    if not user_info.is_valid:
        raise ConnectProblem("exchange_failed", "Meta says the new access token is not valid")
    user_client = token_client(shop, user_token)
    installs = user_client.get_fbe_installs(shop.external_business_id)
    if not installs:
        raise ConnectProblem("not_installed", "fbe_installs returned no data")
    install = installs[0]
    if not install.catalog_id:
        raise ConnectProblem("missing_catalog", "the FBE install has no catalog")
    if not install.commerce_merchant_settings_id:
        raise ConnectProblem("missing_merchant_settings", "the FBE install has no commerce merchant settings")
    token = _system_user_token(user_client, install, shop, scopes=user_info.scopes)
    reading = Reading(token=token, install=install, installs_read=True)
    reading.token_info = app.debug_token(token)
    client = token_client(shop, token)
    try:
        reading.cms, reading.setup_status = read_cms(client, install.commerce_merchant_settings_id)
    except NotFound as exc:
        raise ConnectProblem("missing_merchant_settings", str(exc)) from exc
    reading.checks = judge(shop, reading)
    return reading


def _system_user_token(user_client: GraphClient, install: FbeInstall, shop: Shop, *, scopes: list[str]) -> str:
    """`POST /{business_manager_id}/access_token`: the FBE system-user token for the install."""
    try:
        answer = user_client.post(f"{install.business_manager_id}/access_token", {
            "app_id": settings.META_APP_ID,
            "scope": ",".join(scopes),
            "fbe_external_business_id": shop.external_business_id,
        })
    except GraphError as exc:
        if exc.permanent:
            raise ConnectProblem("exchange_failed", str(exc)) from exc
        raise
    token = str((answer or {}).get("access_token") or "")
    if not token:
        raise ConnectProblem("exchange_failed", "Meta returned no system-user token")
    return token


def read_stored_connection(shop: Shop, conn: MetaConnection, *, client: GraphClient,
                           app: GraphClient) -> Reading:
    """The health task's reads. Stops early (leaving later checks unknown) when the token is
    dead or Meta fails; the error is kept on the reading."""
    reading = Reading(token=str(conn.access_token))
    try:
        reading.token_info = app.debug_token(reading.token)
        if reading.token_info.is_valid:
            installs = client.get_fbe_installs(shop.external_business_id)
            reading.installs_read = True
            reading.install = installs[0] if installs else None
            cms_id = (reading.install.commerce_merchant_settings_id if reading.install else "") or ""
            if cms_id:
                try:
                    reading.cms, reading.setup_status = read_cms(client, cms_id)
                except NotFound:
                    reading.cms = {}
    except TokenInvalid as exc:
        # debug_token itself answers for the app, so a 190 here means the shop's token was
        # refused by a later call: the same verdict.
        reading.token_info = TokenInfo(is_valid=False, error={"message": str(exc)})
        reading.error = exc
    except GraphError as exc:
        reading.error = exc
    reading.checks = judge(shop, reading)
    return reading


def apply_assets(conn: MetaConnection, install: FbeInstall) -> list[str]:
    """Copy the asset ids Meta reports onto the connection (unsaved); returns changed fields.
    An asset Meta no longer reports keeps its last known id (the checks flag it)."""
    values = {
        "business_manager_id": install.business_manager_id,
        "catalog_id": install.catalog_id,
        "pixel_id": install.pixel_id,
        "page_id": install.page_id,
        "instagram_profile_id": (install.instagram_profiles or [""])[0],
        "commerce_merchant_settings_id": install.commerce_merchant_settings_id,
    }
    changed = []
    for name, value in values.items():
        if value and getattr(conn, name) != value:
            setattr(conn, name, value)
            changed.append(name)
    features = [f.get("feature_type", "") for f in install.installed_features]
    if features and conn.installed_features != features:
        conn.installed_features = features
        changed.append("installed_features")
    return changed


# --- 2. judge --------------------------------------------------------------------------------


def _text(value: Any) -> str:
    if isinstance(value, Mapping):
        for key in ("status", "state", "value", "enabled", "is_enabled"):
            if key in value:
                return _text(value[key])
        return ""
    if isinstance(value, bool):
        return "ENABLED" if value else "DISABLED"
    return str(value or "").strip().upper()


def _messages(value: Any) -> list[str]:
    """Meta's review messages and reasons, as plain strings."""
    if isinstance(value, Mapping):
        value = value.get("data", [value])
    if isinstance(value, str):
        return [value] if value.strip() else []
    out = []
    for item in value or []:
        if isinstance(item, Mapping):
            text = item.get("message") or item.get("reason") or item.get("description") or item.get("code")
            if text:
                out.append(str(text))
        elif item:
            out.append(str(item))
    return out


def judge(shop: Shop, reading: Reading) -> list[C.Check]:
    """The checks for one reading, in catalogue order. Unknown (None) when not read."""
    Check = C.Check
    out: list[Check] = []
    info = reading.token_info
    token_ok = None if info is None else bool(info.is_valid)
    out.append(Check("token", token_ok))
    if token_ok:
        expires: datetime | None = info.expires_at
        soon = expires is not None and expires - timezone.now() < timedelta(days=EXPIRY_WARNING_DAYS)
        out.append(Check("token_expiry", not soon, {"expires": expires.date().isoformat()} if expires else {}))
        missing = sorted(set(required_scopes()) - set(info.scopes))
        out.append(Check("permissions", not missing, {"missing": ", ".join(missing)} if missing else {}))
    else:
        out += [Check("token_expiry", None), Check("permissions", None)]

    install = reading.install
    if not reading.installs_read:
        out += [Check("install", None), Check("catalog", None), Check("merchant_settings", None)]
    else:
        out.append(Check("install", install is not None))
        out.append(Check("catalog", bool(install and install.catalog_id) if install else None))
        has_cms = bool(install and install.commerce_merchant_settings_id) and reading.cms != {}
        out.append(Check("merchant_settings", has_cms if install else None))

    cms, setup = reading.cms, reading.setup_status
    if not cms:
        out += [Check(k, None) for k in ("merchant_status", "review", "setup", "facebook_channel", "instagram_channel")]
    else:
        status = _text(cms.get("merchant_status"))
        out.append(Check("merchant_status", status in ("", "ENABLED"), {"status": status}))
        reasons = _messages(cms.get("review_rejection_messages")) or _messages(cms.get("review_rejection_reasons"))
        review = (setup or {}).get("review_status")
        review_state = _text(review)
        if review_state in REVIEW_REJECTED and isinstance(review, Mapping):
            reasons = reasons or _messages(review.get("reasons")) or [review_state]
        rejected = bool(reasons) or review_state in REVIEW_REJECTED
        # The explanation adds its own full stop after Meta's words.
        text = "; ".join(r.strip().rstrip(".") for r in reasons)
        out.append(Check("review", not rejected, {"reasons": text} if rejected else {}))
        if setup:
            undone = sorted(
                k for k in ("shop_setup",)
                if k in setup and _text(setup.get(k)) not in SETUP_DONE
            )
            out.append(Check("setup", not undone, {"steps": ", ".join(_step_name(k) for k in undone)} if undone else {}))
        else:
            out.append(Check("setup", None))
        for key in ("facebook_channel", "instagram_channel"):
            on, state = _channel(cms.get(key))
            out.append(Check(key, on, {} if on else {"status": state}))

    out.append(Check("storefront", bool(shop.storefront_url)))
    return out


def _channel(value: Any) -> tuple[bool, str]:
    """(on, status) of a sales channel field. Meta leaves the field out (null) when the channel
    is off; when on it lists the channel's pages or Instagram users, or carries a status."""
    if isinstance(value, Mapping):
        if any(k in value for k in ("status", "state", "enabled", "is_enabled")):
            state = _text(value)
            return state in CHANNEL_ON, state
        for items in value.values():
            data = items.get("data") if isinstance(items, Mapping) else items
            if data:
                return True, "ENABLED"
        return False, "NO_ACCOUNT"
    if value in (None, "", False, [], {}):
        return False, "OFF"
    state = _text(value)
    return state in CHANNEL_ON, state


def _step_name(key: str) -> str:
    return key.replace("_", " ")


# --- 3. record -------------------------------------------------------------------------------


@transaction.atomic
def record(shop: Shop, conn: MetaConnection, results: list[C.Check], cms: dict | None, *,
           now: datetime | None = None) -> dict:
    """Store one check's results and bring the shop's issues in line. Returns counts."""
    now = now or timezone.now()
    counts = {"opened": 0, "refreshed": 0, "resolved": 0, "unknown": 0}
    cms_id = conn.commerce_merchant_settings_id
    if cms:
        conn.merchant_status = _text(cms.get("merchant_status"))[:40]
        conn.cta = _text(cms.get("cta"))[:40]
    conn.checks = [r.as_json() for r in results]
    conn.last_checked_at = now
    conn.save(update_fields=["merchant_status", "cta", "checks", "last_checked_at"])

    open_issues = {i.kind: i for i in ShopIssue.objects.select_for_update().filter(shop=shop, resolved_at__isnull=True)}
    for result in results:
        kind = C.BY_KEY[result.key]
        issue = open_issues.get(kind.issue_kind)
        if result.ok is None:
            counts["unknown"] += 1
            continue
        if result.ok:
            if issue is not None:
                issue.resolved_at = now
                issue.save(update_fields=["resolved_at"])
                counts["resolved"] += 1
            continue
        url, external = C.cta_url(kind, shop=shop, cms_id=cms_id)
        values = {
            "severity": kind.severity,
            "title": C.fill(_english(kind.title), result.params),
            "explanation": C.fill(_english(kind.explanation), result.params),
            "cta_label": _english(kind.cta_label),
            "cta_url": url,
            "cta_external": external,
            "params": result.params or {},
            "last_seen": now,
        }
        if issue is None:
            ShopIssue.objects.create(shop=shop, kind=kind.issue_kind, first_seen=now, **values)
            counts["opened"] += 1
        else:
            for name, value in values.items():
                setattr(issue, name, value)
            issue.save()
            counts["refreshed"] += 1
    return counts


def _english(text) -> str:
    from django.utils import translation

    with translation.override("en"):
        return str(text)


def open_issue(shop: Shop, check_key: str, params: dict | None = None, *, now: datetime | None = None) -> ShopIssue:
    """Open (or refresh) the issue of one failed check outside a full health check, e.g. when
    Meta tells us by webhook that the seller uninstalled."""
    conn = shop.meta_connection
    now = now or timezone.now()
    kind = C.BY_KEY[check_key]
    url, external = C.cta_url(kind, shop=shop, cms_id=conn.commerce_merchant_settings_id)
    issue, created = ShopIssue.objects.get_or_create(
        shop=shop, kind=kind.issue_kind, resolved_at=None,
        defaults={"severity": kind.severity, "title": C.fill(_english(kind.title), params),
                  "explanation": C.fill(_english(kind.explanation), params), "cta_label": _english(kind.cta_label),
                  "cta_url": url, "cta_external": external, "params": params or {}, "first_seen": now,
                  "last_seen": now},
    )
    if not created:
        issue.last_seen = now
        issue.save(update_fields=["last_seen"])
    return issue


def resolve_all(shop: Shop, *, now: datetime | None = None) -> int:
    """Resolve every open shop issue (the seller disconnected on purpose: they no longer apply)."""
    return ShopIssue.objects.filter(shop=shop, resolved_at__isnull=True).update(resolved_at=now or timezone.now())
