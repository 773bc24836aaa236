"""Helpers every task uses: a recorded run with counts, and a per-(shop, job) lock."""

from __future__ import annotations

import logging
from contextlib import contextmanager
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from portal.models import JobRun

log = logging.getLogger(__name__)


class JobSkipped(Exception):
    """Raised inside `job_run` to end a run as skipped (e.g. another run holds the lock)."""


@contextmanager
def job_run(job: str, shop_id: int | None = None, *, task_id: str = ""):
    """Record a JobRun around a block; the block may update `run.counts` as it goes.

    A failure is recorded with its message and re-raised, so django-q2 also sees it.
    """
    run = JobRun.objects.create(job=job, shop_id=shop_id, task_id=task_id)
    try:
        yield run
    except JobSkipped as exc:
        run.status, run.error = JobRun.Status.SKIPPED, str(exc)
    except Exception as exc:
        run.status, run.error = JobRun.Status.FAILED, f"{type(exc).__name__}: {exc}"[:2000]
        run.finished_at = timezone.now()
        run.save(update_fields=["status", "error", "finished_at", "counts"])
        log.exception("job %s failed (shop_id=%s)", job, shop_id)
        raise
    else:
        run.status = JobRun.Status.SUCCEEDED
    run.finished_at = timezone.now()
    run.save(update_fields=["status", "error", "finished_at", "counts"])


def claim_lease(model, pk: int, field: str, seconds: int) -> bool:
    """Claim a lease on one row with a conditional UPDATE: True if this caller got it.

    `field` is a nullable DateTimeField meaning "locked until". Works the same on SQLite and
    PostgreSQL and survives a killed worker (the lease simply expires).
    """
    now = timezone.now()
    with transaction.atomic():
        updated = (
            model.objects.filter(pk=pk)
            .filter(**{f"{field}__isnull": True})
            .update(**{field: now + timedelta(seconds=seconds)})
        ) or (
            model.objects.filter(pk=pk, **{f"{field}__lt": now}).update(**{field: now + timedelta(seconds=seconds)})
        )
    return updated == 1


def release_lease(model, pk: int, field: str) -> None:
    model.objects.filter(pk=pk).update(**{field: None})
