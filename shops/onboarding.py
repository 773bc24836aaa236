"""Connecting a shop through Facebook Business Extension (FBE): the dialog and its callback.

`begin_connect` creates a `ConnectAttempt` whose random `state` is stored hashed, bound to the
user's session, the user and the shop, usable once until it expires, and returns the URL of
Meta's FBE dialog. `complete_connect` handles Meta's redirect back: it claims the state (a
conditional UPDATE, so a replay or a parallel second request loses), exchanges the code for a
token, reads the FBE install and verifies the shop at Meta. Only when every read succeeded are
the token (encrypted by the field) and the assets saved, in one transaction with the check
results and issues; any failure leaves the shop as it was and tells the seller what to do.

The callback is the only web request in the portal that talks to Meta (DESIGN.md §1).
"""

from __future__ import annotations

import hashlib
import json
import logging
import secrets
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlencode

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from graph.errors import GraphError, RateLimited, TokenInvalid, Transient
from shops import audit
from shops.health.reading import ConnectProblem, Reading, read_new_connection
from shops.health.recording import record
from shops.models import ConnectAttempt, Membership, MetaConnection, Shop
from shops.permissions import requested_scopes
from shops.signals import shop_connected

log = logging.getLogger(__name__)

SESSION_KEY = "shops.fbe_states"
#: how many dialog trips a session may have open at once (several tabs, several shops)
SESSION_MAX_STATES = 10



def state_ttl() -> timedelta:
    return timedelta(seconds=getattr(settings, "META_FBE_STATE_TTL", 15 * 60))


def _hash(state: str) -> str:
    return hashlib.sha256(state.encode()).hexdigest()


# --- failures a seller can meet, each with a message and what to do next ---------------------


@dataclass(frozen=True)
class Failure:
    code: str
    title: str
    message: str
    #: "retry" (connect again), "continue" (go on in the wizard), "home" (the state was unknown)
    action: str = "retry"


FAILURES = {f.code: f for f in (
    Failure("cancelled", _("You cancelled at Meta"),
            _("Nothing was changed. Connect again when you are ready: it takes about two minutes.")),
    Failure("meta_error", _("Meta could not finish the connection"),
            _("Meta sent the shop back with an error: %(detail)s. Nothing was saved; please try again.")),
    Failure("invalid_state", _("This link from Meta is not valid"),
            _("We could not match it to a connection you started, so nothing was changed. Start the "
              "connection again from your shop."), action="home"),
    Failure("expired", _("The connection took too long"),
            _("For your security a connection must be finished within %(minutes)s minutes. Nothing was "
              "saved; please start again.")),
    Failure("replayed", _("This link from Meta was already used"),
            _("Each connection link works once. Nothing was changed by opening it again."), action="continue"),
    Failure("exchange_failed", _("Meta did not accept the sign-in"),
            _("Meta refused to give us access for this shop (%(detail)s). Nothing was saved; please "
              "connect again.")),
    Failure("not_installed", _("Meta did not report the installation"),
            _("Meta says the Facebook Business Extension is not installed for this shop. Connect again "
              "and finish every step in Meta's window.")),
    Failure("missing_catalog", _("No catalog was chosen"),
            _("Your products go to a catalog at Meta. Connect again and choose or create a catalog in "
              "Meta's window. Nothing was saved.")),
    Failure("missing_merchant_settings", _("No shop was set up at Meta"),
            _("Meta did not create the shop's commerce account. Connect again and finish the shop step "
              "in Meta's window. Nothing was saved.")),
    Failure("meta_unavailable", _("Meta is not answering right now"),
            _("We could not reach Meta to finish the connection. Nothing was saved; please try again in a "
              "few minutes.")),
)}


@dataclass
class CallbackResult:
    shop: Shop | None
    attempt: ConnectAttempt | None
    failure: Failure | None = None

    @property
    def ok(self) -> bool:
        return self.failure is None


# --- the dialog ------------------------------------------------------------------------------


def redirect_uri(request) -> str:
    """The callback URL Meta sends the seller back to. One fixed URL (Meta whitelists redirect
    URIs exactly), on the host the seller uses so the session cookie comes along."""
    configured = getattr(settings, "META_OAUTH_REDIRECT_URI", "")
    return configured or request.build_absolute_uri(reverse("onboarding:callback"))


def extras(shop: Shop, connection: MetaConnection | None = None) -> dict:
    """FBE's `extras` (META_API.md §5.1): who the shop is, so Meta pre-fills its window."""
    setup = {
        "external_business_id": shop.external_business_id,
        "timezone": shop.timezone,
        "currency": shop.currency,
        "business_vertical": shop.business_vertical,
        "channel": "COMMERCE_OFFSITE" if shop.storefront_url else "DEFAULT",
    }
    if shop.storefront_url:
        setup["domain"] = shop.storefront_url
    if connection is not None and connection.commerce_merchant_settings_id:
        setup["merchant_settings_id"] = connection.commerce_merchant_settings_id
    business_config = {"business": {"name": shop.name}}
    if shop.storefront_url:
        business_config["ig_cta"] = {"enabled": True, "cta_button_text": "Shop Now", "cta_button_url": shop.storefront_url}
        business_config["page_cta"] = {"enabled": True, "cta_button_text": "Shop Now", "cta_button_url": shop.storefront_url}
    return {"setup": setup, "business_config": business_config, "repeat": False}


def dialog_url(shop: Shop, *, state: str, redirect_to: str, connection: MetaConnection | None = None) -> str:
    base = settings.META_DIALOG_BASE_URL.rstrip("/")
    query = {
        "client_id": settings.META_APP_ID,
        "display": "page",
        "redirect_uri": redirect_to,
        "response_type": "code",
        "scope": ",".join(requested_scopes()),
        "state": state,
        "extras": json.dumps(extras(shop, connection), separators=(",", ":")),
    }
    return f"{base}/{settings.GRAPH_API_VERSION}/dialog/oauth?{urlencode(query)}"


@transaction.atomic
def begin_connect(request, shop: Shop, *, actor) -> str:
    """Start a trip to Meta's dialog for `shop` (`actor`: the seller who pressed Connect);
    returns the URL to send the browser to. Audited as `connection.begin` with the permissions
    asked for (never the state, which works like a password until the seller is back)."""
    connection = MetaConnection.objects.get_or_create(shop=shop)[0]
    purpose = ConnectAttempt.Purpose.RECONNECT if connection.connected_at else ConnectAttempt.Purpose.CONNECT
    state = secrets.token_urlsafe(32)
    callback = redirect_uri(request)
    attempt = ConnectAttempt.objects.create(
        shop=shop, user=actor, purpose=purpose, state_hash=_hash(state), redirect_uri=callback,
        expires_at=timezone.now() + state_ttl(),
    )
    audit.record(shop, actor, "connection.begin", target=connection, summary=f"{purpose} (attempt {attempt.pk})",
                 changes={"purpose": purpose, "scopes": requested_scopes(), "redirect_uri": callback})
    states = [s for s in request.session.get(SESSION_KEY, []) if isinstance(s, str)]
    request.session[SESSION_KEY] = (states + [_hash(state)])[-SESSION_MAX_STATES:]
    return dialog_url(shop, state=state, redirect_to=callback, connection=connection)


# --- the callback ----------------------------------------------------------------------------


def _fail(attempt: ConnectAttempt | None, code: str, detail: str = "", *, outcome=None) -> Failure:
    if attempt is not None and attempt.outcome == ConnectAttempt.Outcome.PENDING:
        attempt.outcome = outcome or ConnectAttempt.Outcome.FAILED
        attempt.error_code = code
        attempt.error_detail = detail[:2000]
        attempt.save(update_fields=["outcome", "error_code", "error_detail"])
    log.info("FBE connect failed: %s (attempt %s)", code, attempt.pk if attempt else None)
    return FAILURES[code]


def _find_attempt(request, state: str) -> ConnectAttempt | None:
    """The attempt this state belongs to, if it was started in this session by this user and
    the user may still change the shop; None means we treat the state as forged."""
    if not state or len(state) > 200:
        return None
    digest = _hash(state)
    if digest not in request.session.get(SESSION_KEY, []):
        return None
    attempt = ConnectAttempt.objects.select_related("shop").filter(state_hash=digest).first()
    if attempt is None or attempt.user_id != request.user.pk:
        return None
    membership = Membership.objects.filter(user=request.user, shop=attempt.shop).first()
    if membership is None or not membership.can_write:
        return None
    return attempt


def _claim(attempt: ConnectAttempt) -> str | None:
    """Mark the state used, once. Returns a failure code when it cannot be used."""
    now = timezone.now()
    claimed = ConnectAttempt.objects.filter(pk=attempt.pk, used_at__isnull=True).update(used_at=now)
    if claimed != 1:
        return "replayed"
    attempt.used_at = now
    if attempt.expires_at <= now:
        return "expired"
    return None


def complete_connect(request, params) -> CallbackResult:
    """Handle Meta's redirect back (`params` = the query string)."""
    state = params.get("state", "")
    attempt = _find_attempt(request, state)
    if attempt is None:
        return CallbackResult(None, None, _fail(None, "invalid_state"))
    shop = attempt.shop
    problem = _claim(attempt)
    if problem == "replayed":
        return CallbackResult(shop, attempt, FAILURES["replayed"])
    if problem == "expired":
        return CallbackResult(shop, attempt, _fail(attempt, "expired", outcome=ConnectAttempt.Outcome.EXPIRED))
    # The state is spent whatever happens next (its row says so); it stays in the session so
    # that opening the same link again reads "already used" rather than "not valid".

    error = params.get("error", "")
    if error:
        detail = params.get("error_description") or params.get("error_reason") or error
        if error == "access_denied" or params.get("error_reason") == "user_denied":
            return CallbackResult(shop, attempt, _fail(attempt, "cancelled", detail, outcome=ConnectAttempt.Outcome.CANCELLED))
        return CallbackResult(shop, attempt, _fail(attempt, "meta_error", detail))
    code = params.get("code", "")
    if not code:
        return CallbackResult(shop, attempt, _fail(attempt, "exchange_failed", "no code in the redirect"))

    try:
        reading = read_new_connection(shop, code=code, redirect_to=attempt.redirect_uri)
    except ConnectProblem as exc:
        return CallbackResult(shop, attempt, _fail(attempt, exc.code, exc.detail))
    except (Transient, RateLimited) as exc:
        return CallbackResult(shop, attempt, _fail(attempt, "meta_unavailable", str(exc)))
    except TokenInvalid as exc:
        return CallbackResult(shop, attempt, _fail(attempt, "exchange_failed", str(exc)))
    except GraphError as exc:
        return CallbackResult(shop, attempt, _fail(attempt, "exchange_failed", str(exc)))

    reconnect = _save_connection(shop, attempt, reading)
    transaction.on_commit(lambda: shop_connected.send(sender=Shop, shop_id=shop.pk, reconnect=reconnect), robust=True)
    return CallbackResult(shop, attempt)


#: What the audit trail keeps of a connect: the status and the asset ids (never the token).
AUDITED_ASSETS = ("status", "business_manager_id", "catalog_id", "pixel_id", "page_id", "instagram_profile_id",
                  "commerce_merchant_settings_id", "ad_account_id")


@transaction.atomic
def _save_connection(shop: Shop, attempt: ConnectAttempt, reading: Reading) -> bool:
    """Everything the connect learned, saved at once (audited as the attempt's user's change).
    Returns True for a reconnect."""
    conn = MetaConnection.objects.select_for_update().get(shop=shop)
    reconnect = conn.connected_at is not None
    before = audit.snapshot(conn, AUDITED_ASSETS)
    install = reading.install
    now = timezone.now()
    conn.access_token = reading.token
    conn.token_type = install.token_type or reading.token_info.type
    conn.token_expires_at = reading.token_info.expires_at
    conn.scopes = reading.token_info.scopes
    conn.business_manager_id = install.business_manager_id
    conn.catalog_id = install.catalog_id
    conn.pixel_id = install.pixel_id
    conn.page_id = install.page_id
    conn.instagram_profile_id = (install.instagram_profiles or [""])[0]
    conn.commerce_merchant_settings_id = install.commerce_merchant_settings_id
    conn.ad_account_id = install.ad_account_id.removeprefix("act_")
    conn.installed_features = [f.get("feature_type", "") for f in install.installed_features]
    conn.status = MetaConnection.Status.CONNECTED
    conn.connected_at = conn.connected_at or now
    conn.disconnected_at = None
    conn.uninstall_pending = False
    conn.last_ok_at = now
    conn.last_error = ""
    conn.save()
    audit.record(shop, attempt.user, "connection.reconnect" if reconnect else "connection.connect", target=conn,
                 changes=audit.diff(before, audit.snapshot(conn, AUDITED_ASSETS)))
    record(shop, conn, reading.checks, reading.cms, now=now)
    attempt.outcome = ConnectAttempt.Outcome.SUCCEEDED
    attempt.error_code = attempt.error_detail = ""
    attempt.save(update_fields=["outcome", "error_code", "error_detail"])
    return reconnect


def latest_failure(shop: Shop) -> tuple[ConnectAttempt, Failure] | None:
    """The shop's latest connect attempt when it failed (shown on the Connect step)."""
    attempt = shop.connect_attempts.exclude(outcome=ConnectAttempt.Outcome.PENDING).order_by("-created_at", "-pk").first()
    if attempt is None or attempt.outcome == ConnectAttempt.Outcome.SUCCEEDED or attempt.error_code not in FAILURES:
        return None
    return attempt, FAILURES[attempt.error_code]
