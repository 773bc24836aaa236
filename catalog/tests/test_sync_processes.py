"""Real processes: a sync worker killed with SIGKILL, and a real django-q2 cluster.

These run against a database and a server of their own (catalog.tests.procs), on SQLite (a
file) or PostgreSQL (a new database) and with the Redis broker when REDIS_URL is set, so they
hold in both CI modes. They never share pytest's test database.
"""

from __future__ import annotations

import os
import signal
import time

import pytest

from catalog.tests.procs import Stack
from meta_sandbox.facade import CatalogControl, SandboxControl

#: The lease of the worker that gets killed (it renews it after each batch).
LEASE = 4

pytestmark = pytest.mark.skipif(os.name != "posix", reason="needs POSIX signals and process groups")


@pytest.fixture(scope="module")
def stack():
    made = Stack()
    try:
        yield made
    finally:
        made.close()


def _meta(stack):
    sandbox = SandboxControl(f"{stack.base}/graph-sandbox")
    return sandbox, CatalogControl(sandbox)


def _wait(predicate, timeout: float, step: float = 0.1):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(step)
    return predicate()


def _journal(sandbox, catalog_id: str, edge: str) -> list[dict]:
    return [r for r in sandbox.requests(path=f"{catalog_id}/{edge}") if r["status"] == 200]


def test_a_worker_killed_while_sending_loses_nothing_and_marks_nothing_unconfirmed(stack):
    sandbox, catalog = _meta(stack)
    shop = stack.run("setup", "15", "KILL1")
    # Every batch upload takes 2 s at Meta; the worker dies during the second one.
    sandbox.add_fault(path=f"{shop['catalog_id']}/items_batch", method="POST", kind="latency", ms=2000, count=None)
    worker = stack.spawn("sync", str(shop["shop_id"]), "full", "5", str(LEASE))
    assert _wait(lambda: len(_journal(sandbox, shop["catalog_id"], "items_batch")) >= 1, 30)
    time.sleep(0.8)  # the second upload is on its way
    os.killpg(worker.pid, signal.SIGKILL)
    worker.wait(timeout=10)
    sandbox.clear_faults()
    state = stack.run("state", str(shop["shop_id"]))
    assert not any(p["synced"] for p in state["products"].values())  # Meta's status was never read
    assert [b["status"] for b in state["batches"]] == ["sent", "pending"]
    assert state["runs"][0]["status"] == "running"

    # The killed worker's lease expires; the next sync: the pending batch is abandoned (its products go again), the sent one applied.
    time.sleep(LEASE)
    assert stack.run("sync", str(shop["shop_id"]), "changes", "5")["status"] == "succeeded"
    state = stack.run("state", str(shop["shop_id"]))
    assert all(p["synced"] and not p["dirty"] for p in state["products"].values())
    assert [b["status"] for b in state["batches"]][:2] == ["finished", "abandoned"]
    assert state["runs"][0]["status"] == "interrupted"
    assert {p["retailer_id"] for p in catalog.products(shop["catalog_id"])} == set(state["products"])


def test_a_worker_killed_while_polling_marks_only_what_meta_confirmed(stack):
    sandbox, catalog = _meta(stack)
    shop = stack.run("setup", "15", "KILL2")
    sandbox.add_fault(path=f"{shop['catalog_id']}/check_batch_request_status", kind="latency", ms=2000, count=None)
    worker = stack.spawn("sync", str(shop["shop_id"]), "full", "5", str(LEASE))
    assert _wait(lambda: len(_journal(sandbox, shop["catalog_id"], "check_batch_request_status")) >= 1, 30)
    time.sleep(0.8)  # batch 1 applied; the status of batch 2 is on its way
    os.killpg(worker.pid, signal.SIGKILL)
    worker.wait(timeout=10)
    sandbox.clear_faults()
    state = stack.run("state", str(shop["shop_id"]))
    statuses = [b["status"] for b in state["batches"]]
    assert statuses == ["finished", "sent", "sent"]
    confirmed_batch = set(state["batches"][0]["items"])
    assert {rid for rid, p in state["products"].items() if p["synced"]} == confirmed_batch
    assert all(p["dirty"] for rid, p in state["products"].items() if rid not in confirmed_batch)

    uploads = len(_journal(sandbox, shop["catalog_id"], "items_batch"))
    time.sleep(LEASE)
    assert stack.run("sync", str(shop["shop_id"]), "changes", "5")["status"] == "succeeded"
    state = stack.run("state", str(shop["shop_id"]))
    assert all(p["synced"] and not p["dirty"] for p in state["products"].values())
    # Batches 2 and 3 were applied from Meta's status, not uploaded again.
    assert len(_journal(sandbox, shop["catalog_id"], "items_batch")) == uploads
    assert len(catalog.products(shop["catalog_id"])) == 15


def test_with_the_worker_running_a_price_edit_reaches_meta_within_60_seconds(stack):
    sandbox, catalog = _meta(stack)
    shop = stack.run("setup", "3", "LIVE")
    assert stack.run("sync", str(shop["shop_id"]), "full")["status"] == "succeeded"
    cluster = stack.qcluster()
    try:
        time.sleep(3)  # the cluster starts its workers
        edited = stack.run("edit", str(shop["shop_id"]), "LIVE-001", "4321")

        def arrived():
            item = catalog.product(shop["catalog_id"], "LIVE-001")
            return item if item and item["price"] == "43.21 USD" else None

        item = _wait(arrived, 60, step=0.5)
        elapsed = time.time() - edited["at"]
        assert item, "the price did not reach the sandbox within 60 s"
        assert elapsed < 60
        state = _wait(lambda: (s := stack.run("state", str(shop["shop_id"])))["products"]["LIVE-001"]["dirty"] is False
                      and s, 30, step=1)
        assert state and state["runs"][-1]["kind"] == "fast"
    finally:
        stack.stop(cluster)
