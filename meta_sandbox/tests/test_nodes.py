"""Contract: the shapes of businesses, pages, Instagram accounts, catalogs, pixels, commerce
merchant settings, shops, users and permissions."""

from __future__ import annotations

from .conftest import error_of

CMS_FIELDS = ("id,display_name,merchant_status,cta,facebook_channel,instagram_channel,review_rejection_reasons,"
              "review_rejection_messages,merchant_page,contact_email,onsite_commerce_merchant")


def test_business_default_fields_and_edges(graph, biz):
    token, business = biz["access_token"], biz["business_id"]
    assert graph.get(business, token=token).json() == {"id": business, "name": "Lotus Tea"}
    catalogs = graph.get(f"{business}/owned_product_catalogs", token=token, summary="true").json()
    assert catalogs["data"] == [{"id": biz["catalog_id"], "name": "Lotus Tea Catalog"}]
    assert catalogs["summary"] == {"total_count": 1}
    pixels = graph.get(f"{business}/owned_pixels", token=token, fields="id,name,owner_business").json()
    assert pixels["data"][0]["owner_business"] == {"id": business, "name": "Lotus Tea"}
    ig = graph.get(f"{business}/instagram_accounts", token=token).json()
    assert ig["data"][0]["id"] == biz["instagram_profile_id"] and ig["data"][0]["username"].startswith("lotus_tea")
    cms = graph.get(business, token=token, fields="commerce_merchant_settings{id}").json()
    assert cms["commerce_merchant_settings"]["data"] == [{"id": biz["commerce_merchant_settings_id"]}]


def test_page_fields_and_its_token(graph, biz):
    token, page = biz["access_token"], biz["page_id"]
    body = graph.get(page, token=token, fields="id,name,category,business,instagram_business_account,"
                                               "commerce_merchant_settings").json()
    assert body["business"] == {"id": biz["business_id"], "name": "Lotus Tea"}
    assert body["instagram_business_account"] == {"id": biz["instagram_profile_id"]}
    assert body["commerce_merchant_settings"]["data"][0]["id"] == biz["commerce_merchant_settings_id"]
    page_token = graph.get(page, token=token, fields="access_token").json()["access_token"]
    me = graph.get("me", token=page_token).json()
    assert me == {"id": page, "name": "Lotus Tea"}


def test_page_reads_carry_the_pages_buc_header(graph, biz):
    response = graph.get(biz["page_id"], token=biz["access_token"])
    assert '"type":"pages"' in response.headers["X-Business-Use-Case-Usage"]


def test_catalog_fields_with_nested_modifiers(graph, biz):
    token, catalog = biz["access_token"], biz["catalog_id"]
    body = graph.get(catalog, token=token,
                     fields="id,name,vertical,product_count,business,commerce_merchant_settings.fields(id,cta)",
                     version="v25.0").json()
    assert body == {"id": catalog, "name": "Lotus Tea Catalog", "vertical": "commerce", "product_count": 0,
                    "business": {"id": biz["business_id"], "name": "Lotus Tea"},
                    "commerce_merchant_settings": {"id": biz["commerce_merchant_settings_id"],
                                                   "cta": "ONSITE_CHECKOUT"}}


def test_pixel_fields(graph, biz):
    body = graph.get(biz["pixel_id"], token=biz["access_token"], fields="id,name,creation_time,is_unavailable").json()
    assert body["name"] == "Lotus Tea Pixel" and body["is_unavailable"] is False and body["creation_time"]


def test_commerce_merchant_settings_fields(graph, biz):
    cms = biz["commerce_merchant_settings_id"]
    body = graph.get(cms, token=biz["access_token"], fields=CMS_FIELDS, version="v25.0").json()
    assert body["merchant_status"] == "ENABLED" and body["cta"] == "ONSITE_CHECKOUT"
    assert body["display_name"] == "Lotus Tea"
    assert body["facebook_channel"] == {"pages": {"data": [{"name": "Lotus Tea", "id": biz["page_id"]}]}}
    assert body["instagram_channel"] == {"instagram_users": {"data": [{"id": biz["instagram_profile_id"]}]}}
    assert body["review_rejection_reasons"] == [] and body["review_rejection_messages"] == []
    assert body["merchant_page"] == {"id": biz["page_id"], "name": "Lotus Tea"}
    assert body["onsite_commerce_merchant"] == {"id": cms}
    assert graph.get(cms, token=biz["access_token"]).json() == {
        "id": cms, "display_name": "Lotus Tea", "merchant_status": "ENABLED"}


def test_v26_merchant_settings_have_no_cta_or_review_rejection_fields(graph, biz):
    """Meta's v26.0 CommerceMerchantSettings (the v26 SDK's fields) has no cta,
    review_rejection_reasons or review_rejection_messages; v25 has them."""
    cms = biz["commerce_merchant_settings_id"]
    for name in ("cta", "review_rejection_reasons", "review_rejection_messages"):
        gone = graph.get(cms, token=biz["access_token"], fields=f"id,{name}", version="v26.0")
        assert error_of(gone)["message"] == (f"(#100) Tried accessing nonexisting field ({name}) on node type "
                                             "(CommerceMerchantSettings)")
        assert graph.get(cms, token=biz["access_token"], fields=f"id,{name}", version="v25.0").status_code == 200


def test_setup_status_edge_is_a_single_element(graph, biz):
    cms = biz["commerce_merchant_settings_id"]
    body = graph.get(f"{cms}/setup_status", token=biz["access_token"]).json()
    assert body == {"data": [{"shop_setup": "SETUP", "payment_setup": "SETUP",
                              "review_status": {"status": "APPROVED", "reasons": []}}]}
    picked = graph.get(f"{cms}/setup_status", token=biz["access_token"], fields="shop_setup,deals_setup").json()
    assert picked == {"data": [{"shop_setup": "SETUP"}]}
    as_field = graph.get(cms, token=biz["access_token"], fields="merchant_status,setup_status").json()
    assert as_field["setup_status"]["data"][0]["payment_setup"] == "SETUP"


def test_shops_and_product_catalogs_edges(graph, biz):
    cms, token = biz["commerce_merchant_settings_id"], biz["access_token"]
    shops = graph.get(f"{cms}/shops", token=token,
                      fields="id,shop_status,fb_sales_channel,ig_sales_channel,commerce_merchant_settings").json()
    shop = shops["data"][0]
    assert shop["shop_status"] == "ACTIVE" and shop["commerce_merchant_settings"] == {"id": cms}
    assert shop["fb_sales_channel"]["status"] == "ENABLED"
    catalogs = graph.get(f"{cms}/product_catalogs", token=token).json()
    assert catalogs["data"] == [{"id": biz["catalog_id"], "name": "Lotus Tea Catalog"}]


def test_me_permissions_lists_granted_and_declined_without_paging(sandbox, graph, biz):
    token = biz["access_token"]
    body = graph.get("me/permissions", token=token).json()
    assert set(body) == {"data"}
    assert {"permission": "catalog_management", "status": "granted"} in body["data"]
    deleted = graph.delete(f"{biz['system_user_id']}/permissions/catalog_management", token=token)
    assert deleted.json() == {"success": True}
    after = graph.get("me/permissions", token=token).json()["data"]
    assert {"permission": "catalog_management", "status": "declined"} in after
    one = graph.get(f"{biz['system_user_id']}/permissions/catalog_management", token=token).json()
    assert one == {"data": [{"permission": "catalog_management", "status": "declined"}]}
    assert error_of(graph.get(biz["catalog_id"], token=token))["code"] == 200


def test_deauthorizing_the_app_kills_the_tokens_with_458(graph, biz):
    token = biz["access_token"]
    assert graph.delete("me/permissions", token=token).json() == {"success": True}
    error = error_of(graph.get("me", token=token))
    assert (error["code"], error["error_subcode"]) == (190, 458)


def test_user_token_sees_accounts_and_businesses(sandbox, graph, biz):
    user_token = sandbox.mint_token(biz["business_id"], expires_in=3600)
    me = graph.get("me", token=user_token).json()
    assert me["id"] == biz["user_id"]
    accounts = graph.get("me/accounts", token=user_token).json()["data"]
    assert [a["id"] for a in accounts] == [biz["page_id"]]
    assert accounts[0]["access_token"] and "MANAGE" in accounts[0]["tasks"]
    businesses = graph.get("me/businesses", token=user_token).json()["data"]
    assert businesses == [{"id": biz["business_id"], "name": "Lotus Tea"}]


def test_fbe_install_records_are_not_graph_nodes(sandbox, graph, biz):
    error = error_of(graph.get(biz["fbe_install_id"], token=biz["access_token"]))
    assert (error["code"], error["error_subcode"]) == (100, 33)


def test_commerce_partner_integration_read_and_update(graph, biz):
    token = biz["access_token"]
    cpi = graph.get("fbe_business/fbe_installs", token=token,
                    fbe_external_business_id="shop-1").json()["data"][0]["commerce_partner_integration_id"]
    assert graph.get(cpi, token=token).json() == {"id": cpi}
    updated = graph.post(cpi, token=token, installation_status="ACCESS_TOKEN_DEPOSITED",
                         commerce_partner_seller_platform_type="SELF_SERVE", extension_version="1.2.0")
    assert updated.json() == {"success": True}
    body = graph.get(cpi, token=token, fields="installation_status,extension_version").json()
    assert body == {"installation_status": "ACCESS_TOKEN_DEPOSITED", "extension_version": "1.2.0", "id": cpi}
    bad = graph.post(cpi, token=token, commerce_partner_seller_platform_type="SOMETIMES")
    assert error_of(bad)["code"] == 100


def test_demo_seeder_turns_automatic_delivery_on(sandbox):
    from meta_sandbox.seed import seed_sandbox

    seed_sandbox([])
    assert sandbox.config()["webhooks"]["auto_deliver"] is True
