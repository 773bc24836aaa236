"""Contract: the FBE installs API, and the webhooks the sandbox sends (handshake, signature,
outbox, delivery attempts) checked by a tiny receiver of our own."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest
from django.conf import settings

from .conftest import error_of


class Receiver:
    """A webhook endpoint like Meta expects: echoes hub.challenge for the right verify token,
    answers POSTs with `post_status`, and keeps what it received."""

    def __init__(self, verify_token: str | None = None):
        verify_token = verify_token or settings.META_WEBHOOK_VERIFY_TOKEN
        self.handshakes: list[dict] = []
        self.posts: list[tuple[dict, bytes]] = []
        self.post_status = 200
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                query = {k: v[0] for k, v in parse_qs(urlsplit(self.path).query).items()}
                receiver.handshakes.append(query)
                ok = (query.get("hub.mode") == "subscribe"
                      and query.get("hub.verify_token") == verify_token)
                body = query.get("hub.challenge", "").encode() if ok else b"forbidden"
                self.send_response(200 if ok else 403)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_POST(self):
                raw = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.posts.append(({k: v for k, v in self.headers.items()}, raw))
                self.send_response(receiver.post_status)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/webhooks/meta/"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver(sandbox):
    r = Receiver()
    sandbox.set_config(webhooks={"callback_url": r.url})
    yield r
    r.close()


def expected_signature(body: bytes) -> str:
    return "sha256=" + hmac.new(settings.META_APP_SECRET.encode(), body, hashlib.sha256).hexdigest()


# --- fbe_installs ---------------------------------------------------------------------------------


def test_fbe_installs_shape(graph, biz):
    body = graph.get("fbe_business/fbe_installs", token=biz["access_token"], fbe_external_business_id="shop-1").json()
    [install] = body["data"]
    assert install["business_manager_id"] == biz["business_id"]
    assert install["commerce_merchant_settings_id"] == biz["commerce_merchant_settings_id"]
    assert install["catalog_id"] == biz["catalog_id"] and install["pixel_id"] == biz["pixel_id"]
    assert install["pages"] == install["profiles"] == [biz["page_id"]]
    assert install["instagram_profiles"] == [biz["instagram_profile_id"]]
    assert install["ad_account_id"] == "0" and install["onsite_eligible"] is False
    assert install["token_type"] == "User"
    features = {f["feature_type"]: f for f in install["installed_features"]}
    assert set(features) == {"pixel", "catalog", "fb_shop", "ig_shopping"}
    assert features["pixel"]["connected_assets"] == {"page_id": biz["page_id"], "pixel_id": biz["pixel_id"]}
    assert features["pixel"]["additional_info"] == {"onsite_eligible": False}
    assert features["pixel"]["feature_instance_id"].isdigit()
    assert features["fb_shop"]["connected_assets"]["commerce_merchant_settings_id"] == biz[
        "commerce_merchant_settings_id"]


def test_fbe_installs_fields_and_unknown_ids(sandbox, graph, biz):
    token = biz["access_token"]
    picked = graph.get("fbe_business/fbe_installs", token=token, fbe_external_business_id="shop-1",
                       fields="catalog_id,pixel_id").json()
    assert picked == {"data": [{"catalog_id": biz["catalog_id"], "pixel_id": biz["pixel_id"]}]}
    assert error_of(graph.get("fbe_business/fbe_installs", token=token, fbe_external_business_id="shop-1",
                              fields="colour"))["code"] == 100
    assert graph.get("fbe_business/fbe_installs", token=token, fbe_external_business_id="nope").json() == {"data": []}
    other = sandbox.create_business(name="Other", external_business_id="shop-2")
    foreign = graph.get("fbe_business/fbe_installs", token=other["access_token"], fbe_external_business_id="shop-1")
    assert foreign.json() == {"data": []}


def test_uninstall_kills_the_token_and_queues_the_uninstall_webhook(sandbox, graph, biz):
    token = biz["access_token"]
    deleted = graph.delete("fbe_business/fbe_installs", token=token, fbe_external_business_id="shop-1")
    assert deleted.status_code == 200 and deleted.json() == {"success": True}
    error = error_of(graph.get("fbe_business/fbe_installs", token=token, fbe_external_business_id="shop-1"))
    assert (error["code"], error["error_subcode"]) == (190, 458)
    install_event, uninstall_event = sandbox.webhooks()
    assert "access_token" in install_event["payload"]["entry"][0]["changes"][0]["value"]
    value = uninstall_event["payload"]["entry"][0]["changes"][0]["value"]
    assert value["business_id"] == "shop-1" and value["business_manager_id"] == biz["business_id"]
    assert not {"access_token", "pages", "profiles"} & set(value)


def test_uninstalling_twice_is_an_error(sandbox, graph, biz):
    user_token = sandbox.mint_token(biz["business_id"], expires_in=600)
    assert graph.delete("fbe_business/fbe_installs", token=biz["access_token"], fbe_external_business_id="shop-1").ok
    again = graph.delete("fbe_business/fbe_installs", token=user_token, fbe_external_business_id="shop-1")
    assert error_of(again)["code"] == 100


def test_fbe_installs_need_manage_business_extension(sandbox, graph, biz):
    sandbox.set_token_scopes(biz["access_token"], ["catalog_management"])
    error = error_of(graph.get("fbe_business/fbe_installs", token=biz["access_token"],
                               fbe_external_business_id="shop-1"))
    assert error["code"] == 200


# --- webhooks -------------------------------------------------------------------------------------


def test_flush_performs_the_handshake_then_delivers_signed_events(sandbox, receiver, biz):
    result = sandbox.flush_webhooks()
    assert (result["delivered"], result["failed"]) == (1, 0)
    [handshake] = receiver.handshakes
    assert handshake["hub.mode"] == "subscribe"
    assert handshake["hub.verify_token"] == settings.META_WEBHOOK_VERIFY_TOKEN
    assert handshake["hub.challenge"].isdigit()
    [(headers, raw)] = receiver.posts
    assert headers["X-Hub-Signature-256"] == expected_signature(raw)
    assert headers["Content-Type"] == "application/json"
    payload = json.loads(raw)
    assert payload["object"] == "user"
    entry = payload["entry"][0]
    assert entry["uid"] == biz["system_user_id"] and isinstance(entry["time"], int)
    change = entry["changes"][0]
    assert change["field"] == "fbe_install"
    assert change["value"]["access_token"] == biz["access_token"]
    assert change["value"]["catalog_id"] == biz["catalog_id"]
    [event] = sandbox.webhooks()
    assert event["status"] == "delivered"
    assert [a["kind"] for a in event["delivery_attempts"]] == ["verify", "deliver"]
    assert event["signature"] == expected_signature(event["body"].encode())


def test_the_handshake_happens_once_per_callback(sandbox, receiver, biz):
    sandbox.flush_webhooks()
    sandbox.send_webhook(object="page", entry=[{"id": biz["page_id"], "time": 1, "changes": []}])
    assert sandbox.flush_webhooks()["delivered"] == 1
    assert len(receiver.handshakes) == 1 and len(receiver.posts) == 2
    assert json.loads(receiver.posts[1][1])["object"] == "page"


def test_a_failing_receiver_leaves_the_event_pending_then_failed(sandbox, receiver, biz):
    sandbox.set_config(webhooks={"max_attempts": 2})
    receiver.post_status = 500
    assert sandbox.flush_webhooks()["failed"] == 1
    assert sandbox.webhooks()[0]["status"] == "pending"
    assert sandbox.flush_webhooks()["failed"] == 1
    event = sandbox.webhooks()[0]
    assert event["status"] == "failed" and event["attempts"] == 2 and event["last_error"] == "HTTP 500"
    assert sandbox.flush_webhooks() == {"delivered": 0, "failed": 0, "data": []}


def test_a_callback_that_fails_the_handshake_gets_no_event(sandbox, biz):
    other_app = Receiver(verify_token="someone-elses-token")
    try:
        result = sandbox.flush_webhooks(callback_url=other_app.url)
        assert result["failed"] == 1 and other_app.posts == []
        assert len(other_app.handshakes) == 1
        [event] = sandbox.webhooks()
        assert event["status"] == "pending"
        [attempt] = event["delivery_attempts"]
        assert (attempt["kind"], attempt["ok"], attempt["status_code"]) == ("verify", False, 403)
        assert sandbox.verify_webhooks(callback_url=other_app.url)["ok"] is False
    finally:
        other_app.close()


def test_an_unreachable_callback_is_recorded(sandbox, biz):
    result = sandbox.flush_webhooks(callback_url="http://127.0.0.1:9/webhooks/meta/")
    assert result["failed"] == 1
    attempt = sandbox.webhooks()[0]["delivery_attempts"][0]
    assert attempt["ok"] is False and attempt["error"]


def test_emit_fbe_install_uninstall_is_signed_and_has_no_token(sandbox, receiver, biz):
    sandbox.emit_fbe_install("shop-1", action="uninstall")
    sandbox.flush_webhooks()
    raw = receiver.posts[-1][1]
    assert receiver.posts[-1][0]["X-Hub-Signature-256"] == expected_signature(raw)
    value = json.loads(raw)["entry"][0]["changes"][0]["value"]
    assert "access_token" not in value and value["business_id"] == "shop-1"
    assert sandbox.state()["fbe_installs"][0]["status"] == "uninstalled"
