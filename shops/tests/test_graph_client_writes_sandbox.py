"""The Graph client as shops wire it, over real HTTP against the sandbox: writes. A plain write gets
one attempt; upserts and idempotency-keyed writes (Meta's order acknowledgement) are retried and
applied once; the order API's own version, its block on v26+ and its removal. Fixtures: conftest.py."""

from __future__ import annotations

import pytest

from graph.client.retry import HEARTBEAT_STEP
from graph.errors import (
    Deprecated,
    InvalidParameter,
    RateLimited,
    Removed,
    Transient,
)
from graph.tests.helpers import HANG, READ_TIMEOUT
from meta_sandbox.facade import OrdersControl
from shops.graph import client_for_shop
from shops.models import MetaConnection
from shops.tests.graphcalls import attempts, journal

pytestmark = pytest.mark.usefixtures("settle_hung_requests")


# --- writes -------------------------------------------------------------------------------------


def _cms_write(graph, connection, **options):
    return graph.post(connection.commerce_merchant_settings_id, {"contact_email": "help@example.com"}, **options)


@pytest.mark.parametrize("fault", [
    {"kind": "error", "code": 1},
    {"kind": "error", "code": 2, "http_status": 503},
    {"kind": "throttle", "code": 4},
    {"kind": "hang", "seconds": HANG},
    {"kind": "drop"},
    {"kind": "malformed"},
    {"kind": "truncated"},
    {"kind": "after_apply", "seconds": HANG},
    {"kind": "after_apply", "then": "drop"},
])
def test_a_plain_write_gets_exactly_one_attempt(sandbox, graph, connection, sleeps, fault):
    path = connection.commerce_merchant_settings_id
    sandbox.add_fault(path=path, method="POST", count=1, **fault)
    with pytest.raises((Transient, RateLimited)):
        _cms_write(graph, connection)
    assert attempts(sandbox, path, "POST") == (1, 1)
    assert sleeps == []


def test_an_upsert_write_is_retried(sandbox, graph, connection):
    path = connection.commerce_merchant_settings_id
    sandbox.add_fault(path=path, method="POST", kind="error", code=2, count=1)
    _cms_write(graph, connection, idempotent=True)
    assert attempts(sandbox, path, "POST") == (2, 2)


# --- idempotency-keyed writes (Meta's order acknowledgement) -------------------------------------


@pytest.fixture
def orders(sandbox):
    return OrdersControl(sandbox)


@pytest.fixture
def order_management(connection):
    """Register as the shop's order management app, so that orders wait in CREATED for our ack."""
    client_for_shop(connection).post(f"{connection.commerce_merchant_settings_id}/order_management_apps", orders=True)


@pytest.fixture
def order_id(orders, connection, order_management):
    placed = orders.place(connection.commerce_merchant_settings_id, state="CREATED",
                          items=[{"retailer_id": "TEA-1", "quantity": 1, "price": "12.00"}])
    assert orders.order(placed["id"])["state"] == "CREATED"
    return placed["id"]


@pytest.mark.parametrize("fault", [
    {"kind": "after_apply", "seconds": HANG},
    {"kind": "after_apply", "then": "drop"},
    {"kind": "error", "code": 2, "http_status": 503},
    {"kind": "hang", "seconds": HANG},
    {"kind": "drop"},
    {"kind": "malformed"},
    {"kind": "truncated"},
    {"kind": "throttle", "code": 80004, "estimated_time_to_regain_access": 1},
])
def test_a_write_with_an_idempotency_key_is_retried_and_applied_once(sandbox, connection, sleeps, orders,
                                                                     order_id, fault):
    graph = client_for_shop(connection, sleep=sleeps.append, max_attempts=3, backoff_base=0.01,
                            read_timeout=READ_TIMEOUT, max_wait=120)
    path = f"{order_id}/acknowledge_order"
    sandbox.add_fault(path="*/acknowledge_order", method="POST", count=1, **fault)
    answer = graph.post(path, {"idempotency_key": "ack-1", "merchant_order_reference": "A-1"}, orders=True)
    assert answer == {"id": order_id, "state": "IN_PROGRESS"}
    assert attempts(sandbox, path, "POST") == (2, 2)
    # One wait between the two attempts, slept in heartbeat-sized steps (a throttle's 60 s is 7 steps).
    assert sleeps and all(0 < s <= HEARTBEAT_STEP for s in sleeps)
    if fault["kind"] == "throttle":
        assert 60 <= sum(sleeps) <= 66
    else:
        assert len(sleeps) == 1
    state = orders.order(order_id)
    assert state["state"] == "IN_PROGRESS"
    # applied once, whatever the first attempt looked like
    assert [a["transition"] for a in state["acknowledgements"]] == [True]
    assert [r.api_version for r in journal(path)] == ["v25.0", "v25.0"]


def test_a_keyed_write_that_keeps_failing_stops_at_max_attempts(sandbox, graph, orders, order_id):
    path = f"{order_id}/acknowledge_order"
    sandbox.add_fault(path="*/acknowledge_order", method="POST", kind="error", code=1, count=None)
    with pytest.raises(Transient):
        graph.post(path, {"idempotency_key": "ack-1"}, orders=True)
    assert attempts(sandbox, path, "POST") == (3, 3)
    assert orders.order(order_id)["acknowledgements"] == []


def test_a_plain_write_that_timed_out_was_applied_once(sandbox, graph, connection):
    path = connection.commerce_merchant_settings_id
    sandbox.add_fault(path=path, method="POST", kind="after_apply", seconds=HANG, count=1)
    with pytest.raises(Transient):
        graph.post(path, {"contact_email": "after@example.com"})
    assert attempts(sandbox, path, "POST") == (1, 1)
    assert sandbox.get_object(path)["data"]["contact_email"] == "after@example.com"


def test_reusing_a_key_for_another_request_is_an_invalid_parameter(sandbox, graph, order_id):
    path = f"{order_id}/acknowledge_order"
    graph.post(path, {"idempotency_key": "k", "merchant_order_reference": "A-1"}, orders=True)
    with pytest.raises(InvalidParameter) as info:
        graph.post(path, {"idempotency_key": "k", "merchant_order_reference": "A-2"}, orders=True)
    assert info.value.blame_fields == [["idempotency_key"]]
    assert attempts(sandbox, path, "POST") == (2, 2)


# --- the order API's own version, its block on v26+ and its removal ---------------------------------


def test_order_reads_use_the_orders_version_and_page_through(sandbox, graph, orders, connection, settings,
                                                             order_management):
    cms = connection.commerce_merchant_settings_id
    orders.place_many(cms, 30, state="CREATED", items=[{"retailer_id": "TEA-1", "quantity": 1, "price": "3.00"}])
    listed = list(graph.paginate(f"{cms}/commerce_orders", {"state": "CREATED"}, orders=True,
                                 fields=("id", "order_status")))
    assert len(listed) == 30 and len({o["id"] for o in listed}) == 30
    received = sandbox.requests(path=f"{cms}/commerce_orders")
    assert [r["version"] for r in received] == [settings.GRAPH_ORDERS_API_VERSION] * 2


def test_order_calls_on_a_blocked_version_are_deprecated_not_retried(sandbox, connection, sleeps, order_id):
    graph = client_for_shop(connection, orders_version="v26.0", sleep=sleeps.append)
    with pytest.raises(Deprecated) as info:
        graph.get(order_id, orders=True)
    assert type(info.value) is Deprecated and info.value.code == 12
    assert attempts(sandbox, order_id) == (1, 1)
    assert sleeps == []


def test_order_calls_after_the_removal_are_removed_on_every_version(sandbox, graph, orders, order_id, connection):
    orders.set_removed(True)
    with pytest.raises(Removed) as info:
        graph.get(order_id, orders=True)
    assert info.value.code == 12 and info.value.permanent
    with pytest.raises(Removed):
        graph.get(f"{connection.commerce_merchant_settings_id}/commerce_orders", orders=True)
    assert attempts(sandbox, order_id) == (1, 1)
    # the rest of Graph is unaffected
    assert graph.get("me")["id"]
    connection.refresh_from_db()
    assert connection.status == MetaConnection.Status.CONNECTED
