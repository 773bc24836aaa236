"""The job skeleton: recorded runs, and leases only their owner can extend or release."""

from __future__ import annotations

import threading

import pytest
import time_machine
from django.db import connection, connections
from django.utils import timezone

from kernel import jobs
from kernel.models import JobRun, Lease


@pytest.fixture
def now():
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        yield traveller


def test_a_lease_is_held_until_it_lapses_then_anyone_may_take_it(db, now):
    first = jobs.claim("work:1", 60)
    assert first is not None and jobs.is_held("work:1")
    assert jobs.claim("work:1", 60) is None
    now.shift(61)
    assert not jobs.is_held("work:1")
    second = jobs.claim("work:1", 60)
    assert second is not None and second.owner != first.owner


def test_a_worker_whose_lease_lapsed_cannot_release_or_extend_the_new_owners_lease(db, now):
    late = jobs.claim("work:1", 60)
    now.shift(61)
    current = jobs.claim("work:1", 60)
    assert late.release() is False
    with pytest.raises(jobs.LeaseLost):
        late.extend()
    assert jobs.is_held("work:1")
    assert Lease.objects.get(key="work:1").owner == current.owner
    assert current.release() is True and not jobs.is_held("work:1")


def test_the_owner_extends_its_lease(db, now):
    lease = jobs.claim("work:1", 60)
    now.shift(50)
    lease.extend()
    now.shift(50)
    assert jobs.is_held("work:1") and jobs.claim("work:1", 60) is None


def test_run_job_records_success_skip_and_failure_and_always_releases_its_lease(db):
    with jobs.run_job("demo.job", lease="demo:1") as job:
        assert jobs.is_held("demo:1")
        job.counts = {"done": 3}
    assert not jobs.is_held("demo:1")

    held = jobs.claim("demo:1", 60)
    ran = []

    @jobs.task
    def busy_task():
        with jobs.run_job("demo.job", lease="demo:1", busy="another demo is running"):
            ran.append(True)
        return "done"

    assert busy_task() is None and ran == []
    held.release()
    assert busy_task() == "done" and ran == [True]

    with pytest.raises(ValueError), jobs.run_job("demo.job", lease="demo:1"):
        raise ValueError("Meta said no")
    assert not jobs.is_held("demo:1")

    runs = list(JobRun.objects.filter(job="demo.job").order_by("pk").values_list("status", "error", "counts"))
    assert runs == [
        ("succeeded", "", {"done": 3}),
        ("skipped", "another demo is running", {}),
        ("succeeded", "", {}),
        ("failed", "ValueError: Meta said no", {}),
    ]


def test_skip_inside_a_run_ends_it_as_skipped(db):
    with jobs.run_job("demo.job") as job:
        job.skip("nothing to do")
    assert JobRun.objects.get(job="demo.job").status == JobRun.Status.SKIPPED


@pytest.mark.postgres
@pytest.mark.skipif(connection.vendor != "postgresql", reason="two real connections racing need PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_two_workers_racing_for_a_lapsed_lease_one_wins_and_the_loser_frees_nothing():
    stale = jobs.claim("sync:7", 0.001)  # a worker that was paused past its lease
    barrier = threading.Barrier(2)
    won: list = [None, None]

    def worker(n):
        try:
            barrier.wait()
            won[n] = jobs.claim("sync:7", 60)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    winners = [lease for lease in won if lease is not None]
    assert len(winners) == 1
    assert stale.release() is False  # the paused worker wakes up: it frees nothing
    assert Lease.objects.get(key="sync:7").owner == winners[0].owner
    assert winners[0].release() is True
