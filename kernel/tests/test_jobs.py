"""The job skeleton: recorded runs, and leases only their owner can extend or release."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

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


def _in_thread(target, *args):
    """Run `target` in a thread with its own database connection (closed at the end); re-raise
    what it raised."""
    failure: list[BaseException] = []

    def body():
        try:
            target(*args)
        except BaseException as exc:  # noqa: BLE001 - handed to the test thread
            failure.append(exc)
        finally:
            connections.close_all()

    thread = threading.Thread(target=body)
    thread.start()
    return thread, failure


@pytest.mark.postgres
@pytest.mark.skipif(connection.vendor != "postgresql", reason="two real connections racing need PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_a_worker_whose_lease_lapsed_cannot_release_or_extend_the_lease_another_worker_took_over():
    """Two workers, each on its own connection: A is paused past its lease, B takes it over; A
    wakes up and can neither extend nor release it; B still holds it and frees it itself."""
    claimed, taken_over, a_done = threading.Event(), threading.Event(), threading.Event()
    seen: dict = {}

    def worker_a():
        lease = jobs.claim("sync:8", 0.3)
        assert lease is not None
        claimed.set()
        assert taken_over.wait(10)  # paused (GC, a slow call) past the end of its lease
        try:
            lease.extend()
        except jobs.LeaseLost:
            seen["a_extend"] = "lost"
        seen["a_release"] = lease.release()
        seen["a_held"] = lease.held
        a_done.set()

    def worker_b():
        assert claimed.wait(10)
        assert jobs.claim("sync:8", 60) is None  # A's lease is live: nobody else gets it
        deadline = time.monotonic() + 10
        lease = None
        while lease is None and time.monotonic() < deadline:
            time.sleep(0.05)
            lease = jobs.claim("sync:8", 60)  # once A's lease lapsed
        assert lease is not None
        seen["b_owner"] = lease.owner
        taken_over.set()
        assert a_done.wait(10)
        seen["b_held_after_a"] = lease.held and jobs.is_held("sync:8")
        lease.extend()  # the owner still can
        seen["b_release"] = lease.release()

    (a, a_failed), (b, b_failed) = _in_thread(worker_a), _in_thread(worker_b)
    for thread in (a, b):
        thread.join(30)
    assert not a_failed and not b_failed, a_failed + b_failed
    assert seen == {"a_extend": "lost", "a_release": False, "a_held": False, "b_owner": seen["b_owner"],
                    "b_held_after_a": True, "b_release": True}
    assert not Lease.objects.filter(key="sync:8").exists()


@pytest.mark.postgres
@pytest.mark.skipif(connection.vendor != "postgresql", reason="two real connections racing need PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_a_run_whose_lease_lapsed_ends_without_freeing_the_lease_of_the_run_that_took_over():
    """The same through the job skeleton: A's `run_job` ends after B's took over; B's lease
    survives A's end, and a third run meanwhile is skipped."""
    claimed, taken_over, a_done = threading.Event(), threading.Event(), threading.Event()
    seen: dict = {}

    def worker_a():
        with jobs.run_job("demo.pg", lease="demo:8", lease_seconds=0.3):
            claimed.set()
            assert taken_over.wait(10)
        a_done.set()

    def worker_b():
        assert claimed.wait(10)
        time.sleep(0.4)
        with jobs.run_job("demo.pg", lease="demo:8", lease_seconds=60) as job:
            taken_over.set()
            assert a_done.wait(10)
            seen["still_mine"] = job.lease.held

            @jobs.task
            def third():
                with jobs.run_job("demo.pg", lease="demo:8"):
                    seen["third_ran"] = True

            seen["third"] = third()

    (a, a_failed), (b, b_failed) = _in_thread(worker_a), _in_thread(worker_b)
    for thread in (a, b):
        thread.join(30)
    assert not a_failed and not b_failed, a_failed + b_failed
    assert seen == {"still_mine": True, "third": None}
    assert not jobs.is_held("demo:8")
    statuses = sorted(JobRun.objects.filter(job="demo.pg").values_list("status", flat=True))
    assert statuses == ["skipped", "succeeded", "succeeded"]


# --- renewal: short leases kept alive by a heartbeat while their worker lives ----------------------


def test_leases_are_short_by_default_and_a_heartbeat_keeps_them_while_the_worker_lives(db, now, settings):
    settings.KERNEL_LEASE_SECONDS = 60
    lease = jobs.claim("work:1")
    assert lease.seconds == 60
    for _ in range(10):  # ten minutes of work, a heartbeat every 30 s (a Graph call, a chunk)
        now.shift(30)
        jobs.heartbeat()
        assert jobs.claim("work:1") is None
    assert jobs.held_until("work:1") > timezone.now() + timedelta(seconds=30)
    assert lease.release() is True


def test_a_heartbeat_before_a_third_of_the_lease_writes_nothing(db, now, django_assert_num_queries):
    jobs.claim("work:1", 60)
    now.shift(10)
    with django_assert_num_queries(0):
        jobs.heartbeat()


def test_a_killed_workers_lease_lapses_within_the_ttl_and_the_work_is_taken_over(db, now):
    jobs.claim("work:1", 60)
    jobs._live.leases = {}  # the worker is killed: nothing renews its lease any more
    now.shift(59)
    assert jobs.claim("work:1", 60) is None
    now.shift(2)
    assert jobs.claim("work:1", 60) is not None


def test_a_lease_its_worker_let_lapse_is_not_revived_by_a_later_heartbeat(db, now):
    late = jobs.claim("work:1", 60)
    now.shift(61)  # the worker was paused (no heartbeat) past the lease
    jobs.heartbeat()
    assert not late.held and not jobs.is_held("work:1")
    current = jobs.claim("work:1", 60)
    now.shift(30)
    jobs.heartbeat()  # renews the new owner's lease only
    assert Lease.objects.get(key="work:1").owner == current.owner


def test_a_heartbeat_never_renews_a_lease_another_worker_took_over(db, now):
    """A's lease is taken over while A is paused (the row changes owner under it); A's heartbeat
    then marks its lease lost and leaves the new owner's row alone."""
    late = jobs.claim("work:1", 60)
    now.shift(61)
    Lease.objects.filter(key="work:1").update(owner="b" * 32, until=timezone.now() + timedelta(seconds=60))
    late.until = timezone.now() + timedelta(seconds=1)  # as if A had renewed just before its pause
    jobs.heartbeat()
    assert late.lost
    with pytest.raises(jobs.LeaseLost):
        late.extend()
    assert late.release() is False
    assert Lease.objects.get(key="work:1").owner == "b" * 32
