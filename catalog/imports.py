"""CSV import jobs: upload → check (the preview) → apply.

The file lives in the database (`ImportJob.content`), so any worker can process it. Small files
are processed during the request; larger ones by a django-q2 task while the page polls a
progress fragment. Both steps read the file in chunks, record progress after each chunk and
hold a kernel lease on the job (`lease_key`, about a minute, renewed after each chunk; kernel.jobs),
so a re-delivered task does not run beside a live one and a killed worker's job can be resumed
about a minute later.
Applying is idempotent (upsert by retailer id): a retried or repeated import changes nothing
twice, and every row that cannot be imported is reported with its row number and reason.
"""

from __future__ import annotations

import logging
import time
from collections import Counter

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _
from django_q.tasks import async_task

from catalog import csv_io
from catalog.forms import shop_timezone
from catalog.models import SYNC_STATE_FIELDS, ImportJob, Product
from catalog.services import CONTENT_FIELDS, fast_lane_changed
from kernel import jobs
from shops import audit

log = logging.getLogger(__name__)

CHUNK_ROWS = 500
PREVIEW_ROWS = 20
LEASE_SECONDS = 60
TASKS = {False: "catalog.tasks.check_import", True: "catalog.tasks.apply_import"}


class ImportRefused(Exception):
    pass


def inline_limit() -> int:
    """Files with up to this many lines are processed during the request."""
    return getattr(settings, "CATALOG_IMPORT_INLINE_ROWS", 300)


def task_seconds() -> float:
    """How long one task works before it saves its place and queues a continuation; well
    below Q_CLUSTER["timeout"] (300 s)."""
    return getattr(settings, "CATALOG_IMPORT_TASK_SECONDS", 120)


def start_import(shop, *, user, filename: str, text: str) -> ImportJob:
    """Upload: the job is created (by `user`, the actor) and checked; nothing changes yet."""
    with transaction.atomic():
        job = ImportJob.objects.create(shop=shop, created_by=user, filename=filename[:255], content=text)
        audit.record(shop, user, "import.start", target=job, summary=job.filename)
    _dispatch(job.pk, TASKS[False], lines=text.count("\n"))
    return job


def start_apply(job: ImportJob, *, actor=None) -> None:
    """Apply a checked job (audited when claimed; the rows are written by `process`)."""
    running = ImportJob.objects.filter(shop_id=job.shop_id, status=ImportJob.Status.APPLYING).exclude(pk=job.pk)
    if running.exists():
        raise ImportRefused(_("Another import of this shop is running; start this one when it has finished."))
    with transaction.atomic():
        claimed = ImportJob.objects.filter(pk=job.pk, status=ImportJob.Status.READY).update(
            status=ImportJob.Status.APPLYING, processed_rows=0)
        if not claimed:
            raise ImportRefused(_("This import is not waiting to be applied any more."))
        audit.record(job.shop_id, actor, "import.apply", target=job, summary=job.filename, changes=job.counts)
    _dispatch(job.pk, TASKS[True], lines=job.total_rows)


@transaction.atomic
def cancel(job: ImportJob, *, actor=None) -> bool:
    cancelled = bool(ImportJob.objects.filter(pk=job.pk, status=ImportJob.Status.READY)
                     .update(status=ImportJob.Status.CANCELLED, finished_at=timezone.now(), content=""))
    if cancelled:
        audit.record(job.shop_id, actor, "import.cancel", target=job, summary=job.filename)
    return cancelled


def _dispatch(job_id: int, task: str, *, lines: int) -> None:
    if lines <= inline_limit():
        try:
            import_string(task)(job_id)
        except Exception:  # recorded on the job and its JobRun; the page shows the failure
            log.exception("import job %s failed", job_id)
    else:
        _enqueue(job_id, task)


def _enqueue(job_id: int, task: str) -> None:
    ImportJob.objects.filter(pk=job_id).update(task_id="")
    task_id = async_task(task, job_id, group="catalog.import")
    # In synchronous mode (tests) the task has already run, possibly queuing a continuation.
    ImportJob.objects.filter(pk=job_id, task_id="").update(task_id=task_id or "")


def lease_key(job_id: int) -> str:
    """The lease of one import job: held by the worker checking or applying it."""
    return f"catalog.import:{job_id}"


def _claim(job_id: int, status: str) -> jobs.Lease | None:
    if not ImportJob.objects.filter(pk=job_id, status=status).exists():
        return None
    return jobs.claim(lease_key(job_id), LEASE_SECONDS)


def process(job_id: int, *, write: bool) -> dict | None:
    """Check (write=False) or apply (write=True) a job holding its lease; see `_process`."""
    status = ImportJob.Status.APPLYING if write else ImportJob.Status.VALIDATING
    lease = _claim(job_id, status)
    if lease is None:
        return None
    try:
        return _process(job_id, write=write, status=status, lease=lease)
    except jobs.LeaseLost:
        log.warning("import job %s lost its lease; the worker that took it over goes on", job_id)
        return None
    finally:
        lease.release()  # by its owner only


def _process(job_id: int, *, write: bool, status: str, lease: jobs.Lease) -> dict | None:
    """Check (write=False) or apply (write=True) a job; returns its counts when finished.

    A run stops after `task_seconds()` at a chunk boundary, saves where it is (`position` and the
    results so far) and queues itself again, so no task nears the worker's timeout however big
    the file. Returns None when the job was not claimed or continues in a new task.
    """
    job = ImportJob.objects.select_related("shop").get(pk=job_id)
    if job.status != status:
        return None  # settled between the check and the claim
    try:
        rows_and_columns = csv_io.parse(job.content)
    except csv_io.FileError as exc:
        ImportJob.objects.filter(pk=job_id).update(status=ImportJob.Status.FAILED, fatal_error=str(exc),
                                                   finished_at=timezone.now())
        return {}
    rows = rows_and_columns.rows
    if job.position == 0:
        job.counts, job.errors, job.preview = {}, [], []
        job.warnings = [{"row": None, "column": h, "message": _("Unknown column “%(name)s” was ignored.")
                         % {"name": h}} for h in rows_and_columns.unknown]
        ImportJob.objects.filter(pk=job_id).update(total_rows=len(rows), processed_rows=0, started_at=timezone.now())
    counts = Counter(job.counts)
    errors, warnings, preview = list(job.errors), list(job.warnings), list(job.preview)
    first_row: dict[str, int] = {}
    for number, row in rows[:job.position]:
        first_row.setdefault(row.get("id", ""), number)
    deadline = time.monotonic() + task_seconds()
    with shop_timezone(job.shop):
        for start in range(job.position, len(rows), CHUNK_ROWS):
            chunk = rows[start:start + CHUNK_ROWS]
            ids = [row.get("id", "") for _n, row in chunk]
            stored = {p.retailer_id: p for p in Product.objects.filter(shop=job.shop, retailer_id__in=ids)}
            results = []
            for number, row in chunk:
                rid = row.get("id", "")
                if rid and rid in first_row:
                    result = csv_io.RowResult(row=number, retailer_id=rid, errors=[
                        ("id", _("This id is already on row %(row)d; each product may appear once.")
                         % {"row": first_row[rid]})])
                else:
                    first_row[rid] = number
                    result = csv_io.check_row(job.shop, number, row, stored.get(rid))
                results.append(result)
                counts[result.action] += 1
                errors += [{"row": number, "id": rid, "column": col, "message": msg} for col, msg in result.errors]
                warnings += [{"row": number, "id": rid, "column": col, "message": msg}
                             for col, msg in result.warnings]
                if len(preview) < PREVIEW_ROWS:
                    preview.append({"row": number, "id": rid, "title": row.get("title", ""),
                                    "action": result.action})
            if write:
                _write(results)
            done = start + len(chunk)
            if done < len(rows) and time.monotonic() > deadline:
                ImportJob.objects.filter(pk=job_id, status=status).update(
                    position=done, processed_rows=done, counts=dict(counts), errors=errors, warnings=warnings,
                    preview=preview)
                lease.release()  # before the continuation, which may run at once (synchronous mode)
                _enqueue(job_id, TASKS[write])
                return None
            ImportJob.objects.filter(pk=job_id).update(processed_rows=done)
            lease.extend()  # the heartbeat after each chunk; LeaseLost if another worker took over
    counts = {k: counts.get(k, 0) for k in ("create", "update", "unchanged", "error")}
    counts["warning"] = len(warnings)
    finished = {"status": ImportJob.Status.DONE, "finished_at": timezone.now(), "content": ""} if write else {
        "status": ImportJob.Status.READY}  # an applied file is not needed any more; its results stay
    ImportJob.objects.filter(pk=job_id, status=status).update(
        counts=counts, errors=errors, warnings=warnings, preview=preview, position=0, **finished)
    return counts


@transaction.atomic
def _write(results: list[csv_io.RowResult]) -> None:
    now = timezone.now()
    new, changed = [], []
    for result in results:
        if result.action not in ("create", "update"):
            continue
        product = result.product
        product.refresh_sync_state()
        product.updated_at = now
        (changed if product.pk else new).append(product)
    Product.objects.bulk_create(new)
    Product.objects.bulk_update(changed, [*CONTENT_FIELDS, "deleted_at", *SYNC_STATE_FIELDS, "updated_at"])
    fast_lane_changed(changed)


def fail(job_id: int, message: str) -> None:
    ImportJob.objects.filter(pk=job_id).update(status=ImportJob.Status.FAILED, fatal_error=message[:2000],
                                               finished_at=timezone.now())
