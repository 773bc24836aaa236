"""Contract: Graph batch requests (`POST /` with `batch=[...]`)."""

from __future__ import annotations

import json

from .conftest import error_of


def test_batch_runs_each_operation_like_a_call(sandbox, graph, biz):
    cms = biz["commerce_merchant_settings_id"]
    ops = [{"method": "GET", "relative_url": "me"},
           {"method": "GET", "relative_url": f"v26.0/{biz['catalog_id']}?fields=name"},
           {"method": "POST", "relative_url": cms, "body": "merchant_status=EXTERNALLY_DISABLED"},
           {"method": "GET", "relative_url": "no_such_alias"}]
    response = graph.post("", token=biz["access_token"], batch=json.dumps(ops))
    assert response.status_code == 200, response.text
    answers = response.json()
    assert [a["code"] for a in answers] == [200, 200, 200, 400]
    assert {"name": "Content-Type", "value": "text/javascript; charset=UTF-8"} in answers[0]["headers"]
    assert json.loads(answers[0]["body"])["id"] == biz["system_user_id"]
    assert json.loads(answers[1]["body"]) == {"name": "Lotus Tea Catalog", "id": biz["catalog_id"]}
    assert json.loads(answers[2]["body"]) == {"success": True}
    assert json.loads(answers[3]["body"])["error"]["code"] == 803
    assert graph.get(cms, token=biz["access_token"], fields="merchant_status").json()["merchant_status"] == (
        "EXTERNALLY_DISABLED")
    journaled = {r["path"] for r in sandbox.requests()}
    assert {"", "me", biz["catalog_id"], cms, "no_such_alias"} <= journaled


def test_batch_limits_and_options(graph, biz):
    token = biz["access_token"]
    too_many = graph.post("", token=token, batch=json.dumps([{"method": "GET", "relative_url": "me"}] * 51))
    assert "Maximum batch size is 50" in error_of(too_many)["message"]
    bare = graph.post("", token=token, batch=json.dumps([{"relative_url": "me"}]), include_headers="false").json()
    assert set(bare[0]) == {"code", "body"}
    assert error_of(graph.post("", token=token))["message"] == "(#100) The parameter batch is required"
    no_token = graph.post("", batch=json.dumps([{"relative_url": "me"}])).json()
    assert json.loads(no_token[0]["body"])["error"]["code"] == 104
