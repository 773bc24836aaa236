"""One sync of a shop around the engine: its lease, deferral and rescheduling, follow-ups; the poller."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from catalog.models import CatalogSync, Product, SyncRun
from catalog.sync.config import Deferred, fast_key, lease_seconds, poll_seconds, run_key
from catalog.sync.engine import Engine
from catalog.sync.state import connection_for, request_fast_sync, state_for
from graph.errors import Transient
from kernel import jobs

log = logging.getLogger(__name__)

Kind = SyncRun.Kind
Status = SyncRun.Status


@dataclass
class Outcome:
    status: str
    run_id: int | None = None
    detail: str = ""


def sync_shop(shop_id: int, kind: str, *, run_id: int | None = None, trigger: str = SyncRun.Trigger.SCHEDULE,
              user_id: int | None = None, debounce: str = "") -> Outcome:
    """Run (or resume) one sync of a shop. Safe to call at any time from any worker.

    `debounce`: the owner token of the fast lane's debounce lease that queued this run (given
    back here, so edits from now on queue the next fast sync)."""
    conn = connection_for(shop_id)
    if conn is None:
        return Outcome("not connected")
    state = state_for(shop_id)
    now = timezone.now()
    if debounce:
        jobs.release(fast_key(shop_id), debounce)
    if state.deferred_until and state.deferred_until > now:
        _reschedule(shop_id, kind, run_id, (state.deferred_until - now).total_seconds(), trigger)
        return Outcome("deferred", run_id, "Meta's budget is spent")
    # The fast lane has its own lease: it runs beside a full or changes sync (see README).
    lease = jobs.claim(run_key(shop_id, kind), lease_seconds())
    if lease is None:
        if kind != Kind.FAST:  # the fast lane is re-queued by the holder's end-of-run check
            _reschedule(shop_id, kind, run_id, 60, trigger)
        return Outcome("busy", run_id)
    started = timezone.now()
    run = engine = None
    try:
        engine = Engine(conn, state, lease)
        engine.recover(kind)
        run = engine.open_run(kind, run_id, trigger, user_id)
        if run is None:
            return Outcome("nothing to do")
        engine.go(run)
        return Outcome(run.status, run.pk)
    except Deferred as exc:
        if run is not None:
            try:  # keep what Meta already took: status checks use another budget
                engine.poll(deadline=time.monotonic() + poll_seconds())
            except Deferred:
                pass
            _defer(run, state, exc)
        return Outcome("deferred", run.pk if run else None, str(exc))
    except jobs.LeaseLost:
        # Paused past the lease: the worker that took it over owns the shop's sync now (its
        # recovery marks this run interrupted). What Meta already took is applied by the poller.
        log.warning("catalog sync of shop %s lost its lease; stopping", shop_id)
        return Outcome("lease lost", run.pk if run else None)
    except Exception as exc:
        if run is not None:
            SyncRun.objects.filter(pk=run.pk).update(status=Status.FAILED, error=f"{type(exc).__name__}: {exc}"[:2000],
                                                     finished_at=timezone.now())
        if isinstance(exc, Transient):
            _retry_soon(shop_id, kind, trigger)
        raise
    finally:
        if engine is not None:
            engine.flush(force=True)  # the journal of the run's last calls, its latest usage
        lease.release()
        if engine is not None and engine.retry_fast:
            _retry_held_back(shop_id)
        else:
            _follow_up_fast(shop_id, started)


def _reschedule(shop_id: int, kind: str, run_id: int | None, delay: float, trigger: str) -> None:
    from graph.tasks import reschedule

    reschedule(f"catalog.tasks.sync_{kind}", shop_id, trigger, run_id=run_id, delay=delay)


#: A sync that failed on a transient error (the client's own retries spent: items_batch or a
#: product-set write) runs again after 1, 2, 4, 8 then 15 minutes, instead of waiting for the
#: next sweep; after that the sweeps take over. Counted from the shop's failed runs of that kind
#: since its last success, so a retry storm cannot build up; one pending retry per shop and kind.
RETRY_DELAYS = (60, 120, 240, 480, 900)


def _retry_soon(shop_id: int, kind: str, trigger: str) -> None:
    from django_q.models import Schedule

    last_ok = (SyncRun.objects.filter(shop_id=shop_id, kind=kind, status=Status.SUCCEEDED)
               .order_by("-pk").values_list("pk", flat=True).first() or 0)
    failures = SyncRun.objects.filter(shop_id=shop_id, kind=kind, status=Status.FAILED, pk__gt=last_ok).count()
    if not 1 <= failures <= len(RETRY_DELAYS):
        return
    name = f"catalog-retry:{shop_id}:{kind}"
    if Schedule.objects.filter(name=name).exists():
        return
    from graph.tasks import reschedule

    reschedule(f"catalog.tasks.sync_{kind}", shop_id, trigger, delay=RETRY_DELAYS[failures - 1], name=name)
    log.info("catalog %s sync of shop %s failed on a transient error; again in %s s", kind, shop_id,
             RETRY_DELAYS[failures - 1])


def _defer(run: SyncRun, state: CatalogSync, exc: Deferred) -> None:
    until = timezone.now() + timedelta(seconds=exc.seconds)
    SyncRun.objects.filter(pk=run.pk).update(status=Status.DEFERRED, resume_at=until, error=str(exc)[:2000])
    CatalogSync.objects.filter(pk=state.pk).update(deferred_until=until)
    log.info("catalog sync of shop %s deferred %.0f s: %s", run.shop_id, exc.seconds, exc)
    _reschedule(run.shop_id, run.kind, run.pk, exc.seconds, run.trigger)


#: Seconds before a fast sync whose products the other lane still held at the end of its poll
#: time (`Engine.send_held_back`) tries again.
HELD_BACK_RETRY_SECONDS = 5


def _retry_held_back(shop_id: int) -> None:
    from django_q.models import Schedule

    from graph.tasks import reschedule

    name = f"catalog-fast-held:{shop_id}"
    if not Schedule.objects.filter(name=name).exists():
        reschedule("catalog.tasks.sync_fast", shop_id, "edit", delay=HELD_BACK_RETRY_SECONDS, name=name)


def _follow_up_fast(shop_id: int, started) -> None:
    """Edits stamped after this run started ride a new fast sync, not the 5-minute sweep."""
    state = CatalogSync.objects.filter(shop_id=shop_id).first()
    if state is None or not state.fast_requested_at or state.fast_requested_at < started:
        return
    if Product.objects.filter(shop_id=shop_id).needing_fast_sync().exists():
        transaction.on_commit(lambda: request_fast_sync(shop_id), robust=True)


def poll_shop(shop_id: int) -> int:
    """Apply whatever Meta finished for the shop's sent batches (no lease: each batch is applied
    once by a conditional update)."""
    conn = connection_for(shop_id)
    if conn is None:
        return 0
    engine = Engine(conn, state_for(shop_id))
    try:
        applied = engine.poll(deadline=time.monotonic())
    except Deferred:
        return 0
    finally:
        engine.flush(force=True)
    if applied and Product.objects.filter(shop_id=shop_id).needing_fast_sync().exists():
        request_fast_sync(shop_id)
    return applied
