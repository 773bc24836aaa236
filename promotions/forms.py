"""Discount and settings forms: they parse and validate; services save."""

from __future__ import annotations

import re

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kernel.forms import MoneyField
from promotions.models import Discount, PromotionSettings

COUPON_RE = re.compile(r"[A-Za-z0-9_-]{1,30}")
#: Meta's Offers API: "A public coupon code cannot exceed 20 characters".
PUBLIC_CODE_MAX = 20


class DateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%dT%H:%M", **kwargs)


class DiscountForm(forms.ModelForm):
    amount_off = MoneyField(currency="USD", label=_("Amount off"), required=False)
    min_subtotal = MoneyField(currency="USD", label=_("Minimum order subtotal"), required=False,
                              help_text=_("Leave empty for no minimum."))
    retailer_ids = forms.CharField(
        label=_("Products (retailer ids)"), required=False, widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("One retailer id per line or separated by commas, e.g. TEA-1, CUP-2."))

    class Meta:
        model = Discount
        fields = ["title", "kind", "percent_off", "level", "target", "product_set", "buy_quantity", "get_quantity",
                  "application", "coupon_code", "coupon_public", "min_quantity", "starts_at", "ends_at",
                  "usage_limit", "limit_per_buyer", "exclude_sale_items"]
        widgets = {"kind": forms.RadioSelect, "level": forms.RadioSelect, "target": forms.RadioSelect,
                   "application": forms.RadioSelect, "starts_at": DateTimeInput(), "ends_at": DateTimeInput()}
        help_texts = {
            "percent_off": _("A whole number from 1 to 100. For buy X, get Y: 100 makes the Y items free."),
            "coupon_code": _("Letters, digits, - or _ (up to 30). Buyers type it at checkout."),
            "ends_at": _("Leave empty to keep the discount until you end it."),
            "min_quantity": _("Items the buyer must have in the order. Leave empty for no minimum."),
            "usage_limit": _("Leave empty for no limit."),
        }

    def __init__(self, *args, shop, **kwargs):
        super().__init__(*args, **kwargs)
        self.shop = shop
        for name in ("amount_off", "min_subtotal"):
            self.fields[name].currency = shop.currency
        from catalog.models import ProductSet

        self.fields["product_set"].queryset = ProductSet.objects.live().filter(shop=shop)
        self.fields["product_set"].required = False
        self.fields["kind"].choices = Discount.Kind.choices
        self.fields["level"].choices = Discount.Level.choices
        self.fields["target"].choices = Discount.Target.choices
        self.fields["application"].choices = Discount.Application.choices
        if self.instance.pk:
            self.initial.setdefault("amount_off", self.instance.amount_off)
            self.initial.setdefault("min_subtotal", self.instance.min_subtotal)
            self.initial.setdefault("retailer_ids", "\n".join(
                sorted(p.retailer_id for p in self.instance.products.all())))
        else:
            self.initial.setdefault("starts_at", timezone.localtime().replace(second=0, microsecond=0))

    def clean_coupon_code(self) -> str:
        code = (self.cleaned_data.get("coupon_code") or "").strip()
        if code and not COUPON_RE.fullmatch(code):
            raise forms.ValidationError(_("Use 1 to 30 letters, digits, - or _."), code="coupon_format")
        if code and Discount.objects.filter(shop=self.shop, coupon_code__iexact=code).exclude(
                pk=self.instance.pk).exists():
            raise forms.ValidationError(_("Another discount already uses this code."), code="coupon_taken")
        return code.upper()

    def clean_retailer_ids(self) -> list[str]:
        text = self.cleaned_data.get("retailer_ids") or ""
        return list(dict.fromkeys(part.strip() for part in re.split(r"[\s,]+", text) if part.strip()))

    def clean(self):
        data = super().clean()
        kind, target = data.get("kind"), data.get("target")
        percent = data.get("percent_off")
        if kind in (Discount.Kind.PERCENT, Discount.Kind.BXGY):
            if percent is None:
                self.add_error("percent_off", _("Enter the percentage off."))
            elif not 1 <= percent <= 100:
                self.add_error("percent_off", _("Enter a whole number from 1 to 100."))
        else:
            data["percent_off"] = None
        amount = data.get("amount_off")
        if kind == Discount.Kind.AMOUNT:
            if amount is None:
                self.add_error("amount_off", _("Enter the amount off."))
            elif amount.minor <= 0:
                self.add_error("amount_off", _("Enter an amount larger than zero."))
        else:
            data["amount_off"] = None
        if kind == Discount.Kind.BXGY:
            for name in ("buy_quantity", "get_quantity"):
                if not data.get(name):
                    self.add_error(name, _("Enter a quantity of at least 1."))
            data["level"] = Discount.Level.ITEM
        else:
            data["buy_quantity"] = data["get_quantity"] = None
        if kind == Discount.Kind.FREE_SHIPPING:
            data["level"] = Discount.Level.ORDER
            data["target"] = target = Discount.Target.ALL
        products = []
        if target == Discount.Target.PRODUCTS:
            from catalog.models import Product

            ids = data.get("retailer_ids") or []
            if not ids:
                self.add_error("retailer_ids", _("List the products the discount applies to."))
            else:
                products = list(Product.objects.filter(shop=self.shop, retailer_id__in=ids, deleted_at__isnull=True))
                missing = sorted(set(ids) - {p.retailer_id for p in products})
                if missing:
                    self.add_error("retailer_ids", _("No product with retailer id %(ids)s in this shop.") % {
                        "ids": ", ".join(missing[:10])})
        if target == Discount.Target.PRODUCT_SET and not data.get("product_set"):
            self.add_error("product_set", _("Choose a product set."))
        if target != Discount.Target.PRODUCT_SET:
            data["product_set"] = None
        self._products = products
        if data.get("application") == Discount.Application.COUPON:
            if not data.get("coupon_code") and "coupon_code" not in self.errors:
                self.add_error("coupon_code", _("Enter the code buyers type at checkout."))
            elif data.get("coupon_public") and len(data["coupon_code"]) > PUBLIC_CODE_MAX:
                # Meta's Offers API: a public coupon code cannot exceed 20 characters.
                self.add_error("coupon_code", _("A code shown to buyers can have at most %(n)d characters.") % {
                    "n": PUBLIC_CODE_MAX})
        else:
            data["coupon_code"], data["coupon_public"] = "", False
        starts, ends = data.get("starts_at"), data.get("ends_at")
        if starts and ends and ends <= starts:
            self.add_error("ends_at", _("The end must be after the start."))
        minimum = data.get("min_subtotal")
        if minimum is not None and minimum.minor <= 0:
            data["min_subtotal"] = None
        return data

    def values(self) -> dict:
        """The valid discount as plain values for `services.save_discount`: amounts in minor
        units, the product set by id. Fields the post left out keep the discount's own value."""
        data = self.cleaned_data
        values = {name: getattr(self.instance, name) for name in self._meta.fields if name != "product_set"}
        for name in ("percent_off", "level", "target", "buy_quantity", "get_quantity", "coupon_code",
                     "coupon_public"):
            values[name] = data.get(name)
        values["product_set_id"] = data["product_set"].pk if data.get("product_set") else None
        values["amount_off_minor"] = data["amount_off"].minor if data.get("amount_off") else None
        values["min_subtotal_minor"] = data["min_subtotal"].minor if data.get("min_subtotal") else None
        return values

    def product_ids(self) -> list[int]:
        """The listed products' ids (a discount on listed products only)."""
        if self.cleaned_data.get("target") != Discount.Target.PRODUCTS:
            return []
        return [p.pk for p in self._products]


class SourceForm(forms.ModelForm):
    class Meta:
        model = PromotionSettings
        fields = ["source"]
        widgets = {"source": forms.RadioSelect}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["source"].choices = PromotionSettings.Source.choices
