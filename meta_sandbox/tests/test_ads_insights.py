"""Contract: the ad account (`act_{id}`) and its Insights, the Dataset Quality API and the
catalog's event_stats answer in Meta's shapes, computed from what the sandbox received, and
refuse what Meta refuses (unknown fields, bad presets, a missing permission); over real HTTP."""

from __future__ import annotations

import hashlib
import json
import time

from meta_sandbox import facade
from meta_sandbox.catalog_testing import CatalogControl

from .conftest import error_of


def _purchase(n: int, *, email: bool, value: str = "12.50", content_id: str = "TEA-1") -> dict:
    user = {"client_user_agent": "Mozilla/5.0", "client_ip_address": "203.0.113.7"}
    if email:
        user["em"] = [hashlib.sha256(f"b{n}@example.com".encode()).hexdigest()]
    return {"event_name": "Purchase", "event_time": int(time.time()) - 86400 - n, "event_id": f"purchase.W-{n}",
            "action_source": "website", "event_source_url": "https://shop.example.com/thanks", "user_data": user,
            "custom_data": {"value": value, "currency": "USD", "content_ids": [content_id]}}


def _send(graph, biz, events):
    response = graph.post(f"{biz['pixel_id']}/events", token=biz["access_token"], data=json.dumps(events))
    assert response.status_code == 200, response.text


def test_the_install_names_the_ad_account_and_act_id_reads_it(graph, biz):
    account = facade.add_ad_account(biz["business_id"], currency="USD", daily_spend="10.00")["ad_account_id"]
    install = graph.get("fbe_business/fbe_installs", token=biz["access_token"],
                        fbe_external_business_id="shop-1").json()["data"][0]
    assert install["ad_account_id"] == account
    body = graph.get(f"act_{account}", token=biz["access_token"], fields="currency,account_id").json()
    assert body == {"id": f"act_{account}", "account_id": account, "currency": "USD"}
    assert error_of(graph.get(account, token=biz["access_token"]))["code"] == 100  # only act_{id} names it


def test_insights_report_spend_purchases_and_value_in_metas_shape(graph, biz):
    account = facade.add_ad_account(biz["business_id"], currency="USD", daily_spend="10.00")["ad_account_id"]
    _send(graph, biz, [_purchase(1, email=True), _purchase(2, email=False, value="7.25")])
    body = graph.get(f"act_{account}/insights", token=biz["access_token"], date_preset="last_7d",
                     fields="spend,actions,action_values,purchase_roas").json()
    row = body["data"][0]
    assert row["spend"] == "70.00" and "date_start" in row and "date_stop" in row
    assert {"action_type": "offsite_conversion.fb_pixel_purchase", "value": "2"} in row["actions"]
    assert {"action_type": "purchase", "value": "19.75"} in row["action_values"]
    assert row["purchase_roas"] == [{"action_type": "omni_purchase", "value": "0.282143"}]
    daily = graph.get(f"act_{account}/insights", token=biz["access_token"], date_preset="last_28d",
                      time_increment="1", fields="spend").json()["data"]
    assert len(daily) == 28 and all(r["date_start"] == r["date_stop"] and r["spend"] == "10.00" for r in daily)


def test_insights_without_delivery_are_empty(graph, biz):
    account = facade.add_ad_account(biz["business_id"])["ad_account_id"]
    assert graph.get(f"act_{account}/insights", token=biz["access_token"], date_preset="last_7d").json() == \
        {"data": []}


def test_insights_refuse_unknown_fields_bad_presets_and_a_missing_permission(graph, biz, sandbox):
    account = facade.add_ad_account(biz["business_id"], daily_spend="1.00")["ad_account_id"]
    token = biz["access_token"]
    error = error_of(graph.get(f"act_{account}/insights", token=token, fields="spend,revenue"))
    assert error["code"] == 100 and "revenue is not valid for fields param" in error["message"]
    assert error_of(graph.get(f"act_{account}/insights", token=token, date_preset="last_8d"))["code"] == 100
    assert error_of(graph.get(f"act_{account}/insights", token=token, time_increment="0"))["code"] == 100
    sandbox.set_token_scopes(token, ["catalog_management", "manage_business_extension", "business_management"])
    error = error_of(graph.get(f"act_{account}/insights", token=token, date_preset="last_7d"))
    assert error["code"] == 200 and "ads_read" in error["message"]


def test_dataset_quality_scores_each_event_from_its_match_keys(graph, biz, sandbox):
    _send(graph, biz, [_purchase(n, email=n < 2) for n in range(4)])
    facade.fire_browser_event(biz["pixel_id"], event_name="Purchase", event_id="purchase.W-0")
    body = graph.get("dataset_quality", token=biz["access_token"], dataset_id=biz["pixel_id"],
                     fields="web{event_name,event_match_quality{composite_score,match_key_feedback},event_coverage}"
                     ).json()
    (web,) = body["web"]
    assert web["event_name"] == "Purchase"
    quality = web["event_match_quality"]
    assert quality["composite_score"] == 3.5  # email on half (2.0) + IP (1.0) + user agent (0.5)
    assert {"identifier": "email", "coverage": {"percentage": 50.0}} in quality["match_key_feedback"]
    assert web["event_coverage"]["percentage"] == 100.0 and web["event_coverage"]["goal_percentage"] == 75
    error = error_of(graph.get("dataset_quality", token=biz["access_token"], dataset_id=biz["pixel_id"],
                               fields="web{event_name,emq}"))
    assert error["code"] == 100 and "emq" in error["message"]
    assert error_of(graph.get("dataset_quality", token=biz["access_token"]))["code"] == 100  # dataset_id required
    sandbox.set_token_scopes(biz["access_token"], ["ads_management", "catalog_management"])
    error = error_of(graph.get("dataset_quality", token=biz["access_token"], dataset_id=biz["pixel_id"]))
    assert error["code"] == 200 and "ads_read" in error["message"]


def test_event_stats_count_content_ids_matching_the_catalog(graph, biz, sandbox):
    CatalogControl(sandbox).add_products(biz["catalog_id"], [{"id": "TEA-1", "name": "Tea",
                                                             "price": "12.50 USD"}])
    facade.connect_pixel_to_catalog(biz["catalog_id"], biz["pixel_id"])
    _send(graph, biz, [_purchase(1, email=True), _purchase(2, email=True, content_id="tea-one"),
                       _purchase(3, email=True)])
    rows = graph.get(f"{biz['catalog_id']}/event_stats", token=biz["access_token"]).json()["data"]
    (row,) = rows
    assert row["event"] == "Purchase" and row["event_source"]["id"] == biz["pixel_id"]
    assert row["event_source"]["source_type"] == "PIXEL" and row["date_start"] == row["date_stop"]
    assert row["total_matched_content_ids"] == 2 and row["unique_matched_content_ids"] == 1
    assert row["total_unmatched_content_ids"] == 1
    assert error_of(graph.get(f"{biz['catalog_id']}/event_stats", token=biz["access_token"],
                              breakdowns='["AGE"]'))["code"] == 100
