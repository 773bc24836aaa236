"""The order, its lines and its timeline."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from kernel.money import Money
from orders.models.common import Origin, new_reference


class Order(models.Model):
    class Source(models.TextChoices):
        META = "meta", _("Meta")
        WEBSITE = "website", _("Website")

    class Channel(models.TextChoices):
        FACEBOOK = "facebook", _("Facebook")
        INSTAGRAM = "instagram", _("Instagram")
        WEBSITE = "website", _("Website")

    class State(models.TextChoices):
        FB_PROCESSING = "FB_PROCESSING", _("Processing at Meta")
        CREATED = "CREATED", _("To acknowledge")
        IN_PROGRESS = "IN_PROGRESS", _("In progress")
        COMPLETED = "COMPLETED", _("Completed")

    class AckState(models.TextChoices):
        NONE = "", _("Not needed")
        PENDING = "pending", _("Waiting to acknowledge")
        SYNCED = "synced", _("Acknowledged")
        FAILED = "failed", _("Acknowledgement failed")

    shop = models.ForeignKey("shops.Shop", on_delete=models.PROTECT, related_name="orders")
    source = models.CharField(_("source"), max_length=10, choices=Source.choices, default=Source.META)
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    meta_order_id = models.CharField(_("Meta order id"), max_length=64, blank=True)
    #: the storefront's own order id (website orders reported through the storefront API)
    website_order_id = models.CharField(_("website order id"), max_length=64, blank=True)
    reference = models.CharField(_("order reference"), max_length=32, default=new_reference, editable=False)
    state = models.CharField(_("state"), max_length=16, choices=State.choices)
    is_test_order = models.BooleanField(default=False)

    placed_at = models.DateTimeField(_("placed"))
    meta_updated_at = models.DateTimeField(null=True, blank=True)
    ship_by_date = models.DateField(null=True, blank=True)

    buyer_name = models.CharField(_("buyer"), max_length=200, blank=True)
    buyer_email = models.EmailField(_("buyer e-mail (relay)"), max_length=254, blank=True)
    buyer_marketing_opt_in = models.BooleanField(_("may receive marketing"), default=False)
    buyer_phone = models.CharField(_("phone"), max_length=40, blank=True)
    #: {name, first_name, last_name, street1, street2, city, state, postal_code, country}
    shipping_address = models.JSONField(default=dict, blank=True)
    #: {name, reference_id, price_minor, tax_minor, min_days, max_days}
    shipping_option = models.JSONField(default=dict, blank=True)

    currency = models.CharField(max_length=3)
    items_subtotal_minor = models.BigIntegerField(default=0)
    order_discount_minor = models.BigIntegerField(default=0, help_text="Seller-funded order-level offers on items")
    shipping_minor = models.BigIntegerField(default=0)
    tax_minor = models.BigIntegerField(default=0)
    total_minor = models.BigIntegerField(default=0)
    tax_remitted = models.BooleanField(default=False)
    buyer_paid_minor = models.BigIntegerField(null=True, blank=True)
    meta_paid_minor = models.BigIntegerField(null=True, blank=True)
    #: promotion_details as Meta reported them (order level, aggregated per offer)
    promotions = models.JSONField(default=list, blank=True)

    # Acknowledgement (Meta orders only).
    ack_state = models.CharField(max_length=10, choices=AckState.choices, default=AckState.NONE, blank=True)
    ack_batch = models.ForeignKey("AckBatch", null=True, blank=True, on_delete=models.SET_NULL, related_name="orders")
    ack_error = models.TextField(blank=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)

    # Counters kept by the services, for filters that stay fast at a million orders.
    units_to_ship = models.PositiveIntegerField(default=0)
    open_returns = models.PositiveIntegerField(default=0)
    failed_pushes = models.PositiveIntegerField(default=0)
    stock_taken = models.BooleanField(default=False)

    raw = models.JSONField(default=dict, blank=True, help_text="Meta's last payload, as received")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(fields=["shop", "meta_order_id"], condition=~Q(meta_order_id=""),
                                    name="orders_order_uniq_meta_id"),
            models.UniqueConstraint(fields=["shop", "reference"], name="orders_order_uniq_reference"),
            models.UniqueConstraint(fields=["shop", "website_order_id"], condition=~Q(website_order_id=""),
                                    name="orders_order_uniq_website_id"),
        ]
        indexes = [
            models.Index(fields=["shop", "-id"], name="orders_order_shop"),
            models.Index(fields=["shop", "state", "-id"], name="orders_order_state"),
            models.Index(fields=["shop", "channel", "-id"], name="orders_order_channel"),
            models.Index(fields=["shop", "placed_at"], name="orders_order_placed"),
            models.Index(fields=["shop", "-id"], condition=Q(state="CREATED"), name="orders_order_to_ack"),
            models.Index(fields=["shop", "-id"], condition=Q(state="IN_PROGRESS", units_to_ship__gt=0),
                         name="orders_order_to_ship"),
            models.Index(fields=["shop", "-id"], condition=Q(open_returns__gt=0), name="orders_order_returns"),
            models.Index(fields=["shop", "-id"], condition=Q(failed_pushes__gt=0), name="orders_order_failed"),
            models.Index(fields=["shop", "buyer_name"], name="orders_order_buyer"),
            # The Payments page's website sales of a period: an index-only range on PostgreSQL.
            models.Index(fields=["shop", "placed_at"], include=["total_minor"], condition=Q(source="website"),
                         name="orders_order_website"),
            models.Index(fields=["ack_batch"], condition=Q(ack_state="pending"), name="orders_order_ack_pending"),
        ]

    def __str__(self) -> str:
        return self.reference

    def money(self, minor: int | None) -> Money | None:
        return None if minor is None else Money(minor, self.currency)

    @property
    def items_subtotal(self) -> Money:
        return self.money(self.items_subtotal_minor)

    @property
    def order_discount(self) -> Money:
        return self.money(self.order_discount_minor)

    @property
    def shipping(self) -> Money:
        return self.money(self.shipping_minor)

    @property
    def tax(self) -> Money:
        return self.money(self.tax_minor)

    @property
    def total(self) -> Money:
        return self.money(self.total_minor)

    @property
    def buyer_paid(self) -> Money | None:
        return self.money(self.buyer_paid_minor)

    @property
    def meta_paid(self) -> Money | None:
        return self.money(self.meta_paid_minor)

    @property
    def is_meta(self) -> bool:
        return self.source == self.Source.META

    @property
    def has_order_level_offers(self) -> bool:
        """Offers on the whole order's items: Meta then refunds by amount only (META_API §3.10)."""
        return any(p.get("target_granularity") == "order_level" and p.get("target_type") != "shipping"
                   for p in self.promotions or [])


class OrderItem(models.Model):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="items")
    position = models.PositiveSmallIntegerField(default=0)
    meta_item_id = models.CharField(max_length=64, blank=True)
    meta_product_id = models.CharField(max_length=64, blank=True)
    retailer_id = models.CharField(_("retailer id"), max_length=100)
    product = models.ForeignKey("catalog.Product", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    title = models.CharField(_("title"), max_length=255)
    quantity = models.PositiveIntegerField(_("quantity"))
    #: Net of item-level offers (Meta's price_per_unit).
    price_per_unit_minor = models.BigIntegerField()
    #: This line's share of order-level offers: seller-funded (reduces what the seller is paid)
    #: and Meta-funded (Meta pays it; refunds give it back to Meta).
    order_discount_minor = models.BigIntegerField(default=0)
    meta_discount_minor = models.BigIntegerField(default=0)
    tax_minor = models.BigIntegerField(default=0)
    #: Meta's figures for the line as last read (tax_details.captured_tax, amount_available_for_refund;
    #: None: not reported). They win over ours; a difference is a MoneyCheck for staff.
    captured_tax_minor = models.BigIntegerField(default=0)
    meta_refundable_minor = models.BigIntegerField(null=True, blank=True)
    #: item-level promotion_details as Meta reported them
    promotions = models.JSONField(default=list, blank=True)
    # Running totals (pending actions included, so nothing is ever over-committed).
    quantity_shipped = models.PositiveIntegerField(default=0)
    quantity_cancelled = models.PositiveIntegerField(default=0)
    quantity_refunded = models.PositiveIntegerField(default=0)
    refunded_minor = models.BigIntegerField(default=0)

    class Meta:
        ordering = ["order", "position", "pk"]
        indexes = [models.Index(fields=["retailer_id"], name="orders_item_retailer")]

    def __str__(self) -> str:
        return f"{self.quantity} × {self.title}"

    def money(self, minor: int) -> Money:
        return Money(minor, self.order.currency)

    @property
    def line_total_minor(self) -> int:
        return self.price_per_unit_minor * self.quantity

    @property
    def value_minor(self) -> int:
        """What the line is worth to the seller before tax: refundable in full."""
        return self.line_total_minor - self.order_discount_minor

    @property
    def to_ship(self) -> int:
        return self.quantity - self.quantity_shipped - self.quantity_cancelled

    @property
    def price_per_unit(self) -> Money:
        return self.money(self.price_per_unit_minor)

    @property
    def line_total(self) -> Money:
        return self.money(self.line_total_minor)


class OrderEvent(models.Model):
    """The order's timeline. Events about a push show that push's live sync state."""

    class Kind(models.TextChoices):
        RECEIVED = "received", _("Order received")
        RELEASED = "released", _("Meta finished its checks")
        ACKNOWLEDGED = "acknowledged", _("Acknowledged")
        ACK_FAILED = "ack_failed", _("Acknowledgement failed")
        STATE = "state", _("Status changed")
        SHIPPED = "shipped", _("Shipped")
        TRACKING = "tracking", _("Tracking updated")
        CANCELLED = "cancelled", _("Cancelled")
        REFUNDED = "refunded", _("Refunded")
        RETURN_REQUESTED = "return_requested", _("Return requested")
        RETURN_UPDATED = "return_updated", _("Return updated")
        STOCK = "stock", _("Stock changed")
        NOTE = "note", _("Note")

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    #: English as recorded; `params` lets pages say it in the reader's language.
    message = models.CharField(max_length=500, blank=True)
    params = models.JSONField(default=dict, blank=True)
    origin = models.CharField(max_length=10, choices=Origin.choices, default=Origin.SELLER)
    push = models.ForeignKey("MetaPush", null=True, blank=True, on_delete=models.SET_NULL, related_name="events")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["order", "-created_at"], name="orders_event_order")]

    def __str__(self) -> str:
        return f"{self.kind} ({self.order_id})"
