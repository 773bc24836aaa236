"""Pure parts of the client: parameter encoding, masking, paths, typed results (no HTTP)."""

from __future__ import annotations

import socket
import threading
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from graph.client import GraphClient
from graph.client.encoding import appsecret_proof, encode_params, fields_param, masked_params, strip_secret_query
from graph.client.results import FbeInstall
from graph.errors import GraphError, Transient


def test_params_are_encoded_like_metas_sdks():
    encoded = encode_params({
        "item_type": "PRODUCT_ITEM",
        "requests": [{"method": "UPDATE", "data": {"id": "sku-1", "price": "10.00 USD"}}],
        "allow_upsert": True,
        "limit": 25,
        "tracking_info": {"carrier": "UPS", "amount": Decimal("1.50")},
        "skipped": None,
    })
    assert encoded == {
        "item_type": "PRODUCT_ITEM",
        "requests": '[{"method":"UPDATE","data":{"id":"sku-1","price":"10.00 USD"}}]',
        "allow_upsert": "true",
        "limit": "25",
        "tracking_info": '{"carrier":"UPS","amount":"1.50"}',
    }


def test_fields_accept_lists_and_strings():
    assert fields_param(["id", "name", "items{id,quantity}"]) == "id,name,items{id,quantity}"
    assert fields_param(("id",)) == "id"
    assert fields_param("id,name") == "id,name"


def test_appsecret_proof_is_hmac_sha256_of_the_token():
    # Known answer computed independently: HMAC-SHA256(key="secret", msg="token").hex
    assert appsecret_proof("token", "secret") == "e941110e3d2bfe82621f0e3e1434730d7305d106c5f68c87165d0b27a4611a4a"
    assert appsecret_proof("a", "k") != appsecret_proof("b", "k")


def test_masked_params_hide_secrets_and_cut_long_values():
    masked = masked_params({"input_token": "t0ken", "client_secret": "s", "code": "c", "limit": 5,
                            "requests": ["x" * 500]})
    assert masked["input_token"] == masked["client_secret"] == masked["code"] == "***"
    assert masked["limit"] == "5"
    assert len(masked["requests"]) == 201 and masked["requests"].endswith("…")


def test_paging_urls_lose_their_secrets():
    url = "https://graph.facebook.com/v21.0/1/commerce_orders?access_token=abc&limit=25&after=QVFI&appsecret_proof=p"
    assert strip_secret_query(url) == "https://graph.facebook.com/v21.0/1/commerce_orders?limit=25&after=QVFI"


@pytest.mark.parametrize("bad", ["", "/", "me?fields=id", "https://evil.example/me", "../me", "v26.0/me", "me#x"])
def test_bad_paths_are_refused(bad):
    client = GraphClient("tok", app_secret="sec", base_url="http://127.0.0.1:9")
    with pytest.raises(ValueError):
        client.get(bad)


def test_versions_are_validated():
    with pytest.raises(ValueError):
        GraphClient("tok", app_secret="sec", version="26.0")
    client = GraphClient("tok", app_secret="sec", base_url="http://127.0.0.1:9")
    with pytest.raises(ValueError):
        client.get("me", version="latest")


def test_repr_shows_no_secret():
    client = GraphClient("my-secret-token-value", app_secret="app-secret-value")
    assert "my-secret-token-value" not in repr(client)
    assert "app-secret-value" not in repr(client)


def test_fbe_install_prefers_the_pixel_feature_and_drops_the_zero_ad_account():
    install = FbeInstall.from_graph({
        "business_manager_id": "9737661", "commerce_merchant_settings_id": "11189750", "onsite_eligible": False,
        "pixel_id": "1", "profiles": ["10133292"], "ad_account_id": "0", "catalog_id": "72663536",
        "pages": ["10133292"], "token_type": "User",
        "installed_features": [
            {"feature_instance_id": "7628981", "feature_type": "pixel", "connected_assets": {"pixel_id": "19645837"}},
            {"feature_instance_id": "5624152", "feature_type": "catalog", "connected_assets": {"catalog_id": "72663536"}},
        ],
    })
    assert install.pixel_id == "19645837"
    assert install.ad_account_id == ""
    assert install.page_id == "10133292"
    assert install.feature_types == ["pixel", "catalog"]
    assert install.catalog_id == "72663536"


# --- a tiny local server standing in for a misbehaving host ------------------------------------


class _Redirecting(BaseHTTPRequestHandler):
    hits: list = []

    def do_GET(self):  # noqa: N802 (http.server's naming)
        type(self).hits.append(self.path)
        self.send_response(302)
        self.send_header("Location", "http://127.0.0.1:9/elsewhere")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def redirecting_host():
    _Redirecting.hits = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Redirecting)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_redirects_are_never_followed(redirecting_host):
    client = GraphClient("tok", app_secret="sec", base_url=redirecting_host, sleep=lambda s: None)
    with pytest.raises(GraphError) as info:
        client.get("me")
    assert info.value.http_status == 302
    assert info.value.permanent is True
    assert _Redirecting.hits == [f"/v26.0/me?appsecret_proof={appsecret_proof('tok', 'sec')}"]


def test_a_refused_connection_is_transient_and_retried_for_reads():
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    sleeps = []
    records = []
    client = GraphClient("tok", app_secret="sec", base_url=f"http://127.0.0.1:{port}", sleep=sleeps.append,
                         max_attempts=3, backoff_base=0.01, on_call=records.append)
    with pytest.raises(Transient) as info:
        client.get("me")
    assert "?" not in str(info.value).replace("?…", "")  # no query string (and so no proof) in the message
    assert [r.attempt for r in records] == [1, 2, 3]
    assert all(r.status is None for r in records)
    assert len(sleeps) == 2
    with pytest.raises(Transient):
        client.post("me/feed", {"message": "hi"})
    assert [r.attempt for r in records][3:] == [1]  # a plain write: one attempt
