"""CSV import jobs: the uploaded file, its progress and the results of each row."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ImportJob(models.Model):
    """One CSV upload, kept in the database so that any worker can process it."""

    class Status(models.TextChoices):
        VALIDATING = "validating", _("Checking the file")
        READY = "ready", _("Ready to import")
        APPLYING = "applying", _("Importing")
        DONE = "done", _("Imported")
        FAILED = "failed", _("Failed")
        CANCELLED = "cancelled", _("Cancelled")

    shop = models.ForeignKey("shops.Shop", on_delete=models.CASCADE, related_name="import_jobs")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    filename = models.CharField(max_length=255)
    content = models.TextField()
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.VALIDATING)
    total_rows = models.PositiveIntegerField(default=0)
    processed_rows = models.PositiveIntegerField(default=0)
    #: Rows done as of the last saved checkpoint: where a continuation task resumes.
    position = models.PositiveIntegerField(default=0)
    #: {"create": n, "update": n, "unchanged": n, "error": n, "warning": n}
    counts = models.JSONField(default=dict, blank=True)
    #: [{"row": 3, "column": "price", "message": "..."}], every failed row, in file order.
    errors = models.JSONField(default=list, blank=True)
    warnings = models.JSONField(default=list, blank=True)
    #: First rows with their planned action, for the preview table.
    preview = models.JSONField(default=list, blank=True)
    #: A problem with the whole file (encoding, no header, no id column).
    fatal_error = models.TextField(blank=True)
    task_id = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.filename} ({self.get_status_display()})"

    @property
    def is_working(self) -> bool:
        return self.status in (self.Status.VALIDATING, self.Status.APPLYING)

    @property
    def percent(self) -> int:
        if not self.total_rows:
            return 0 if self.is_working else 100
        return min(100, self.processed_rows * 100 // self.total_rows)

    @property
    def rows_to_apply(self) -> int:
        return self.counts.get("create", 0) + self.counts.get("update", 0)
