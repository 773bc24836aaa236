"""Journal retention, the reschedule helper and the webhook sweep."""

from __future__ import annotations

import ast
import json
from datetime import timedelta

from django.utils import timezone
from django_q.models import Schedule

from graph import webhooks
from graph.models import GraphCall, WebhookEvent
from graph.tasks import process_pending_webhook_events, prune_graph_calls, reschedule


def _call(shop=None, age_days=0):
    return GraphCall.objects.create(shop=shop, method="GET", path="me", api_version="v26.0", status_code=200,
                                    created=timezone.now() - timedelta(days=age_days))


def test_prune_deletes_only_rows_past_retention(db, settings, shop_a):
    settings.GRAPH_CALL_RETENTION_DAYS = 14
    old = [_call(shop_a, 15), _call(None, 30)]
    kept = [_call(shop_a, 13), _call(None, 0)]
    assert prune_graph_calls() == 2
    remaining = set(GraphCall.objects.values_list("pk", flat=True))
    assert remaining == {c.pk for c in kept}
    assert not remaining & {c.pk for c in old}
    assert prune_graph_calls() == 0


def test_reschedule_creates_a_once_schedule_in_the_future(db):
    before = timezone.now()
    schedule = reschedule("catalog.tasks.sync_fast", 42, "full", delay=90, reason="throttled")
    assert schedule.schedule_type == Schedule.ONCE
    assert schedule.func == "catalog.tasks.sync_fast"
    assert ast.literal_eval(schedule.args) == (42, "full")
    assert ast.literal_eval(schedule.kwargs) == {"reason": "throttled"}
    assert before + timedelta(seconds=89) < schedule.next_run < timezone.now() + timedelta(seconds=91)
    assert schedule.repeats < 0  # deleted by django-q2 once it ran


def test_reschedule_accepts_a_callable(db):
    schedule = reschedule(prune_graph_calls, delay=0)
    assert schedule.func == "graph.tasks.prune_graph_calls"
    assert schedule.args is None


def test_sweep_enqueues_old_pending_events(db):
    webhooks.store_envelope({"object": "page", "entry": [{"id": "1", "time": 1, "changes": [
        {"field": "feed", "value": {}}]}]})
    event = WebhookEvent.objects.get()
    assert process_pending_webhook_events() == 0  # too fresh
    WebhookEvent.objects.filter(pk=event.pk).update(received_at=timezone.now() - timedelta(minutes=5))
    # q2 runs tasks inline in tests: the sweep's enqueue processes it (no handler → ignored)
    assert process_pending_webhook_events() == 1
    event.refresh_from_db()
    assert event.status == WebhookEvent.Status.IGNORED
    assert process_pending_webhook_events() == 0
    json.dumps(event.payload)
