from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from kernel.models import JobRun
from portal.models import Heartbeat

JOB_RUN_RETENTION_DAYS = 30


def heartbeat(name: str = "worker") -> None:
    Heartbeat.objects.update_or_create(name=name, defaults={"beat_at": timezone.now()})


def prune_job_runs() -> int:
    cutoff = timezone.now() - timedelta(days=JOB_RUN_RETENTION_DAYS)
    deleted, _ = JobRun.objects.filter(started_at__lt=cutoff).delete()
    return deleted
