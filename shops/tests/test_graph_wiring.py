"""shops.graph: building clients for shops and the hooks that write to our models."""

from __future__ import annotations

import pytest
from django.utils import timezone

from graph.client import GraphClient
from graph.client.results import CallRecord
from graph.errors import InvalidParameter, NotConnected, TokenInvalid, classify
from graph.models import GraphCall
from shops.graph import app_client, client_for_shop, mark_needs_reconnect, record_call, usage_pressure
from shops.models import MetaConnection

TOKEN = "wiring-test-token-" + "q" * 16


@pytest.fixture
def connection(shop_a):
    # About a hand-made token: these tests build clients offline and look for this known value.
    conn = shop_a.meta_connection
    conn.access_token = TOKEN
    conn.status = MetaConnection.Status.CONNECTED
    conn.save()
    return MetaConnection.objects.get(pk=conn.pk)


def test_a_shop_without_token_gets_no_client(shop_a):
    with pytest.raises(NotConnected):
        client_for_shop(shop_a)


def test_client_is_built_from_settings(settings, connection):
    settings.GRAPH_BASE_URL = "http://graph.example.test/"
    settings.GRAPH_API_VERSION = "v26.0"
    settings.GRAPH_ORDERS_API_VERSION = "v24.0"
    settings.GRAPH_CONNECT_TIMEOUT = 2.5
    settings.GRAPH_READ_TIMEOUT = 7.0
    for target in (connection, connection.shop, connection.shop_id):
        client = client_for_shop(target)
        assert isinstance(client, GraphClient)
        assert client.base_url == "http://graph.example.test"
        assert (client.version, client.orders_version) == ("v26.0", "v24.0")
        assert client.timeout == (2.5, 7.0)
        assert TOKEN not in repr(client)


def test_overrides_win_over_settings(connection):
    client = client_for_shop(connection, max_wait=0, max_attempts=2)
    assert (client.max_wait, client.max_attempts) == (0, 2)


def test_app_client_uses_the_app_token(settings):
    settings.META_APP_ID, settings.META_APP_SECRET = "42", "the-app-secret"
    client = app_client()
    assert client.app_id == "42"
    assert "the-app-secret" not in repr(client)


def test_record_call_writes_a_masked_journal_row(connection):
    error = classify(400, {"error": {"message": f"bad token {TOKEN}", "code": 190, "error_subcode": 463,
                                     "fbtrace_id": "TRACE1"}})
    record = CallRecord(method="GET", path="me", version="v26.0", params={"input_token": "***", "limit": "5"},
                        attempt=2, status=400, duration_ms=12, error=error)
    row = record_call(connection.shop_id, record, secrets=(TOKEN,))
    row.refresh_from_db()
    assert (row.method, row.path, row.api_version, row.status_code, row.attempt, row.is_retry) == (
        "GET", "me", "v26.0", 400, 2, True)
    assert (row.error_class, row.error_code, row.error_subcode, row.fbtrace_id) == ("TokenInvalid", 190, 463, "TRACE1")
    assert TOKEN not in row.error_message
    assert row.params == {"input_token": "***", "limit": "5"}


def test_token_invalid_flips_the_connection_in_one_place(connection):
    error = TokenInvalid("Error validating access token: Session has expired", code=190, subcode=463)
    mark_needs_reconnect(connection, error)
    connection.refresh_from_db()
    assert connection.status == MetaConnection.Status.NEEDS_RECONNECT
    assert "Session has expired" in connection.last_error


def test_hooks_write_usage_and_last_ok(connection):
    client = client_for_shop(connection)
    client.on_usage({"buc": [{"business_id": "1", "type": "catalog_batch", "call_count": 77}]})
    client.on_usage({"app": {"call_count": 12}})
    client.on_success()
    connection.refresh_from_db()
    assert connection.usage["buc"]["catalog_batch"]["call_count"] == 77
    assert connection.usage["app"]["call_count"] == 12
    assert connection.usage_updated_at is not None
    assert connection.last_ok_at is not None
    assert usage_pressure(connection, "catalog_batch") == 77
    assert usage_pressure(connection, "pages") == 12


def test_last_ok_is_written_at_most_once_a_minute_per_client(connection, django_assert_num_queries):
    client = client_for_shop(connection)
    client.on_success()
    with django_assert_num_queries(0):
        client.on_success()


def test_journal_rows_have_no_shop_for_the_app_client(db):
    client = app_client()
    client.on_call(CallRecord(method="GET", path="debug_token", version="v26.0", params={"input_token": "***"},
                              attempt=1, status=200, duration_ms=3))
    row = GraphCall.objects.get()
    assert row.shop_id is None and row.ok


def test_invalid_parameter_does_not_touch_the_connection(connection):
    before = timezone.now()
    client = client_for_shop(connection)
    client.on_call(CallRecord(method="POST", path="1/items_batch", version="v26.0", params={}, attempt=1,
                              status=400, duration_ms=5, error=InvalidParameter("(#100) bad", code=100)))
    connection.refresh_from_db()
    assert connection.status == MetaConnection.Status.CONNECTED
    assert GraphCall.objects.get().created >= before
