"""Usage header parsing, merging and pressure (recorded header shapes, no HTTP)."""

from __future__ import annotations

import json
from datetime import timedelta

from django.utils import timezone
from requests.structures import CaseInsensitiveDict

from graph.usage import (
    APP_LIMIT_WAIT,
    merge_usage,
    parse_usage_headers,
    rate_limit_wait,
    usage_pressure,
)


def headers(**values):
    return CaseInsensitiveDict({k.replace("_", "-"): json.dumps(v) for k, v in values.items()})


BUC = {
    "1234567890": [
        {"type": "catalog_batch", "call_count": 12, "total_cputime": 3, "total_time": 4,
         "estimated_time_to_regain_access": 0},
        {"type": "catalog_management", "call_count": 55, "total_cputime": 7, "total_time": 9,
         "estimated_time_to_regain_access": 2},
    ]
}


def test_all_three_headers_are_parsed():
    usage = parse_usage_headers(headers(
        X_App_Usage={"call_count": 28, "total_cputime": 15, "total_time": 20},
        X_Business_Use_Case_Usage=BUC,
        X_Ad_Account_Usage={"acc_id_util_pct": 9.67, "reset_time_duration": 0},
    ))
    assert usage["app"] == {"call_count": 28, "total_cputime": 15, "total_time": 20}
    assert usage["buc"][0] == {"business_id": "1234567890", "type": "catalog_batch", "call_count": 12,
                               "total_cputime": 3, "total_time": 4, "estimated_time_to_regain_access": 0}
    assert usage["buc"][1]["estimated_time_to_regain_access"] == 2
    assert usage["ad_account"]["acc_id_util_pct"] == 9.67


def test_header_names_are_case_insensitive_and_bad_json_is_ignored():
    raw = CaseInsensitiveDict({"x-app-usage": '{"call_count": 5}', "X-Business-Use-Case-Usage": "{not json"})
    assert parse_usage_headers(raw) == {"app": {"call_count": 5}}
    assert parse_usage_headers(CaseInsensitiveDict()) == {}


def test_a_flattened_buc_header_is_accepted():
    usage = parse_usage_headers(headers(X_Business_Use_Case_Usage={"99": {"type": "pages", "call_count": "40"}}))
    assert usage["buc"] == [{"business_id": "99", "type": "pages", "call_count": 40}]


def test_rate_limit_wait_in_seconds_from_minutes():
    usage = parse_usage_headers(headers(X_Business_Use_Case_Usage=BUC))
    assert rate_limit_wait(usage, "catalog_management") == 120.0
    # the throttled type has no wait: the longest other wait is used
    assert rate_limit_wait(usage, "catalog_batch") == 120.0
    assert rate_limit_wait({"buc": [{"type": "catalog_batch", "estimated_time_to_regain_access": 0}]}) is None


def test_rate_limit_wait_from_app_usage_at_the_limit():
    assert rate_limit_wait({"app": {"call_count": 100, "total_time": 3}}) == APP_LIMIT_WAIT
    assert rate_limit_wait({"app": {"call_count": 99}}) is None


def test_merge_keeps_other_types_and_replaces_the_fresh_ones():
    now = timezone.now()
    first = merge_usage({}, parse_usage_headers(headers(X_Business_Use_Case_Usage=BUC)), now)
    later = now + timedelta(seconds=5)
    second = merge_usage(first, parse_usage_headers(headers(
        X_App_Usage={"call_count": 3},
        X_Business_Use_Case_Usage={"1234567890": [{"type": "catalog_batch", "call_count": 80}]},
    )), later)
    assert second["buc"]["catalog_batch"]["call_count"] == 80
    assert second["buc"]["catalog_batch"]["at"] == later.isoformat()
    assert second["buc"]["catalog_management"]["call_count"] == 55
    assert second["app"] == {"call_count": 3, "at": later.isoformat()}
    json.dumps(second)  # storable in a JSONField


def test_pressure_is_the_highest_relevant_percentage():
    now = timezone.now()
    usage = merge_usage({}, parse_usage_headers(headers(
        X_App_Usage={"call_count": 30, "total_cputime": 10, "total_time": 12},
        X_Business_Use_Case_Usage={"1": [{"type": "catalog_batch", "call_count": 70, "total_time": 20},
                                         {"type": "pages", "call_count": 95}]},
    )), now)
    assert usage_pressure(usage, "catalog_batch", now=now) == 70
    assert usage_pressure(usage, "catalog_management", now=now) == 30  # only the app figures apply
    assert usage_pressure(usage, None, now=now) == 95


def test_where_meta_reports_business_use_case_figures_the_app_figure_does_not_hold_the_work_back():
    """Meta's rate-limiting page: system-user tokens are under BUC limits, and BUC wins where both
    apply; the app at 95 % (read on other calls) does not slow catalog batches at 10 %."""
    now = timezone.now()
    usage = merge_usage({}, parse_usage_headers(headers(X_App_Usage={"call_count": 95})), now)
    assert usage_pressure(usage, "catalog_batch", now=now) == 95  # no BUC reading yet: the app's
    usage = merge_usage(usage, parse_usage_headers(headers(
        X_Business_Use_Case_Usage={"1": [{"type": "catalog_batch", "call_count": 10}]})), now)
    assert usage_pressure(usage, "catalog_batch", now=now) == 10
    assert usage_pressure(usage, "catalog_management", now=now) == 95


def test_pressure_counts_a_pending_wait_as_full():
    usage = {"buc": {"catalog_batch": {"call_count": 5, "estimated_time_to_regain_access": 3}}}
    assert usage_pressure(usage, "catalog_batch") == 100


def test_pressure_ignores_stale_readings_and_accepts_a_connection():
    now = timezone.now()
    usage = merge_usage({}, {"app": {"call_count": 90}}, now - timedelta(hours=2))

    class Conn:
        pass

    conn = Conn()
    conn.usage = usage
    assert usage_pressure(conn, now=now) == 0
    assert usage_pressure(conn, now=now, max_age=None) == 90
    assert usage_pressure({}, "catalog_batch") == 0


def test_rate_limit_wait_from_error_data_when_headers_have_none():
    assert rate_limit_wait({"app": {"call_count": 100}}, "", {"estimated_time_to_regain_access": 3}) == 180.0
    assert rate_limit_wait({}, "", {"estimated_time_to_regain_access": 0}) is None
    assert rate_limit_wait({}, "", "not a dict") is None
