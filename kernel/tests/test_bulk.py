"""kernel.bulk.insert writes what bulk_create writes (values, keys, JSON, dates), in fewer
statements, and upserts on a unique key."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from kernel import bulk
from kernel.models import JobRun, Lease

FIELDS = ("job", "shop_id", "status", "started_at", "finished_at", "counts", "error", "task_id")


def runs(tag: str, n: int) -> list[JobRun]:
    start = timezone.now().replace(microsecond=123456)
    return [JobRun(job=f"{tag}.{i}", status=JobRun.Status.SUCCEEDED if i % 2 else JobRun.Status.FAILED,
                   started_at=start + timedelta(seconds=i), finished_at=None if i % 3 else start,
                   counts={"n": i, "text": "ünïcode ✓", "nested": [1, {"a": None}]}, error="" if i % 2 else "boom",
                   task_id=str(i))
            for i in range(n)]


def test_insert_writes_the_rows_bulk_create_writes(db):
    ours = bulk.insert(JobRun, runs("ours", 30))
    JobRun.objects.bulk_create(runs("django", 30))
    assert all(run.pk is not None and not run._state.adding for run in ours)
    assert [run.pk for run in ours] == sorted(run.pk for run in ours)

    def stored(tag):
        rows = JobRun.objects.filter(job__startswith=f"{tag}.").order_by("pk").values_list(*FIELDS)
        return [(job.removeprefix(f"{tag}."), *rest) for job, *rest in rows]

    assert stored("ours") == stored("django")
    # each object got its own row's key
    assert dict(JobRun.objects.filter(pk__in=[run.pk for run in ours]).values_list("pk", "job")) == {
        run.pk: run.job for run in ours}
    assert JobRun.objects.get(pk=ours[4].pk).counts == {"n": 4, "text": "ünïcode ✓", "nested": [1, {"a": None}]}


def test_insert_sends_a_page_in_one_statement(db):
    with CaptureQueriesContext(connection) as queries:
        bulk.insert(JobRun, runs("page", 100))
    inserts = [q for q in queries.captured_queries if q["sql"].startswith("INSERT")]
    assert len(inserts) == 1
    assert JobRun.objects.filter(job__startswith="page.").count() == 100


def test_insert_upserts_on_a_unique_key(db):
    until = timezone.now() + timedelta(minutes=1)
    Lease.objects.create(key="work:1", owner="old", until=until)
    rows = bulk.insert(Lease, [Lease(key="work:1", owner="new", until=until), Lease(key="work:2", owner="two",
                                                                                     until=until)],
                       unique_fields=["key"], update_fields=["owner"])
    assert [row.pk for row in rows] == ["work:1", "work:2"]
    assert dict(Lease.objects.values_list("key", "owner")) == {"work:1": "new", "work:2": "two"}


def test_insert_refuses_rows_that_have_keys_or_expressions(db):
    with pytest.raises(ValueError):
        bulk.insert(JobRun, [JobRun(pk=10 ** 6, job="x")])
    from django.db.models import Value

    with pytest.raises(ValueError):
        bulk.insert(JobRun, [JobRun(job="x", error=Value("y"))])
