"""django-q2 tasks of the Graph layer and a helper for tasks that Meta throttles."""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.utils import timezone
from django_q.models import Schedule

from graph import webhooks
from graph.models import GraphCall, WebhookEvent

log = logging.getLogger(__name__)

WEBHOOK_JOB = "graph.webhook"
#: Seconds a webhook event stays claimed by one worker (the lease `graph.webhook:<event id>`).
WEBHOOK_LEASE_SECONDS = 300
#: After this many failed handler runs the sweep stops re-enqueuing an event (staff can in the admin).
WEBHOOK_MAX_ATTEMPTS = 5
_PRUNE_BATCH = 5000


def _dotted(func) -> str:
    if isinstance(func, str):
        return func
    return f"{func.__module__}.{func.__qualname__}"


def reschedule(func, *args, delay: float, name: str | None = None, **kwargs) -> Schedule:
    """Run ``func(*args, **kwargs)`` once, ``delay`` seconds from now (a django-q2 ONCE schedule).

    For a task that caught ``RateLimited``: ``reschedule(sync_fast, shop_id, delay=exc.retry_after)``
    and return, instead of sleeping in a worker. ``func`` is a callable or its dotted path; args
    must be plain values (ids), as for any task.
    """
    return Schedule.objects.create(
        func=_dotted(func),
        args=repr(tuple(args)) if args else None,
        kwargs=repr(kwargs) if kwargs else None,
        schedule_type=Schedule.ONCE,
        repeats=-1,  # a ONCE schedule with negative repeats is deleted after it ran
        next_run=timezone.now() + timedelta(seconds=max(0.0, float(delay))),
        name=name,
    )


def prune_graph_calls() -> int:
    """Delete journal rows older than GRAPH_CALL_RETENTION_DAYS, in bounded batches."""
    days = getattr(settings, "GRAPH_CALL_RETENTION_DAYS", 14)
    cutoff = timezone.now() - timedelta(days=days)
    total = 0
    while True:
        ids = list(GraphCall.objects.filter(created__lt=cutoff).order_by("pk").values_list("pk", flat=True)[:_PRUNE_BATCH])
        if not ids:
            break
        deleted, _ = GraphCall.objects.filter(pk__in=ids).delete()
        total += deleted
    if total:
        log.info("pruned %d Graph call rows older than %d days", total, days)
    return total


def process_pending_webhook_events(older_than_seconds: int = 120, limit: int = 500) -> int:
    """Enqueue events still pending (or failed) a while after they arrived: a safety net for an
    enqueue lost after the commit (broker down) or a task that ran out of attempts."""
    from django_q.tasks import async_task

    cutoff = timezone.now() - timedelta(seconds=older_than_seconds)
    ids = list(
        WebhookEvent.objects.filter(
            status__in=[WebhookEvent.Status.PENDING, WebhookEvent.Status.FAILED], received_at__lt=cutoff,
            attempts__lt=WEBHOOK_MAX_ATTEMPTS,
        ).order_by("received_at", "pk").values_list("pk", flat=True)[:limit]
    )
    for event_id in ids:
        async_task("graph.tasks.process_webhook_event", event_id, group="graph.webhooks")
    return len(ids)


def process_webhook_event(event_id: int) -> str:
    """Hand one stored webhook event to the handler registered for its (object, field).

    Idempotent: a processed or ignored event is left alone, and a lease keeps two workers from
    handling the same event at once (the run is recorded as skipped). A failing handler marks
    the event failed and re-raises, so django-q2 records (and may retry) the task.
    """
    from kernel.jobs import JobSkipped, run_job

    event = WebhookEvent.objects.filter(pk=event_id).first()
    if event is None:
        return "missing"
    if event.status in (WebhookEvent.Status.PROCESSED, WebhookEvent.Status.IGNORED):
        return event.status
    try:
        with run_job(WEBHOOK_JOB, lease=f"graph.webhook:{event.pk}", lease_seconds=WEBHOOK_LEASE_SECONDS,
                     busy="another worker is handling this event") as job:
            return _handle(job, event)
    except JobSkipped:
        return "busy"


def _handle(job, event: WebhookEvent) -> str:
    event.refresh_from_db()
    # A worker that held the lease before us may have handled it meanwhile.
    if event.status in (WebhookEvent.Status.PROCESSED, WebhookEvent.Status.IGNORED):
        return event.status
    job.counts = {"event": event.pk, "object": event.object, "field": event.field}
    handler = webhooks.handler_for(event.object, event.field)
    now = timezone.now()
    if handler is None:
        WebhookEvent.objects.filter(pk=event.pk).update(
            status=WebhookEvent.Status.IGNORED, processed_at=now, attempts=event.attempts + 1,
            note=f"No handler for {event.object}/{event.field or '-'}.",
        )
        return WebhookEvent.Status.IGNORED
    try:
        note = handler(event)
    except Exception as exc:
        WebhookEvent.objects.filter(pk=event.pk).update(
            status=WebhookEvent.Status.FAILED, attempts=event.attempts + 1,
            note=f"{type(exc).__name__}: {exc}"[:2000],
        )
        log.exception("webhook event %s (%s/%s) failed", event.pk, event.object, event.field)
        raise
    WebhookEvent.objects.filter(pk=event.pk).update(
        status=WebhookEvent.Status.PROCESSED, processed_at=timezone.now(), attempts=event.attempts + 1,
        note=str(note)[:2000] if note else "",
    )
    return WebhookEvent.Status.PROCESSED
