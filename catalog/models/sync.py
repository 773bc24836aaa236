"""Sync with Meta: the shop's sync state, one row per sync run, one per items_batch call."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from graph.errors import seller_failure


class CatalogSync(models.Model):
    """Per-shop sync state: the fast lane's requests and spacing, Meta's throttle and the last
    time each kind of sync finished. Created with the shop (`shops.signals.shop_created`). The
    leases (one sync per shop at a time, the fast lane's debounce) live in `kernel.Lease`
    (`catalog.sync.config.sync_key`, `fast_key`)."""

    shop = models.OneToOneField("shops.Shop", on_delete=models.CASCADE, related_name="catalog_sync")
    fast_requested_at = models.DateTimeField(null=True, blank=True)
    last_fast_call_at = models.DateTimeField(null=True, blank=True)
    #: Meta throttled us (80014/80009): no sync call before this.
    deferred_until = models.DateTimeField(null=True, blank=True)
    last_fast_at = models.DateTimeField(null=True, blank=True)
    last_changes_at = models.DateTimeField(null=True, blank=True)
    last_full_at = models.DateTimeField(null=True, blank=True)
    last_diagnostics_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"catalog sync of shop {self.shop_id}"


class SyncRun(models.Model):
    """One sync of a shop's catalog with Meta, with the counts the progress bar and history show."""

    class Kind(models.TextChoices):
        FAST = "fast", _("Price and stock")
        CHANGES = "changes", _("Changes")
        FULL = "full", _("Full")

    class Status(models.TextChoices):
        RUNNING = "running", _("Sending")
        WAITING = "waiting", _("Waiting for Meta")
        DEFERRED = "deferred", _("Paused: Meta asked us to slow down")
        SUCCEEDED = "succeeded", _("Done")
        FAILED = "failed", _("Failed")
        INTERRUPTED = "interrupted", _("Interrupted")

    class Trigger(models.TextChoices):
        SCHEDULE = "schedule", _("Scheduled")
        EDIT = "edit", _("After an edit")
        SELLER = "seller", _("Sync now")
        CONNECT = "connect", _("Shop connected")

    ACTIVE = (Status.RUNNING, Status.WAITING, Status.DEFERRED)

    shop = models.ForeignKey("shops.Shop", on_delete=models.CASCADE, related_name="catalog_sync_runs")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    trigger = models.CharField(max_length=10, choices=Trigger.choices, default=Trigger.SCHEDULE)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.RUNNING)
    #: items → sets → reconcile → poll → done: where a deferred run resumes.
    phase = models.CharField(max_length=10, default="items")
    #: Last product id sent in this run (keyset cursor; a resumed run continues after it).
    cursor = models.BigIntegerField(default=0)
    total = models.PositiveIntegerField(default=0)
    sent = models.PositiveIntegerField(default=0)
    confirmed = models.PositiveIntegerField(default=0)
    rejected = models.PositiveIntegerField(default=0)
    orphans_deleted = models.PositiveIntegerField(default=0)
    sets_synced = models.PositiveIntegerField(default=0)
    batches = models.PositiveIntegerField(default=0)
    batches_done = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)
    resume_at = models.DateTimeField(null=True, blank=True)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="+")
    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-started_at", "-pk"]
        indexes = [models.Index(fields=["shop", "-started_at"], name="catalog_syncrun_shop")]

    def __str__(self) -> str:
        return f"{self.kind} sync of shop {self.shop_id} ({self.status})"

    @property
    def is_active(self) -> bool:
        return self.status in self.ACTIVE

    @property
    def percent(self) -> int:
        if not self.total:
            return 100 if not self.is_active else 0
        return min(100, (self.confirmed + self.rejected) * 100 // self.total)

    @property
    def duration(self):
        return (self.finished_at - self.started_at) if self.finished_at else None

    @property
    def seller_error(self) -> str:
        """What the seller reads about this run's failure (the raw `error` is for staff)."""
        return seller_failure(self.error)


class CatalogBatch(models.Model):
    """One items_batch call: what was sent (product id, retailer id and the hashes sent) and
    Meta's handle. Written before the call, so a killed worker leaves a trace; products are
    marked synced only from the batch status Meta returns for this handle."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Being sent")
        SENT = "sent", _("Sent, waiting for Meta")
        FINISHED = "finished", _("Finished")
        FAILED = "failed", _("Failed")
        ABANDONED = "abandoned", _("Not sent")

    shop = models.ForeignKey("shops.Shop", on_delete=models.CASCADE, related_name="catalog_batches")
    run = models.ForeignKey(SyncRun, null=True, blank=True, on_delete=models.SET_NULL, related_name="batch_set")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    handle = models.CharField(max_length=255, blank=True)
    #: [[product id or null, retailer id, slow hash sent or null, fast hash sent or null], ...]
    items = models.JSONField(default=list)
    size = models.PositiveIntegerField(default=0)
    bytes = models.PositiveIntegerField(default=0)
    confirmed = models.PositiveIntegerField(default=0)
    rejected = models.PositiveIntegerField(default=0)
    checks = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    next_check_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["pk"]
        indexes = [
            # The poller reads only batches still waiting for Meta.
            models.Index(fields=["next_check_at"], condition=Q(status="sent"), name="catalog_batch_waiting"),
            models.Index(fields=["shop", "status"], name="catalog_batch_shop_status"),
        ]

    def __str__(self) -> str:
        return f"batch {self.handle or self.pk} ({self.status})"
