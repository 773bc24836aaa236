"""Contract tests: Meta's official Python SDK (`facebook-business`, pinned in requirements-dev.txt)
drives the sandbox over real HTTP for every endpoint the portal uses (issue 12).

The SDK builds `<FacebookSession.GRAPH>/<version>/<path>`; the session's GRAPH is pointed at the
live sandbox (an attribute of that one session object: nothing of ours is patched). The token is
the one a seller's shop gets through the FBE dialog (`meta_shop`), with the app secret's
appsecret_proof, as the SDK computes it.

Where the SDK and the sandbox disagreed, Meta's docs decided (docs/sandbox.md, "Official SDK"):
- The SDK adds `summary=true` to every edge read; Graph accepts it on every edge (the sandbox
  used to refuse it on setup_status, order_management_apps, promotion_details).
- The SDK's v26 objects have no order endpoints (Meta removed them after v25): the v25 order flow
  goes through the SDK's generic `FacebookAdsApi.call` with `api_version="v25.0"`, as an SDK user
  would call any endpoint without an object.
- `fbe_business/fbe_installs` has no SDK object either: `call` again.
"""

from __future__ import annotations

import json

import pytest
from django.conf import settings
from facebook_business.adobjects.commercemerchantsettings import CommerceMerchantSettings
from facebook_business.adobjects.productcatalog import ProductCatalog
from facebook_business.adobjects.productfeed import ProductFeed
from facebook_business.adobjects.productfeedupload import ProductFeedUpload
from facebook_business.adobjects.productset import ProductSet
from facebook_business.api import FacebookAdsApi, FacebookRequest
from facebook_business.exceptions import FacebookRequestError
from facebook_business.session import FacebookSession

from meta_sandbox.facade import CatalogControl

pytestmark = pytest.mark.django_db(transaction=True)

TEA = {"title": "Jasmine tea", "description": "Green tea", "availability": "in stock", "condition": "new",
       "price": "12.00 USD", "link": "https://shop.example.com/tea", "image_link": "https://shop.example.com/tea.jpg",
       "brand": "Lotus"}


@pytest.fixture
def sdk(meta_shop):
    """(the SDK's API object on v26.0, the shop) with the seller's FBE token."""
    session = FacebookSession(settings.META_APP_ID, settings.META_APP_SECRET, meta_shop.connection.access_token)
    session.GRAPH = meta_shop.sandbox.base_url  # Meta's https://graph.facebook.com, for this session only
    api = FacebookAdsApi(session, api_version="v26.0")
    yield api, meta_shop
    session.requests.close()


def _items(n: int, prefix: str = "TEA") -> list[dict]:
    return [{"method": "UPDATE", "data": {"id": f"{prefix}-{i}", **TEA}} for i in range(n)]


def test_catalog_batch_status_and_products(sdk):
    api, shop = sdk
    catalog = ProductCatalog(shop.catalog_id, api=api)
    answer = catalog.create_items_batch(params={
        "item_type": "PRODUCT_ITEM", "allow_upsert": True,
        "requests": [*_items(3), {"method": "CREATE", "data": {"id": "NOPE", "title": "x"}}]})
    handle = answer["handles"][0]
    assert answer["validation_status"] == []  # missing fields: only in the status, as Meta
    [status] = catalog.get_check_batch_request_status(params={"handle": handle,
                                                                "load_ids_of_invalid_requests": True})
    assert status["status"] == "finished" and status["ids_of_invalid_requests"] == ["NOPE"]
    assert "without required field" in status["errors"][0]["message"]
    products = catalog.get_products(fields=["retailer_id", "price", "review_status"], params={"limit": 2})
    assert products.total() == 3  # the SDK asked for the summary on its own
    assert sorted(p["retailer_id"] for p in products) == ["TEA-0", "TEA-1", "TEA-2"]  # it followed `next`
    filtered = catalog.get_products(fields=["retailer_id"],
                                    params={"filter": {"retailer_id": {"eq": "TEA-1"}}})
    assert [p["retailer_id"] for p in filtered] == ["TEA-1"]


def test_product_sets_and_their_products(sdk):
    api, shop = sdk
    catalog = ProductCatalog(shop.catalog_id, api=api)
    catalog.create_items_batch(params={"item_type": "PRODUCT_ITEM", "requests": _items(2) + _items(1, "CUP")})
    made = catalog.create_product_set(params={"name": "Teas", "retailer_id": "set-teas",
                                              "filter": {"retailer_id": {"i_contains": "TEA"}}})
    product_set = ProductSet(made["id"], api=api)
    assert sorted(p["retailer_id"] for p in product_set.get_products(fields=["retailer_id"])) == ["TEA-0", "TEA-1"]
    product_set.api_update(params={"name": "All teas"})
    assert product_set.api_get(fields=["name", "product_count"])["product_count"] == 2
    listed = catalog.get_product_sets(fields=["name", "retailer_id"], params={"retailer_id": "set-teas"})
    assert [(s["name"], s["retailer_id"]) for s in listed] == [("All teas", "set-teas")]
    product_set.api_delete()
    assert list(catalog.get_product_sets(params={"retailer_id": "set-teas"})) == []


def test_diagnostics(sdk):
    api, shop = sdk
    CatalogControl(shop.sandbox).set_diagnostics(shop.catalog_id, [{
        "type": "CHECKOUT", "severity": "MUST_FIX", "title": "No shipping profile"}])
    groups = list(ProductCatalog(shop.catalog_id, api=api).get_diagnostics(params={"severities": ["MUST_FIX"]}))
    assert [(g["type"], g["severity"], g["affected_entity"]) for g in groups] == [
        ("CHECKOUT", "MUST_FIX", "product_catalog")]


def test_offer_feeds_and_uploads(sdk, tmp_path):
    api, shop = sdk
    catalog = ProductCatalog(shop.catalog_id, api=api)
    feed = ProductFeed(catalog.create_product_feed(params={"name": "Offers", "feed_type": "OFFER"})["id"], api=api)
    assert feed.api_get(fields=["name", "feed_type"])["feed_type"] == "OFFER"
    csv = tmp_path / "offers.csv"
    csv.write_text("offer_id,title,value_type,percent_off,application_type,target_type,target_granularity,"
                   "target_selection,start_date_time,public_coupon_code\n"
                   "o-1,10% off,PERCENTAGE,10,BUYER_APPLIED,LINE_ITEM,ORDER_LEVEL,ALL_CATALOG_PRODUCTS,1767225600,SAVE10\n")
    upload = feed.create_upload(params={"file": str(csv), "update_only": False})
    uploads = list(feed.get_uploads(fields=["id", "end_time", "num_persisted_items", "error_count"]))
    assert uploads[0]["id"] == upload["id"] and uploads[0]["num_persisted_items"] == 1
    assert [f["id"] for f in catalog.get_product_feeds()] == [feed["id"]]
    # Meta's rule: coupon_codes and public_coupon_code never together; the row is refused.
    csv.write_text("offer_id,title,value_type,percent_off,application_type,target_type,target_granularity,"
                   "target_selection,start_date_time,coupon_codes,public_coupon_code\n"
                   'o-2,5% off,PERCENTAGE,5,BUYER_APPLIED,LINE_ITEM,ORDER_LEVEL,ALL_CATALOG_PRODUCTS,1767225600,'
                   '"[""A5""]",A5\n')
    bad = ProductFeedUpload(feed.create_upload(params={"file": str(csv), "update_only": True})["id"], api=api)
    assert bad.api_get(fields=["error_count", "num_persisted_items"])["error_count"] == 1
    [error] = bad.get_errors(fields=["severity", "column_name", "description"], params={"error_priority": "HIGH"})
    assert (error["severity"], error["column_name"]) == ("fatal", "public_coupon_code")


def test_cms_reads_on_v26(sdk):
    api, shop = sdk
    cms = CommerceMerchantSettings(shop.cms, api=api)
    body = cms.api_get(fields=["merchant_status", "display_name", "facebook_channel", "instagram_channel"])
    assert body["merchant_status"] == "ENABLED"
    # The SDK sends summary=true on this non-paged edge too; Graph accepts it.
    [setup] = cms.get_setup_status()
    assert setup["shop_setup"] == "SETUP" and setup["review_status"]["status"] == "APPROVED"
    assert [c["id"] for c in cms.get_product_catalogs()] == [shop.catalog_id]
    assert list(cms.get_shops(fields=["shop_status"]))[0]["shop_status"] == "ACTIVE"
    # v26 has no cta (the SDK's v26 CommerceMerchantSettings has no such field): refused like Meta.
    with pytest.raises(FacebookRequestError) as caught:
        cms.api_get(fields=["cta"])
    assert caught.value.api_error_code() == 100 and "nonexisting field (cta)" in caught.value.api_error_message()


def test_tokens_and_fbe_installs(sdk):
    api, shop = sdk
    token = shop.connection.access_token
    me = api.call("GET", ("me",)).json()
    app_session = FacebookSession(access_token=f"{settings.META_APP_ID}|{settings.META_APP_SECRET}")
    app_session.GRAPH = shop.sandbox.base_url
    debug = FacebookAdsApi(app_session, api_version="v26.0").call("GET", ("debug_token",),
                                                                   params={"input_token": token}).json()["data"]
    assert debug["is_valid"] is True and debug["user_id"] == me["id"] and "catalog_management" in debug["scopes"]
    body = api.call("GET", ("fbe_business", "fbe_installs"),
                    params={"fbe_external_business_id": shop.shop.external_business_id}).json()
    [install] = body["data"]
    assert install["catalog_id"] == shop.catalog_id and install["commerce_merchant_settings_id"] == shop.cms
    # The seller disconnects: the install's token is then refused (190/458).
    assert api.call("DELETE", ("fbe_business", "fbe_installs"),
                    params={"fbe_external_business_id": shop.shop.external_business_id}).json() == {"success": True}
    with pytest.raises(FacebookRequestError) as caught:
        api.call("GET", ("me",))
    assert (caught.value.api_error_code(), caught.value.api_error_subcode()) == (190, 458)
    app_session.requests.close()


def test_the_v25_order_flow(sdk):
    api, shop = sdk
    placed = shop.place()
    v25 = {"api_version": "v25.0"}
    cms = CommerceMerchantSettings(shop.cms, api=api)
    apps = api.call("GET", (shop.cms, "order_management_apps"), params={"summary": True}, **v25).json()
    assert apps["data"], apps  # the first poll registered the portal's app
    listed = api.call("GET", (shop.cms, "commerce_orders"), params={"state": ["CREATED"], "fields": "id"},
                      **v25).json()
    assert placed["id"] in [o["id"] for o in listed["data"]]
    acked = api.call("POST", (shop.cms, "acknowledge_orders"), params={
        "idempotency_key": "sdk-ack-1", "orders": [{"id": placed["id"], "merchant_order_reference": "SDK-1"}]},
        **v25).json()
    assert acked["orders"][0]["state"] == "IN_PROGRESS"
    order = api.call("GET", (placed["id"],), params={
        "fields": "order_status,items{id,quantity},promotion_details"}, **v25).json()
    item = order["items"]["data"][0]
    assert api.call("GET", (placed["id"], "promotion_details"), params={"summary": True}, **v25).status() == 200
    shipped = api.call("POST", (placed["id"], "shipments"), params={
        "idempotency_key": "sdk-ship-1", "items": [{"item_id": item["id"], "quantity": item["quantity"]}],
        "tracking_info": {"carrier": "UPS", "tracking_number": "1Z"}}, **v25).json()
    assert shipped == {"success": True}
    return_id = shop.buyer.request_return(placed["id"], [{"item_id": item["id"], "quantity": 1,
                                                          "reason": "TOO_SMALL"}])["return_id"]
    returns = api.call("GET", (placed["id"], "returns"), params={
        "fields": "id,return_status,item_return_quantities,item_return_reasons"}, **v25).json()
    assert returns["data"] == [{"id": return_id, "return_status": "REQUESTED",
                                "item_return_quantities": [{"key": item["id"], "value": 1}],
                                "item_return_reasons": [{"key": item["id"], "value": "TOO_SMALL"}]}]
    accepted = api.call("POST", (return_id, "update_return"), params={
        "idempotency_key": "sdk-ret-1", "update_event": "ACCEPT_RETURN", "merchant_return_id": "RMA-1"}, **v25)
    assert accepted.json() == {"success": True}
    refunded = api.call("POST", (placed["id"], "refunds"), params={
        "idempotency_key": "sdk-ref-1", "reason_code": "REFUND_FOR_RETURN", "return_id": return_id,
        "items": [{"item_id": item["id"], "item_refund_quantity": 1}]}, **v25).json()
    assert refunded == {"success": True}
    refunds = api.call("GET", (placed["id"], "refunds"), params={"fields": "id,refund_reason,return_id"}, **v25)
    assert refunds.json()["data"][0]["return_id"] == return_id
    other = shop.place()
    api.call("POST", (shop.cms, "acknowledge_orders"), params={
        "idempotency_key": "sdk-ack-2", "orders": [{"id": other["id"], "merchant_order_reference": "SDK-2"}]}, **v25)
    cancelled = api.call("POST", (other["id"], "cancellations"), params={
        "idempotency_key": "sdk-cancel-1", "cancel_reason": {"reason_code": "OUT_OF_STOCK"}}, **v25).json()
    assert cancelled == {"success": True}
    assert shop.meta(other["id"])["state"] == "COMPLETED"
    # On v26 the order endpoints are gone (code 12), as Meta says.
    with pytest.raises(FacebookRequestError) as caught:
        cms.get_commerce_orders()
    assert caught.value.api_error_code() == 12


def test_batch_requests(sdk):
    api, shop = sdk
    results = {}
    batch = api.new_batch()
    catalog = ProductCatalog(shop.catalog_id, api=api)
    batch.add_request(catalog.api_get(fields=["name"], pending=True), success=lambda r: results.update(ok=r.json()))
    batch.add_request(FacebookRequest(node_id="999999999999999", method="GET", endpoint="/", api=api),
                      failure=lambda r: results.update(bad=r.error()))
    assert batch.execute() is None
    assert results["ok"]["id"] == shop.catalog_id
    assert results["bad"].api_error_code() == 100 and results["bad"].api_error_subcode() == 33


def test_error_envelopes(sdk):
    api, shop = sdk
    with pytest.raises(FacebookRequestError) as caught:
        ProductCatalog(shop.catalog_id, api=api).create_items_batch(params={"requests": []})
    error = caught.value
    assert (error.http_status(), error.api_error_code(), error.api_error_type()) == (400, 100, "OAuthException")
    assert error.api_blame_field_specs() == [["item_type"]] and error.api_transient_error() is False
    session = FacebookSession(settings.META_APP_ID, settings.META_APP_SECRET, "not-a-token")
    session.GRAPH = shop.sandbox.base_url
    with pytest.raises(FacebookRequestError) as caught:
        FacebookAdsApi(session, api_version="v26.0").call("GET", ("me",))
    assert caught.value.api_error_code() == 190
    session.requests.close()


def test_usage_headers(sdk):
    """System-user token: business-use-case limits on catalog calls (no X-App-Usage there), the
    app's platform figures elsewhere (Meta's rate-limiting page)."""
    api, shop = sdk
    response = api.call("GET", (shop.catalog_id,), params={"fields": "name"})
    buc = json.loads(response.headers()["X-Business-Use-Case-Usage"])
    [entry] = buc[shop.business["business_id"]]
    assert entry["type"] == "catalog_management" and entry["estimated_time_to_regain_access"] == 0
    assert "X-App-Usage" not in response.headers()
    me = api.call("GET", ("me",))
    assert set(json.loads(me.headers()["X-App-Usage"])) == {"call_count", "total_cputime", "total_time"}


def test_paging_follows_cursors_both_ways(sdk):
    api, shop = sdk
    catalog = ProductCatalog(shop.catalog_id, api=api)
    catalog.create_items_batch(params={"item_type": "PRODUCT_ITEM", "requests": _items(5)})
    first = api.call("GET", (shop.catalog_id, "products"), params={"limit": 2, "fields": "retailer_id"}).json()
    after = first["paging"]["cursors"]["after"]
    second = api.call("GET", (shop.catalog_id, "products"), params={"limit": 2, "after": after,
                                                                    "fields": "retailer_id"}).json()
    assert second["paging"]["previous"] and second["paging"]["next"]
    back = api.call("GET", (shop.catalog_id, "products"), params={
        "limit": 2, "before": second["paging"]["cursors"]["before"], "fields": "retailer_id"}).json()
    assert back["data"] == first["data"]
    cursor = catalog.get_products(fields=["retailer_id"], params={"limit": 2})
    assert len(list(cursor)) == 5 and cursor.total() == 5
