"""Forms of the order pages. Each action form carries a `submission` token, created when the
page is first shown: the action stores it, so a second submission of the same form (a double
click, a resubmitted page) finds the first record instead of making a second one."""

from __future__ import annotations

import uuid

from django import forms
from django.utils.translation import gettext_lazy as _

from kernel.money import Money, currency_exponent
from orders.carriers import CARRIERS
from orders.models import Order, Refund
from orders.money import ledgers

CANCEL_REASONS = [
    ("CUSTOMER_REQUESTED", _("The buyer asked to cancel")),
    ("OUT_OF_STOCK", _("Out of stock")),
    ("INVALID_ADDRESS", _("The address cannot be delivered to")),
    ("SUSPICIOUS_ORDER", _("The order looks fraudulent")),
    ("CANCEL_REASON_OTHER", _("Other reason")),
]
SELLER_REFUND_REASONS = [(value, label) for value, label in Refund.Reason.choices if value != "FACEBOOK_INITIATED"]


#: The records store the token in a 64-character column (a uuid4 hex is 32).
SUBMISSION_MAX = 64


class ActionForm(forms.Form):
    submission = forms.CharField(widget=forms.HiddenInput, max_length=SUBMISSION_MAX)

    def __init__(self, *args, order: Order, items=None, **kwargs):
        self.order = order
        self.items = list(items if items is not None else order.items.all())
        initial = kwargs.setdefault("initial", {})
        initial.setdefault("submission", uuid.uuid4().hex)
        super().__init__(*args, **kwargs)
        token = self.data.get(self.add_prefix("submission"), "") if self.is_bound else ""
        if self.is_bound and not (0 < len(token) <= SUBMISSION_MAX):
            # A token no record could store (tampered with, or lost): the error says so, and the
            # page shown again carries a fresh token, so the seller's next submission goes through.
            self.data = self.data.copy()
            self.data[self.add_prefix("submission")] = initial["submission"]
            self._expired = True
        else:
            self._expired = False

    def clean(self):
        data = super().clean()
        if self._expired:
            self.add_error(None, _("This form has expired. Check it and submit it again."))
        return data

    def add_quantities(self, limit, *, default_all: bool) -> None:
        for item in self.items:
            most = limit(item)
            self.fields[f"item_{item.pk}"] = forms.IntegerField(
                label=item.title, min_value=0, max_value=most, required=False,
                initial=most if default_all else 0, disabled=most == 0,
                widget=forms.NumberInput(attrs={"class": "qty"}),
                help_text=_("of %(n)d") % {"n": most})

    def quantities(self) -> dict[int, int]:
        return {item.pk: self.cleaned_data.get(f"item_{item.pk}") or 0 for item in self.items
                if f"item_{item.pk}" in self.fields}

    def quantity_rows(self):
        """(item, bound field) pairs for the template."""
        return [(item, self[f"item_{item.pk}"]) for item in self.items if f"item_{item.pk}" in self.fields]


class MoneyField(forms.CharField):
    """A decimal amount in the order's currency, as minor units (never float)."""

    def __init__(self, *args, currency: str, **kwargs):
        self.currency = currency
        kwargs.setdefault("required", False)
        kwargs.setdefault("widget", forms.TextInput(attrs={"inputmode": "decimal", "class": "money-input"}))
        super().__init__(*args, **kwargs)

    def clean(self, value):
        value = super().clean(value)
        if value in (None, ""):
            return 0
        try:
            minor = Money.from_decimal(value.strip().replace(",", ""), self.currency).minor
        except (TypeError, ValueError):
            places = currency_exponent(self.currency)
            raise forms.ValidationError(_("Enter an amount such as %(example)s.") % {
                "example": Money(1234 if places else 12, self.currency).to_decimal_str()}) from None
        if minor < 0:
            raise forms.ValidationError(_("Enter a positive amount."))
        return minor


class ShipForm(ActionForm):
    carrier = forms.ChoiceField(label=_("Carrier"), choices=[("", _("Choose a carrier"))] + CARRIERS)
    tracking_number = forms.CharField(label=_("Tracking number"), max_length=100, required=False)
    shipping_method = forms.CharField(label=_("Shipping method"), max_length=100, required=False,
                                      help_text=_("Optional, e.g. Standard or Express."))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.add_quantities(lambda item: item.to_ship, default_all=True)

    def clean(self):
        data = super().clean()
        if data.get("carrier") and data["carrier"] != "OTHER" and not data.get("tracking_number"):
            self.add_error("tracking_number", _("Enter the tracking number the carrier gave you."))
        return data


class TrackingForm(ActionForm):
    carrier = forms.ChoiceField(label=_("Carrier"), choices=CARRIERS)
    tracking_number = forms.CharField(label=_("Tracking number"), max_length=100)


class CancelForm(ActionForm):
    reason_code = forms.ChoiceField(label=_("Reason"), choices=CANCEL_REASONS)
    description = forms.CharField(label=_("Note to the buyer"), max_length=500, required=False,
                                  widget=forms.Textarea(attrs={"rows": 2}))
    restock = forms.BooleanField(label=_("Put the cancelled items back in stock"), required=False, initial=True)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.add_quantities(lambda item: item.to_ship, default_all=True)


class RefundForm(ActionForm):
    MODES = [("quantity", _("By quantity")), ("amount", _("By amount"))]

    mode = forms.ChoiceField(label=_("Refund"), choices=MODES, initial="quantity", widget=forms.RadioSelect)
    reason_code = forms.ChoiceField(label=_("Reason"), choices=SELLER_REFUND_REASONS)
    reason_text = forms.CharField(label=_("Note to the buyer"), max_length=500, required=False,
                                  widget=forms.Textarea(attrs={"rows": 2}))
    return_id = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        currency = self.order.currency
        books = ledgers(self.order, self.items)
        by_amount_only = self.order.has_order_level_offers
        for item in self.items:
            book = books[item.pk]
            if not by_amount_only:
                self.fields[f"item_{item.pk}"] = forms.IntegerField(
                    label=item.title, min_value=0, max_value=book.refundable_units, required=False, initial=0,
                    disabled=book.refundable_units == 0, widget=forms.NumberInput(attrs={"class": "qty"}))
            self.fields[f"amount_{item.pk}"] = MoneyField(
                label=item.title, currency=currency, disabled=book.refundable_minor == 0,
                help_text=_("up to %(amount)s") % {"amount": Money(book.refundable_minor, currency).to_decimal_str()})
        self.fields["shipping"] = MoneyField(label=_("Shipping to refund"), currency=currency)
        self.fields["deduction"] = MoneyField(
            label=_("Return shipping to keep"), currency=currency,
            help_text=_("Deducted from the refund, e.g. the cost of the return label."))
        if self.order.has_order_level_offers:
            self.fields["mode"].choices = [("amount", _("By amount"))]
            self.fields["mode"].initial = "amount"
            self.fields["mode"].error_messages["invalid_choice"] = _(
                "This order has an offer on the whole order: Meta refunds it by amount only.")
            self.fields["mode"].help_text = _("This order has an offer on the whole order, so Meta refunds it by "
                                              "amount only.")

    def rows(self):
        return [(item, self[f"item_{item.pk}"] if f"item_{item.pk}" in self.fields else None, self[f"amount_{item.pk}"])
                for item in self.items]

    def action_kwargs(self) -> dict:
        data = self.cleaned_data
        kwargs = {"shipping_minor": data["shipping"], "deduction_minor": data["deduction"]}
        if data["mode"] == "amount":
            kwargs["amounts"] = {item.pk: data.get(f"amount_{item.pk}") or 0 for item in self.items}
        else:
            kwargs["quantities"] = {item.pk: data.get(f"item_{item.pk}") or 0 for item in self.items}
        return kwargs


class ReturnDecisionForm(ActionForm):
    merchant_return_id = forms.CharField(label=_("Your return id"), max_length=64, required=False,
                                         help_text=_("Your own reference for this return (e.g. an RMA number). "
                                                     "Left empty, the portal makes one."))
    notes = forms.CharField(label=_("Note"), max_length=500, required=False, widget=forms.Textarea(attrs={"rows": 2}))


class OrderFilterForm(forms.Form):
    VIEWS = [
        ("", _("All orders")), ("to_ack", _("To acknowledge")), ("to_ship", _("To ship")),
        ("returns", _("Returns waiting")), ("failed", _("Sync failed")), ("ack_failed", _("Not acknowledged")),
        ("processing", _("Processing at Meta")),
    ]
    q = forms.CharField(label=_("Search"), required=False, widget=forms.TextInput(attrs={
        "type": "search", "placeholder": _("Order id, reference, buyer or retailer id")}))
    view = forms.ChoiceField(label=_("Show"), choices=VIEWS, required=False)
    state = forms.ChoiceField(label=_("Status"), choices=[("", _("Any status"))] + Order.State.choices,
                              required=False)
    channel = forms.ChoiceField(label=_("Channel"), choices=[("", _("Any channel"))] + Order.Channel.choices,
                                required=False)
    placed_from = forms.DateField(label=_("Placed from"), required=False,
                                  widget=forms.DateInput(attrs={"type": "date"}))
    placed_to = forms.DateField(label=_("Placed until"), required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def filters(self) -> dict:
        if not self.is_bound or not self.is_valid():
            return {}
        return {k: v for k, v in self.cleaned_data.items() if v}

