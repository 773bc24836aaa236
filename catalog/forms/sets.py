"""The product set form."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from catalog import validators
from catalog.forms.products import price_help
from catalog.models import Product, ProductSet
from catalog.sets import SET_FIELDS
from kernel.forms import MoneyField
from kernel.money import Money


class ProductSetForm(forms.ModelForm):
    price_min = MoneyField(label=gettext_lazy("Price from"), currency="USD", required=False)
    price_max = MoneyField(label=gettext_lazy("Price up to"), currency="USD", required=False)
    retailer_ids = forms.CharField(
        label=gettext_lazy("Retailer ids"), required=False, widget=forms.Textarea(attrs={"rows": 5}),
        help_text=gettext_lazy("One per line or comma separated. You can also add products from the product list."),
    )

    class Meta:
        model = ProductSet
        fields = ["name", "kind", "label", "brand", "product_type"]
        widgets = {"kind": forms.RadioSelect, "product_type": forms.TextInput}

    def __init__(self, *args, shop, readonly: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.shop = shop
        self.picked_products: list[Product] | None = None
        for name, minor in (("price_min", self.instance.price_min_minor), ("price_max", self.instance.price_max_minor)):
            self.fields[name].currency = shop.currency
            self.fields[name].help_text = price_help(shop.currency)
            if minor is not None:
                self.initial[name] = Money(minor, shop.currency)
        if self.instance.pk and self.instance.kind == ProductSet.Kind.PICKED:
            self.initial["retailer_ids"] = "\n".join(
                self.instance.products.order_by("retailer_id").values_list("retailer_id", flat=True))
        if readonly:
            for field in self.fields.values():
                field.disabled = True

    def clean_retailer_ids(self):
        ids = validators.split_list(self.cleaned_data["retailer_ids"])
        found = {p.retailer_id: p for p in Product.objects.live().filter(shop=self.shop, retailer_id__in=ids)}
        unknown = [i for i in ids if i not in found]
        if unknown:
            raise forms.ValidationError(_("No product has these retailer ids: %(ids)s") % {
                "ids": ", ".join(unknown[:10]) + (" …" if len(unknown) > 10 else "")})
        self.picked_products = [found[i] for i in ids]
        return ids

    def clean(self):
        data = super().clean()
        kind = data.get("kind")
        if kind == ProductSet.Kind.LABEL and not data.get("label"):
            self.add_error("label", _("Enter the label the products carry."))
        if kind == ProductSet.Kind.RULES:
            if not any(data.get(n) for n in ("brand", "product_type")) and data.get("price_min") is None \
                    and data.get("price_max") is None:
                self.add_error(None, _("Give at least one rule: a brand, a product type or a price range."))
        low, high = data.get("price_min"), data.get("price_max")
        if low is not None and high is not None and low > high:
            self.add_error("price_max", _("The upper price must not be below the lower one."))
        return data

    def values(self) -> dict:
        """The valid set as plain values for `sets.save_product_set` (prices in minor units)."""
        return {name: getattr(self.instance, name) for name in SET_FIELDS}

    def picked_ids(self) -> list[int] | None:
        """The ids of the products listed for a picked set (None when the field was not given)."""
        return None if self.picked_products is None else [p.pk for p in self.picked_products]

    def _post_clean(self):
        self.instance.shop = self.shop
        low, high = self.cleaned_data.get("price_min"), self.cleaned_data.get("price_max")
        self.instance.price_min_minor = low.minor if low is not None else None
        self.instance.price_max_minor = high.minor if high is not None else None
        super()._post_clean()
