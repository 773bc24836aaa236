"""Customer information normalised and hashed per key as Meta's "Customer Information
Parameters" page specifies (ads.capi.userdata): one row per rule, Meta's own e-mail example with
its published digest, the keys that stay plain, pre-hashed values, and values that cannot be
used left out with their reason."""

from __future__ import annotations

from datetime import date

import pytest

from ads.capi.userdata import Unusable, normalise, sha256, user_data

# (key, input, buyer's country, normalised text): Meta's rule for the key, by example.
TABLE = [
    ("em", "John_Smith@gmail.com", "", "john_smith@gmail.com"),  # Meta's example
    ("em", "  Mary.Lee@Example.CO.UK ", "", "mary.lee@example.co.uk"),
    ("ph", "+1 (616) 954-78 88", "", "16169547888"),
    ("ph", "0044 20 7946 0958", "", "442079460958"),  # 00 international prefix dropped
    ("ph", "(616) 954-7888", "us", "16169547888"),  # a US number written without its country code
    ("ph", "+86 138-0013-8000", "cn", "8613800138000"),
    ("fn", "  Mary ", "", "mary"),
    ("fn", "O'Brien", "", "obrien"),
    ("ln", "Müller-Lüdenscheidt", "", "müllerlüdenscheidt"),  # UTF-8 letters kept
    ("ln", "王", "", "王"),
    ("ge", "Female", "", "f"),
    ("ge", "m", "", "m"),
    ("db", "1997-02-16", "", "19970216"),
    ("db", date(1997, 2, 16), "", "19970216"),
    ("ct", "Menlo Park", "", "menlopark"),
    ("ct", "St. Louis", "", "stlouis"),
    ("ct", "São Paulo", "", "sãopaulo"),
    ("st", "CA", "", "ca"),
    ("st", "Île-de-France", "", "îledefrance"),
    ("zp", "94025-1234", "us", "94025"),
    ("zp", "SW1A 1AA", "gb", "sw1a1aa"),
    ("country", "US", "", "us"),
    ("country", " gb ", "", "gb"),
    ("external_id", " order-buyer-42 ", "", "order-buyer-42"),
]


@pytest.mark.parametrize(("key", "value", "country", "normalised"), TABLE)
def test_each_key_is_normalised_as_meta_specifies(key, value, country, normalised):
    assert normalise(key, value, country=country) == normalised
    data, problems = user_data({key: value}, country=country)
    assert problems == {} and data == {key: [sha256(normalised)]}


def test_metas_published_digest_for_its_email_example():
    data, _ = user_data({"em": "John_Smith@gmail.com"})
    assert data["em"] == ["62a14e44f765419d10fea99367361a727c12365e2520f32218d505ed9aa0f62f"]


def test_ip_user_agent_and_click_ids_stay_plain():
    raw = {"client_ip_address": " 203.0.113.7 ", "client_user_agent": "Mozilla/5.0 (X11)",
           "fbc": "fb.1.1554763741205.AbCdEfGhIjKlMnOpQrStUvWxYz1234567890", "fbp": "fb.1.1558571054389.1098115397"}
    data, problems = user_data(raw)
    assert problems == {}
    assert data == {k: v.strip() for k, v in raw.items()}


def test_a_value_hashed_already_passes_through_and_duplicates_go():
    digest = sha256("john_smith@gmail.com")
    data, _ = user_data({"em": [digest.upper(), "John_Smith@gmail.com", ""]})
    assert data == {"em": [digest]}


@pytest.mark.parametrize(("key", "value"), [("em", "not-an-address"), ("ph", "12"), ("ge", "x"), ("db", "1997-02-30"),
                                            ("country", "USA"), ("ct", "123"), ("fn", "!!!")])
def test_a_value_meta_cannot_match_is_left_out_with_its_reason(key, value):
    with pytest.raises(Unusable):
        normalise(key, value)
    data, problems = user_data({key: value, "ln": "Lee"})
    assert data == {"ln": [sha256("lee")]}  # the rest of the event's customer information goes
    assert list(problems) == [key]


def test_unknown_keys_are_refused_by_name():
    data, problems = user_data({"email": "a@b.co"})
    assert data == {} and problems == {"email": "not a customer information parameter"}


def test_the_buyers_country_completes_phone_and_zip():
    data, _ = user_data({"ph": "616-954-7888", "zp": "94025-1234", "country": "US"})
    assert data["ph"] == [sha256("16169547888")] and data["zp"] == [sha256("94025")]
