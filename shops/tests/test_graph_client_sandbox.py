"""The Graph client as shops wire it (client_for_shop, app_client), over real HTTP against the sandbox: each fault kind, its outcome and the
number of attempts, counted twice: by the sandbox's journal and by our GraphCall rows."""

from __future__ import annotations

import json
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest

from graph.client import GraphClient
from graph.client.results import TokenInfo
from graph.errors import (
    Deprecated,
    GraphError,
    InvalidParameter,
    NotFound,
    PermissionDenied,
    RateLimited,
    Removed,
    TokenInvalid,
    Transient,
)
from graph.models import GraphCall
from graph.tests.helpers import HANG, READ_TIMEOUT
from graph.usage import APP_LIMIT_WAIT
from meta_sandbox.facade import OrdersControl
from shops.graph import app_client, client_for_shop, usage_pressure
from shops.models import MetaConnection

pytestmark = pytest.mark.usefixtures("settle_hung_requests")


@pytest.fixture
def business(sandbox, shop_a):
    return sandbox.create_business(name="Shop A business", external_business_id=shop_a.external_business_id)


@pytest.fixture
def connection(shop_a, business):
    conn = shop_a.meta_connection
    conn.access_token = business["access_token"]
    conn.status = MetaConnection.Status.CONNECTED
    conn.business_manager_id = business["business_id"]
    conn.catalog_id = business["catalog_id"] or ""
    conn.commerce_merchant_settings_id = business["commerce_merchant_settings_id"] or ""
    conn.page_id = business["page_id"] or ""
    conn.save()
    return MetaConnection.objects.get(pk=conn.pk)


@pytest.fixture
def sleeps():
    """The client's sleep: recorded, not slept, so backoff and rate-limit waits cost no time."""
    return []


@pytest.fixture
def graph(connection, sleeps) -> GraphClient:
    return client_for_shop(connection, sleep=sleeps.append, max_attempts=3, backoff_base=0.01, backoff_max=0.05,
                           read_timeout=READ_TIMEOUT, connect_timeout=2.0, max_wait=30)


def attempts(sandbox, path, method=None):
    """(calls the sandbox received, GraphCall rows we wrote) for this unversioned path."""
    received = sandbox.requests(path=path, method=method)
    rows = GraphCall.objects.filter(path=path)
    if method:
        rows = rows.filter(method=method)
    return len(received), rows.count()


def journal(path):
    return list(GraphCall.objects.filter(path=path).order_by("pk"))


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
    assert len(sleeps) == 1 and 120 <= sleeps[0] <= 132  # 2 minutes, plus at most 10 % jitter
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


# --- pagination ---------------------------------------------------------------------------------


@pytest.fixture
def thirty_pages(sandbox, business):
    for n in range(29):
        sandbox.create_object("page", business_id=business["business_id"], parent_id=business["business_id"],
                              name=f"Page {n}")
    return f"{business['business_id']}/owned_pages"


def test_paginate_follows_cursors_to_the_last_page(sandbox, graph, thirty_pages):
    items = list(graph.paginate(thirty_pages, limit=10, fields=["id", "name"]))
    assert len(items) == 30 and len({i["id"] for i in items}) == 30
    assert all(set(i) == {"id", "name"} for i in items)
    assert attempts(sandbox, thirty_pages) == (3, 3)
    afters = [r["params"].get("after") for r in sandbox.requests(path=thirty_pages)]
    assert afters[0] is None and all(afters[1:])


def test_paginate_can_stop_early(sandbox, graph, thirty_pages):
    pages = list(graph.iter_pages(thirty_pages, limit=10, max_pages=2))
    assert len(pages) == 2
    assert attempts(sandbox, thirty_pages) == (2, 2)


def test_a_page_retried_mid_way_keeps_its_cursor(sandbox, graph, thirty_pages):
    first = graph.get(thirty_pages, {"limit": 10})
    sandbox.add_fault(path=thirty_pages, kind="drop", count=1)
    items = list(graph.paginate(thirty_pages, {"after": first["paging"]["cursors"]["after"]}, limit=10))
    assert len(items) == 20
    assert first["data"][0]["id"] not in {i["id"] for i in items}


def test_paging_links_handed_back_carry_no_secrets(graph, thirty_pages):
    page = graph.get(thirty_pages, {"limit": 5})
    assert page["paging"]["next"]
    assert "access_token" not in page["paging"]["next"]
    assert "appsecret_proof" not in page["paging"]["next"]
    assert "after=" in page["paging"]["next"]


# --- usage ---------------------------------------------------------------------------------------


def test_usage_is_kept_per_shop_and_a_spent_budget_is_throttled(sandbox, graph, connection, business):
    sandbox.set_usage_budget(calls=2, buc_type="catalog_management", window_seconds=600)
    graph.get(business["catalog_id"])
    connection.refresh_from_db()
    assert connection.usage["buc"]["catalog_management"]["call_count"] == 50
    assert connection.usage["buc"]["catalog_management"]["business_id"] == business["business_id"]
    assert usage_pressure(connection, "catalog_management") == 50
    graph.get(business["catalog_id"])
    with pytest.raises(RateLimited) as info:
        graph.get(business["catalog_id"], max_wait=0)
    assert info.value.code == 80009
    assert info.value.buc_type == "catalog_management"
    assert 60 <= info.value.retry_after <= 600
    connection.refresh_from_db()
    assert usage_pressure(connection, "catalog_management") == 100
    assert usage_pressure(connection, "catalog_batch") < 100  # another type is not blocked
    assert attempts(sandbox, business["catalog_id"]) == (3, 3)


def test_a_spent_app_budget_raises_with_the_wait_meta_names(sandbox, graph, connection):
    sandbox.set_usage_budget(calls=1)
    graph.get("me")
    with pytest.raises(RateLimited) as info:
        graph.get("me", max_wait=0)
    assert info.value.code == 4
    assert info.value.retry_after >= 60
    connection.refresh_from_db()
    assert connection.usage["app"]["call_count"] == 100


# --- typed convenience methods ------------------------------------------------------------------


def test_debug_token_with_the_app_client(sandbox, business):
    info = app_client(read_timeout=5).debug_token(business["access_token"])
    assert isinstance(info, TokenInfo)
    assert info.is_valid is True
    assert "catalog_management" in info.scopes
    row = GraphCall.objects.get(path="debug_token")
    assert row.shop_id is None and row.params == {"input_token": "***"}
    assert business["access_token"] not in str(row.params)


def test_debug_token_reports_an_expired_token(sandbox, business):
    sandbox.expire_token(business["access_token"])
    info = app_client().debug_token(business["access_token"])
    assert info.is_valid is False


def test_fbe_installs_read_and_delete(sandbox, graph, shop_a, business):
    installs = graph.get_fbe_installs(shop_a.external_business_id)
    assert len(installs) == 1
    install = installs[0]
    assert install.business_manager_id == business["business_id"]
    assert install.catalog_id == business["catalog_id"]
    assert install.commerce_merchant_settings_id == business["commerce_merchant_settings_id"]
    assert install.pixel_id == business["pixel_id"]
    assert graph.delete_fbe_installs(shop_a.external_business_id) is True
    assert attempts(sandbox, "fbe_business/fbe_installs", "DELETE") == (1, 1)


def test_exchange_code_after_the_consent_dialog(sandbox, settings, shop_a):
    redirect_uri = f"{settings.PORTAL_BASE_URL}/shop/{shop_a.pk}/connect/callback"
    extras = {"setup": {"external_business_id": shop_a.external_business_id, "timezone": "UTC", "currency": "USD",
                        "business_vertical": "ECOMMERCE"}}
    dialog = f"{settings.META_DIALOG_BASE_URL}/{settings.GRAPH_API_VERSION}/dialog/oauth?" + urlencode({
        "client_id": settings.META_APP_ID, "redirect_uri": redirect_uri, "response_type": "code",
        "scope": "manage_business_extension,catalog_management", "extras": json.dumps(extras), "state": "s1"})
    location = sandbox.consent(dialog)
    code = parse_qs(urlsplit(location).query)["code"][0]

    client = app_client()
    token = client.exchange_code(code, redirect_uri)
    assert token.access_token and token.token_type
    assert token.access_token not in repr(token)
    assert client.debug_token(token.access_token).is_valid is True

    # a code works once; a second exchange is refused and not retried
    with pytest.raises(GraphError):
        client.exchange_code(code, redirect_uri)
    assert [r.attempt for r in journal("oauth/access_token")] == [1, 1]
    assert all(r.params["code"] == "***" and r.params["client_secret"] == "***"
               for r in journal("oauth/access_token"))
