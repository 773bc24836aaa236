"""Contract: cursor pagination (limit, after, before, next only when more pages exist) and the
usage headers and throttles computed from real call counts."""

from __future__ import annotations

import json

import pytest

from .conftest import error_of


@pytest.fixture
def pages(sandbox, biz):
    """The business owns 30 pages: the one from setup and 29 more."""
    for n in range(29):
        sandbox.create_object("page", business_id=biz["business_id"], parent_id=biz["business_id"], name=f"Page {n}")
    return biz


def test_default_page_size_is_25_and_next_follows_to_the_end(graph, pages):
    token = pages["access_token"]
    first = graph.get(f"{pages['business_id']}/owned_pages", token=token).json()
    assert len(first["data"]) == 25
    assert set(first["paging"]) == {"cursors", "next"}
    assert first["paging"]["next"].startswith(graph.url(f"{pages['business_id']}/owned_pages"))
    second = graph.session.get(first["paging"]["next"], timeout=10).json()
    assert len(second["data"]) == 5
    assert "next" not in second["paging"] and "previous" in second["paging"]
    ids = [p["id"] for p in first["data"] + second["data"]]
    assert len(set(ids)) == 30


def test_limit_after_and_before(graph, pages):
    token, path = pages["access_token"], f"{pages['business_id']}/owned_pages"
    page1 = graph.get(path, token=token, limit=10).json()
    page2 = graph.get(path, token=token, limit=10, after=page1["paging"]["cursors"]["after"]).json()
    assert page2["data"][0]["id"] != page1["data"][-1]["id"] and len(page2["data"]) == 10
    back = graph.get(path, token=token, limit=10, before=page2["paging"]["cursors"]["before"]).json()
    assert back["data"] == page1["data"]
    cursor = page1["paging"]["cursors"]["after"]
    assert not cursor.isdigit()  # opaque


def test_last_page_has_no_next(graph, biz):
    body = graph.get(f"{biz['business_id']}/owned_pages", token=biz["access_token"]).json()
    assert len(body["data"]) == 1 and "next" not in body["paging"]


def test_empty_edge_has_no_paging(sandbox, graph):
    bare = sandbox.create_business(name="Bare", with_catalog=False)
    body = graph.get(f"{bare['business_id']}/owned_product_catalogs", token=bare["access_token"]).json()
    assert body == {"data": []}


def test_nested_edge_limit_and_its_next_link(graph, pages):
    token = pages["access_token"]
    body = graph.get(pages["business_id"], token=token, fields="name,owned_pages.limit(2){name}").json()
    nested = body["owned_pages"]
    assert len(nested["data"]) == 2 and set(nested["data"][0]) == {"id", "name"}
    followed = graph.get(f"{pages['business_id']}/owned_pages", token=token, limit=2,
                         after=nested["paging"]["cursors"]["after"], fields="name").json()
    assert followed["data"][0]["id"] not in {p["id"] for p in nested["data"]}
    assert "fields=name" in nested["paging"]["next"].replace("%7B", "{")


def test_bad_cursor_and_bad_limit(graph, biz):
    path = f"{biz['business_id']}/owned_pages"
    assert error_of(graph.get(path, token=biz["access_token"], after="garbage"))["code"] == 100
    assert error_of(graph.get(path, token=biz["access_token"], limit="ten"))["code"] == 100


def test_app_usage_header_counts_calls(sandbox, graph, biz):
    sandbox.set_usage_budget(calls=10)
    usages = [json.loads(graph.get("me", token=biz["access_token"]).headers["X-App-Usage"]) for _ in range(3)]
    assert [u["call_count"] for u in usages] == [10, 20, 30]
    assert set(usages[0]) == {"call_count", "total_cputime", "total_time"}


def test_app_budget_spent_is_code_4(sandbox, graph, biz):
    sandbox.set_usage_budget(calls=2)
    for _ in range(2):
        assert graph.get("me", token=biz["access_token"]).status_code == 200
    response = graph.get("me", token=biz["access_token"])
    error = error_of(response)
    assert (error["code"], error["is_transient"]) == (4, True)
    assert json.loads(response.headers["X-App-Usage"])["call_count"] == 100
    assert json.loads(error["error_data"])["estimated_time_to_regain_access"] >= 1


def test_business_use_case_header_and_80009_throttle(sandbox, graph, biz):
    sandbox.set_usage_budget(calls=2, buc_type="catalog_management", window_seconds=600)
    token, catalog = biz["access_token"], biz["catalog_id"]
    first = graph.get(catalog, token=token)
    header = json.loads(first.headers["X-Business-Use-Case-Usage"])
    assert list(header) == [biz["business_id"]]
    entry = header[biz["business_id"]][0]
    assert entry == {"type": "catalog_management", "call_count": 50, "total_cputime": entry["total_cputime"],
                     "total_time": entry["total_time"], "estimated_time_to_regain_access": 0}
    assert graph.get(catalog, token=token).status_code == 200
    throttled = graph.get(catalog, token=token)
    error = error_of(throttled)
    assert throttled.status_code == 400 and error["code"] == 80009 and error["is_transient"] is True
    blocked = json.loads(throttled.headers["X-Business-Use-Case-Usage"])[biz["business_id"]][0]
    assert blocked["call_count"] == 100 and 1 <= blocked["estimated_time_to_regain_access"] <= 10
    # Another business has its own budget; calls outside the BUC are not throttled.
    other = sandbox.create_business(name="Other")
    assert graph.get(other["catalog_id"], token=other["access_token"]).status_code == 200
    assert graph.get("me", token=token).status_code == 200


def test_a_per_business_budget_only_binds_that_business(sandbox, graph, biz):
    other = sandbox.create_business(name="Other")
    sandbox.set_usage_budget(calls=1, buc_type="catalog_management", business_id=biz["business_id"])
    graph.get(biz["catalog_id"], token=biz["access_token"])
    assert error_of(graph.get(biz["catalog_id"], token=biz["access_token"]))["code"] == 80009
    for _ in range(3):
        assert graph.get(other["catalog_id"], token=other["access_token"]).status_code == 200


def test_clearing_the_journal_resets_usage(sandbox, graph, biz):
    sandbox.set_usage_budget(calls=1)
    graph.get("me", token=biz["access_token"])
    assert error_of(graph.get("me", token=biz["access_token"]))["code"] == 4
    sandbox.clear_requests()
    assert graph.get("me", token=biz["access_token"]).status_code == 200
