"""Health of the parts the portal needs: database, broker, and a live worker."""

from __future__ import annotations

from datetime import timedelta

from django.db import connection
from django.utils import timezone
from django_q.brokers import get_broker

from portal.models import Heartbeat

#: The worker beats every minute; three missed beats mean it is gone.
WORKER_STALE_AFTER = timedelta(minutes=3)


def check_database() -> dict:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:
        return {"ok": False, "error": type(exc).__name__}
    return {"ok": True, "vendor": connection.vendor}


def check_broker(broker=None) -> dict:
    try:
        broker = broker or get_broker()
        alive = broker.ping()
    except Exception as exc:
        return {"ok": False, "error": type(exc).__name__}
    return {"ok": bool(alive), "kind": type(broker).__name__}


def check_worker() -> dict:
    try:
        beat = Heartbeat.objects.filter(name="worker").first()
    except Exception as exc:
        return {"ok": False, "error": type(exc).__name__}
    if beat is None:
        return {"ok": False, "last_beat": None}
    age = timezone.now() - beat.beat_at
    return {"ok": age <= WORKER_STALE_AFTER, "last_beat": beat.beat_at.isoformat(), "age_seconds": int(age.total_seconds())}


def health(broker=None) -> tuple[bool, dict]:
    checks = {"database": check_database(), "broker": check_broker(broker), "worker": check_worker()}
    return all(c["ok"] for c in checks.values()), checks
