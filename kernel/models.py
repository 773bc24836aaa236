"""Rows of the job skeleton: one `JobRun` per run of a background job, one `Lease` per piece of
work that only one worker may do at a time."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class JobRun(models.Model):
    """One run of a background job, for staff (admin) and sellers (sync status)."""

    class Status(models.TextChoices):
        RUNNING = "running", _("Running")
        SUCCEEDED = "succeeded", _("Succeeded")
        FAILED = "failed", _("Failed")
        SKIPPED = "skipped", _("Skipped")

    job = models.CharField(max_length=100)
    # The tenant is named by a setting (like AUTH_USER_MODEL), so the kernel never names an app.
    shop = models.ForeignKey(settings.TENANT_MODEL, null=True, blank=True, on_delete=models.CASCADE,
                             related_name="job_runs")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.RUNNING)
    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    counts = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)
    task_id = models.CharField(max_length=64, blank=True)

    class Meta:
        # The table it had when it lived in the project shell (moved without copying rows).
        db_table = "portal_jobrun"
        ordering = ["-started_at"]
        indexes = [models.Index(fields=["job", "shop", "-started_at"], name="portal_jobr_job_f1fcd1_idx")]

    def __str__(self) -> str:
        return f"{self.job} #{self.pk} ({self.status})"

    @property
    def duration(self):
        if self.finished_at:
            return self.finished_at - self.started_at
        return None


class Lease(models.Model):
    """Who may do one piece of work now: `key` names the work ("catalog.sync:12"), `owner` is the
    random token of the worker holding it, `until` when it lapses if that worker dies.

    Only the owner extends or releases it (`kernel.jobs`); anyone may take it once it lapsed.
    """

    key = models.CharField(max_length=150, primary_key=True)
    owner = models.CharField(max_length=32)
    until = models.DateTimeField()
    taken_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("lease")

    def __str__(self) -> str:
        return f"{self.key} until {self.until:%H:%M:%S}"
