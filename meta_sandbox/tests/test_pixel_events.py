"""Contract: `POST {pixel}/events` validates as Meta documents (limits, time window, hashed
contact information, website fields), one bad event rejects the request, and a browser and a
server copy of one event count once; over real HTTP."""

from __future__ import annotations

import hashlib
import json
import time

from meta_sandbox.endpoints.pixel_events import keep
from meta_sandbox.models import Node

from .conftest import error_of


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _event(**changes) -> dict:
    event = {"event_name": "Purchase", "event_time": int(time.time()) - 30, "event_id": "purchase.W-1",
             "action_source": "website", "event_source_url": "https://shop.example.com/thanks",
             "user_data": {"em": [_digest("ann@example.com")], "client_user_agent": "Mozilla/5.0",
                           "client_ip_address": "203.0.113.7"},
             "custom_data": {"value": 12.5, "currency": "USD", "content_ids": ["TEA-1"], "content_type": "product"}}
    event.update(changes)
    return event


def _send(graph, biz, events, **extra):
    return graph.post(f"{biz['pixel_id']}/events", token=biz["access_token"], data=json.dumps(events), **extra)


def _received(graph, biz) -> list[dict]:
    return graph.get(f"{biz['pixel_id']}/received_events", token=biz["access_token"]).json()["data"]


def test_events_are_received_with_metas_answer(graph, biz):
    response = _send(graph, biz, [_event(), _event(event_name="AddToCart", event_id="addtocart.k1", custom_data={})])
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["events_received"] == 2 and body["messages"] == [] and body["fbtrace_id"]
    assert [e["event_name"] for e in _received(graph, biz)] == ["Purchase", "AddToCart"]


def test_one_invalid_event_rejects_the_whole_request(graph, biz):
    response = _send(graph, biz, [_event(), _event(event_id="purchase.W-2", user_data={"em": ["ann@example.com"],
                                                                                        "client_user_agent": "x"})])
    error = error_of(response)
    assert response.status_code == 400 and error["code"] == 100
    assert "SHA-256" in error["error_user_msg"] and json.loads(error["error_data"]) == {"event_index": 1}
    assert _received(graph, biz) == []


def test_metas_rules_for_each_event(graph, biz):
    now = int(time.time())
    cases = {
        "Event Timestamp Too Old": _event(event_time=now - 8 * 24 * 3600),
        "Event Timestamp In The Future": _event(event_time=now * 1000),
        "Missing event_source_url": _event(event_source_url=""),
        "Missing client_user_agent": _event(user_data={"em": [_digest("a@b.co")]}),
        "Invalid action_source": _event(action_source="web"),
        "Missing value or currency": _event(custom_data={"content_ids": ["TEA-1"]}),
        "Invalid value": _event(custom_data={"value": "a lot", "currency": "USD"}),
        "Invalid currency": _event(custom_data={"value": 12.5, "currency": "dollars"}),
        "Invalid event_id": _event(event_id=42),
        "Missing user_data": _event(user_data={}),
    }
    for title, event in cases.items():
        error = error_of(_send(graph, biz, [event]))
        assert error["error_user_title"] == title, (title, error)


def test_at_most_a_thousand_events_per_request(graph, biz):
    events = [_event(event_id=f"purchase.W-{i}") for i in range(1001)]
    assert "at most 1000" in error_of(_send(graph, biz, events))["message"]


def test_a_browser_and_a_server_copy_count_once(graph, biz):
    pixel = next(n for n in Node.objects.filter(type="pixel") if n.gid == biz["pixel_id"])
    keep(pixel, {"event_name": "Purchase", "event_id": "purchase.W-1"}, source="browser")
    assert _send(graph, biz, [_event()]).status_code == 200
    assert _send(graph, biz, [_event()]).status_code == 200  # the same order posted again
    assert _send(graph, biz, [_event(event_name="AddToCart", event_id="purchase.W-1", custom_data={})]).ok
    received = _received(graph, biz)
    assert [(e["event_name"], e["sources"], e["deduplicated"]) for e in received] == [
        ("Purchase", ["browser", "server", "server"], 2), ("AddToCart", ["server"], 0)]


def test_test_events_are_kept_apart(graph, biz):
    assert _send(graph, biz, [_event()], test_event_code="TEST123").ok
    assert _send(graph, biz, [_event()], test_event_code="TEST123").ok
    assert [e["test_event_code"] for e in _received(graph, biz)] == ["TEST123", "TEST123"]


def test_a_pixel_is_connected_to_the_catalog_as_meta_documents(graph, biz):
    path = f"{biz['catalog_id']}/external_event_sources"
    assert graph.get(path, token=biz["access_token"], summary="true").json() == {"data": [], "summary": {"total_count": 0}}
    bad = graph.post(path, token=biz["access_token"], external_event_sources=json.dumps(["999"]))
    assert error_of(bad)["code"] == 100
    for _ in range(2):  # connecting twice changes nothing
        answer = graph.post(path, token=biz["access_token"], external_event_sources=json.dumps([biz["pixel_id"]]))
        assert answer.json() == {"success": True}
    listed = graph.get(path, token=biz["access_token"]).json()["data"]
    assert [(s["id"], s["source_type"]) for s in listed] == [(biz["pixel_id"], "PIXEL")]


def test_live_events_move_the_pixels_last_fired_time(graph, biz):
    assert not graph.get(biz["pixel_id"], token=biz["access_token"], fields="last_fired_time").json().get(
        "last_fired_time")
    _send(graph, biz, [_event()], test_event_code="T1")
    assert not graph.get(biz["pixel_id"], token=biz["access_token"], fields="last_fired_time").json().get(
        "last_fired_time")
    _send(graph, biz, [_event()])
    assert graph.get(biz["pixel_id"], token=biz["access_token"], fields="last_fired_time").json()["last_fired_time"]


def test_two_copies_in_one_request_count_once(graph, biz):
    assert _send(graph, biz, [_event(), _event()]).json()["events_received"] == 2
    assert [(e["sources"], e["deduplicated"]) for e in _received(graph, biz)] == [(["server", "server"], 1)]


def test_the_pixels_stats_count_sources_and_duplicates(graph, biz):
    pixel = next(n for n in Node.objects.filter(type="pixel") if n.gid == biz["pixel_id"])
    keep(pixel, {"event_name": "Purchase", "event_id": "purchase.W-1"}, source="browser")
    _send(graph, biz, [_event(), _event(event_name="AddToCart", event_id="addtocart.k", custom_data={})])

    def stats(aggregation):
        rows = graph.get(f"{biz['pixel_id']}/stats", token=biz["access_token"], aggregation=aggregation).json()["data"]
        totals = {}
        for row in rows:
            assert row["aggregation"] == aggregation
            for item in row["data"]:
                totals[item["value"]] = totals.get(item["value"], 0) + item["count"]
        return totals

    assert stats("event_source") == {"BROWSER": 1, "SERVER": 2}
    assert stats("event_processing_results") == {"PROCESSED": 2, "DEDUPLICATED": 1}
    assert stats("event") == {"AddToCart": 1, "Purchase": 2}
    assert error_of(graph.get(f"{biz['pixel_id']}/stats", token=biz["access_token"], aggregation="nope"))["code"] == 100
