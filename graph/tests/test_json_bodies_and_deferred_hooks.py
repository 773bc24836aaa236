"""Large writes as JSON bodies, and the journal and usage written in batches (graph.journal)."""

from __future__ import annotations

import json
import threading
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from graph.client import GraphClient
from graph.client.encoding import RawJSON, appsecret_proof, json_body, masked_params
from graph.client.session import new_session
from graph.journal import DeferredHooks
from graph.models import GraphCall
from graph.usage import fold_readings, merge_usage


class _Recording(BaseHTTPRequestHandler):
    """Answers every POST with a handle and Meta's usage header, keeping what it received."""

    received: list = []

    def do_POST(self):  # noqa: N802 (http.server's naming)
        body = self.rfile.read(int(self.headers["Content-Length"]))
        type(self).received.append({"path": self.path, "content_type": self.headers["Content-Type"], "body": body})
        answer = json.dumps({"handles": ["h-1"]}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(answer)))
        self.send_header("X-Business-Use-Case-Usage", json.dumps(
            {"1": [{"type": "catalog_batch", "call_count": 7, "total_cputime": 1, "total_time": 1}]}))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, *args):
        pass


@pytest.fixture
def recording_host():
    _Recording.received = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Recording)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_a_json_body_keeps_types_and_splices_raw_json_text():
    records = '[{"method":"UPDATE","data":{"id":"sku-1","title":"Thé vert"}}]'
    body = json_body({"item_type": "PRODUCT_ITEM", "allow_upsert": True, "requests": RawJSON(records), "limit": 5,
                      "skipped": None})
    assert json.loads(body) == {"item_type": "PRODUCT_ITEM", "allow_upsert": True, "limit": 5,
                                "requests": [{"method": "UPDATE", "data": {"id": "sku-1", "title": "Thé vert"}}]}
    assert records.encode() in body  # verbatim, not decoded and encoded again
    # The same value form-encoded (and in the journal) is the JSON text itself.
    assert masked_params({"requests": RawJSON(records)})["requests"] == records


def test_post_with_a_json_body_sends_application_json_with_the_proof_and_no_token_in_it(recording_host):
    client = GraphClient("tok-secret", app_secret="sec", base_url=recording_host)
    answer = client.post("123/items_batch", {"item_type": "PRODUCT_ITEM", "allow_upsert": True,
                                             "requests": RawJSON('[{"method":"DELETE","data":{"id":"a"}}]')},
                         body="json")
    assert answer == {"handles": ["h-1"]}
    (got,) = _Recording.received
    assert got["path"] == "/v26.0/123/items_batch" and got["content_type"] == "application/json"
    sent = json.loads(got["body"])
    assert sent == {"item_type": "PRODUCT_ITEM", "allow_upsert": True,
                    "requests": [{"method": "DELETE", "data": {"id": "a"}}],
                    "appsecret_proof": appsecret_proof("tok-secret", "sec")}
    assert b"tok-secret" not in got["body"]  # the token stays in the Authorization header
    client.post("123/items_batch", {"item_type": "PRODUCT_ITEM"})  # the default is still a form body
    assert _Recording.received[-1]["content_type"] == "application/x-www-form-urlencoded"
    with pytest.raises(ValueError):
        client.post("123/items_batch", {}, body="xml")


def test_folded_readings_merge_like_each_in_turn():
    now = datetime(2026, 12, 6, 12, 0)
    first = {"app": {"call_count": 5}, "buc": [{"business_id": "1", "type": "catalog_batch", "call_count": 10}]}
    second = {"buc": [{"business_id": "1", "type": "catalog_management", "call_count": 3},
                      {"business_id": "1", "type": "catalog_batch", "call_count": 12}]}
    stored = {"buc": {"ads_management": {"call_count": 1, "at": "x"}}}
    in_turn = merge_usage(merge_usage(stored, first, now), second, now)
    assert merge_usage(stored, fold_readings(first, second), now) == in_turn
    assert fold_readings(None, second) == second


@pytest.mark.django_db
def test_deferred_hooks_write_the_journal_in_one_insert_with_each_calls_time(recording_host, shop_a):
    def journal(record):  # as shops.graph's hook writes it (one row a call)
        GraphCall.objects.create(shop_id=shop_a.pk, method=record.method, path=record.path,
                                 api_version=record.version, params=record.params, status_code=record.status)

    usage_written = []
    client = GraphClient("tok", app_secret="sec", base_url=recording_host, on_call=journal,
                         on_usage=usage_written.append)
    hooks = DeferredHooks(client, usage_every=3600)
    worker = threading.Thread(target=lambda: client.with_session(new_session()).post(
        "123/items_batch", {"item_type": "PRODUCT_ITEM"}))
    worker.start()  # a call from another thread touches no database
    worker.join()
    client.post("123/items_batch", {"item_type": "PRODUCT_ITEM"})
    assert not GraphCall.objects.exists() and usage_written == []
    with CaptureQueriesContext(connection) as queries:
        hooks.flush()
    inserts = [q for q in queries.captured_queries if q["sql"].startswith('INSERT INTO "graph_graphcall"')]
    assert len(inserts) == 1
    rows = list(GraphCall.objects.order_by("pk"))
    assert [r.path for r in rows] == ["123/items_batch", "123/items_batch"]
    assert rows[0].created <= rows[1].created  # when each call was made, not when flushed
    assert usage_written == []  # 7 %, not due for an hour: kept for later
    hooks.flush(force=True)
    assert usage_written == [{"buc": [{"business_id": "1", "type": "catalog_batch", "call_count": 7,
                                       "total_cputime": 1, "total_time": 1}]}]


@pytest.mark.django_db
def test_deferred_hooks_store_usage_under_pressure_at_the_next_flush():
    written = []
    client = GraphClient("tok", app_secret="sec", base_url="http://127.0.0.1:9")
    client.on_usage = written.append
    hooks = DeferredHooks(client, usage_every=3600)
    hooks.note_usage({"buc": [{"business_id": "1", "type": "catalog_batch", "call_count": 20}]})
    hooks.flush()
    assert written == []
    hooks.note_usage({"buc": [{"business_id": "1", "type": "catalog_batch", "call_count": 96}]})
    hooks.flush()  # a budget decision must see this at once
    assert written == [{"buc": [{"business_id": "1", "type": "catalog_batch", "call_count": 96}]}]
