"""The staff console: access, fault injection through the form, switches, the journal, and
no secret ever shown (in the console or in the journal)."""

from __future__ import annotations

import json

import pytest
from django.conf import settings
from django.test import Client

from meta_sandbox.models import Fault

from .conftest import error_of, proof

CONSOLE = "/graph-sandbox/console/"


@pytest.fixture
def staff_client(django_user_model):
    user = django_user_model.objects.create_user("sandbox-staff", password="pw", is_staff=True)
    client = Client()
    client.force_login(user)
    return client


def test_console_needs_a_staff_login(db, django_user_model):
    anonymous = Client().get(CONSOLE)
    assert anonymous.status_code == 302 and "/admin/login/" in anonymous["Location"]
    seller = django_user_model.objects.create_user("seller", password="pw")
    client = Client()
    client.force_login(seller)
    assert client.get(CONSOLE).status_code == 302


def test_graph_root_sends_browsers_to_the_console(db):
    response = Client().get("/graph-sandbox/")
    assert response.status_code == 302 and response["Location"] == "console/"


def test_console_shows_state_faults_and_journal(sandbox, graph, biz, staff_client):
    graph.get("me", token=biz["access_token"])
    sandbox.add_fault(path="*/items_batch", kind="throttle", count=None)
    html = staff_client.get(CONSOLE).content.decode()
    for text in ("Graph sandbox console", biz["business_id"], "shop-1", "*/items_batch", "throttle",
                 "/v26.0/me", 'id="journal"'):
        assert text in html, text


def test_staff_inject_a_fault_with_the_form_and_the_client_sees_it(sandbox, graph, biz, staff_client):
    response = staff_client.post("/graph-sandbox/console/faults", {
        "method": "GET", "path": "me", "kind": "error", "count": "1", "code": "2", "http_status": "503"})
    assert response.status_code == 302
    fault = Fault.objects.get()
    assert (fault.kind, fault.path, fault.params["code"], fault.remaining) == ("error", "me", 2, 1)
    assert error_of(graph.get("me", token=biz["access_token"]))["code"] == 2
    html = staff_client.get(CONSOLE + "?fault=error").content.decode()
    assert "/v26.0/me" in html and "503" in html


def test_an_invalid_fault_form_arms_nothing(db, staff_client):
    response = staff_client.post("/graph-sandbox/console/faults", {"method": "GET", "path": "", "kind": "error"},
                                 follow=True)
    assert Fault.objects.count() == 0
    assert "The fault was not armed" in response.content.decode()


def test_clear_one_and_all_faults(sandbox, staff_client):
    first = sandbox.add_fault(path="a", kind="drop", count=None)
    sandbox.add_fault(path="b", kind="drop", count=None)
    staff_client.post("/graph-sandbox/console/faults/clear", {"fault_id": first["id"]})
    assert [f["path"] for f in sandbox.faults()] == ["b"]
    staff_client.post("/graph-sandbox/console/faults/clear")
    assert sandbox.faults() == []


def test_switches_form_turns_the_proof_off(sandbox, graph, biz, staff_client):
    config = sandbox.config()
    staff_client.post("/graph-sandbox/console/switches", {
        "window_seconds": 60, "app_calls": config["usage"]["app_calls"], "catalog_management": 5,
        "catalog_batch": 5, "decline_scopes": "catalog_management", "auto_deliver": ""})
    config = sandbox.config()
    assert config["require_appsecret_proof"] is False and config["usage"]["buc_calls"]["catalog_management"] == 5
    assert config["dialog"]["decline_scopes"] == ["catalog_management"]
    assert graph.get("me", token=biz["access_token"], with_proof=False).status_code == 200


def test_business_state_form(sandbox, graph, biz, staff_client):
    staff_client.post("/graph-sandbox/console/business-state",
                      {"business_id": biz["business_id"], "state": "merchant_disabled"})
    body = graph.get(biz["commerce_merchant_settings_id"], token=biz["access_token"], fields="merchant_status").json()
    assert body["merchant_status"] == "EXTERNALLY_DISABLED"


def test_secrets_never_reach_the_journal_or_the_console(sandbox, graph, biz, staff_client):
    token = biz["access_token"]
    app_token = f"{settings.META_APP_ID}|{settings.META_APP_SECRET}"
    graph.get("me", token=token)
    graph.get("me", token=token, bearer=True)
    graph.get("debug_token", token=app_token, input_token=token)
    graph.post(biz["commerce_merchant_settings_id"], token=token, json_body={"merchant_status": "ENABLED",
               "note": f"access_token={token}"})
    graph.get("oauth/access_token", client_id=settings.META_APP_ID, client_secret=settings.META_APP_SECRET,
              redirect_uri="https://x.test/cb", code="some-code-value")
    secrets = [token, proof(token), settings.META_APP_SECRET, "some-code-value"]
    journal = json.dumps(sandbox.requests())
    html = staff_client.get(CONSOLE).content.decode()
    for secret in secrets:
        assert secret not in journal
        assert secret not in html
    assert '"access_token": "***"' in journal and '"Authorization": "***"' in journal
    # The install webhook carries the token: the console shows its payload masked.
    assert "fbe_install" in html


def test_the_form_arms_after_apply_with_a_drop(db, staff_client):
    staff_client.post("/graph-sandbox/console/faults", {"method": "POST", "path": "*", "kind": "after_apply",
                                                        "then": "drop", "count": ""})
    fault = Fault.objects.get()
    assert (fault.kind, fault.params, fault.remaining) == ("after_apply", {"then": "drop"}, None)
