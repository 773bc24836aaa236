"""Contract: the FBE login dialog, the code exchange, debug_token and the system-user token."""

from __future__ import annotations

import json
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from django.conf import settings

from .conftest import error_of

REDIRECT = "https://portal.example.test/onboarding/callback?shop=7"
SCOPES = "manage_business_extension,catalog_management,business_management,pages_read_engagement"


def dialog_url(sandbox, **overrides) -> str:
    extras = {"setup": {"external_business_id": "shop-42", "timezone": "America/Los_Angeles", "currency": "USD",
                        "business_vertical": "ECOMMERCE", "domain": "https://shop.example.test/"},
              "business_config": {"business": {"name": "Harbour Ceramics"}}, "repeat": False}
    query = {"client_id": settings.META_APP_ID, "redirect_uri": REDIRECT, "state": "st-1", "scope": SCOPES,
             "response_type": "code", "extras": json.dumps(extras), **overrides}
    query = {k: v for k, v in query.items() if v is not None}
    return f"{sandbox.base_url}/www/v26.0/dialog/oauth?{urlencode(query)}"


def redirected_params(location: str) -> dict:
    assert location.startswith("https://portal.example.test/onboarding/callback?shop=7&")
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


def exchange(graph, code, **overrides):
    params = {"client_id": settings.META_APP_ID, "client_secret": settings.META_APP_SECRET,
              "redirect_uri": REDIRECT, "code": code, **overrides}
    return graph.get("oauth/access_token", **{k: v for k, v in params.items() if v is not None})


@pytest.fixture
def connected(sandbox, graph):
    params = redirected_params(sandbox.consent(dialog_url(sandbox)))
    response = exchange(graph, params["code"])
    assert response.status_code == 200, response.text
    return response.json()["access_token"]


def test_consent_page_shows_the_scopes_and_two_buttons(sandbox):
    page = sandbox.session.get(dialog_url(sandbox), timeout=10)
    assert page.status_code == 200
    html = page.text
    assert "Harbour Ceramics" in html and "catalog_management" in html
    assert 'value="continue"' in html and 'value="cancel"' in html
    assert '<html lang="' in html and "<h1>" in html


def test_unversioned_dialog_path_works_too(sandbox):
    url = dialog_url(sandbox).replace("/www/v26.0/dialog/", "/www/dialog/")
    assert sandbox.session.get(url, timeout=10).status_code == 200


@pytest.mark.parametrize("overrides, text", [
    ({"client_id": "999"}, "Invalid App ID"),
    ({"redirect_uri": None}, "Missing redirect_uri"),
    ({"redirect_uri": "portal/callback"}, "URL blocked"),
    ({"scope": "catalog_management,read_minds"}, "Invalid Scopes: read_minds"),
    ({"extras": None}, "extras.setup"),
    ({"extras": json.dumps({"setup": {"external_business_id": "x", "timezone": "UTC"}})},
     "Missing extras.setup fields: currency, business_vertical"),
    ({"extras": json.dumps({"setup": {"external_business_id": "x", "timezone": "UTC", "currency": "USD",
                                      "business_vertical": "ECOMMERCE", "channel": "COMMERCE"}})}, "domain"),
    ({"extras": json.dumps({"setup": {"external_business_id": "x", "timezone": "Mars/Olympus", "currency": "USD",
                                      "business_vertical": "ECOMMERCE"}})}, "time zone"),
])
def test_dialog_validation_errors_render_an_error_page(sandbox, overrides, text):
    page = sandbox.session.get(dialog_url(sandbox, **overrides), timeout=10)
    assert page.status_code == 400 and text in page.text


def test_continue_creates_the_business_and_redirects_with_code_and_state(sandbox, graph):
    params = redirected_params(sandbox.consent(dialog_url(sandbox)))
    assert params["state"] == "st-1" and params["code"]
    state = sandbox.state()
    assert len(state["businesses"]) == 1 and len(state["catalogs"]) == 1
    assert len(state["commerce_merchant_settings"]) == 1 and len(state["pixels"]) == 1
    install = state["fbe_installs"][0]
    assert install["external_business_id"] == "shop-42" and install["status"] == "installed"
    assert install["scopes"] == SCOPES.split(",")
    [event] = sandbox.webhooks()
    value = event["payload"]["entry"][0]["changes"][0]["value"]
    assert event["payload"]["object"] == "user" and event["field"] == "fbe_install"
    assert value["business_id"] == "shop-42" and value["access_token"]


def test_cancel_redirects_with_access_denied(sandbox):
    params = redirected_params(sandbox.consent(dialog_url(sandbox), action="cancel"))
    assert params == {"shop": "7", "error": "access_denied", "error_code": "200",
                      "error_description": "Permissions error", "error_reason": "user_denied", "state": "st-1"}
    assert sandbox.state()["businesses"] == []


def test_the_code_exchange_gives_a_working_user_token(sandbox, graph, connected):
    me = graph.get("me", token=connected).json()
    assert me["name"].startswith("Sandbox Admin")
    installs = graph.get("fbe_business/fbe_installs", token=connected, fbe_external_business_id="shop-42").json()
    assert installs["data"][0]["catalog_id"] == sandbox.state()["catalogs"][0]


def test_exchange_answer_shape(sandbox, graph):
    params = redirected_params(sandbox.consent(dialog_url(sandbox)))
    body = exchange(graph, params["code"]).json()
    assert set(body) == {"access_token", "token_type", "expires_in"}
    assert body["token_type"] == "bearer" and body["expires_in"] > 86400


def test_a_code_works_once(sandbox, graph):
    code = redirected_params(sandbox.consent(dialog_url(sandbox)))["code"]
    assert exchange(graph, code).status_code == 200
    error = error_of(exchange(graph, code))
    assert (error["code"], error["error_subcode"]) == (100, 36009)


def test_code_exchange_rejections(sandbox, graph):
    code = redirected_params(sandbox.consent(dialog_url(sandbox)))["code"]
    assert error_of(exchange(graph, "not-a-code"))["code"] == 100
    assert error_of(exchange(graph, code, client_secret="wrong"))["code"] == 1
    assert error_of(exchange(graph, code, client_id="999"))["code"] == 101
    mismatch = error_of(exchange(graph, code, redirect_uri="https://elsewhere.test/cb"))
    assert (mismatch["code"], mismatch["error_subcode"]) == (100, 36008)
    assert exchange(graph, code).status_code == 200  # failed attempts did not use the code up


def test_an_expired_code_is_refused(sandbox, graph):
    sandbox.set_config(dialog={"code_ttl_seconds": 0})
    code = redirected_params(sandbox.consent(dialog_url(sandbox)))["code"]
    error = error_of(exchange(graph, code))
    assert (error["code"], error["error_subcode"]) == (100, 36007)


def test_reconnecting_reuses_the_business(sandbox, graph):
    sandbox.consent(dialog_url(sandbox))
    sandbox.consent(dialog_url(sandbox))
    state = sandbox.state()
    assert len(state["businesses"]) == 1
    assert [i["status"] for i in state["fbe_installs"]] == ["uninstalled", "installed"]


def test_declined_scopes_switch_grants_fewer(sandbox, graph):
    sandbox.decline_scopes(["catalog_management"])
    code = redirected_params(sandbox.consent(dialog_url(sandbox)))["code"]
    token = exchange(graph, code).json()["access_token"]
    permissions = graph.get("me/permissions", token=token).json()["data"]
    assert {"permission": "catalog_management", "status": "declined"} in permissions
    assert {"permission": "manage_business_extension", "status": "granted"} in permissions
    app_token = f"{settings.META_APP_ID}|{settings.META_APP_SECRET}"
    info = graph.get("debug_token", token=app_token, input_token=token).json()["data"]
    assert "catalog_management" not in info["scopes"]


def test_debug_token_for_a_user_token(sandbox, graph, connected):
    app_token = f"{settings.META_APP_ID}|{settings.META_APP_SECRET}"
    data = graph.get("debug_token", token=app_token, input_token=connected).json()["data"]
    assert data["app_id"] == settings.META_APP_ID and data["type"] == "USER" and data["is_valid"] is True
    assert data["application"] and data["expires_at"] > data["issued_at"] > 0
    assert data["scopes"] == SCOPES.split(",")
    catalog_scope = next(g for g in data["granular_scopes"] if g["scope"] == "catalog_management")
    assert catalog_scope["target_ids"] == sandbox.state()["catalogs"]
    assert data["user_id"] == graph.get("me", token=connected).json()["id"]


def test_debug_token_with_the_token_itself_and_for_bad_tokens(sandbox, graph, biz):
    token = biz["access_token"]
    itself = graph.get("debug_token", token=token, input_token=token).json()["data"]
    assert itself["type"] == "SYSTEM_USER" and itself["expires_at"] == 0 and itself["is_valid"]
    app_token = f"{settings.META_APP_ID}|{settings.META_APP_SECRET}"
    unknown = graph.get("debug_token", token=app_token, input_token="EAA" + "Z" * 30)
    assert unknown.status_code == 200
    assert unknown.json()["data"]["is_valid"] is False and unknown.json()["data"]["error"]["code"] == 190
    sandbox.expire_token(token)
    expired = graph.get("debug_token", token=app_token, input_token=token).json()["data"]
    assert expired["is_valid"] is False and expired["error"]["subcode"] == 463 and expired["expires_at"] > 0
    app = graph.get("debug_token", token=app_token, input_token=app_token).json()["data"]
    assert app["type"] == "APP" and app["is_valid"] is True
    assert error_of(graph.get("debug_token", token=app_token))["code"] == 100  # input_token is required


def test_long_lived_exchange_and_client_credentials(graph, connected):
    common = {"client_id": settings.META_APP_ID, "client_secret": settings.META_APP_SECRET}
    long_lived = graph.get("oauth/access_token", grant_type="fb_exchange_token", fb_exchange_token=connected,
                           **common).json()
    assert long_lived["token_type"] == "bearer" and graph.get("me", token=long_lived["access_token"]).ok
    app = graph.get("oauth/access_token", grant_type="client_credentials", **common).json()
    assert app["access_token"] == f"{settings.META_APP_ID}|{settings.META_APP_SECRET}"


def test_system_user_token_exchange_requires_the_proof(sandbox, graph, connected):
    sandbox.require_appsecret_proof(False)
    business = sandbox.state()["businesses"][0]
    path = f"{business}/access_token"
    params = {"app_id": settings.META_APP_ID, "scope": "catalog_management,manage_business_extension",
              "fbe_external_business_id": "shop-42"}
    missing = error_of(graph.post(path, token=connected, with_proof=False, **params))
    assert missing["message"] == "API calls from the server require an appsecret_proof argument"
    response = graph.post(path, token=connected, **params)
    assert response.status_code == 200 and set(response.json()) == {"access_token"}
    system_token = response.json()["access_token"]
    assert graph.get("me", token=system_token).json()["name"].endswith("System User (FBE)")
    info = graph.get("debug_token", token=system_token, input_token=system_token).json()["data"]
    assert info["type"] == "SYSTEM_USER" and info["scopes"] == ["catalog_management", "manage_business_extension"]


def test_system_user_token_exchange_rejections(sandbox, graph, connected, biz):
    business = sandbox.state()["businesses"][0]
    path = f"{business}/access_token"
    assert error_of(graph.post(path, token=connected, app_id="999", scope="catalog_management"))["code"] == 100
    assert error_of(graph.post(path, token=connected, app_id=settings.META_APP_ID, scope="ads_management"))[
        "code"] == 200  # not granted to the user token
    assert error_of(graph.post(path, token=connected, app_id=settings.META_APP_ID))["code"] == 100
    system = graph.post(path, token=biz["access_token"], app_id=settings.META_APP_ID, scope="catalog_management")
    assert error_of(system)["error_subcode"] == 33  # another business's token cannot see this one
