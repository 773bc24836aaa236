"""Fault injection, each kind observed from a plain `requests` call."""

from __future__ import annotations

import time

import pytest
import requests

from meta_sandbox.testing import SandboxControlError

from .conftest import error_of


def test_error_fault_answers_the_envelope_asked_for_then_clears(sandbox, graph, biz):
    fault = sandbox.add_fault(path="me", kind="error", code=2, http_status=503, error_user_msg="Try later")
    assert fault["id"] and fault["kind"] == "error" and fault["count"] == 1
    response = graph.get("me", token=biz["access_token"])
    error = error_of(response)
    assert response.status_code == 503
    assert (error["code"], error["is_transient"], error["error_user_msg"]) == (2, True, "Try later")
    assert graph.get("me", token=biz["access_token"]).status_code == 200  # count=1 is spent
    assert sandbox.faults() == []
    journal = sandbox.requests(path="me")
    assert [(r["fault"], r["status"]) for r in journal] == [("error", 503), (None, 200)]


def test_error_fault_with_subcode_and_default_status(sandbox, graph, biz):
    sandbox.add_fault(path="*", kind="error", code=190, error_subcode=460)
    error = error_of(graph.get(biz["catalog_id"], token=biz["access_token"]))
    assert (error["code"], error["error_subcode"], error["is_transient"]) == (190, 460, False)


def test_throttle_fault_codes_by_path(sandbox, graph, biz):
    sandbox.add_fault(path="*/items_batch", method="POST", kind="throttle", estimated_time_to_regain_access=7)
    response = graph.post(f"{biz['catalog_id']}/items_batch", token=biz["access_token"])
    error = error_of(response)
    assert error["code"] == 80014 and error["is_transient"] is True
    assert '"estimated_time_to_regain_access":7' in response.headers["X-Business-Use-Case-Usage"]
    assert '"type":"catalog_batch"' in response.headers["X-Business-Use-Case-Usage"]
    sandbox.add_fault(path="me", kind="throttle")
    app = graph.get("me", token=biz["access_token"])
    assert error_of(app)["code"] == 4 and '"call_count":100' in app.headers["X-App-Usage"]


def test_latency_fault_delays_the_real_answer(sandbox, graph, biz):
    sandbox.add_fault(path="me", kind="latency", ms=400)
    started = time.monotonic()
    response = graph.get("me", token=biz["access_token"])
    assert response.status_code == 200 and time.monotonic() - started >= 0.35


def test_hang_fault_times_the_client_out_without_applying(sandbox, graph, biz):
    cms = biz["commerce_merchant_settings_id"]
    sandbox.add_fault(path=cms, method="POST", kind="hang", seconds=2)
    with pytest.raises(requests.Timeout):
        graph.post(cms, token=biz["access_token"], merchant_status="EXTERNALLY_DISABLED", timeout=0.5)
    assert graph.get(cms, token=biz["access_token"]).json()["merchant_status"] == "ENABLED"
    row = sandbox.requests(path=cms, method="POST")[0]
    assert row["fault"] == "hang" and row["status"] is None


def test_drop_fault_closes_the_connection(sandbox, graph, biz):
    sandbox.add_fault(path="me", kind="drop")
    with pytest.raises(requests.ConnectionError):
        graph.get("me", token=biz["access_token"])
    assert graph.get("me", token=biz["access_token"]).status_code == 200
    assert sandbox.requests(path="me")[0]["fault"] == "drop"


def test_malformed_fault_is_not_json(sandbox, graph, biz):
    sandbox.add_fault(path="me", kind="malformed")
    response = graph.get("me", token=biz["access_token"])
    with pytest.raises(requests.JSONDecodeError):
        response.json()


def test_truncated_fault_cuts_the_json(sandbox, graph, biz):
    whole = graph.get(biz["commerce_merchant_settings_id"], token=biz["access_token"]).content
    sandbox.add_fault(path=biz["commerce_merchant_settings_id"], kind="truncated")
    response = graph.get(biz["commerce_merchant_settings_id"], token=biz["access_token"])
    assert response.content == whole[: len(whole) // 2]
    with pytest.raises(requests.JSONDecodeError):
        response.json()


@pytest.mark.parametrize("then, exception", [("hang", requests.Timeout), ("drop", requests.ConnectionError)])
def test_after_apply_applies_the_write_although_the_call_fails(sandbox, graph, biz, then, exception):
    cms = biz["commerce_merchant_settings_id"]
    sandbox.add_fault(path=cms, method="POST", kind="after_apply", then=then, seconds=2)
    with pytest.raises(exception):
        graph.post(cms, token=biz["access_token"], merchant_status="EXTERNALLY_DISABLED", timeout=0.5)
    assert graph.get(cms, token=biz["access_token"]).json()["merchant_status"] == "EXTERNALLY_DISABLED"
    assert sandbox.requests(path=cms, method="POST")[0]["fault"] == "after_apply"


def test_faults_match_on_method(sandbox, graph, biz):
    cms = biz["commerce_merchant_settings_id"]
    sandbox.add_fault(path=cms, method="POST", kind="error", code=1)
    assert graph.get(cms, token=biz["access_token"]).status_code == 200
    assert error_of(graph.post(cms, token=biz["access_token"], merchant_status="ENABLED"))["code"] == 1


def test_probability_and_until_cleared(sandbox, graph, biz):
    sandbox.add_fault(path="me", kind="error", code=1, probability=0, count=None)
    assert all(graph.get("me", token=biz["access_token"]).status_code == 200 for _ in range(3))
    sandbox.clear_faults()
    sandbox.add_fault(path="me", kind="error", code=1, probability=1, count=None)
    assert all(error_of(graph.get("me", token=biz["access_token"]))["code"] == 1 for _ in range(3))
    assert sandbox.faults()[0]["hits"] == 3
    sandbox.clear_faults()
    assert sandbox.faults() == []
    assert graph.get("me", token=biz["access_token"]).status_code == 200


def test_count_applies_to_the_next_n_calls(sandbox, graph, biz):
    sandbox.add_fault(path="me", kind="error", code=1, count=2)
    statuses = [graph.get("me", token=biz["access_token"]).status_code for _ in range(3)]
    assert statuses == [500, 500, 200]


def test_fault_definitions_are_checked_by_the_control_api(sandbox):
    with pytest.raises(SandboxControlError):
        sandbox.add_fault(path="me", kind="explode")
    with pytest.raises(SandboxControlError):
        sandbox.add_fault(path="", kind="drop")
