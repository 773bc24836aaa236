"""The sandbox does what Meta's docs say where it used to differ (issue 12): `summary` on every
edge, the ProductSet `products` edge, and which rate limits apply to which token."""

from __future__ import annotations

import json

from meta_sandbox.catalog_testing import CatalogControl
from meta_sandbox.tests.conftest import error_of


def test_summary_is_accepted_on_edges_that_are_not_paged(graph, biz):
    """Meta's SDKs send summary=true on every edge read; Graph accepts it (and leaves a summary
    out where the edge has none)."""
    token = biz["access_token"]
    cms = biz["commerce_merchant_settings_id"]
    setup = graph.get(f"{cms}/setup_status", token=token, summary="true")
    assert setup.status_code == 200, setup.text
    assert setup.json()["data"][0]["shop_setup"] and "summary" not in setup.json()
    apps = graph.get(f"{cms}/order_management_apps", token=token, summary="true", version="v25.0")
    assert apps.status_code == 200, apps.text
    # Any other unknown parameter is still refused.
    assert error_of(graph.get(f"{cms}/setup_status", token=token, colour="blue"))["code"] == 100


def test_a_product_set_lists_its_products(graph, biz, sandbox):
    token, catalog_id = biz["access_token"], biz["catalog_id"]
    CatalogControl(sandbox).add_products(catalog_id, [
        {"id": rid, "title": f"Tea {rid}", "description": "Tea", "availability": "in stock", "condition": "new",
         "price": "9.99 USD", "link": f"https://t.example.com/{rid}", "image_link": f"https://t.example.com/{rid}.jpg",
         "brand": brand} for rid, brand in (("G-1", "Lotus"), ("G-2", "Lotus"), ("B-1", "Other"))])
    made = graph.post(f"{catalog_id}/product_sets", token=token, name="Lotus",
                      filter=json.dumps({"brand": {"eq": "Lotus"}})).json()
    listed = graph.get(f"{made['id']}/products", token=token, fields="retailer_id", summary="true").json()
    assert sorted(p["retailer_id"] for p in listed["data"]) == ["G-1", "G-2"]
    assert listed["summary"] == {"total_count": 2}
    narrowed = graph.get(f"{made['id']}/products", token=token, fields="retailer_id",
                         filter=json.dumps({"retailer_id": {"eq": "G-2"}})).json()
    assert [p["retailer_id"] for p in narrowed["data"]] == ["G-2"]
    paged = graph.get(f"{made['id']}/products", token=token, fields="retailer_id", limit=1).json()
    assert len(paged["data"]) == 1 and "next" in paged["paging"]


def test_a_system_user_token_on_a_buc_endpoint_is_under_business_use_case_limits_only(sandbox, graph, biz):
    """Meta's rate-limiting page: system user and page tokens are under BUC limits, and BUC wins
    where both apply; the app's Platform count is not touched by those calls."""
    sandbox.set_usage_budget(calls=3)
    token, catalog_id = biz["access_token"], biz["catalog_id"]
    for _ in range(5):
        response = graph.get(catalog_id, token=token)
        assert response.status_code == 200, response.text
        assert "X-App-Usage" not in response.headers
        assert "catalog_management" in response.headers["X-Business-Use-Case-Usage"]
    # A call without a BUC type is Platform-limited: the five catalog reads did not count.
    me = graph.get("me", token=token)
    assert json.loads(me.headers["X-App-Usage"])["call_count"] == 33
