"""What happens to an order after it is placed: shipments (and tracking updates), cancellations,
returns (and the seller's decisions) and refunds, each with its lines."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from kernel.money import Money
from orders.models.common import Origin, new_key
from orders.models.order import Order, OrderItem


class Shipment(models.Model):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="shipments")
    #: Ours, sent as external_shipment_id; Meta's shipment id once known.
    external_id = models.CharField(max_length=64, default=new_key, editable=False)
    meta_shipment_id = models.CharField(max_length=64, blank=True)
    carrier = models.CharField(_("carrier"), max_length=40)
    tracking_number = models.CharField(_("tracking number"), max_length=100, blank=True)
    shipping_method = models.CharField(_("shipping method"), max_length=100, blank=True)
    origin = models.CharField(max_length=10, choices=Origin.choices, default=Origin.SELLER)
    push = models.OneToOneField("MetaPush", null=True, blank=True, on_delete=models.SET_NULL, related_name="shipment")
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
    push = models.OneToOneField("MetaPush", null=True, blank=True, on_delete=models.SET_NULL, related_name="tracking")
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
    push = models.OneToOneField("MetaPush", null=True, blank=True, on_delete=models.SET_NULL,
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
    push = models.OneToOneField("MetaPush", null=True, blank=True, on_delete=models.SET_NULL, related_name="decision")
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
    push = models.OneToOneField("MetaPush", null=True, blank=True, on_delete=models.SET_NULL, related_name="refund")
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
