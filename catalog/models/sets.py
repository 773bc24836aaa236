"""Product sets: seller-defined collections (by rules or picked products), synced to Meta as sets."""

from __future__ import annotations

import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _

from catalog import constants as c
from catalog.models.products import Product
from kernel.money import Money


def new_set_retailer_id() -> str:
    return f"ps_{uuid.uuid4().hex[:12]}"


class ProductSetQuerySet(models.QuerySet):
    def live(self):
        return self.filter(deleted_at__isnull=True)


class ProductSet(models.Model):
    """A seller-defined collection, synced to Meta as a product set with a filter (phase 2).

    Picked sets give each member an internal label equal to the set's retailer id, so their
    membership rides the normal item sync; the set's Meta filter then selects that label.
    """

    class Kind(models.TextChoices):
        PICKED = "picked", _("Products I pick")
        LABEL = "label", _("Products with a label")
        RULES = "rules", _("Products matching rules")

    shop = models.ForeignKey("shops.Shop", on_delete=models.CASCADE, related_name="product_sets")
    name = models.CharField(_("name"), max_length=100)
    retailer_id = models.CharField(max_length=64, default=new_set_retailer_id, editable=False)
    kind = models.CharField(_("which products"), max_length=10, choices=Kind.choices, default=Kind.PICKED)
    products = models.ManyToManyField(Product, blank=True, related_name="picked_sets")
    label = models.CharField(_("label"), max_length=c.INTERNAL_LABEL_MAX, blank=True,
                             help_text=_("An internal label your products carry (product page or CSV column internal_label)."))
    brand = models.CharField(_("brand is"), max_length=c.BRAND_MAX, blank=True)
    product_type = models.CharField(_("product type contains"), max_length=c.PRODUCT_TYPE_MAX, blank=True)
    price_min_minor = models.BigIntegerField(_("price from"), null=True, blank=True)
    price_max_minor = models.BigIntegerField(_("price up to"), null=True, blank=True)

    needs_sync = models.BooleanField(default=True, editable=False)
    synced_at = models.DateTimeField(null=True, blank=True, editable=False)
    meta_set_id = models.CharField(max_length=64, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    deleted_at = models.DateTimeField(null=True, blank=True, editable=False)

    objects = ProductSetQuerySet.as_manager()

    class Meta:
        ordering = ["name", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["shop", "retailer_id"], name="catalog_productset_uniq_retailer_id"),
        ]

    def __str__(self) -> str:
        return self.name

    def _money(self, minor: int | None) -> Money | None:
        return None if minor is None else Money(minor, self.shop.currency)

    @property
    def price_min(self) -> Money | None:
        return self._money(self.price_min_minor)

    @property
    def price_max(self) -> Money | None:
        return self._money(self.price_max_minor)

    @property
    def member_label(self) -> str:
        """The internal label a picked set gives its members."""
        return self.retailer_id
