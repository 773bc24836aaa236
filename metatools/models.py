"""What Meta reports about a shop's organic reach, as the daily task read it (metatools.figures)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class ShopFigures(models.Model):
    """Per shop: Meta's figures of its Page, its Instagram account and its products (totals), each
    part {"state", ..., "read_at"} (shops.figures); written by the task only, never on a page."""

    shop = models.OneToOneField("shops.Shop", on_delete=models.CASCADE, related_name="meta_tool_figures")
    #: {"page", "ig_followers", "ig_reach", "products"}
    figures = models.JSONField(default=dict, blank=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("Meta figures of a shop")
        verbose_name_plural = _("Meta figures of shops")

    def __str__(self) -> str:
        return f"Meta figures of shop {self.shop_id}"


class ProductFigures(models.Model):
    """One product's figures as Meta reports them on its catalog item (`commerce_insights`:
    organic and paid impressions, message sends), matched to our product by retailer id."""

    shop = models.ForeignKey("shops.Shop", on_delete=models.CASCADE, related_name="+")
    product = models.OneToOneField("catalog.Product", on_delete=models.CASCADE, related_name="meta_figures")
    organic_impressions = models.PositiveBigIntegerField(default=0)
    paid_impressions = models.PositiveBigIntegerField(default=0)
    message_sends = models.PositiveBigIntegerField(default=0)
    read_at = models.DateTimeField()

    class Meta:
        verbose_name = _("Meta figures of a product")
        verbose_name_plural = _("Meta figures of products")
        indexes = [models.Index(fields=["shop", "-organic_impressions"], name="metatools_prod_top")]

    def __str__(self) -> str:
        return f"Meta figures of product {self.product_id}"
