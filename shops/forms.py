from __future__ import annotations

import re
import zoneinfo

from django import forms
from django.utils.translation import gettext_lazy as _

from portal.money import CURRENCY_EXPONENTS
from shops.models import Membership, Shop


class ShopProfileForm(forms.ModelForm):
    storefront_url = forms.URLField(label=_("storefront URL"), required=False, assume_scheme="https")

    class Meta:
        model = Shop
        fields = ["name", "storefront_url", "country", "currency", "timezone", "business_vertical"]

    def clean_storefront_url(self):
        url = self.cleaned_data["storefront_url"]
        if url and not url.startswith("https://"):
            raise forms.ValidationError(_("Use an https:// address: Meta only links to secure storefronts."))
        return url

    def clean_country(self):
        country = self.cleaned_data["country"].strip().upper()
        if not re.fullmatch(r"[A-Z]{2}", country):
            raise forms.ValidationError(_("Enter a two-letter ISO country code, such as US or CN."))
        return country

    def clean_currency(self):
        currency = self.cleaned_data["currency"].strip().upper()
        if currency not in CURRENCY_EXPONENTS:
            raise forms.ValidationError(_("Enter a three-letter ISO 4217 currency code, such as USD or CNY."))
        return currency

    def clean_timezone(self):
        tz = self.cleaned_data["timezone"].strip()
        if tz not in zoneinfo.available_timezones():
            raise forms.ValidationError(_("Enter a time zone name such as America/New_York or Asia/Shanghai."))
        return tz


class InviteMemberForm(forms.Form):
    email = forms.EmailField(label=_("E-mail"))
    role = forms.ChoiceField(label=_("Role"), choices=Membership.Role.choices, initial=Membership.Role.VIEWER)
