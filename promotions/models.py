"""Promotions: the seller's discounts (synced to Meta as an offers feed, or managed in Commerce
Manager) and the promotions Meta applied to orders, with their allocation per line and unit.

Money is integer minor units plus a currency (kernel.money). Order rows keep snapshots (campaign
name, coupon code, amounts) and point at our discounts by plain id, so editing or deleting a
discount never changes an order's history (STYLE §19).
"""

from __future__ import annotations

import uuid

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kernel.money import Money


def new_offer_id() -> str:
    return f"offer_{uuid.uuid4().hex[:16]}"


class PromotionSettings(models.Model):
    """Per shop: where discounts are managed, and the state of the offers feed at Meta."""

    class Source(models.TextChoices):
        PORTAL = "portal", _("This portal (synced to Meta as an offers feed)")
        COMMERCE_MANAGER = "commerce_manager", _("Meta Commerce Manager")

    shop = models.OneToOneField("shops.Shop", on_delete=models.CASCADE, related_name="promotion_settings")
    source = models.CharField(_("where discounts are managed"), max_length=20, choices=Source.choices,
                              default=Source.PORTAL)
    #: The OFFER feed in the shop's catalog, created once (META_API §4.1).
    meta_feed_id = models.CharField(max_length=64, blank=True)
    feed_catalog_id = models.CharField(max_length=64, blank=True)
    #: Hash of the file last uploaded, so an unchanged set of discounts is not uploaded again.
    last_upload_hash = models.CharField(max_length=64, blank=True)
    sync_requested_at = models.DateTimeField(null=True, blank=True)
    last_sync_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "promotion settings"

    def __str__(self) -> str:
        return f"promotion settings of {self.shop_id}"

    @property
    def syncs_to_meta(self) -> bool:
        return self.source == self.Source.PORTAL


class Discount(models.Model):
    """A discount the seller defines here (the offers feed carries it to Meta)."""

    class Kind(models.TextChoices):
        PERCENT = "percent", _("Percentage off")
        AMOUNT = "amount", _("Fixed amount off")
        FREE_SHIPPING = "free_shipping", _("Free shipping")
        BXGY = "bxgy", _("Buy X, get Y")

    class Level(models.TextChoices):
        ITEM = "item", _("Each item")
        ORDER = "order", _("The whole order")

    class Target(models.TextChoices):
        ALL = "all", _("All products")
        PRODUCTS = "products", _("Products I choose")
        PRODUCT_SET = "product_set", _("A product set")

    class Application(models.TextChoices):
        AUTOMATIC = "automatic", _("Automatically at checkout")
        COUPON = "coupon", _("With a coupon code")
        SALE = "sale", _("As a sale shown to everyone")

    class SyncState(models.TextChoices):
        PENDING = "pending", _("Waiting to sync")
        UPLOADING = "uploading", _("Meta is processing")
        SYNCED = "synced", _("Live at Meta")
        REJECTED = "rejected", _("Rejected by Meta")
        FAILED = "failed", _("Sync failed")
        LOCAL = "local", _("Not synced (Commerce Manager is in charge)")

    shop = models.ForeignKey("shops.Shop", on_delete=models.CASCADE, related_name="discounts")
    offer_id = models.CharField(_("offer id"), max_length=64, default=new_offer_id, editable=False)
    title = models.CharField(_("name"), max_length=100,
                             help_text=_("Shown to buyers, e.g. “Spring sale: tea 10 percent off”."))
    kind = models.CharField(_("discount"), max_length=20, choices=Kind.choices, default=Kind.PERCENT)
    percent_off = models.PositiveSmallIntegerField(_("percent off"), null=True, blank=True)
    currency = models.CharField(max_length=3)
    amount_off_minor = models.BigIntegerField(_("amount off"), null=True, blank=True)
    level = models.CharField(_("applies to"), max_length=10, choices=Level.choices, default=Level.ITEM)
    target = models.CharField(_("products"), max_length=20, choices=Target.choices, default=Target.ALL)
    products = models.ManyToManyField("catalog.Product", blank=True, related_name="+")
    product_set = models.ForeignKey("catalog.ProductSet", null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")
    #: Buy X, get Y: buy `buy_quantity` (Meta's min_quantity), get `get_quantity` (target_quantity)
    #: at `percent_off` (100 = free).
    buy_quantity = models.PositiveIntegerField(_("buy"), null=True, blank=True)
    get_quantity = models.PositiveIntegerField(_("get"), null=True, blank=True)
    application = models.CharField(_("how buyers get it"), max_length=10, choices=Application.choices,
                                   default=Application.AUTOMATIC)
    coupon_code = models.CharField(_("coupon code"), max_length=30, blank=True)
    coupon_public = models.BooleanField(_("show the code to buyers"), default=False)
    min_subtotal_minor = models.BigIntegerField(_("minimum order subtotal"), null=True, blank=True)
    min_quantity = models.PositiveIntegerField(_("minimum quantity"), null=True, blank=True)
    starts_at = models.DateTimeField(_("starts"))
    ends_at = models.DateTimeField(_("ends"), null=True, blank=True)
    usage_limit = models.PositiveIntegerField(_("total uses"), null=True, blank=True)
    limit_per_buyer = models.PositiveIntegerField(_("uses per buyer"), null=True, blank=True)
    exclude_sale_items = models.BooleanField(_("not on products already on sale"), default=False)
    ended_at = models.DateTimeField(null=True, blank=True, editable=False)

    sync_state = models.CharField(max_length=10, choices=SyncState.choices, default=SyncState.PENDING)
    #: Meta's words for a rejected row: [{"severity", "summary", "description", "column"}]
    sync_errors = models.JSONField(default=list, blank=True)
    upload = models.ForeignKey("OfferUpload", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    synced_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-starts_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["shop", "offer_id"], name="promotions_discount_uniq_offer"),
            models.UniqueConstraint(fields=["shop", "coupon_code"], condition=~Q(coupon_code=""),
                                    name="promotions_discount_uniq_coupon"),
        ]
        indexes = [models.Index(fields=["shop", "sync_state"], name="promotions_discount_sync")]

    def __str__(self) -> str:
        return self.title

    def money(self, minor: int | None) -> Money | None:
        return None if minor is None else Money(minor, self.currency)

    @property
    def amount_off(self) -> Money | None:
        return self.money(self.amount_off_minor)

    @property
    def min_subtotal(self) -> Money | None:
        return self.money(self.min_subtotal_minor)

    def status(self, now=None) -> str:
        """"scheduled", "active" or "ended" (by its dates, or ended by the seller)."""
        now = now or timezone.now()
        if self.ended_at or (self.ends_at and self.ends_at <= now):
            return "ended"
        if self.starts_at > now:
            return "scheduled"
        return "active"


class OfferUpload(models.Model):
    """One upload of the offers file to the OFFER feed (`POST /{feed}/uploads`)."""

    class Status(models.TextChoices):
        SENT = "sent", _("Meta is processing")
        DONE = "done", _("Processed")
        FAILED = "failed", _("Failed")

    shop = models.ForeignKey("shops.Shop", on_delete=models.CASCADE, related_name="offer_uploads")
    meta_upload_id = models.CharField(max_length=64, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.SENT)
    content_hash = models.CharField(max_length=64)
    #: The offer ids in file order: data row n (the header is row 1) is offer_ids[n - 2].
    offer_ids = models.JSONField(default=list)
    rows = models.PositiveIntegerField(default=0)
    error_count = models.PositiveIntegerField(default=0)
    warning_count = models.PositiveIntegerField(default=0)
    #: Meta's errors as read from `GET /{upload}/errors`.
    errors = models.JSONField(default=list, blank=True)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-pk"]
        indexes = [models.Index(fields=["shop"], condition=Q(status="sent"), name="promotions_upload_open")]

    def __str__(self) -> str:
        return f"offer upload {self.meta_upload_id or self.pk} ({self.status})"


class OrderPromotion(models.Model):
    """A promotion Meta applied to an order (order-level `promotion_details`, aggregated per offer)."""

    class Sponsor(models.TextChoices):
        MERCHANT = "merchant", _("You")
        FACEBOOK = "facebook", _("Meta")

    class Granularity(models.TextChoices):
        ITEM = "item_level", _("Item")
        ORDER = "order_level", _("Order")

    class TargetType(models.TextChoices):
        ITEMS = "items", _("Items")
        SHIPPING = "shipping", _("Shipping")

    order = models.ForeignKey("orders.Order", on_delete=models.CASCADE, related_name="promotion_rows")
    promotion_id = models.CharField(max_length=64)
    #: The offer's id in the feed (Meta's `retailer_id`), and our discount's pk when it is ours (plain id).
    retailer_id = models.CharField(max_length=100, blank=True)
    discount_id = models.BigIntegerField(null=True, blank=True)
    campaign_name = models.CharField(max_length=255, blank=True)
    coupon_code = models.CharField(max_length=100, blank=True)
    sponsor = models.CharField(max_length=10, choices=Sponsor.choices, default=Sponsor.MERCHANT)
    granularity = models.CharField(max_length=12, choices=Granularity.choices)
    target_type = models.CharField(max_length=10, choices=TargetType.choices, default=TargetType.ITEMS)
    currency = models.CharField(max_length=3)
    applied_minor = models.BigIntegerField()
    applied_after_tax = models.BooleanField(default=False)
    #: When Meta's promotion_allocations were last read (payments and cancellations).
    allocations_pulled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["order", "pk"]
        constraints = [models.UniqueConstraint(fields=["order", "promotion_id"], name="promotions_orderpromo_uniq")]

    def __str__(self) -> str:
        return f"{self.campaign_name or self.promotion_id} on order {self.order_id}"

    @property
    def applied(self) -> Money:
        return Money(self.applied_minor, self.currency)

    @property
    def is_meta_funded(self) -> bool:
        return self.sponsor == self.Sponsor.FACEBOOK


class LineAllocation(models.Model):
    """One promotion's share of one order line, and of each of its units.

    `amount_minor` is Meta's figure for the line (the item's `promotion_details`). `unit_minor`
    splits it over the units by Meta's documented rule (cumulative, remainder on the last unit):
    the preview. Meta's own per-unit figures arrive with fulfilments and cancellations
    (`MetaAllocation`) and win.
    """

    promotion = models.ForeignKey(OrderPromotion, on_delete=models.CASCADE, related_name="lines")
    item = models.ForeignKey("orders.OrderItem", on_delete=models.CASCADE, related_name="promotion_allocations")
    amount_minor = models.BigIntegerField()
    unit_minor = models.JSONField(default=list)

    class Meta:
        ordering = ["promotion", "item__position", "pk"]
        constraints = [models.UniqueConstraint(fields=["promotion", "item"], name="promotions_lineallocation_uniq")]

    def __str__(self) -> str:
        return f"{self.amount_minor} of {self.promotion_id} on {self.item_id}"


class MetaAllocation(models.Model):
    """Meta's `promotion_allocations` for units it fulfilled (payments) or cancelled: the truth."""

    class Source(models.TextChoices):
        PAYMENT = "payment", _("Fulfilment")
        CANCELLATION = "cancellation", _("Cancellation")

    promotion = models.ForeignKey(OrderPromotion, on_delete=models.CASCADE, related_name="meta_allocations")
    item = models.ForeignKey("orders.OrderItem", on_delete=models.CASCADE, related_name="+")
    source = models.CharField(max_length=12, choices=Source.choices)
    meta_source_id = models.CharField(max_length=64)
    quantity = models.PositiveIntegerField()
    amount_minor = models.BigIntegerField()
    #: What our preview said these units would get; a difference is shown to staff.
    preview_minor = models.BigIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["pk"]
        constraints = [models.UniqueConstraint(fields=["promotion", "item", "source", "meta_source_id"],
                                               name="promotions_metaallocation_uniq")]

    def __str__(self) -> str:
        return f"{self.amount_minor} ({self.source} {self.meta_source_id})"

    @property
    def agrees(self) -> bool:
        return self.preview_minor is None or self.preview_minor == self.amount_minor
