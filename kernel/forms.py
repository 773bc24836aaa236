"""Form fields shared by the apps."""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from kernel.money import Money, currency_exponent

# What a seller may type: digits with an optional "." fraction, optionally grouped by three with
# "," ("1,234.56"), optionally with a leading minus (refused later unless allowed, with its own
# message). "1.234,56" and other groupings are refused rather than guessed at.
_AMOUNT_RE = re.compile(r"(-?)([0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)(?:\.([0-9]*))?", re.ASCII)

# Amounts are stored in BigIntegerField columns.
_MAX_MINOR = 2**63 - 1


class MoneyField(forms.Field):
    """A text input parsed into `Money` of a fixed currency: "12.5", "12.50", "1,234.56".

    The currency may be set after construction (`form.fields["price"].currency = shop.currency`).
    Errors: not an amount, more decimal places than the currency has, negative (unless
    `allow_negative`), too large. Full-width digits and commas (Chinese input methods) are read
    as their ASCII forms.
    """

    widget = forms.TextInput
    default_error_messages = {
        "invalid": _("Enter an amount such as 1234.56."),
        "negative": _("Enter an amount of zero or more."),
        "too_large": _("Enter a smaller amount."),
    }

    def __init__(self, *, currency: str, allow_negative: bool = False, **kwargs: Any) -> None:
        self.currency = currency
        self.allow_negative = allow_negative
        super().__init__(**kwargs)

    @property
    def currency(self) -> str:
        return self._currency

    @currency.setter
    def currency(self, value: str) -> None:
        code = value.strip().upper() if isinstance(value, str) else value
        currency_exponent(code)  # UnknownCurrency: a programming error, not a user error
        self._currency = code

    def widget_attrs(self, widget: forms.Widget) -> dict[str, str]:
        attrs = super().widget_attrs(widget)
        attrs["inputmode"] = "decimal"
        return attrs

    def prepare_value(self, value: Any) -> Any:
        return value.to_decimal_str() if isinstance(value, Money) else value

    def to_python(self, value: Any) -> Money | None:
        if isinstance(value, Money):
            return value
        if value in self.empty_values:
            return None
        text = unicodedata.normalize("NFKC", str(value)).strip()
        match = _AMOUNT_RE.fullmatch(text)
        if match is None:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        sign, whole, fraction = match.group(1), match.group(2).replace(",", ""), match.group(3) or ""
        exponent = currency_exponent(self.currency)
        if len(fraction) > exponent:
            if exponent == 0:
                message = _("%(currency)s amounts are whole numbers: enter no decimal places.")
            else:
                message = ngettext(
                    "%(currency)s amounts have at most %(places)d decimal place.",
                    "%(currency)s amounts have at most %(places)d decimal places.",
                    exponent,
                )
            raise forms.ValidationError(
                message, code="max_decimal_places", params={"currency": self.currency, "places": exponent}
            )
        if len(whole.lstrip("0")) > 19:  # beyond any 64-bit amount (and Python's int() digit limit)
            raise forms.ValidationError(self.error_messages["too_large"], code="too_large")
        minor = int(whole) * 10**exponent + int(fraction.ljust(exponent, "0") or "0")
        if minor > _MAX_MINOR:
            raise forms.ValidationError(self.error_messages["too_large"], code="too_large")
        return Money(-minor if sign else minor, self.currency)

    def validate(self, value: Money | None) -> None:
        super().validate(value)
        if value is None:
            return
        if value.currency != self.currency:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        if value.minor < 0 and not self.allow_negative:
            raise forms.ValidationError(self.error_messages["negative"], code="negative")


# --- choices of rows by id ------------------------------------------------------------------------

#: The largest id a row can have (signed 64-bit columns).
ID_MAX = 2**63 - 1


def _is_id(value) -> bool:
    text = str(value).strip()
    return text.isascii() and text.isdigit() and int(text) <= ID_MAX


class ModelChoiceField(forms.ModelChoiceField):
    """Django's ModelChoiceField, refusing an id no row can have as an invalid choice. Django
    looks the value up as given, and SQLite cannot compare a number past 64 bits (OverflowError,
    a 500) where PostgreSQL finds no row."""

    def to_python(self, value):
        if value not in self.empty_values and self.to_field_name is None and not _is_id(value):
            raise forms.ValidationError(self.error_messages["invalid_choice"], code="invalid_choice",
                                        params={"value": value})
        return super().to_python(value)


class ModelMultipleChoiceField(forms.ModelMultipleChoiceField):
    """Django's ModelMultipleChoiceField, refusing ids no row can have (see ModelChoiceField)."""

    def _check_values(self, value):
        if self.to_field_name is None and not isinstance(value, str | bytes):
            try:
                values = frozenset(value)
            except TypeError:
                values = frozenset()
            for pk in values:
                if not _is_id(pk):
                    raise forms.ValidationError(self.error_messages["invalid_pk_value"], code="invalid_pk_value",
                                                params={"pk": pk})
        return super()._check_values(value)


class LongSelect(forms.Select):
    """A `<select>` for hundreds of options (time zones), written in Python: Django's Select
    renders one template per option, about 30 ms for 600 options on every page showing it.
    Same markup and the same attributes (id, aria-*, required, disabled) as forms.Select."""

    def render(self, name, value, attrs=None, renderer=None):
        from django.forms.utils import flatatt
        from django.utils.html import format_html, format_html_join
        from django.utils.safestring import mark_safe

        widget = self.get_context(name, value, attrs)["widget"]
        select_attrs = {"name": widget["name"], **widget["attrs"]}  # `required` is there when it applies
        parts = []
        for group, options, _index in widget["optgroups"]:
            rows = format_html_join("", '<option value="{}"{}>{}</option>', (
                (o["value"], mark_safe(" selected") if o["selected"] else "", o["label"]) for o in options))
            parts.append(format_html('<optgroup label="{}">{}</optgroup>', group, rows) if group else rows)
        return format_html("<select{}>{}</select>", flatatt(select_attrs), mark_safe("".join(parts)))
