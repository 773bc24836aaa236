"""Error classification from Meta's error envelope (recorded shapes, no HTTP)."""

from __future__ import annotations

import pytest

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
    classify,
)


def envelope(code, subcode=None, **extra):
    error = {"message": f"(#{code}) something", "type": "OAuthException", "code": code, "fbtrace_id": "AbCdEf123"}
    if subcode is not None:
        error["error_subcode"] = subcode
    error.update(extra)
    return {"error": error}


@pytest.mark.parametrize(
    ("code", "subcode", "status", "expected"),
    [
        (190, None, 400, TokenInvalid),
        (190, 463, 400, TokenInvalid),
        (190, 460, 400, TokenInvalid),
        (102, None, 400, TokenInvalid),
        (10, None, 403, PermissionDenied),
        (200, None, 403, PermissionDenied),
        (299, None, 403, PermissionDenied),
        (4, None, 400, RateLimited),
        (17, None, 400, RateLimited),
        (32, None, 400, RateLimited),
        (613, None, 400, RateLimited),
        (341, None, 400, RateLimited),
        (80009, None, 400, RateLimited),
        (80014, None, 400, RateLimited),
        (80004, None, 400, RateLimited),
        (1, None, 500, Transient),
        (2, None, 503, Transient),
        (100, None, 400, InvalidParameter),
        (100, 1487390, 400, InvalidParameter),
        (100, 33, 400, NotFound),
        (803, None, 404, NotFound),
        (12, None, 400, Deprecated),
        (368, None, 400, GraphError),
        (804, None, 400, GraphError),
        (999999, None, 500, Transient),  # unknown code on a 5xx: the server's trouble
    ],
)
def test_codes_map_to_typed_errors(code, subcode, status, expected):
    error = classify(status, envelope(code, subcode))
    assert type(error) is expected
    assert error.code == code
    assert error.subcode == subcode
    assert error.http_status == status
    assert error.fbtrace_id == "AbCdEf123"


def test_permanence_follows_the_kind():
    assert classify(400, envelope(190)).permanent is True
    assert classify(400, envelope(100)).permanent is True
    assert classify(400, envelope(10)).permanent is True
    assert classify(400, envelope(4)).permanent is False
    assert classify(500, envelope(2)).permanent is False


def test_is_transient_flag_makes_any_code_transient():
    error = classify(400, envelope(100, is_transient=True))
    assert isinstance(error, Transient)
    assert error.permanent is False


def test_token_and_rate_limit_win_over_is_transient():
    assert isinstance(classify(400, envelope(190, is_transient=True)), TokenInvalid)
    assert isinstance(classify(400, envelope(80014, is_transient=True)), RateLimited)


def test_user_message_prefers_error_user_msg():
    error = classify(400, envelope(100, error_user_title="Bad price", error_user_msg="Price must be positive."))
    assert error.user_message == "Price must be positive."
    assert error.user_title == "Bad price"
    assert classify(400, envelope(100)).user_message == "Meta rejected the data we sent."


def test_error_data_as_json_string_is_decoded():
    error = classify(400, envelope(100, error_data='{"blame_field_specs":[["items"]]}'))
    assert error.error_data == {"blame_field_specs": [["items"]]}
    assert error.blame_fields == [["items"]]


def test_error_data_that_is_not_json_is_kept_as_text():
    error = classify(400, envelope(100, error_data="not json"))
    assert error.error_data == "not json"
    assert error.blame_fields == []


def test_rate_limit_carries_buc_type_from_the_code():
    assert classify(400, envelope(80014)).buc_type == "catalog_batch"
    assert classify(400, envelope(80009)).buc_type == "catalog_management"
    assert classify(400, envelope(4)).buc_type == ""


def test_bodies_without_an_envelope():
    assert isinstance(classify(502, None), Transient)
    assert isinstance(classify(503, {"unexpected": True}), Transient)
    assert isinstance(classify(429, None), RateLimited)
    error = classify(404, None)
    assert type(error) is GraphError and error.permanent


def test_deprecated_for_a_version_differs_from_removed_everywhere():
    deprecated = envelope(12, message="(#12) commerce_orders is deprecated for versions v26.0 and higher")
    assert type(classify(400, deprecated)) is Deprecated
    assert type(classify(400, deprecated, removed_hint=True)) is Deprecated  # an older version still works
    removed = envelope(12, message="(#12) The Commerce Order Management API has been removed.")
    assert type(classify(400, removed)) is Removed


def test_removed_hint_turns_a_missing_field_into_removed():
    missing = envelope(100, message="(#100) Tried accessing nonexisting field (commerce_orders) on node type (X)")
    assert type(classify(400, missing)) is InvalidParameter
    assert type(classify(400, missing, removed_hint=True)) is Removed
    assert isinstance(Removed("x"), Deprecated)


def test_string_form_has_code_and_trace_but_no_extras():
    error = classify(400, envelope(100, 33, message="(#100) Object does not exist"))
    assert str(error) == "(#100) Object does not exist [code 100/33, fbtrace_id AbCdEf123]"
    assert "NotFound" in repr(error)


def test_non_numeric_codes_do_not_crash():
    error = classify(400, {"error": {"message": "odd", "code": "abc", "error_subcode": None}})
    assert type(error) is GraphError
    assert error.code is None
