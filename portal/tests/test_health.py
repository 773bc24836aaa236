from __future__ import annotations

from datetime import timedelta

from django.test import Client
from django.utils import timezone
from django_q.brokers.redis_broker import Redis as RedisBroker

from portal import health as health_module
from portal.models import Heartbeat
from portal.tasks import heartbeat


def test_healthy_when_database_broker_and_worker_are_up(db):
    heartbeat()
    response = Client().get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["checks"]["database"]["ok"] and body["checks"]["broker"]["ok"] and body["checks"]["worker"]["ok"]


def test_503_when_no_worker_has_beaten(db):
    response = Client().get("/healthz")
    assert response.status_code == 503
    assert response.json()["checks"]["worker"] == {"ok": False, "last_beat": None}


def test_503_when_the_worker_heartbeat_is_stale(db):
    Heartbeat.objects.create(name="worker", beat_at=timezone.now() - timedelta(minutes=10))
    assert Client().get("/healthz").status_code == 503


def test_503_when_the_broker_is_down(db, monkeypatch):
    heartbeat()
    # A real Redis broker pointed at a port where nothing listens.
    import redis

    dead = RedisBroker(list_key="portal-test")
    dead.connection = redis.Redis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=0.5)
    monkeypatch.setattr(health_module, "get_broker", lambda: dead)
    response = Client().get("/healthz")
    assert response.status_code == 503
    assert response.json()["checks"]["broker"]["ok"] is False


def test_a_starting_worker_makes_healthz_healthy_before_its_first_scheduled_beat():
    """A real cluster on a database of its own with no schedules synced: its worker process beats
    as it spawns, so /healthz turns healthy within seconds, not on the next minute's schedule."""
    import os
    import time

    import pytest
    import requests

    if os.name != "posix":
        pytest.skip("needs POSIX process groups")
    from catalog.tests.procs import Stack

    stack = Stack()
    try:
        assert requests.get(f"{stack.base}/healthz", timeout=10).json()["checks"]["worker"]["ok"] is False
        stack.qcluster()
        deadline, worker = time.monotonic() + 30, {}
        while time.monotonic() < deadline:
            worker = requests.get(f"{stack.base}/healthz", timeout=10).json()["checks"]["worker"]
            if worker["ok"]:
                break
            time.sleep(0.2)
        assert worker["ok"], worker
        assert worker["age_seconds"] < 30
    finally:
        stack.close()
