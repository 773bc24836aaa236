"""The product list's filters and bulk actions."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from catalog import constants as c
from catalog.issues import describe_code
from catalog.models import Product, ProductSet
from kernel.forms import ModelChoiceField, ModelMultipleChoiceField


class ProductFilterForm(forms.Form):
    SYNC_CHOICES = [
        ("", gettext_lazy("Any sync state")),
        ("pending", gettext_lazy("Waiting to sync")),
        ("synced", gettext_lazy("Synced")),
        ("never", gettext_lazy("Not yet on Meta")),
    ]
    STATUS_CHOICES = [("", gettext_lazy("Active and archived")), *Product.Status.choices]

    q = forms.CharField(label=gettext_lazy("Search"), required=False, max_length=200,
                        widget=forms.SearchInput(attrs={"placeholder": gettext_lazy("Title, retailer id or brand")}))
    availability = forms.ChoiceField(label=gettext_lazy("Availability"), required=False,
                                     choices=[("", gettext_lazy("Any availability")), *c.Availability.choices])
    status = forms.ChoiceField(label=gettext_lazy("Status"), required=False, choices=STATUS_CHOICES)
    sync = forms.ChoiceField(label=gettext_lazy("Sync"), required=False, choices=SYNC_CHOICES)
    issue = forms.ChoiceField(label=gettext_lazy("Issues"), required=False)
    group = forms.CharField(required=False, max_length=c.ITEM_GROUP_ID_MAX, widget=forms.HiddenInput)

    def __init__(self, *args, issue_codes=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["issue"].choices = [
            ("", gettext_lazy("With or without issues")),
            ("any", gettext_lazy("With open issues")),
            ("none", gettext_lazy("Without issues")),
            *[(code, describe_code(code)) for code in issue_codes],
        ]

    def filters(self) -> dict:
        """The valid filters; an invalid one (e.g. an issue code resolved meanwhile) is dropped."""
        if not self.is_bound:
            return {}
        self.is_valid()
        return {k: v for k, v in self.cleaned_data.items() if v}


class BulkActionForm(forms.Form):
    ACTIONS = [
        ("archive", gettext_lazy("Archive (hide from shops)")),
        ("unarchive", gettext_lazy("Make active again")),
        ("set_availability", gettext_lazy("Set availability")),
        ("add_to_set", gettext_lazy("Add to product set")),
        ("remove_from_set", gettext_lazy("Remove from product set")),
    ]
    action = forms.ChoiceField(label=gettext_lazy("With the selected products"), choices=ACTIONS)
    products = ModelMultipleChoiceField(queryset=Product.objects.none(),
                                              error_messages={"required": gettext_lazy("Select at least one product.")})
    availability = forms.ChoiceField(label=gettext_lazy("Availability"), required=False,
                                     choices=[("", gettext_lazy("Availability…")), *c.Availability.choices])
    product_set = ModelChoiceField(label=gettext_lazy("Product set"), required=False,
                                         queryset=ProductSet.objects.none())

    def __init__(self, *args, shop, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["products"].queryset = Product.objects.live().filter(shop=shop)
        self.fields["product_set"].queryset = ProductSet.objects.live().filter(shop=shop,
                                                                               kind=ProductSet.Kind.PICKED)

    def clean(self):
        data = super().clean()
        if data.get("action") == "set_availability" and not data.get("availability"):
            self.add_error("availability", _("Choose the availability to set."))
        if data.get("action") in ("add_to_set", "remove_from_set") and not data.get("product_set"):
            self.add_error("product_set", _("Choose a product set."))
        return data
