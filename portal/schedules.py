"""The one registry of periodic jobs. `manage.py sync_schedules` installs it idempotently.

Each scheduled function only fans out (per shop) or does a small, bounded piece of work.
Other apps add their entries here, so the whole timetable is readable in one place.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django_q.models import Schedule

#: Every schedule this registry manages has a name with this prefix; others are left alone.
PREFIX = "portal:"


@dataclass(frozen=True)
class Entry:
    name: str
    func: str
    schedule_type: str = Schedule.MINUTES
    minutes: int | None = None
    cron: str | None = None
    kwargs: dict = field(default_factory=dict)

    @property
    def full_name(self) -> str:
        return PREFIX + self.name


REGISTRY: list[Entry] = [
    Entry("heartbeat", "portal.tasks.heartbeat", minutes=1),
    Entry("prune-job-runs", "portal.tasks.prune_job_runs", schedule_type=Schedule.DAILY),
    Entry("prune-graph-calls", "graph.tasks.prune_graph_calls", schedule_type=Schedule.DAILY),
    Entry("shops-health", "shops.tasks.check_all_shops_health", schedule_type=Schedule.HOURLY),
    Entry("shops-checkout-links", "shops.tasks.check_all_checkout_links", schedule_type=Schedule.DAILY),
    Entry("catalog-sync-fast", "catalog.tasks.sweep_fast", minutes=5),
    Entry("catalog-sync-changes", "catalog.tasks.sweep_changes", schedule_type=Schedule.HOURLY),
    Entry("catalog-sync-full", "catalog.tasks.sweep_full", schedule_type=Schedule.DAILY),
    Entry("catalog-diagnostics", "catalog.tasks.sweep_diagnostics", schedule_type=Schedule.HOURLY),
    Entry("catalog-batch-status", "catalog.tasks.sweep_batches", minutes=1),
    Entry("orders-poll", "orders.tasks.poll_due_shops", minutes=2),
    Entry("orders-push-due", "orders.tasks.push_due", minutes=1),
    Entry("promotions-offers-sync", "promotions.tasks.sync_due_shops", minutes=5),
    Entry("promotions-allocations", "promotions.tasks.pull_allocations_due", minutes=10),
    Entry("ads-send-events", "ads.tasks.send_due_shops", minutes=1),
    Entry("ads-check-pixels", "ads.tasks.check_all_pixels", schedule_type=Schedule.HOURLY),
    Entry("metatools-figures", "metatools.tasks.read_due_figures", schedule_type=Schedule.HOURLY),
    Entry("finance-sync", "finance.tasks.sync_all_shops", schedule_type=Schedule.DAILY),
    Entry("webhook-sweep", "graph.tasks.process_pending_webhook_events", minutes=5),
]


def sync_schedules(registry: list[Entry] | None = None) -> dict[str, int]:
    """Create or update every registered schedule and delete stale managed ones."""
    registry = REGISTRY if registry is None else registry
    created = updated = 0
    names = set()
    for entry in registry:
        names.add(entry.full_name)
        defaults = {
            "func": entry.func,
            "schedule_type": entry.schedule_type,
            "minutes": entry.minutes,
            "cron": entry.cron,
            "kwargs": entry.kwargs or None,
            "repeats": -1,
        }
        obj = Schedule.objects.filter(name=entry.full_name).order_by("pk").first()
        if obj is None:
            Schedule.objects.create(name=entry.full_name, **defaults)
            created += 1
            continue
        changed = [k for k, v in defaults.items() if getattr(obj, k) != v]
        if changed:
            for k in changed:
                setattr(obj, k, defaults[k])
            obj.save(update_fields=changed)
            updated += 1
        # django-q2 does not make names unique: remove accidental twins.
        Schedule.objects.filter(name=entry.full_name).exclude(pk=obj.pk).delete()
    deleted, _ = Schedule.objects.filter(name__startswith=PREFIX).exclude(name__in=names).delete()
    return {"created": created, "updated": updated, "deleted": deleted}
