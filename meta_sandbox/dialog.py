"""The sandbox's copy of Meta's login dialog with Facebook Business Extension:
`GET /graph-sandbox/www/[<version>/]dialog/oauth` (mirrors https://www.facebook.com/<v>/dialog/oauth).

Validation like Meta: unknown client_id, a missing or non-http(s) redirect_uri, an unknown
response_type or scope, and missing `extras.setup` fields answer an error page (HTTP 400).
The consent page posts back to the same URL with the validated request, signed (so it
cannot be altered) and valid for an hour.
"""

from __future__ import annotations

import json
import re
from urllib.parse import urlencode, urlsplit
from zoneinfo import ZoneInfo

from django import forms
from django.conf import settings
from django.core import signing
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.csrf import csrf_exempt

from . import auth, services
from .config import get_config

SIGNING_SALT = "meta_sandbox.dialog"
REQUIRED_SETUP = ("external_business_id", "timezone", "currency", "business_vertical")
CHANNELS_NEEDING_DOMAIN = ("COMMERCE", "COMMERCE_OFFSITE")
SCOPE_TEXT = {
    "manage_business_extension": gettext_lazy("Manage the Facebook Business Extension for your business"),
    "catalog_management": gettext_lazy("Create and manage your product catalogs"),
    "business_management": gettext_lazy("Manage your business and its assets"),
    "ads_management": gettext_lazy("Manage your ads"),
    "ads_read": gettext_lazy("Read your ads performance"),
    "pages_read_engagement": gettext_lazy("Read content posted on your Page"),
    "pages_show_list": gettext_lazy("Show a list of the Pages you manage"),
    "instagram_basic": gettext_lazy("Access your Instagram profile"),
    "commerce_account_read_settings": gettext_lazy("Read your shop's settings"),
    "commerce_account_manage_orders": gettext_lazy("Manage your shop's orders"),
    "commerce_account_read_orders": gettext_lazy("Read your shop's orders"),
    "commerce_account_read_reports": gettext_lazy("Read your shop's finance reports"),
    "commerce_manage_accounts": gettext_lazy("Manage your commerce accounts"),
    "read_insights": gettext_lazy("Read your Page's insights"),
    "instagram_manage_insights": gettext_lazy("Read your Instagram account's insights"),
}


class DialogError(Exception):
    pass


def validate(query) -> dict:
    """The dialog request from the query string, or DialogError with a message for the page."""
    client_id = query.get("client_id", "")
    if client_id != settings.META_APP_ID:
        raise DialogError(_("Invalid App ID: the provided app ID does not look like a valid app ID."))
    redirect_uri = query.get("redirect_uri", "")
    if not redirect_uri:
        raise DialogError(_("Missing redirect_uri parameter."))
    parts = urlsplit(redirect_uri)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise DialogError(_("URL blocked: the redirect_uri must be an absolute http(s) URL."))
    response_type = query.get("response_type") or "code"
    if response_type not in ("code", "token"):
        raise DialogError(_("Invalid response_type: use code or token."))
    scopes = [s for s in re.split(r"[,\s]+", query.get("scope", "")) if s]
    unknown = [s for s in scopes if s not in auth.KNOWN_SCOPES]
    if unknown:
        raise DialogError(_("Invalid Scopes: %(scopes)s.") % {"scopes": ", ".join(unknown)})
    try:
        extras = json.loads(query.get("extras") or "null")
    except ValueError:
        raise DialogError(_("The extras parameter is not valid JSON."))
    if not isinstance(extras, dict) or not isinstance(extras.get("setup"), dict):
        raise DialogError(_("Facebook Business Extension needs extras.setup."))
    setup = extras["setup"]
    missing = [name for name in REQUIRED_SETUP if not str(setup.get(name) or "").strip()]
    channel = str(setup.get("channel") or "DEFAULT").upper()
    if channel in CHANNELS_NEEDING_DOMAIN and not setup.get("domain"):
        missing.append("domain")
    if missing:
        raise DialogError(_("Missing extras.setup fields: %(fields)s.") % {"fields": ", ".join(missing)})
    try:
        ZoneInfo(str(setup["timezone"]))
    except (KeyError, ValueError):
        raise DialogError(_("extras.setup.timezone is not a known time zone."))
    if not re.fullmatch(r"[A-Z]{3}", str(setup["currency"])):
        raise DialogError(_("extras.setup.currency must be an ISO 4217 code such as USD."))
    business_config = extras.get("business_config") or {}
    if not isinstance(business_config, dict):
        raise DialogError(_("extras.business_config must be a JSON object."))
    return {"client_id": client_id, "redirect_uri": redirect_uri, "state": query.get("state"),
            "response_type": response_type, "scopes": scopes,
            "setup": {k: str(v) for k, v in setup.items()}, "business_config": business_config,
            "repeat": bool(extras.get("repeat", False))}


class ConsentForm(forms.Form):
    request = forms.CharField(widget=forms.HiddenInput)
    action = forms.ChoiceField(choices=[("continue", "continue"), ("cancel", "cancel")])

    def clean_request(self) -> dict:
        try:
            return signing.loads(self.cleaned_data["request"], salt=SIGNING_SALT, max_age=3600)
        except signing.BadSignature:
            raise forms.ValidationError(_("This dialog has expired. Start again from the app."))


def _redirect(uri: str, params: dict, *, fragment: bool = False) -> HttpResponseRedirect:
    query = urlencode({k: v for k, v in params.items() if v is not None})
    separator = "#" if fragment else ("&" if "?" in uri else "?")
    response = HttpResponseRedirect(f"{uri}{separator}{query}")
    return response


def _error_page(request, message: str) -> HttpResponse:
    return render(request, "sandbox/dialog_error.html", {"message": message}, status=400)


@csrf_exempt  # the form carries a signed copy of the validated request instead
def oauth_dialog(request: HttpRequest, version: str | None = None) -> HttpResponse:
    if request.method == "POST":
        return _consent_answer(request)
    try:
        dialog = validate(request.GET)
    except DialogError as exc:
        return _error_page(request, str(exc))
    declined = get_config()["dialog"]["decline_scopes"]
    scopes = [{"name": s, "text": SCOPE_TEXT.get(s, s), "declined": s in declined} for s in dialog["scopes"]]
    business_name = ((dialog["business_config"].get("business") or {}).get("name")
                     or dialog["setup"]["external_business_id"])
    form = ConsentForm(initial={"request": signing.dumps(dialog, salt=SIGNING_SALT)})
    return render(request, "sandbox/dialog.html", {
        "form": form, "scopes": scopes, "business_name": business_name, "setup": dialog["setup"],
        "app_name": services.app_name(), "redirect_host": urlsplit(dialog["redirect_uri"]).netloc,
    })


def _consent_answer(request: HttpRequest) -> HttpResponse:
    form = ConsentForm(request.POST)
    if not form.is_valid():
        message = "; ".join(str(e) for errors in form.errors.values() for e in errors)
        return _error_page(request, message)
    dialog = form.cleaned_data["request"]
    uri, state = dialog["redirect_uri"], dialog["state"]
    fragment = dialog["response_type"] == "token"
    if form.cleaned_data["action"] == "cancel":
        return _redirect(uri, {"error": "access_denied", "error_code": 200, "error_description": "Permissions error",
                               "error_reason": "user_denied", "state": state}, fragment=fragment)
    with transaction.atomic():
        code = services.complete_dialog(client_id=dialog["client_id"], redirect_uri=uri, scopes=dialog["scopes"],
                                        setup=dialog["setup"], business_config=dialog["business_config"])
        if fragment:
            auth_code = services.find_code(code)
            token, ttl = services.user_token_for_code(auth_code)
            return _redirect(uri, {"access_token": token, "data_access_expiration_time": None, "expires_in": ttl,
                                   "state": state}, fragment=True)
    return _redirect(uri, {"code": code, "state": state})
