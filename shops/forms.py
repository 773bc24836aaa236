from __future__ import annotations

import re
import zoneinfo

from django import forms
from django.utils.translation import gettext_lazy as _

from kernel.forms import LongSelect, ModelChoiceField
from kernel.money import CURRENCY_EXPONENTS
from shops.checkout.links import MAX_LENGTH as CHECKOUT_URL_MAX
from shops.checkout.links import validate_checkout_url
from shops.hooks import has_money_data
from shops.models import Membership, Shop
from shops.services import PROFILE_FIELDS


def _timezone_choices():
    return [(tz, tz) for tz in sorted(zoneinfo.available_timezones()) if "/" in tz or tz == "UTC"]


class ShopProfileForm(forms.ModelForm):
    storefront_url = forms.URLField(label=_("Storefront URL"), required=False, assume_scheme="https",
                                     help_text=_("Your shop's website, where buyers pay, e.g. https://shop.example.com"))

    class Meta:
        model = Shop
        fields = list(PROFILE_FIELDS)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["timezone"].widget = LongSelect(choices=_timezone_choices())
        self.fields["country"].widget.attrs.update({"maxlength": 2, "autocomplete": "country", "size": 4})
        self.fields["currency"].widget.attrs.update({"maxlength": 3, "size": 5})
        if self.instance.pk and has_money_data(self.instance):
            # Stored amounts are minor units of this currency: changing it would re-read them.
            self.fields["currency"].disabled = True
            self.fields["currency"].help_text = _(
                "The currency cannot change once the shop has products, orders or discounts.")

    def values(self) -> dict:
        """The cleaned profile as plain values, for `services.update_shop_profile` (a disabled
        currency keeps the shop's own)."""
        return {name: self.cleaned_data[name] for name in PROFILE_FIELDS}

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


class NewShopForm(ShopProfileForm):
    """The wizard's first step for a shop that does not exist yet."""

    class Meta(ShopProfileForm.Meta):
        help_texts = {
            "name": _("As buyers will see it on Facebook and Instagram."),
            "timezone": _("The shop's time zone, e.g. America/New_York or Asia/Shanghai."),
        }


class ChangeRoleForm(forms.Form):
    membership = ModelChoiceField(queryset=Membership.objects.none(), widget=forms.HiddenInput)
    role = forms.ChoiceField(label=_("Role"), choices=Membership.Role.choices)

    def __init__(self, *args, shop, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["membership"].queryset = shop.memberships.all()


class MembershipActionForm(forms.Form):
    membership = ModelChoiceField(queryset=Membership.objects.none(), widget=forms.HiddenInput)

    def __init__(self, *args, shop, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["membership"].queryset = shop.memberships.select_related("user")


class ApiKeyForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=60,
                           help_text=_("Where the key is used, e.g. “Storefront server”."))


class ApiKeyRevokeForm(forms.Form):
    key = forms.IntegerField(widget=forms.HiddenInput)


class CheckoutLinkForm(forms.Form):
    """The shop's checkout link (Settings): where Meta sends buyers to pay on the website."""

    checkout_url = forms.CharField(
        label=_("Checkout link"), required=False, max_length=CHECKOUT_URL_MAX,
        widget=forms.URLInput(attrs={"autocomplete": "url", "inputmode": "url", "spellcheck": "false",
                                     "placeholder": "https://shop.example.com/fb-checkout"}),
        help_text=_("The page on your website where buyers from Facebook and Instagram pay, e.g. "
                    "https://shop.example.com/fb-checkout. Meta adds the cart to it: "
                    "?products=<retailer id>:<quantity>,… and the coupon code."),
    )

    def clean_checkout_url(self) -> str:
        return validate_checkout_url(self.cleaned_data["checkout_url"])
