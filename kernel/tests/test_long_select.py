"""kernel.forms.LongSelect writes what Django's Select writes, without a template per option."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from django import forms

from kernel.forms import LongSelect


class _Tags(HTMLParser):
    def __init__(self):
        super().__init__()
        self.items: list = []

    def handle_starttag(self, tag, attrs):
        self.items.append((tag, frozenset(attrs)))

    def handle_data(self, data):
        if data.strip():
            self.items.append(("text", data.strip()))


def _parsed(html: str) -> list:
    parser = _Tags()
    parser.feed(re.sub(r">\s+<", "><", html))
    return parser.items


CHOICES = [("", "---"), ("Europe/Paris", "Europe/Paris"), ('A<&>"', 'A<&>"'), ("Zone", [("x", "X"), ("y", "Y")])]


@pytest.mark.parametrize("value", ["", "Europe/Paris", 'A<&>"', "y"])
@pytest.mark.parametrize("disabled, required", [(False, True), (True, True), (False, False)])
def test_a_long_select_renders_as_djangos_select(value, disabled, required):
    def form(widget):
        class F(forms.Form):
            tz = forms.ChoiceField(choices=CHOICES, widget=widget, disabled=disabled, required=required)

        return F(initial={"tz": value}, auto_id="id_%s")

    ours = str(form(LongSelect(attrs={"aria-describedby": "tz-help"}))["tz"])
    django = str(form(forms.Select(attrs={"aria-describedby": "tz-help"}))["tz"])
    assert _parsed(ours) == _parsed(django)
    assert "&lt;&amp;&gt;" in ours  # escaped like Django's


def test_the_shop_settings_time_zone_uses_it(owner, shop_a):
    from django.urls import reverse

    html = owner.get(reverse("shops:settings", args=[shop_a.pk])).content.decode()
    zone = html.split('name="timezone"')[1].split("</select>")[0]
    assert zone.count("<option") > 300 and f'value="{shop_a.timezone}" selected' in zone
