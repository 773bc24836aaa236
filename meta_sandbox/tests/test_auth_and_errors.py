"""Contract: tokens, appsecret_proof, versions and Meta's rejections, over real HTTP."""

from __future__ import annotations

import json

import pytest
from django.conf import settings

from .conftest import error_of, proof


def test_me_answers_the_system_user_with_meta_headers(graph, biz):
    response = graph.get("me", token=biz["access_token"])
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/json")
    assert response.headers["facebook-api-version"] == "v26.0"
    assert response.headers["x-fb-trace-id"]
    assert response.json() == {"id": biz["system_user_id"], "name": "Seller Portal System User (FBE)"}


def test_unversioned_paths_use_the_default_version(graph, biz):
    response = graph.get("me", token=biz["access_token"], version=None)
    assert response.status_code == 200
    assert response.headers["facebook-api-version"] == settings.GRAPH_API_VERSION
    assert response.json()["id"] == biz["system_user_id"]


def test_old_versions_are_upgraded_and_future_versions_refused(graph, biz):
    assert graph.get("me", token=biz["access_token"], version="v2.8").headers["facebook-api-version"] == "v21.0"
    response = graph.get("me", token=biz["access_token"], version="v99.0")
    assert response.status_code == 400 and error_of(response)["code"] == 2500


def test_token_in_the_authorization_header(graph, biz):
    response = graph.get("me", token=biz["access_token"], bearer=True)
    assert response.status_code == 200 and response.json()["id"] == biz["system_user_id"]


def test_missing_token_is_104(graph, biz):
    response = graph.get("me")
    error = error_of(response)
    assert response.status_code == 400
    assert (error["code"], error["type"]) == (104, "OAuthException")


def test_a_token_the_sandbox_did_not_issue_is_190_467(graph, biz):
    response = graph.get("me", token="EAA" + "Q" * 40)
    error = error_of(response)
    assert response.status_code == 400
    assert (error["code"], error["error_subcode"], error["type"]) == (190, 467, "OAuthException")
    assert 'invalid_token' in response.headers["WWW-Authenticate"]


def test_expired_token_is_190_463(sandbox, graph, biz):
    sandbox.expire_token(biz["access_token"])
    error = error_of(graph.get("me", token=biz["access_token"]))
    assert (error["code"], error["error_subcode"]) == (190, 463)
    assert "Session has expired" in error["message"]


@pytest.mark.parametrize("subcode", [460, 458])
def test_revoked_token_is_190_with_the_chosen_subcode(sandbox, graph, biz, subcode):
    sandbox.revoke_token(biz["access_token"], subcode=subcode)
    error = error_of(graph.get("me", token=biz["access_token"]))
    assert (error["code"], error["error_subcode"]) == (190, subcode)


def test_appsecret_proof_is_required_by_default(graph, biz):
    response = graph.get("me", token=biz["access_token"], with_proof=False)
    error = error_of(response)
    assert response.status_code == 400
    assert (error["code"], error["type"]) == (100, "GraphMethodException")
    assert error["message"] == "API calls from the server require an appsecret_proof argument"


def test_wrong_appsecret_proof_is_refused_even_when_not_required(sandbox, graph, biz):
    sandbox.require_appsecret_proof(False)
    assert graph.get("me", token=biz["access_token"], with_proof=False).status_code == 200
    error = error_of(graph.get("me", token=biz["access_token"], with_proof=False, appsecret_proof="0" * 64))
    assert error["message"] == "Invalid appsecret_proof provided in the API argument"
    # A proof made with another secret is just as wrong.
    other = graph.get("me", token=biz["access_token"], with_proof=False, appsecret_proof=proof("other-token"))
    assert error_of(other)["code"] == 100


def test_app_token_cannot_read_business_objects_or_me(graph, biz):
    app_token = f"{settings.META_APP_ID}|{settings.META_APP_SECRET}"
    assert error_of(graph.get(biz["catalog_id"], token=app_token))["error_subcode"] == 33
    assert error_of(graph.get("me", token=app_token))["code"] == 2500
    wrong = graph.get("debug_token", token=f"{settings.META_APP_ID}|not-the-secret", input_token="x")
    assert error_of(wrong)["code"] == 190
    assert graph.get("debug_token", token=app_token, input_token="x", appsecret_proof=proof(app_token)).ok
    bad_proof = graph.get("debug_token", token=app_token, input_token="x", appsecret_proof="0" * 64)
    assert error_of(bad_proof)["message"] == "Invalid appsecret_proof provided in the API argument"


def test_unknown_numeric_node_is_100_33_graph_method_exception(graph, biz):
    response = graph.get("123456789", token=biz["access_token"])
    error = error_of(response)
    assert response.status_code == 400
    assert (error["code"], error["error_subcode"], error["type"]) == (100, 33, "GraphMethodException")
    assert "Object with ID '123456789' does not exist" in error["message"]


def test_another_business_objects_are_invisible(sandbox, graph, biz):
    other = sandbox.create_business(name="Other")
    error = error_of(graph.get(other["catalog_id"], token=biz["access_token"]))
    assert (error["code"], error["error_subcode"]) == (100, 33)


def test_unknown_alias_is_803(graph, biz):
    error = error_of(graph.get("no_such_alias", token=biz["access_token"]))
    assert error["code"] == 803
    assert error["message"] == "(#803) Some of the aliases you requested do not exist: no_such_alias"


def test_unknown_edge_and_unknown_field_name_the_node_type(graph, biz):
    edge = error_of(graph.get(f"{biz['catalog_id']}/no_such_edge", token=biz["access_token"]))
    assert edge["code"] == 100
    assert edge["message"] == "(#100) Tried accessing nonexisting field (no_such_edge) on node type (ProductCatalog)"
    field = error_of(graph.get(biz["catalog_id"], token=biz["access_token"], fields="id,colour"))
    assert field["message"] == "(#100) Tried accessing nonexisting field (colour) on node type (ProductCatalog)"
    nested = error_of(graph.get(biz["commerce_merchant_settings_id"], token=biz["access_token"],
                                fields="shops{id,nope}"))
    assert "(nope) on node type (Shop)" in nested["message"]


def test_fields_syntax_error_is_2500(graph, biz):
    error = error_of(graph.get("me", token=biz["access_token"], fields="id,{name"))
    assert error["code"] == 2500 and error["message"].startswith("Syntax error")


def test_unknown_parameter_is_refused(graph, biz):
    error = error_of(graph.get("me", token=biz["access_token"], colour="red"))
    assert error["code"] == 100 and "colour" in error["message"]
    assert json.loads(error["error_data"]) == {"blame_field_specs": [["colour"]]}


def test_unknown_path_components(graph, biz):
    error = error_of(graph.get("fbe_business/fbe_nothing", token=biz["access_token"]))
    assert error["code"] == 2500 and "fbe_business/fbe_nothing" in error["message"]
    deep = error_of(graph.get(f"{biz['catalog_id']}/a/b", token=biz["access_token"]))
    assert deep["code"] == 2500


def test_unsupported_methods(graph, biz):
    post_node = error_of(graph.post(biz["catalog_id"], token=biz["access_token"]))
    assert (post_node["code"], post_node["error_subcode"]) == (100, 33)
    assert post_node["message"].startswith("Unsupported post request.")
    post_literal = error_of(graph.post("debug_token", token=biz["access_token"], input_token="x"))
    assert post_literal["message"].startswith("Unsupported post request.")


def test_bad_enum_and_a_valid_update(graph, biz):
    cms, token = biz["commerce_merchant_settings_id"], biz["access_token"]
    bad = graph.post(cms, token=token, merchant_status="PAUSED")
    error = error_of(bad)
    assert bad.status_code == 400 and error["code"] == 100
    assert error["message"] == '(#100) Param merchant_status must be one of {ENABLED, EXTERNALLY_DISABLED} - got "PAUSED"'
    ok = graph.post(cms, token=token, merchant_status="EXTERNALLY_DISABLED")
    assert ok.status_code == 200 and ok.json() == {"success": True}
    assert graph.get(cms, token=token, fields="merchant_status").json()["merchant_status"] == "EXTERNALLY_DISABLED"


def test_missing_required_parameter(graph, biz):
    error = error_of(graph.get("fbe_business/fbe_installs", token=biz["access_token"]))
    assert error["message"] == "(#100) The parameter fbe_external_business_id is required"


def test_form_json_strings_and_json_bodies_are_both_accepted(sandbox, graph, biz):
    user_token = sandbox.mint_token(biz["business_id"], expires_in=3600)
    path = f"{biz['business_id']}/access_token"
    form = graph.post(path, token=user_token, app_id=settings.META_APP_ID, scope='["catalog_management","ads_read"]')
    assert form.status_code == 200, form.text
    body = {"app_id": settings.META_APP_ID, "scope": ["catalog_management"], "access_token": user_token,
            "appsecret_proof": proof(user_token)}
    as_json = graph.call("POST", path, json_body=body)
    assert as_json.status_code == 200, as_json.text
    broken = graph.session.post(graph.url(path), data="{not json", headers={"Content-Type": "application/json"})
    assert error_of(broken)["code"] == 100


def test_method_override_and_suppress_http_code(graph, biz):
    token = biz["access_token"]
    response = graph.get(biz["commerce_merchant_settings_id"], token=token, method="post",
                         merchant_status="EXTERNALLY_DISABLED")
    assert response.json() == {"success": True}
    suppressed = graph.get("nope_alias", token=token, suppress_http_code="1")
    assert suppressed.status_code == 200 and error_of(suppressed)["code"] == 803


def test_permission_missing_is_200(sandbox, graph, biz):
    sandbox.set_token_scopes(biz["access_token"], ["manage_business_extension"])
    error = error_of(graph.get(biz["catalog_id"], token=biz["access_token"]))
    assert error["code"] == 200 and "catalog_management" in error["message"]
