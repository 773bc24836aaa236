"""Step 1, read (network): what Meta says about a shop's token, FBE install and merchant settings."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from django.conf import settings

from graph.client import GraphClient
from graph.client.results import FbeInstall, TokenInfo
from graph.errors import GraphError, NotFound, TokenInvalid
from shops import checks as C
from shops.health.judging import judge
from shops.models import MetaConnection, Shop

log = logging.getLogger(__name__)

CMS_FIELDS = ("id", "merchant_status", "cta", "review_rejection_reasons", "review_rejection_messages",
              "facebook_channel", "instagram_channel")
#: Merchant-settings fields Meta's v26 no longer has (Meta's v26.0 SDK, CommerceMerchantSettings;
#: v25's reference still lists them): asking for one fails the whole read. From v26 the review
#: reasons come from setup_status.review_status.reasons, which every version has.
CMS_FIELDS_REMOVED_IN_V26 = ("cta", "review_rejection_reasons", "review_rejection_messages")


def cms_fields(version: str | None = None) -> list[str]:
    """The merchant-settings fields to ask for on `version` (default: settings.GRAPH_API_VERSION)."""
    version = version or getattr(settings, "GRAPH_API_VERSION", "v26.0")
    major = int(str(version).lstrip("v").split(".")[0] or 0)
    if major >= 26:
        return [f for f in CMS_FIELDS if f not in CMS_FIELDS_REMOVED_IN_V26]
    return list(CMS_FIELDS)


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
    """The app's own client (`app_id|app_secret`), for the code exchange."""
    from shops.graph import app_client as journalled_app_client

    return journalled_app_client(**limits)


def token_client(shop: Shop, token: str) -> GraphClient:
    """A client for a token not saved yet (the callback's), journalled under the shop; with the
    web-request limits."""
    from shops.graph import record_call

    return GraphClient.from_settings(token, on_call=lambda record: record_call(shop.pk, record, secrets=(token,)),
                                     **WEB_REQUEST_LIMITS)


# --- 1. read ---------------------------------------------------------------------------------


def token_info(client: GraphClient) -> TokenInfo:
    """Whether Meta accepts the client's token and which permissions it really has: `GET
    /me/permissions` with the token in the Authorization header (never in a URL; see
    `graph.client.endpoints.Endpoints.permissions` for why not `debug_token`)."""
    try:
        return client.permissions()
    except TokenInvalid as exc:
        return TokenInfo(is_valid=False, error={"message": str(exc)})


def read_cms(client: GraphClient, cms_id: str) -> tuple[dict, dict]:
    """(merchant settings, setup_status) of a commerce account."""
    cms = client.get(cms_id, fields=cms_fields()) or {}
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
    user_client = token_client(shop, user_token)
    user_info = token_info(user_client)
    if not user_info.is_valid:
        raise ConnectProblem("exchange_failed", "Meta says the new access token is not valid")
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
    client = token_client(shop, token)
    # The system-user token of an FBE install does not expire (META_API.md §5.4).
    reading.token_info = replace(token_info(client), type="SYSTEM_USER")
    if not reading.token_info.is_valid:
        raise ConnectProblem("exchange_failed", "Meta says the new system-user token is not valid")
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


def read_stored_connection(shop: Shop, conn: MetaConnection, *, client: GraphClient) -> Reading:
    """The health task's reads. Stops early (leaving later checks unknown) when the token is
    dead or Meta fails; the error is kept on the reading."""
    reading = Reading(token=str(conn.access_token))
    try:
        # What the token really may do, asked with the token itself (GET /me/permissions); the
        # expiry is the one learnt at the connect (Meta tells it nowhere but debug_token).
        reading.token_info = replace(client.permissions(), expires_at=conn.token_expires_at)
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
        # Meta refused the shop's token (on /me/permissions or a later read).
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
        "ad_account_id": install.ad_account_id.removeprefix("act_"),
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
