"""Our side of the exchange with Meta: the outbox of writes (`MetaPush`), acknowledgement
batches, and per shop the order feed and the ingestion ledger."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from orders.models.common import SyncState, new_key
from orders.models.order import Order


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
    created_at = models.DateTimeField(auto_now_add=True)
    synced_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["pk"]
        indexes = [models.Index(fields=["next_attempt_at"], condition=Q(state="pending"), name="orders_push_due")]

    def __str__(self) -> str:
        return f"{self.kind} {self.order_id} ({self.state})"


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
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["pk"]
        indexes = [models.Index(fields=["shop"], condition=Q(state="pending"), name="orders_ackbatch_pending")]

    def __str__(self) -> str:
        return f"ack batch {self.pk} ({len(self.payload)} orders, {self.state})"


class OrderFeed(models.Model):
    """Per shop: where order ingestion stands (watermark, app registration, removal). The poll's
    lease is `orders.poll:<shop id>` in `kernel.Lease`."""

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
