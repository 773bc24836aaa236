"""Orders, channel-neutral: Meta's Facebook and Instagram orders today, website orders through
the same pages tomorrow (`source`, `channel`).

An order keeps its own copies of titles and prices: the link to a catalog product is a
convenience (`SET_NULL`), never needed to show or refund an order. Money is integer minor units
plus the order's currency (kernel.money).

Seller actions (ship, update tracking, cancel, refund, return decisions) and acknowledgements
are pushed to Meta through `MetaPush` rows: the outbox. A push is written in the transaction of
the local record it carries, with the exact request (and idempotency key) frozen, so a retry is
byte-for-byte the same call and Meta applies it at most once (META_API §3.12).
"""

from __future__ import annotations

import secrets
import uuid

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from kernel.money import Money

REFERENCE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"


def new_reference() -> str:
    """Our merchant order reference: unique, immutable, readable aloud (no 0/O, 1/I/L)."""
    return "SP-" + "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(12))


def new_key() -> str:
    return str(uuid.uuid4())


class SyncState(models.TextChoices):
    PENDING = "pending", _("Waiting to sync")
    SYNCED = "synced", _("Synced to Meta")
    FAILED = "failed", _("Failed")
    LOCAL = "local", _("Recorded here only")


class Origin(models.TextChoices):
    SELLER = "seller", _("Seller")
    BUYER = "buyer", _("Buyer")
    META = "meta", _("Meta")


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
    captured_tax_minor = models.BigIntegerField(default=0)
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


class MetaPush(models.Model):
    """One write to Meta, frozen: the outbox row a task sends until Meta confirms it."""

    class Kind(models.TextChoices):
        SHIP = "ship", _("Shipment")
        TRACKING = "tracking", _("Tracking update")
        CANCEL = "cancel", _("Cancellation")
        REFUND = "refund", _("Refund")
        RETURN = "return", _("Return decision")

    shop = models.ForeignKey("shops.Shop", on_delete=models.CASCADE, related_name="+")
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="pushes")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    method = models.CharField(max_length=6, default="POST")
    path = models.CharField(max_length=200)
    params = models.JSONField(default=dict)
    idempotency_key = models.CharField(max_length=64, unique=True, default=new_key)
    state = models.CharField(max_length=10, choices=SyncState.choices, default=SyncState.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)
    error_code = models.IntegerField(null=True, blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    locked_until = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    synced_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["pk"]
        indexes = [models.Index(fields=["next_attempt_at"], condition=Q(state="pending"), name="orders_push_due")]

    def __str__(self) -> str:
        return f"{self.kind} {self.order_id} ({self.state})"


class Shipment(models.Model):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="shipments")
    #: Ours, sent as external_shipment_id; Meta's shipment id once known.
    external_id = models.CharField(max_length=64, default=new_key, editable=False)
    meta_shipment_id = models.CharField(max_length=64, blank=True)
    carrier = models.CharField(_("carrier"), max_length=40)
    tracking_number = models.CharField(_("tracking number"), max_length=100, blank=True)
    shipping_method = models.CharField(_("shipping method"), max_length=100, blank=True)
    origin = models.CharField(max_length=10, choices=Origin.choices, default=Origin.SELLER)
    push = models.OneToOneField(MetaPush, null=True, blank=True, on_delete=models.SET_NULL, related_name="shipment")
    submission = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(fields=["order", "external_id"], name="orders_shipment_uniq_external"),
            models.UniqueConstraint(fields=["order", "submission"], condition=~Q(submission=""),
                                    name="orders_shipment_uniq_submission"),
        ]

    def __str__(self) -> str:
        return f"{self.carrier} {self.tracking_number}"


class ShipmentItem(models.Model):
    shipment = models.ForeignKey(Shipment, on_delete=models.CASCADE, related_name="items")
    item = models.ForeignKey(OrderItem, on_delete=models.CASCADE, related_name="+")
    quantity = models.PositiveIntegerField()

    def __str__(self) -> str:
        return f"{self.quantity} × {self.item_id}"


class TrackingUpdate(models.Model):
    shipment = models.ForeignKey(Shipment, on_delete=models.CASCADE, related_name="tracking_updates")
    carrier = models.CharField(max_length=40)
    tracking_number = models.CharField(max_length=100, blank=True)
    push = models.OneToOneField(MetaPush, null=True, blank=True, on_delete=models.SET_NULL, related_name="tracking")
    submission = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["shipment", "submission"], condition=~Q(submission=""),
                                               name="orders_tracking_uniq_submission")]

    def __str__(self) -> str:
        return f"{self.carrier} {self.tracking_number}"


class Cancellation(models.Model):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="cancellations")
    meta_cancellation_id = models.CharField(max_length=64, blank=True)
    reason_code = models.CharField(_("reason"), max_length=40)
    reason_description = models.CharField(_("note to the buyer"), max_length=500, blank=True)
    restock = models.BooleanField(_("put the items back in stock"), default=True)
    origin = models.CharField(max_length=10, choices=Origin.choices, default=Origin.SELLER)
    push = models.OneToOneField(MetaPush, null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="cancellation")
    submission = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["pk"]
        constraints = [models.UniqueConstraint(fields=["order", "submission"], condition=~Q(submission=""),
                                               name="orders_cancellation_uniq_submission")]

    def __str__(self) -> str:
        return f"{self.reason_code} ({self.order_id})"


class CancellationItem(models.Model):
    cancellation = models.ForeignKey(Cancellation, on_delete=models.CASCADE, related_name="items")
    item = models.ForeignKey(OrderItem, on_delete=models.CASCADE, related_name="+")
    quantity = models.PositiveIntegerField()

    def __str__(self) -> str:
        return f"{self.quantity} × {self.item_id}"


class Return(models.Model):
    class Status(models.TextChoices):
        REQUESTED = "REQUESTED", _("Requested by the buyer")
        APPROVED = "APPROVED", _("Approved")
        DISAPPROVED = "DISAPPROVED", _("Declined")
        REFUNDED = "REFUNDED", _("Refunded")
        MERCHANT_MARKED_COMPLETED = "MERCHANT_MARKED_COMPLETED", _("Closed")

    OPEN = (Status.REQUESTED, Status.APPROVED)

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="returns")
    meta_return_id = models.CharField(max_length=64, blank=True)
    #: Ours, given to Meta when approving (merchant_return_id).
    merchant_return_id = models.CharField(_("our return id"), max_length=64, blank=True)
    status = models.CharField(max_length=30, choices=Status.choices, default=Status.REQUESTED)
    message = models.TextField(_("buyer's message"), blank=True)
    origin = models.CharField(max_length=10, choices=Origin.choices, default=Origin.BUYER)
    requested_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["pk"]
        constraints = [models.UniqueConstraint(fields=["order", "meta_return_id"], condition=~Q(meta_return_id=""),
                                               name="orders_return_uniq_meta_id")]

    def __str__(self) -> str:
        return f"return {self.meta_return_id or self.pk} ({self.status})"

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN


class ReturnItem(models.Model):
    ret = models.ForeignKey(Return, on_delete=models.CASCADE, related_name="items")
    item = models.ForeignKey(OrderItem, on_delete=models.CASCADE, related_name="+")
    quantity = models.PositiveIntegerField()
    reason = models.CharField(max_length=500, blank=True)

    def __str__(self) -> str:
        return f"{self.quantity} × {self.item_id}"


class ReturnDecision(models.Model):
    """A seller's decision on a return (approve, decline, close), pushed to Meta."""

    class Event(models.TextChoices):
        ACCEPT = "ACCEPT_RETURN", _("Approve")
        DISAPPROVE = "DISAPPROVE_RETURN", _("Decline")
        CLOSE = "CLOSE_RETURN", _("Close")

    ret = models.ForeignKey(Return, on_delete=models.CASCADE, related_name="decisions")
    event = models.CharField(max_length=20, choices=Event.choices)
    notes = models.CharField(max_length=500, blank=True)
    push = models.OneToOneField(MetaPush, null=True, blank=True, on_delete=models.SET_NULL, related_name="decision")
    submission = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["ret", "submission"], condition=~Q(submission=""),
                                               name="orders_decision_uniq_submission")]

    def __str__(self) -> str:
        return f"{self.event} ({self.ret_id})"


class Refund(models.Model):
    class Reason(models.TextChoices):
        BUYERS_REMORSE = "BUYERS_REMORSE", _("Buyer changed their mind")
        DAMAGED_GOODS = "DAMAGED_GOODS", _("Damaged")
        NOT_AS_DESCRIBED = "NOT_AS_DESCRIBED", _("Not as described")
        QUALITY_ISSUE = "QUALITY_ISSUE", _("Quality issue")
        WRONG_ITEM = "WRONG_ITEM", _("Wrong item sent")
        REFUND_FOR_RETURN = "REFUND_FOR_RETURN", _("Returned")
        REFUND_REASON_OTHER = "REFUND_REASON_OTHER", _("Other")
        FACEBOOK_INITIATED = "FACEBOOK_INITIATED", _("Refunded by Meta")

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="refunds")
    meta_refund_id = models.CharField(max_length=64, blank=True)
    reason_code = models.CharField(_("reason"), max_length=40)
    reason_text = models.CharField(_("note to the buyer"), max_length=500, blank=True)
    by_amount = models.BooleanField(default=False)
    ret = models.ForeignKey(Return, null=True, blank=True, on_delete=models.SET_NULL, related_name="refunds")
    # Money (Meta's figures replace our preview once it reports the refund).
    subtotal_minor = models.BigIntegerField(default=0)
    shipping_minor = models.BigIntegerField(default=0)
    tax_minor = models.BigIntegerField(default=0)
    deduction_minor = models.BigIntegerField(default=0, help_text="Return shipping kept from the refund")
    total_minor = models.BigIntegerField(default=0)
    meta_part_minor = models.BigIntegerField(default=0, help_text="Part of the refund that goes back to Meta")
    origin = models.CharField(max_length=10, choices=Origin.choices, default=Origin.SELLER)
    push = models.OneToOneField(MetaPush, null=True, blank=True, on_delete=models.SET_NULL, related_name="refund")
    submission = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["pk"]
        constraints = [models.UniqueConstraint(fields=["order", "submission"], condition=~Q(submission=""),
                                               name="orders_refund_uniq_submission")]

    def __str__(self) -> str:
        return f"refund {self.meta_refund_id or self.pk} ({self.order_id})"

    def money(self, minor: int) -> Money:
        return Money(minor, self.order.currency)

    @property
    def total(self) -> Money:
        return self.money(self.total_minor)


class RefundItem(models.Model):
    refund = models.ForeignKey(Refund, on_delete=models.CASCADE, related_name="items")
    item = models.ForeignKey(OrderItem, on_delete=models.CASCADE, related_name="+")
    quantity = models.PositiveIntegerField(default=0)
    amount_minor = models.BigIntegerField(help_text="Before tax")
    tax_minor = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.amount_minor} on {self.item_id}"


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
    push = models.ForeignKey(MetaPush, null=True, blank=True, on_delete=models.SET_NULL, related_name="events")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["order", "-created_at"], name="orders_event_order")]

    def __str__(self) -> str:
        return f"{self.kind} ({self.order_id})"


class AckBatch(models.Model):
    """One bulk acknowledgement call (≤ 100 orders): its key and body are frozen so a retry is
    the same call, which Meta answers from its idempotency record."""

    shop = models.ForeignKey("shops.Shop", on_delete=models.CASCADE, related_name="+")
    idempotency_key = models.CharField(max_length=64, unique=True, default=new_key)
    #: [{"id": Meta order id, "merchant_order_reference": ...}]
    payload = models.JSONField(default=list)
    state = models.CharField(max_length=10, choices=SyncState.choices, default=SyncState.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)
    locked_until = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["pk"]
        indexes = [models.Index(fields=["shop"], condition=Q(state="pending"), name="orders_ackbatch_pending")]

    def __str__(self) -> str:
        return f"ack batch {self.pk} ({len(self.payload)} orders, {self.state})"


class OrderFeed(models.Model):
    """Per shop: where order ingestion stands (lease, watermark, app registration, removal)."""

    shop = models.OneToOneField("shops.Shop", on_delete=models.CASCADE, related_name="order_feed")
    #: Meta's `last_updated` of the newest change imported, as unix seconds.
    changes_watermark = models.BigIntegerField(null=True, blank=True)
    app_registered_cms = models.CharField(max_length=64, blank=True)
    last_poll_at = models.DateTimeField(null=True, blank=True)
    last_success_at = models.DateTimeField(null=True, blank=True)
    next_poll_at = models.DateTimeField(null=True, blank=True)
    poll_requested_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    #: Meta answered that the order API is gone: polling stops, one notice is shown.
    api_removed_at = models.DateTimeField(null=True, blank=True)
    api_removed_message = models.TextField(blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"order feed of {self.shop}"


class IngestRun(models.Model):
    """The ingestion ledger: one row per poll, so "where is my order?" always has an answer."""

    class Status(models.TextChoices):
        RUNNING = "running", _("Running")
        OK = "ok", _("OK")
        PARTIAL = "partial", _("Finished with errors")
        FAILED = "failed", _("Failed")
        REMOVED = "removed", _("Order API removed")

    shop = models.ForeignKey("shops.Shop", on_delete=models.CASCADE, related_name="order_ingest_runs")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.RUNNING)
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    #: The window of Meta update times this poll asked for (unix seconds) and where it ended.
    updated_after = models.BigIntegerField(null=True, blank=True)
    watermark = models.BigIntegerField(null=True, blank=True)
    #: {"pages", "new", "updated", "acknowledged", "ack_errors", "ack_calls", "cancellations", ...}
    counts = models.JSONField(default=dict, blank=True)
    errors = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["-started_at", "-pk"]
        indexes = [models.Index(fields=["shop", "-started_at"], name="orders_ingest_shop")]

    def __str__(self) -> str:
        return f"order poll {self.pk} of shop {self.shop_id} ({self.status})"
