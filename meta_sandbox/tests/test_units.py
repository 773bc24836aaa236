"""Unit tests of the sandbox's building blocks (no HTTP): fields grammar, parameters, cursors,
masking, fault definitions and the router registry."""

from __future__ import annotations

import pytest

from meta_sandbox import errors, faults
from meta_sandbox.fields import parse_fields, to_text
from meta_sandbox.journal import mask
from meta_sandbox.params import P, parse_declared
from meta_sandbox.router import Route, decode_cursor, encode_cursor, paginate, registry


def test_fields_grammar_with_nested_edges_and_modifiers():
    sel = parse_fields("id,name,shops.limit(2){id,shop_status},catalog.fields(id,cta).limit(3),x.summary(true)")
    assert [s.name for s in sel] == ["id", "name", "shops", "catalog", "x"]
    assert sel[2].limit == 2 and [c.name for c in sel[2].children] == ["id", "shop_status"]
    assert sel[3].limit == 3 and [c.name for c in sel[3].children] == ["id", "cta"]
    assert sel[4].summary
    assert to_text(sel[2:3]) == "shops.limit(2){id,shop_status}"


def test_fields_modifier_after_braces_and_spaces():
    sel = parse_fields(" a{b{c}}.limit(4) , d ")
    assert sel[0].limit == 4 and sel[0].children[0].children[0].name == "c"
    assert parse_fields("") is None and parse_fields(None) is None


@pytest.mark.parametrize("text", ["a,,b", "a{b", "a}", "a.limit(x)", "a.bogus(1)", "a{b}{c}", "a b"])
def test_fields_syntax_errors_are_code_2500(text):
    with pytest.raises(errors.GraphError) as exc:
        parse_fields(text)
    assert exc.value.code == 2500 and exc.value.message.startswith("Syntax error")


def test_params_accept_json_strings_and_typed_values():
    specs = (P("items", "list<map>", required=True), P("flag", "bool"), P("n", "int"), P("tags", "list"),
             P("state", "list<enum>", enum=("A", "B")))
    from_form = parse_declared({"items": '[{"a": 1}]', "flag": "true", "n": "3", "tags": "x, y", "state": "A,B"},
                               specs, paging=False)
    from_json = parse_declared({"items": [{"a": 1}], "flag": True, "n": 3, "tags": ["x", "y"], "state": ["A", "B"]},
                               specs, paging=False)
    assert from_form == from_json == {"items": [{"a": 1}], "flag": True, "n": 3, "tags": ["x", "y"],
                                      "state": ["A", "B"]}


@pytest.mark.parametrize("raw, message", [
    ({}, "The parameter items is required"),
    ({"items": "[1]"}, "Param items must be a JSON array of objects"),
    ({"items": "[{}]", "mode": "Z"}, 'Param mode must be one of {A, B} - got "Z"'),
    ({"items": "[{}]", "bogus": "1"}, "Param bogus is not a valid parameter"),
    ({"items": "not json"}, "Param items must be valid JSON"),
])
def test_params_rejections_are_code_100(raw, message):
    specs = (P("items", "list<map>", required=True), P("mode", "enum", enum=("A", "B")))
    with pytest.raises(errors.GraphError) as exc:
        parse_declared(raw, specs, paging=False)
    assert exc.value.code == 100 and message in exc.value.message


def test_paging_params_only_on_paged_routes():
    assert parse_declared({"limit": "5", "after": "x"}, (), paging=True) == {}
    with pytest.raises(errors.GraphError):
        parse_declared({"limit": "5"}, (), paging=False)


def test_cursors_are_opaque_and_checked():
    cursor = encode_cursor("k", 42)
    assert "42" not in cursor and decode_cursor(cursor, "k") == 42
    for bad in ("nope", encode_cursor("o", 42)):
        with pytest.raises(errors.GraphError):
            decode_cursor(bad, "k")


def test_list_pagination_walks_forward_and_back():
    items = list(range(7))
    first = paginate(items, limit=3, after=None, before=None)
    assert first.items == [0, 1, 2] and first.has_next and not first.has_previous
    second = paginate(items, limit=3, after=first.last_cursor, before=None)
    assert second.items == [3, 4, 5] and second.has_next and second.has_previous
    last = paginate(items, limit=3, after=second.last_cursor, before=None)
    assert last.items == [6] and not last.has_next
    back = paginate(items, limit=3, after=None, before=second.first_cursor)
    assert back.items == [0, 1, 2]


def test_masking_reaches_every_depth_and_token_shapes():
    secret_token = "EAA" + "Zx9" * 12
    masked = mask({"access_token": "x", "nested": {"client_secret": "y", "list": [{"code": "z"}]},
                   "batch": f"relative_url=me?access_token={secret_token}", "note": f"see {secret_token}",
                   "limit": 5})
    text = repr(masked)
    assert secret_token not in text and "'x'" not in text and "'y'" not in text and "'z'" not in text
    assert masked["limit"] == 5


def test_fault_definitions_are_validated():
    assert faults.validate({"path": "/me/", "kind": "drop", "count": None})["path"] == "me"
    for bad in ({"path": "", "kind": "drop"}, {"path": "me", "kind": "explode"}, {"path": "me", "count": 0},
                {"path": "me", "probability": 2}, {"path": "me", "kind": "after_apply", "then": "explode"}):
        with pytest.raises(ValueError):
            faults.validate(bad)


def test_routes_need_a_typed_first_placeholder_and_no_duplicates():
    with pytest.raises(ValueError):
        registry.add_route(Route(method="GET", pattern="{x}/y", handler=lambda ctx: {}))
    with pytest.raises(ValueError):
        registry.add_route(Route(method="GET", pattern="debug_token", handler=lambda ctx: {}))


def test_error_envelope_leaves_out_empty_optional_keys():
    env = errors.unknown_alias("foo").envelope("TRACE")["error"]
    assert env == {"message": "(#803) Some of the aliases you requested do not exist: foo", "type": "OAuthException",
                   "code": 803, "is_transient": False, "fbtrace_id": "TRACE"}
    env = errors.unsupported("GET", "123").envelope("T")["error"]
    assert (env["type"], env["code"], env["error_subcode"]) == ("GraphMethodException", 100, 33)


def test_redaction_masks_secret_parameters_credentials_and_tokens():
    from meta_sandbox.journal import redact

    token = "EAA" + "Qx7" * 8  # built here: no token-looking literal in the code
    text = redact(f"GET me?fields=id,name&access_token=abc&appsecret_proof=0123abcd&client_secret=s3cret "
                  f"code=AQB-1 fb_exchange_token=x input_token=y | Authorization: Bearer tok123 | OAuth tok456 | "
                  f'{{"access_token": "jsonsecret", "code": 190}} | note {token} | zipcode=78701')
    for secret in ("abc", "0123abcd", "s3cret", "AQB-1", "=x", "=y", "tok123", "tok456", "jsonsecret", token):
        assert secret not in text, secret
    assert "fields=id,name" in text and '"code": 190' in text and "zipcode=78701" in text
    assert text.count("***") == 10
