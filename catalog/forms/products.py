"""The product form. `ProductForm` also validates every CSV import row, so a product is checked
by the same rules whichever way it arrives."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from django import forms
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from catalog import constants as c
from catalog import validators
from catalog.models import Product
from catalog.services import CONTENT_FIELDS
from kernel.forms import MoneyField
from kernel.money import Money, currency_exponent

#: Sections of the product form, in order: (legend, field names).
FIELDSETS = [
    (gettext_lazy("Basics"), ["retailer_id", "title", "description", "rich_text_description", "brand", "status"]),
    (gettext_lazy("Links and images"), ["link", "image_link", "additional_image_links"]),
    (gettext_lazy("Price and stock"), ["price", "sale_price", "sale_starts_at", "sale_ends_at", "availability",
                                       "condition", "quantity_to_sell_on_facebook"]),
    (gettext_lazy("Variant"), ["item_group_id", "color", "size", "material", "pattern", "gender", "age_group"]),
    (gettext_lazy("Identifiers and categories"), ["gtin", "mpn", "google_product_category", "fb_product_category",
                                                   "product_type"]),
    (gettext_lazy("Labels"), ["internal_labels", "custom_label_0", "custom_label_1", "custom_label_2",
                              "custom_label_3", "custom_label_4"]),
    (gettext_lazy("Shipping"), ["shipping_weight_value", "shipping_weight_unit"]),
]

_DATETIME_WIDGET = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


def shop_timezone(shop):
    """Interpret and show dates in the shop's own time zone."""
    try:
        return timezone.override(ZoneInfo(shop.timezone))
    except (KeyError, ValueError):
        return timezone.override(ZoneInfo("UTC"))


def price_help(currency: str) -> str:
    places = currency_exponent(currency)
    if places == 0:
        return _("In %(currency)s, a whole amount such as 1500.") % {"currency": currency}
    example = Money(999 * 10 ** (places - 2), currency).to_decimal_str()
    return _("In %(currency)s, e.g. %(example)s (up to %(places)d decimals).") % {
        "currency": currency, "example": example, "places": places}


class ProductForm(forms.ModelForm):
    price = MoneyField(label=gettext_lazy("price"), currency="USD")
    sale_price = MoneyField(label=gettext_lazy("sale price"), currency="USD", required=False)
    sale_starts_at = forms.DateTimeField(label=gettext_lazy("sale starts"), required=False, widget=_DATETIME_WIDGET)
    sale_ends_at = forms.DateTimeField(label=gettext_lazy("sale ends"), required=False, widget=_DATETIME_WIDGET)
    link = forms.CharField(label=gettext_lazy("product page link"), max_length=c.URL_MAX,
                           widget=forms.URLInput, validators=[validators.validate_https_url])
    image_link = forms.CharField(label=gettext_lazy("main image link"), max_length=c.URL_MAX, widget=forms.URLInput,
                                 validators=[validators.validate_https_url],
                                 help_text=gettext_lazy("At least 500 × 500 pixels, JPEG or PNG."))
    additional_image_links = forms.CharField(
        label=gettext_lazy("additional image links"), required=False, widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy("One https:// link per line, up to 20."),
    )
    internal_labels = forms.CharField(
        label=gettext_lazy("internal labels"), required=False,
        help_text=gettext_lazy("Comma separated. Buyers never see them; product sets can use them."),
    )

    class Meta:
        model = Product
        fields = [name for _legend, names in FIELDSETS for name in names
                  if name not in ("price", "sale_price")]
        widgets = {
            "description": forms.Textarea(attrs={"rows": 5}),
            "rich_text_description": forms.Textarea(attrs={"rows": 3}),
            "product_type": forms.TextInput,
        }

    def __init__(self, *args, shop, readonly: bool = False, focus: str = "", check_unique: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        self.shop = shop
        self.currency = self.instance.currency if self.instance.pk else shop.currency
        self.check_unique = check_unique
        self.warnings: list[tuple[str, str]] = []
        for name in ("price", "sale_price"):
            self.fields[name].currency = self.currency
            self.fields[name].help_text = price_help(self.currency)
        for name in c.REQUIRED_FIELDS:
            self.fields[name].error_messages["required"] = _("Meta needs this for every product.")
        self.fields["title"].error_messages["max_length"] = _(
            "Meta accepts titles of up to %(limit_value)d characters (this one has %(show_value)d)."
        )
        self.fields["description"].error_messages["max_length"] = _(
            "Meta accepts descriptions of up to %(limit_value)d characters (this one has %(show_value)d)."
        )
        instance = self.instance
        if instance.pk:
            self.initial.update({
                "price": instance.price,
                "sale_price": instance.sale_price,
                "additional_image_links": "\n".join(instance.additional_image_links),
                "internal_labels": ", ".join(instance.internal_labels),
            })
            if instance.retailer_id_locked:
                self.fields["retailer_id"].widget.attrs["readonly"] = True
                self.fields["retailer_id"].help_text = _(
                    "Meta knows this product by this id, so it cannot change. To use another id, delete the "
                    "product and create it again."
                )
        self.focus = focus if focus in self.fields else ""
        if self.focus:
            self.fields[self.focus].widget.attrs["autofocus"] = True
        if readonly:
            for field in self.fields.values():
                field.disabled = True

    def full_clean(self):
        with shop_timezone(self.shop):
            super().full_clean()

    # --- single fields --------------------------------------------------------------------------

    def clean_retailer_id(self):
        value = self.cleaned_data["retailer_id"].strip()
        validators.validate_retailer_id(value)
        if self.instance.pk and self.instance.retailer_id_locked and value != self.instance.retailer_id:
            raise forms.ValidationError(
                _("This product is on Meta as %(old)s; its retailer id cannot change. Delete it and create a new "
                  "product to use another id.") % {"old": self.instance.retailer_id},
                code="locked",
            )
        if self.check_unique:
            taken = Product.objects.live().filter(shop=self.shop, retailer_id=value).exclude(pk=self.instance.pk)
            if taken.exists():
                raise forms.ValidationError(_("Another product already uses this retailer id."), code="unique")
        return value

    def _clean_positive(self, name: str) -> Money | None:
        money = self.cleaned_data.get(name)
        if money is not None and money.minor <= 0:
            raise forms.ValidationError(_("Meta needs a price above zero."), code="price_positive")
        return money

    def clean_price(self):
        return self._clean_positive("price")

    def clean_sale_price(self):
        return self._clean_positive("sale_price")

    def clean_sale_starts_at(self):
        return _to_minute(self.cleaned_data["sale_starts_at"])

    def clean_sale_ends_at(self):
        return _to_minute(self.cleaned_data["sale_ends_at"])

    def clean_additional_image_links(self):
        return validators.clean_image_links(self.cleaned_data["additional_image_links"])

    def clean_internal_labels(self):
        return validators.clean_labels(self.cleaned_data["internal_labels"])

    def clean_rich_text_description(self):
        value = self.cleaned_data["rich_text_description"]
        validators.validate_rich_text(value)
        return value

    def clean_gtin(self):
        value = self.cleaned_data["gtin"].replace(" ", "").replace("-", "")
        validators.validate_gtin(value)
        return value

    # --- across fields --------------------------------------------------------------------------

    def clean(self):
        data = super().clean()
        price, sale = data.get("price"), data.get("sale_price")
        starts, ends = data.get("sale_starts_at"), data.get("sale_ends_at")
        if price and sale and sale >= price:
            self.add_error("sale_price", _("The sale price must be lower than the price."))
        if (starts or ends) and not sale and "sale_price" not in self.errors:
            self.add_error("sale_price", _("Enter the sale price for these sale dates."))
        if bool(starts) != bool(ends):
            self.add_error("sale_ends_at" if starts else "sale_starts_at",
                           _("Give both the start and the end of the sale, or neither."))
        elif starts and ends and ends <= starts:
            self.add_error("sale_ends_at", _("The sale must end after it starts."))
        weight, unit = data.get("shipping_weight_value"), data.get("shipping_weight_unit")
        if (weight is None) != (not unit):
            self.add_error("shipping_weight_unit" if weight is not None else "shipping_weight_value",
                           _("Give the weight and its unit together."))
        elif weight is not None and weight <= 0:
            self.add_error("shipping_weight_value", _("The weight must be above zero."))
        self._collect_warnings(data)
        return data

    def _collect_warnings(self, data) -> None:
        title = data.get("title") or ""
        if len(title) > c.TITLE_RECOMMENDED:
            self.warnings.append(("title", _(
                "Titles over %(n)d characters may be cut off in shops and Meta's batch upload may refuse them."
            ) % {"n": c.TITLE_RECOMMENDED}))
        if len(data.get("description") or "") > c.DESCRIPTION_BATCH_MAX:
            self.warnings.append(("description", _(
                "Meta's batch upload takes up to %(n)d characters of description; a longer one may be refused."
            ) % {"n": c.DESCRIPTION_BATCH_MAX}))

    def _post_clean(self):
        # Amounts live in *_minor columns, which are not form fields.
        instance = self.instance
        if not instance.pk:
            instance.shop, instance.currency = self.shop, self.currency
        if self.cleaned_data.get("price") is not None:
            instance.price_minor = self.cleaned_data["price"].minor
        if "sale_price" in self.cleaned_data:
            sale = self.cleaned_data["sale_price"]
            instance.sale_price_minor = sale.minor if sale is not None else None
        super()._post_clean()

    def validate_unique(self):
        """Uniqueness of the retailer id is checked in clean_retailer_id (tombstones aside)."""

    def values(self) -> dict:
        """The valid product as plain values for `services.save_product` (amounts in minor units),
        read from the instance validation filled in: a field the post left out keeps its value."""
        return {name: getattr(self.instance, name) for name in CONTENT_FIELDS}

    def fieldsets(self):
        return [(legend, [self[name] for name in names]) for legend, names in FIELDSETS]


def _to_minute(value):
    # Meta's effective dates have minute precision; storing more would never round-trip.
    return value.replace(second=0, microsecond=0) if value else value


def product_form_data(product: Product) -> dict:
    """A product's values as ProductForm data (what the form would post unchanged)."""
    data = {name: getattr(product, name) for name in ProductForm._meta.fields}
    data.update({
        "price": product.price.to_decimal_str(),
        "sale_price": product.sale_price.to_decimal_str() if product.on_sale else "",
        "sale_starts_at": product.sale_starts_at,
        "sale_ends_at": product.sale_ends_at,
        "additional_image_links": "\n".join(product.additional_image_links),
        "internal_labels": ", ".join(product.internal_labels),
    })
    return {k: ("" if v is None else v) for k, v in data.items()}
