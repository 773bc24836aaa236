"""The `|money` template filter and the MoneyField form field."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django import forms
from django.middleware.locale import LocaleMiddleware
from django.template import Context, Template
from django.utils import translation

from kernel.forms import MoneyField
from kernel.money import Money, UnknownCurrency


def render(value) -> str:
    return Template("{% load money %}[{{ value|money }}]").render(Context({"value": value}))


# --- template filter -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "value", "text"),
    [
        ("en", Money(123456, "USD"), "[$1,234.56]"),
        ("en", Money(1235, "JPY"), "[¥1,235]"),
        ("en", Money(1234567, "KWD"), "[1,234.567 KWD]"),
        ("zh-hans", Money(123456, "USD"), "[US$1,234.56]"),
        ("zh-hans", Money(1235, "JPY"), "[JP¥1,235]"),
        ("zh-hans", Money(800, "CNY"), "[¥8.00]"),
        ("en", None, "[]"),
    ],
)
def test_money_filter_formats_for_the_active_language(language, value, text):
    with translation.override(language):
        assert render(value) == text


def test_money_filter_renders_a_missing_variable_as_empty():
    assert Template("{% load money %}[{{ nothing|money }}]").render(Context({})) == "[]"


@pytest.mark.parametrize("value", [Decimal("1.00"), 1.0, 100])
def test_money_filter_refuses_amounts_without_a_currency(value):
    with pytest.raises(TypeError):
        render(value)


@pytest.mark.parametrize(("accept", "text"), [("en", "[$1.00]"), ("zh-Hans,zh;q=0.9", "[US$1.00]")])
def test_money_filter_follows_the_request_language(rf, accept, text):
    """LocaleMiddleware activates the visitor's language; the filter formats for it."""
    request = rf.get("/", HTTP_ACCEPT_LANGUAGE=accept)
    try:
        LocaleMiddleware(lambda r: None).process_request(request)
        assert render(Money(100, "USD")) == text
    finally:
        translation.deactivate()


# --- form field ----------------------------------------------------------------------------------


class PriceForm(forms.Form):
    price = MoneyField(currency="USD")
    refund = MoneyField(currency="USD", required=False, allow_negative=True)


def clean(value, currency="USD", **kwargs):
    return MoneyField(currency=currency, **kwargs).clean(value)


@pytest.mark.parametrize(
    ("text", "currency", "minor"),
    [
        ("12.5", "USD", 1250),
        ("12.50", "USD", 1250),
        ("1,234.56", "USD", 123456),
        ("1234.56", "USD", 123456),
        ("1,234,567", "USD", 123456700),
        (" 7 ", "USD", 700),
        ("12.", "USD", 1200),
        ("0", "USD", 0),
        ("-0", "USD", 0),
        ("１２.５", "USD", 1250),  # full-width digits from a Chinese input method
        ("1，234.56", "USD", 123456),  # full-width comma
        ("1,000", "JPY", 1000),
        ("980", "JPY", 980),
        ("1.5", "KWD", 1500),
        ("0.125", "KWD", 125),
    ],
)
def test_money_field_parses(text, currency, minor):
    assert clean(text, currency) == Money(minor, currency)


@pytest.mark.parametrize(
    ("text", "currency", "code", "message"),
    [
        ("12.345", "USD", "max_decimal_places", "USD amounts have at most 2 decimal places."),
        ("1.5", "JPY", "max_decimal_places", "JPY amounts are whole numbers: enter no decimal places."),
        ("1.2345", "KWD", "max_decimal_places", "KWD amounts have at most 3 decimal places."),
        ("abc", "USD", "invalid", "Enter an amount such as 1234.56."),
        ("1,23", "USD", "invalid", "Enter an amount such as 1234.56."),
        ("1.234,56", "USD", "invalid", "Enter an amount such as 1234.56."),
        ("12,34.5", "USD", "invalid", "Enter an amount such as 1234.56."),
        ("1 234", "USD", "invalid", "Enter an amount such as 1234.56."),
        ("$12", "USD", "invalid", "Enter an amount such as 1234.56."),
        ("1e3", "USD", "invalid", "Enter an amount such as 1234.56."),
        ("--5", "USD", "invalid", "Enter an amount such as 1234.56."),
        ("-5", "USD", "negative", "Enter an amount of zero or more."),
        ("-0.01", "USD", "negative", "Enter an amount of zero or more."),
        ("99999999999999999999", "USD", "too_large", "Enter a smaller amount."),
        ("", "USD", "required", "This field is required."),
    ],
)
def test_money_field_errors(text, currency, code, message):
    with pytest.raises(forms.ValidationError) as excinfo, translation.override("en"):
        clean(text, currency)
    assert excinfo.value.code == code
    assert excinfo.value.messages == [message]


def test_money_field_allows_negative_when_asked_and_empty_when_optional():
    assert clean("-5.25", allow_negative=True) == Money(-525, "USD")
    assert clean("", required=False) is None


def test_money_field_in_a_form():
    form = PriceForm(data={"price": "1,299.9", "refund": "-2"})
    assert form.is_valid(), form.errors
    assert form.cleaned_data == {"price": Money(129990, "USD"), "refund": Money(-200, "USD")}

    form = PriceForm(data={"price": "12.999"})
    assert not form.is_valid()
    assert form.errors["price"] == ["USD amounts have at most 2 decimal places."]


def test_money_field_currency_can_be_set_per_form_instance():
    form = PriceForm(data={"price": "1500"})
    form.fields["price"].currency = "jpy"
    assert form.is_valid()
    assert form.cleaned_data["price"] == Money(1500, "JPY")
    assert PriceForm.base_fields["price"].currency == "USD"  # the class stays untouched


def test_money_field_renders_money_initial_as_a_plain_decimal():
    html = str(PriceForm(initial={"price": Money(1250, "USD")})["price"])
    assert 'value="12.50"' in html
    assert 'inputmode="decimal"' in html
    assert not PriceForm(initial={"price": Money(1250, "USD")}, data={"price": "12.5"}).has_changed()


def test_money_field_refuses_unknown_currencies_when_built():
    with pytest.raises(UnknownCurrency):
        MoneyField(currency="ABC")


def test_money_field_refuses_money_of_another_currency():
    with pytest.raises(forms.ValidationError):
        clean(Money(100, "EUR"))


def test_a_huge_amount_is_a_field_error_not_a_crash():
    from kernel.forms import MoneyField

    field = MoneyField(currency="USD")
    with pytest.raises(forms.ValidationError):
        field.clean("9" * 5000)


def test_a_huge_decimal_string_is_refused_cleanly():
    with pytest.raises(ValueError, match="too large"):
        Money.from_decimal("9" * 5000, "USD")
