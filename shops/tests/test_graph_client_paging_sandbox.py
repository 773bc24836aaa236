"""The Graph client as shops wire it, over real HTTP against the sandbox: cursor paging, usage kept per
shop, and the typed calls (debug_token, FBE installs, the code exchange). Fixtures: conftest.py."""

from __future__ import annotations

import json
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest

from graph.client.results import TokenInfo
from graph.errors import (
    GraphError,
    RateLimited,
)
from graph.models import GraphCall
from shops.graph import app_client, usage_pressure
from shops.tests.graphcalls import attempts, journal

pytestmark = pytest.mark.usefixtures("settle_hung_requests")


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
