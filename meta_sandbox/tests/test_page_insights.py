"""The sandbox's organic figures, as Meta documents them: Page Insights (a Page token, Meta's
answer shape, its errors for no metric, a deprecated or unknown metric, a missing permission),
Instagram account insights (time_series and total_value, the metric_type rule, impressions gone)
and a catalog item's commerce_insights; the figures are deterministic."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from .conftest import error_of


@pytest.fixture
def page_token(graph, biz) -> str:
    answer = graph.get(biz["page_id"], token=biz["access_token"], fields="access_token")
    assert answer.status_code == 200, answer.text
    return answer.json()["access_token"]


def test_page_insights_answer_in_metas_shape_with_a_page_token(graph, biz, page_token):
    answer = graph.get(f"{biz['page_id']}/insights", token=page_token, metric="page_follows,page_media_view",
                       period="day")
    assert answer.status_code == 200, answer.text
    data = answer.json()["data"]
    assert [(m["name"], m["period"]) for m in data] == [("page_follows", "day"), ("page_media_view", "day")]
    for metric in data:
        assert set(metric) == {"name", "period", "values", "title", "description", "id"}
        assert metric["id"] == f"{biz['page_id']}/insights/{metric['name']}/day"
        assert len(metric["values"]) == 2  # no since/until: the last two days
        for value in metric["values"]:
            assert set(value) == {"value", "end_time"} and isinstance(value["value"], int)
            datetime.strptime(value["end_time"], "%Y-%m-%dT%H:%M:%S%z")
    today = datetime.now(UTC).date()
    assert data[0]["values"][-1]["end_time"] == f"{today.isoformat()}T07:00:00+0000"
    again = graph.get(f"{biz['page_id']}/insights", token=page_token, metric="page_follows,page_media_view",
                      period="day").json()
    assert again["data"] == data  # deterministic


def test_a_28_day_period_sums_the_days_and_a_period_a_metric_lacks_leaves_it_out(graph, biz, page_token):
    path = f"{biz['page_id']}/insights"
    day = graph.get(path, token=page_token, metric="page_media_view", period="day",
                    since=int((datetime.now(UTC) - timedelta(days=28)).timestamp()),
                    until=int(datetime.now(UTC).timestamp())).json()["data"][0]["values"]
    assert len(day) == 28
    days_28 = graph.get(path, token=page_token, metric="page_media_view,page_follows", period="days_28").json()["data"]
    assert [m["name"] for m in days_28] == ["page_media_view"]  # page_follows has no 28-day period
    assert days_28[0]["values"][-1]["value"] == sum(v["value"] for v in day)
    every = graph.get(path, token=page_token, metric="page_media_view").json()["data"]
    assert [m["period"] for m in every] == ["day", "week", "days_28"]


def test_page_insights_refuse_what_meta_refuses(graph, biz, page_token, sandbox):
    path = f"{biz['page_id']}/insights"
    error = error_of(graph.get(path, token=page_token, period="day"))
    assert (error["code"], error["error_subcode"]) == (3001, 1504028)
    for metric in ("page_fans", "page_impressions", "page_bogus"):  # deprecated on 15 November 2025, or unknown
        error = error_of(graph.get(path, token=page_token, metric=f"page_follows,{metric}"))
        assert error["code"] == 100 and "valid insights metric" in error["message"], metric
    error = error_of(graph.get(path, token=biz["access_token"], metric="page_follows"))
    assert error["code"] == 210 and "page access token" in error["message"]
    error = error_of(graph.get(path, token=page_token, metric="page_follows", period="fortnight"))
    assert error["code"] == 100
    error = error_of(graph.get(path, token=page_token, metric="page_follows",
                               since=int((datetime.now(UTC) - timedelta(days=120)).timestamp())))
    assert error["code"] == 100 and "90 days" in error["message"]


def test_page_insights_need_read_insights(graph, biz, sandbox):
    from meta_sandbox.auth import DEFAULT_SCOPES

    token = sandbox.mint_token(biz["business_id"], scopes=[s for s in DEFAULT_SCOPES if s != "read_insights"])
    page_token = graph.get(biz["page_id"], token=token, fields="access_token").json()["access_token"]
    error = error_of(graph.get(f"{biz['page_id']}/insights", token=page_token, metric="page_follows"))
    assert error["code"] == 10 and "read_insights" in error["message"]


def test_instagram_insights_time_series_and_total_value(graph, biz):
    ig, token = biz["instagram_profile_id"], biz["access_token"]
    now = datetime.now(UTC)
    series = graph.get(f"{ig}/insights", token=token, metric="reach", period="day", metric_type="time_series",
                       since=int((now - timedelta(days=7)).timestamp()), until=int(now.timestamp()))
    assert series.status_code == 200, series.text
    [reach] = series.json()["data"]
    assert set(reach) == {"name", "period", "values", "title", "description", "id"} and len(reach["values"]) == 7
    total = graph.get(f"{ig}/insights", token=token, metric="reach,views", period="day", metric_type="total_value",
                      since=int((now - timedelta(days=7)).timestamp()), until=int(now.timestamp())).json()["data"]
    assert [set(m) for m in total] == [{"name", "period", "total_value", "title", "description", "id"}] * 2
    assert total[0]["total_value"]["value"] == sum(v["value"] for v in reach["values"])
    error = error_of(graph.get(f"{ig}/insights", token=token, metric="views", period="day"))
    assert error["code"] == 100 and "metric_type=total_value" in error["message"]
    error = error_of(graph.get(f"{ig}/insights", token=token, metric="impressions", period="day"))
    assert error["code"] == 100 and "must be one of the following values" in error["message"]
    error = error_of(graph.get(f"{ig}/insights", token=token, metric="reach"))
    assert error["code"] == 100 and "period" in error["message"]
    followers = graph.get(ig, token=token, fields="followers_count,username").json()
    assert followers["followers_count"] >= 100 and followers["username"]


def test_instagram_insights_need_instagram_manage_insights(graph, biz, sandbox):
    token = sandbox.mint_token(biz["business_id"], scopes=["instagram_basic", "pages_read_engagement"])
    error = error_of(graph.get(f"{biz['instagram_profile_id']}/insights", token=token, metric="reach", period="day"))
    assert error["code"] == 10 and "instagram_manage_insights" in error["message"]
    assert graph.get(biz["instagram_profile_id"], token=token, fields="followers_count").status_code == 200


def test_catalog_items_carry_commerce_insights(graph, biz, sandbox):
    from meta_sandbox.facade import CatalogControl

    CatalogControl(sandbox).add_products(biz["catalog_id"], [{"id": "TEA-1", "name": "Tea", "price": "9.99 USD"}])
    items = graph.get(f"{biz['catalog_id']}/products", token=biz["access_token"],
                      fields="retailer_id,commerce_insights").json()["data"]
    [item] = [i for i in items if i["retailer_id"] == "TEA-1"]
    assert set(item["commerce_insights"]) == {"organic_impressions", "paid_impressions", "message_sends"}
    assert item["commerce_insights"]["paid_impressions"] == 0  # no ad account spends
    assert all(isinstance(v, int) and v >= 0 for v in item["commerce_insights"].values())
    from meta_sandbox import facade

    facade.add_ad_account(biz["business_id"], daily_spend="5.00")
    [item] = [i for i in graph.get(f"{biz['catalog_id']}/products", token=biz["access_token"],
                                   fields="retailer_id,commerce_insights").json()["data"] if i["retailer_id"] == "TEA-1"]
    assert item["commerce_insights"]["paid_impressions"] == item["commerce_insights"]["organic_impressions"] // 3
