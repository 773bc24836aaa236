"""The job skeleton every task uses: a recorded run (`JobRun`) and leases with an owner.

A task body reads::

    @task
    def check_shop_health(shop_id):
        with run_job("shops.health", shop_id, lease=f"shops.connection:{shop_id}") as job:
            if not connected:
                job.skip("not connected")
            job.counts = do_the_work()
        return job.counts

`run_job` records the run (succeeded, skipped with its reason, or failed with the error, which
is re-raised so django-q2 sees it too; a body that handles Meta's failure itself, so django-q2
does not retry, calls `job.fail(error)` and the run is recorded as failed all the same), takes the lease before the body runs (another holder
means the run is skipped: the body does not run and `@task` makes the task return None) and
releases it afterwards, whatever happened.

A lease is a row in `kernel.Lease` keyed by what it protects. Taking it is a conditional write
that works the same on SQLite and PostgreSQL; it carries a random owner token, and only that
owner can extend or release it, so a worker whose lease lapsed (it was paused, or slow) can
never free the lease of the worker that took over. Take leases outside a transaction: a lease
row written inside one is invisible to other workers until it commits (unless another lock,
taken first, already keeps them out).

Leases are short (`LEASE_SECONDS`, about a minute) and renewed while their worker lives: each
lease this thread holds is registered, and `heartbeat()` extends the ones a third of whose
length has gone by. The job steps call it (`Job.renew`, each chunk of a long loop) and so does
the Graph client before every attempt and while it waits between attempts, so a worker that is
alive (even one waiting on Meta) keeps its lease, and a killed one's lapses within a minute and
its work is picked up by the next sweep. A heartbeat that finds its lease taken over marks it
`lost` (the owner's next `extend()` raises `LeaseLost`); it never touches the new owner's row.
"""

from __future__ import annotations

import logging
import secrets
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import wraps
from typing import NoReturn

from django.conf import settings
from django.db import IntegrityError, transaction
from django.dispatch import Signal
from django.utils import timezone

from kernel import shopcache
from kernel.models import JobRun
from kernel.models import Lease as LeaseRow

log = logging.getLogger(__name__)

#: Sent after every recorded run ends, with `run` (the saved JobRun) and `error` (the exception,
#: or the failure `job.fail` was given, or None). The shops app turns repeated failures of a
#: shop's periodic job into a shop issue (shops.health.jobs); the kernel names no app.
job_finished = Signal()


def _finished(run: JobRun, error) -> None:
    for receiver, answer in job_finished.send_robust(sender=JobRun, run=run, error=error):
        if isinstance(answer, Exception):
            log.error("job_finished receiver %s failed for %s", receiver, run, exc_info=answer)


def lease_seconds() -> float:
    """The default length of a lease: short, because its holder renews it while it lives."""
    return float(getattr(settings, "KERNEL_LEASE_SECONDS", 60))


#: The leases this thread holds, renewed by `heartbeat()`.
_live = threading.local()


def _registry() -> dict[str, Lease]:
    if not hasattr(_live, "leases"):
        _live.leases = {}
    return _live.leases


class JobSkipped(Exception):
    """Raised inside `job_run`/`run_job` to end a run as skipped (e.g. another run holds the lease)."""


class LeaseLost(Exception):
    """The lease lapsed and another worker holds it now: stop before doing more work."""


@dataclass
class Lease:
    """A lease this worker holds (see the module docstring)."""

    key: str
    owner: str
    until: datetime
    seconds: float
    renewed_at: datetime = field(default_factory=timezone.now)
    lost: bool = False

    def extend(self, seconds: float | None = None) -> None:
        """Push the end out to `seconds` (default: the original length) from now, or raise
        `LeaseLost` if another worker has taken the lease meanwhile."""
        seconds = self.seconds if seconds is None else seconds
        now = timezone.now()
        until = now + timedelta(seconds=seconds)
        if self.lost or not LeaseRow.objects.filter(key=self.key, owner=self.owner).update(until=until):
            self.lost = True
            _registry().pop(self.key, None)
            raise LeaseLost(f"lease {self.key} was taken over by another worker")
        self.until, self.renewed_at = until, now

    def renew_if_due(self) -> bool:
        """Extend the lease if a third of its length has gone by since it was last renewed; False
        once it is lost."""
        if self.lost or timezone.now() >= self.until:
            return False  # let lapse (by a worker that stopped renewing it): never revived
        if timezone.now() - self.renewed_at >= timedelta(seconds=self.seconds / 3):
            try:
                self.extend()
            except LeaseLost:
                log.warning("lease %s was taken over by another worker", self.key)
                return False
        return True

    def release(self) -> bool:
        """Give the lease back; False if it had lapsed and another worker holds it now."""
        if _registry().get(self.key) is self:
            del _registry()[self.key]
        return release(self.key, self.owner)

    @property
    def held(self) -> bool:
        return LeaseRow.objects.filter(key=self.key, owner=self.owner, until__gt=timezone.now()).exists()


def claim(key: str, seconds: float | None = None, *, renew: bool = True) -> Lease | None:
    """Take the lease `key` for `seconds` (default `lease_seconds()`), or None while another owner
    holds it. With `renew` (the default) `heartbeat()` keeps it while this thread lives; a lease
    handed on to another task (the fast-lane debounce) passes `renew=False`."""
    seconds = lease_seconds() if seconds is None else seconds
    now = timezone.now()
    owner = secrets.token_hex(16)
    until = now + timedelta(seconds=seconds)
    # A lapsed lease is taken over by a conditional UPDATE: of two workers racing for it, the
    # second one's WHERE no longer matches once the first one's write is in.
    if not LeaseRow.objects.filter(key=key, until__lte=now).update(owner=owner, until=until, taken_at=now):
        try:
            with transaction.atomic():
                LeaseRow.objects.create(key=key, owner=owner, until=until, taken_at=now)
        except IntegrityError:
            return None
    lease = Lease(key, owner, until, seconds, renewed_at=now)
    if renew:
        _registry()[key] = lease
    return lease


def heartbeat() -> None:
    """Renew the leases this thread holds that are due (see the module docstring). Cheap when
    none is due: no query."""
    for lease in list(_registry().values()):
        if not lease.renew_if_due():
            _registry().pop(lease.key, None)


def held_keys(prefix: str) -> set[str]:
    """The keys starting with `prefix` that some worker holds now (for sweeps that skip them)."""
    return set(LeaseRow.objects.filter(key__startswith=prefix, until__gt=timezone.now())
               .values_list("key", flat=True))


def release(key: str, owner: str) -> bool:
    """Give back the lease `key` by its owner token: for a lease handed to the task it queued
    (the catalog's fast-lane debounce). False if it lapsed and another worker holds it now."""
    lease = _registry().get(key)
    if lease is not None and lease.owner == owner:
        del _registry()[key]
    deleted, _ = LeaseRow.objects.filter(key=key, owner=owner).delete()
    return bool(deleted)


def is_held(key: str) -> bool:
    """Whether some worker holds the lease `key` now (for pages: "a sync is running")."""
    return LeaseRow.objects.filter(key=key, until__gt=timezone.now()).exists()


def held_until(key: str) -> datetime | None:
    """When the lease `key` lapses if its holder does not extend it; None while nobody holds it."""
    return LeaseRow.objects.filter(key=key, until__gt=timezone.now()).values_list("until", flat=True).first()


@contextmanager
def job_run(job: str, shop_id: int | None = None, *, task_id: str = "") -> Iterator[JobRun]:
    """Record a JobRun around a block; the block may update `run.counts` as it goes.

    `JobSkipped` ends the run as skipped (and is not re-raised). Any other failure is recorded
    with its message and re-raised, so django-q2 also sees it.
    """
    run = JobRun.objects.create(job=job, shop_id=shop_id, task_id=task_id)
    run.failure = None
    error = None
    try:
        yield run
    except JobSkipped as exc:
        run.status, run.error = JobRun.Status.SKIPPED, str(exc)
    except Exception as exc:
        run.status, run.error = JobRun.Status.FAILED, _describe(exc)
        run.finished_at = timezone.now()
        run.save(update_fields=["status", "error", "finished_at", "counts"])
        log.exception("job %s failed (shop_id=%s)", job, shop_id)
        _forget_summaries(run)
        _finished(run, exc)
        raise
    else:
        if run.failure is not None:
            error = run.failure
            run.status, run.error = JobRun.Status.FAILED, _describe(error)
        else:
            run.status = JobRun.Status.SUCCEEDED
    run.finished_at = timezone.now()
    run.save(update_fields=["status", "error", "finished_at", "counts"])
    _forget_summaries(run)
    _finished(run, error)


def _forget_summaries(run: JobRun) -> None:
    """What a run of a shop's job changed shows in the shop's figures at once (kernel.shopcache)."""
    if run.shop_id is not None and run.status != JobRun.Status.SKIPPED:
        shopcache.forget(run.shop_id)


def _describe(error) -> str:
    if isinstance(error, BaseException):
        return f"{type(error).__name__}: {error}"[:2000]
    return str(error)[:2000]


class Job:
    """What a task body holds inside `run_job`: its run, its counts and its leases."""

    def __init__(self, run: JobRun) -> None:
        self.run = run
        self.leases: list[Lease] = []

    @property
    def counts(self) -> dict:
        return self.run.counts

    @counts.setter
    def counts(self, value: dict) -> None:
        self.run.counts = value

    @property
    def lease(self) -> Lease | None:
        return self.leases[0] if self.leases else None

    def skip(self, reason: str) -> NoReturn:
        raise JobSkipped(reason)

    def fail(self, error: BaseException | str) -> None:
        """Record the run as failed with `error` (an exception or a message) without raising:
        for a body that handled the failure itself (the next scheduled run tries again)."""
        self.run.failure = error

    def hold(self, key: str, seconds: float | None = None, *, busy: str | None = None) -> Lease:
        """Take one more lease for the rest of the run, or skip the run while it is held."""
        lease = claim(key, seconds)
        if lease is None:
            self.skip(busy or f"another worker holds {key}")
        self.leases.append(lease)
        return lease

    def renew(self) -> None:
        """Extend every lease of the run (long runs call this between steps); `LeaseLost` if
        another worker has taken one over."""
        for lease in self.leases:
            lease.extend()


@contextmanager
def run_job(job: str, shop_id: int | None = None, *, lease: str | None = None, lease_seconds: float | None = None,
            busy: str | None = None, task_id: str = "") -> Iterator[Job]:
    """The job skeleton: a recorded run, an optional lease held for the whole body, and the
    lease released at the end whatever happened. See the module docstring.

    With `lease`, the lease is taken before the body runs. If another worker holds it, the body
    must not run at all: the run is recorded as skipped and `JobSkipped` is raised out of the
    `with` statement (a `with` block cannot be skipped any other way). Task functions that use
    `lease` are therefore decorated with `@task`, which turns that into a quiet `None`.
    """
    if lease is not None:
        held = claim(lease, lease_seconds)
        if held is None:
            reason = busy or f"another worker holds {lease}"
            JobRun.objects.create(job=job, shop_id=shop_id, task_id=task_id, status=JobRun.Status.SKIPPED,
                                  error=reason, finished_at=timezone.now())
            raise JobSkipped(reason)
    with job_run(job, shop_id, task_id=task_id) as run:
        current = Job(run)
        if lease is not None:
            current.leases.append(held)
        try:
            yield current
        finally:
            for each in current.leases:
                if not each.release():
                    log.warning("job %s: lease %s had lapsed and was taken over", job, each.key)


def task(func):
    """Decorate a django-q2 task function whose body uses `run_job(..., lease=...)`: a run
    skipped because the lease is busy returns None instead of failing the task."""

    @wraps(func)
    def wrapper(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except JobSkipped:
            return None

    return wrapper
