"""The Graph client as shops wire it (client_for_shop, app_client), over real HTTP against the sandbox:
reads. Each fault kind (errors, an invalid token, rate limits, transport faults), its outcome and
the number of attempts, counted twice: by the sandbox's journal and by our GraphCall rows. Fixtures:
conftest.py."""

from __future__ import annotations

import pytest

from graph.errors import (
    Deprecated,
    GraphError,
    InvalidParameter,
    NotFound,
    PermissionDenied,
    RateLimited,
    TokenInvalid,
    Transient,
)
from graph.models import GraphCall
from graph.tests.helpers import HANG, READ_TIMEOUT
from graph.usage import APP_LIMIT_WAIT
from shops.graph import client_for_shop
from shops.models import MetaConnection
from shops.tests.graphcalls import attempts, journal

pytestmark = pytest.mark.usefixtures("settle_hung_requests")


# --- success ------------------------------------------------------------------------------------


def test_a_read_succeeds_and_is_journalled(sandbox, graph, connection):
    me = graph.get("me", fields=["id", "name"])
    assert me["id"]
    assert attempts(sandbox, "me") == (1, 1)
    row = GraphCall.objects.get()
    assert (row.shop_id, row.method, row.path, row.api_version, row.status_code) == (
        connection.shop_id, "GET", "me", "v26.0", 200)
    assert row.params == {"fields": "id,name"}
    assert (row.attempt, row.is_retry, row.error_class) == (1, False, "")
    assert row.fbtrace_id
    connection.refresh_from_db()
    assert connection.last_ok_at is not None
    assert set(connection.usage["app"]) >= {"call_count", "total_cputime", "total_time"}
    assert isinstance(connection.usage["app"]["call_count"], int)
    assert connection.usage_updated_at is not None
    # the sandbox saw the proof and the token (both masked in its journal)
    received = sandbox.requests(path="me")[0]
    assert received["params"]["appsecret_proof"] == "***"
    assert received["version"] == "v26.0"


def test_orders_switch_uses_the_orders_version(sandbox, graph, settings):
    graph.get("me", orders=True)
    graph.get("me", version="orders")
    graph.get("me")
    versions = [r["version"] for r in sandbox.requests(path="me")]
    assert versions == [settings.GRAPH_ORDERS_API_VERSION, settings.GRAPH_ORDERS_API_VERSION, "v26.0"]
    assert list(GraphCall.objects.order_by("pk").values_list("api_version", flat=True)) == versions


# --- error faults on reads ----------------------------------------------------------------------


def test_a_transient_error_on_a_read_is_retried_then_succeeds(sandbox, graph, sleeps):
    sandbox.add_fault(path="me", kind="error", code=1, count=2)
    assert graph.get("me")["id"]
    assert attempts(sandbox, "me") == (3, 3)
    rows = journal("me")
    assert [(r.attempt, r.is_retry, r.status_code, r.error_code) for r in rows] == [
        (1, False, 500, 1), (2, True, 500, 1), (3, True, 200, None)]
    assert len(sleeps) == 2 and all(0 < s <= 0.05 for s in sleeps)


def test_a_persistent_service_error_surfaces_as_transient_after_max_attempts(sandbox, graph):
    sandbox.add_fault(path="me", kind="error", code=2, count=None)
    with pytest.raises(Transient) as info:
        graph.get("me")
    assert info.value.code == 2
    assert info.value.permanent is False
    assert attempts(sandbox, "me") == (3, 3)


def test_is_transient_makes_an_error_retryable(sandbox, graph):
    sandbox.add_fault(path="me", kind="error", code=100, is_transient=True, http_status=400, count=1)
    assert graph.get("me")["id"]
    assert attempts(sandbox, "me") == (2, 2)


@pytest.mark.parametrize(("code", "subcode", "expected"), [
    (10, None, PermissionDenied),
    (200, None, PermissionDenied),
    (100, None, InvalidParameter),
    (100, 33, NotFound),
    (803, None, NotFound),
    (12, None, Deprecated),
    (368, None, GraphError),
])
def test_permanent_errors_are_raised_typed_after_one_attempt(sandbox, graph, connection, code, subcode, expected):
    params = {"error_subcode": subcode} if subcode else {}
    sandbox.add_fault(path="me", kind="error", code=code, count=1, error_user_msg="Shown to the seller.", **params)
    with pytest.raises(expected) as info:
        graph.get("me")
    error = info.value
    assert type(error) is expected
    assert (error.code, error.subcode, error.permanent) == (code, subcode, True)
    assert error.user_message == "Shown to the seller."
    assert error.fbtrace_id
    assert attempts(sandbox, "me") == (1, 1)
    row = GraphCall.objects.get()
    assert (row.error_class, row.error_code, row.error_subcode, row.fbtrace_id) == (
        expected.__name__, code, subcode, error.fbtrace_id)
    connection.refresh_from_db()
    assert connection.status == MetaConnection.Status.CONNECTED


def test_an_unknown_object_is_not_found(sandbox, graph):
    with pytest.raises(NotFound) as info:
        graph.get("987654321987")
    assert (info.value.code, info.value.subcode) == (100, 33)
    assert attempts(sandbox, "987654321987") == (1, 1)


# --- token invalid ------------------------------------------------------------------------------


def test_error_190_flips_the_connection_to_needs_reconnect(sandbox, graph, connection):
    sandbox.add_fault(path="me", kind="error", code=190, error_subcode=460, count=1)
    with pytest.raises(TokenInvalid) as info:
        graph.get("me")
    assert info.value.subcode == 460
    assert attempts(sandbox, "me") == (1, 1)
    connection.refresh_from_db()
    assert connection.status == MetaConnection.Status.NEEDS_RECONNECT
    assert connection.last_error


def test_an_expired_token_flips_the_connection(sandbox, graph, connection, business):
    sandbox.expire_token(business["access_token"])
    with pytest.raises(TokenInvalid) as info:
        graph.get("me")
    assert (info.value.code, info.value.subcode) == (190, 463)
    connection.refresh_from_db()
    assert connection.status == MetaConnection.Status.NEEDS_RECONNECT
    assert "expired" in connection.last_error.lower()
    assert attempts(sandbox, "me") == (1, 1)


def test_a_revoked_token_flips_the_connection(sandbox, graph, connection, business):
    sandbox.revoke_token(business["access_token"])
    with pytest.raises(TokenInvalid):
        graph.get("me")
    connection.refresh_from_db()
    assert connection.status == MetaConnection.Status.NEEDS_RECONNECT


# --- rate limits --------------------------------------------------------------------------------


def test_a_throttled_read_waits_as_meta_says_then_succeeds(sandbox, connection, sleeps):
    graph = client_for_shop(connection, sleep=sleeps.append, max_wait=300)
    sandbox.add_fault(path="me", kind="throttle", code=80009, estimated_time_to_regain_access=2, count=1)
    assert graph.get("me")["id"]
    assert attempts(sandbox, "me") == (2, 2)
    # 2 minutes, plus at most 10 % jitter, slept in steps that renew the worker's leases (kernel.jobs)
    assert 120 <= sum(sleeps) <= 132 and max(sleeps) <= 10
    assert journal("me")[0].error_class == "RateLimited"


def test_a_throttle_longer_than_the_budget_is_raised_with_retry_after(sandbox, connection, sleeps):
    graph = client_for_shop(connection, sleep=sleeps.append, max_wait=30)
    sandbox.add_fault(path="me", kind="throttle", code=80009, estimated_time_to_regain_access=5, count=1)
    with pytest.raises(RateLimited) as info:
        graph.get("me")
    assert info.value.code == 80009
    assert info.value.retry_after == 300
    assert info.value.permanent is False
    assert sleeps == []
    assert attempts(sandbox, "me") == (1, 1)
    connection.refresh_from_db()
    # the saturated usage the throttle answered with is kept for the schedulers
    assert connection.usage.get("buc") or connection.usage.get("app")


def test_an_app_at_its_platform_limit_waits_the_app_window(sandbox, connection, sleeps):
    # code 4 comes with X-App-Usage at 100 % and no estimated time (Meta's platform limits)
    graph = client_for_shop(connection, sleep=sleeps.append, max_wait=30)
    sandbox.add_fault(path="me", kind="throttle", code=4, count=1)
    with pytest.raises(RateLimited) as info:
        graph.get("me")
    assert info.value.retry_after == APP_LIMIT_WAIT
    assert attempts(sandbox, "me") == (1, 1)
    connection.refresh_from_db()
    assert connection.usage["app"]["call_count"] == 100


def test_a_throttle_without_a_wait_uses_the_default(sandbox, connection, sleeps):
    graph = client_for_shop(connection, sleep=sleeps.append, max_wait=0)
    sandbox.add_fault(path="me", kind="error", code=17, count=1)
    with pytest.raises(RateLimited) as info:
        graph.get("me")
    assert info.value.retry_after == 60
    assert attempts(sandbox, "me") == (1, 1)


# --- transport faults on reads ------------------------------------------------------------------


def test_latency_below_the_timeout_is_just_slow(sandbox, graph):
    sandbox.add_fault(path="me", kind="latency", ms=300, count=1)
    assert graph.get("me")["id"]
    assert attempts(sandbox, "me") == (1, 1)
    assert GraphCall.objects.get().duration_ms >= 300


@pytest.mark.parametrize("kind", ["hang", "drop", "malformed", "truncated", "after_apply"])
def test_a_read_survives_transport_faults_by_retrying(sandbox, graph, kind):
    sandbox.add_fault(path="me", kind=kind, seconds=HANG, count=1)
    assert graph.get("me")["id"]
    assert attempts(sandbox, "me") == (2, 2)
    first, second = journal("me")
    assert first.error_class == "Transient" and second.error_class == ""
    if kind in ("hang", "drop", "after_apply"):
        assert first.status_code is None  # no answer at all
    else:
        assert first.status_code == 200  # an answer we could not read


def test_a_read_that_keeps_hanging_surfaces_as_transient(sandbox, connection, sleeps):
    graph = client_for_shop(connection, sleep=sleeps.append, max_attempts=2, backoff_base=0.01,
                            read_timeout=READ_TIMEOUT)
    sandbox.add_fault(path="me", kind="hang", seconds=HANG, count=None)
    with pytest.raises(Transient) as info:
        graph.get("me")
    assert str(READ_TIMEOUT) in str(info.value)
    assert attempts(sandbox, "me") == (2, 2)
