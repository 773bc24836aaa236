"""Benchmark: how long a seller's edit takes to reach Meta, with a real worker (issue 16, item 2).

    python bench/freshness.py --products 10000                  # SQLite + the ORM broker
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/portal REDIS_URL=redis://127.0.0.1:6379/0 \\
        python bench/freshness.py --products 10000              # PostgreSQL + Redis

Builds a fresh database (a temporary SQLite file, or a new PostgreSQL database next to the one
DATABASE_URL names; the broker is the one the settings pick: Redis when REDIS_URL is set, else
the ORM broker on that database), migrates it, starts the Graph sandbox in a subprocess (the
portal's WSGI app on 127.0.0.1, bench.catalog_sync), makes the bench seller's connected shop
(bench.common) with N products in bulk and puts the catalog at Meta with one full sync. Then a
real django-q2 cluster (`manage.py qcluster`, `Q_WORKERS` workers, default 2) runs, and the
seller edits products through the product form (Django's test client, signed in, DEBUG off:
the view, the service, the commit that queues the fast lane on the broker). Each edit changes
the price or the inventory of a product no other edit of the run touches; its time is from the
form's POST until the sandbox's catalog shows the new value (polled over HTTP every 50 ms).

Phases:
1. `isolated`: `--isolated` edits (20), one at a time, each once the one before arrived;
2. `churn`: 1 % of the products an hour, `--churn-minutes` (10) of it compressed into
   `--churn-seconds` (60): N/100 × minutes/60 edits (at least 20) evenly spaced;
3. `during_full_sync`: a full sync queued on the broker (as the daily one is), and an edit every
   `--during-interval` seconds (0.5) while it runs, until `--during` edits (10) were made while a
   full sync was running (further full syncs are queued as needed, up to 10).

The last line is one JSON object: per phase `p50_s`, `p95_s`, `max_s`, `count` (and `lost`:
edits that had not arrived after `--timeout` seconds, 60), `products`, `broker`, `database`,
`workers`, `seed_seconds`, `full_sync_seconds`, `targets_missed`. Exits non-zero when an edit
was lost or a phase's p95_s is above `--max-p95-s` (5).
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import tempfile
import threading
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.catalog_sync import build_products, serve  # noqa: E402
from bench.common import connected_shop, finish, percentile, sandbox_process, signed_in_client  # noqa: E402
from kernel.localserver import fresh_database  # noqa: E402

MAX_P95_S = 5.0
POLL_SECONDS = 0.05


class Watcher:
    """Polls the sandbox's catalog for the edits on their way (its own thread and HTTP session;
    no database): an edit arrives when Meta's item shows the edited value."""

    def __init__(self, base: str, catalog_id: str):
        from meta_sandbox.facade import CatalogControl, SandboxControl

        self.catalog = CatalogControl(SandboxControl(base))
        self.catalog_id = catalog_id
        self.pending: dict[str, tuple[str, str, float]] = {}  # retailer id: (field, value, posted at)
        self.arrived: dict[str, float] = {}
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._loop, name="freshness-watcher", daemon=True)
        self.thread.start()

    def expect(self, retailer_id: str, field: str, value: str, posted_at: float) -> None:
        with self.lock:
            self.pending[retailer_id] = (field, value, posted_at)

    def _loop(self) -> None:
        while not self.stopping.is_set():
            with self.lock:
                waiting = list(self.pending.items())
            for retailer_id, (field, value, posted_at) in waiting:
                item = self.catalog.product(self.catalog_id, retailer_id) or {}
                if str(item.get(field)) == value:
                    seen = time.perf_counter()
                    with self.lock:
                        self.pending.pop(retailer_id, None)
                        self.arrived[retailer_id] = seen - posted_at
            self.stopping.wait(POLL_SECONDS)

    def wait(self, retailer_ids: list[str], timeout: float) -> list[float]:
        """The delays of `retailer_ids` once all arrived (or `timeout` passed: the rest are lost)."""
        deadline = time.perf_counter() + timeout
        while time.perf_counter() < deadline:
            with self.lock:
                if all(r in self.arrived for r in retailer_ids):
                    break
            time.sleep(POLL_SECONDS)
        with self.lock:
            for r in retailer_ids:
                self.pending.pop(r, None)
            return [self.arrived[r] for r in retailer_ids if r in self.arrived]

    def stop(self) -> None:
        self.stopping.set()
        self.thread.join(timeout=10)


class Seller:
    """The bench seller editing products through the product form."""

    def __init__(self, shop, watcher: Watcher, products: list[int]):
        self.shop = shop
        self.watcher = watcher
        self.client = signed_in_client()
        self.unused = products  # product ids no edit touched yet (shuffled)
        self.edits = 0

    def edit(self) -> str:
        """One edit through the form, price or inventory in turn; the edited product's retailer id."""
        from django.urls import reverse

        from catalog.forms.products import product_form_data
        from catalog.models import Product

        product = Product.objects.get(pk=self.unused.pop())
        data = product_form_data(product)
        self.edits += 1
        if self.edits % 2:
            minor = product.price_minor + 100 + self.edits
            data["price"] = f"{minor // 100}.{minor % 100:02d}"
            field, value = "price", f"{data['price']} {product.currency}"
        else:
            quantity = product.quantity_to_sell_on_facebook + 1000 + self.edits
            data["quantity_to_sell_on_facebook"] = str(quantity)
            field, value = "quantity_to_sell_on_facebook", str(quantity)
        posted_at = time.perf_counter()
        self.watcher.expect(product.retailer_id, field, value, posted_at)
        response = self.client.post(reverse("catalog:product_edit", args=[self.shop.pk, product.pk]), data)
        if response.status_code != 302:
            raise SystemExit(f"the product form answered {response.status_code}: "
                             f"{response.content.decode()[:1000]}")
        return product.retailer_id


def summary(delays: list[float], edits: int) -> dict:
    return {"count": edits, "p50_s": round(percentile(delays, 0.5), 2), "p95_s": round(percentile(delays, 0.95), 2),
            "max_s": round(max(delays), 2) if delays else 0.0, "lost": edits - len(delays)}


def full_sync_running(shop) -> bool:
    from catalog.models import SyncRun

    return SyncRun.objects.filter(shop=shop, kind=SyncRun.Kind.FULL, status=SyncRun.Status.RUNNING).exists()


def queue_full_sync(shop) -> None:
    from django_q.tasks import async_task

    async_task("catalog.tasks.sync_full", shop.pk, "schedule", group="catalog.sync_full")


def phase_isolated(seller: Seller, watcher: Watcher, args) -> dict:
    delays = []
    for _ in range(args.isolated):
        delays += watcher.wait([seller.edit()], args.timeout)
        time.sleep(0.2)
    return summary(delays, args.isolated)


def phase_churn(seller: Seller, watcher: Watcher, args) -> dict:
    edits = max(20, round(args.products / 100 * args.churn_minutes / 60))
    interval = args.churn_seconds / edits
    started = time.perf_counter()
    edited = []
    for k in range(edits):
        time.sleep(max(0.0, started + k * interval - time.perf_counter()))
        edited.append(seller.edit())
    result = summary(watcher.wait(edited, args.timeout), edits)
    result["simulated_minutes"], result["window_s"] = args.churn_minutes, args.churn_seconds
    return result


def phase_during_full_sync(seller: Seller, watcher: Watcher, shop, args) -> dict:
    edited, syncs = [], 0
    while len(edited) < args.during and syncs < 10:
        queue_full_sync(shop)
        syncs += 1
        deadline = time.perf_counter() + args.timeout
        while not full_sync_running(shop) and time.perf_counter() < deadline:
            time.sleep(0.05)
        while len(edited) < args.during and full_sync_running(shop):
            rid = seller.edit()
            if full_sync_running(shop):  # still running after the commit: the edit raced it
                edited.append(rid)
            time.sleep(args.during_interval)
        while full_sync_running(shop) and time.perf_counter() < deadline:  # the next one starts clean
            time.sleep(0.1)
    result = summary(watcher.wait(edited, args.timeout), len(edited))
    result["full_syncs"] = syncs
    return result


def run(args, base: str) -> int:
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection

    from catalog import sync
    from catalog.models import Product
    from meta_sandbox.facade import SandboxControl

    call_command("migrate", verbosity=0, interactive=False)
    settings.GRAPH_BASE_URL = base
    settings.DEBUG = False  # production runs without it (it keeps every query's SQL in memory)
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    if settings.Q_CLUSTER.get("sync"):
        raise SystemExit("these settings run tasks inline (sync): the benchmark needs the real broker and worker")
    broker = "redis" if settings.Q_CLUSTER.get("redis") else "orm"
    sandbox = SandboxControl(base)
    shop, _conn, business = connected_shop(sandbox.create_business, in_process=False)
    started = time.perf_counter()
    build_products(shop, args.products)
    seed_seconds = time.perf_counter() - started
    started = time.perf_counter()
    outcome = sync.sync_shop(shop.pk, "full")
    full_sync_seconds = time.perf_counter() - started
    if outcome.status != "succeeded":
        raise SystemExit(f"the first full sync ended {outcome.status}: {outcome.detail}")
    print(f"{args.products} products built in {seed_seconds:.1f} s and at Meta after a full sync of "
          f"{full_sync_seconds:.1f} s ({connection.vendor}, {broker} broker)", file=sys.stderr, flush=True)
    ids = list(Product.objects.filter(shop=shop).values_list("pk", flat=True))
    random.Random(16).shuffle(ids)
    sandbox.clear_requests()

    log = tempfile.NamedTemporaryFile(prefix="freshness-qcluster-", suffix=".log", delete=False)
    env = {**os.environ, "GRAPH_BASE_URL": base, "PORTAL_BASE_URL": base.removesuffix("/graph-sandbox"),
           "Q_WORKERS": str(args.workers)}
    cluster = subprocess.Popen([sys.executable, "manage.py", "qcluster"], cwd=str(ROOT), env=env, stdout=log,
                               stderr=subprocess.STDOUT, start_new_session=True)
    watcher = Watcher(base, business["catalog_id"])
    try:
        seller = Seller(shop, watcher, ids)
        # The first edit waits for the cluster to start (not measured).
        if not watcher.wait([seller.edit()], 120):
            raise SystemExit(f"the worker did not send a first edit within 120 s (its log: {log.name})")
        phases = {}
        for name, measure in (("isolated", lambda: phase_isolated(seller, watcher, args)),
                              ("churn", lambda: phase_churn(seller, watcher, args)),
                              ("during_full_sync", lambda: phase_during_full_sync(seller, watcher, shop, args))):
            phases[name] = measure()
            print(f"{name:17s} {phases[name]}", file=sys.stderr, flush=True)
    finally:
        watcher.stop()
        if cluster.poll() is None:
            os.killpg(cluster.pid, 15)
            try:
                cluster.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(cluster.pid, 9)
                cluster.wait()
        log.close()
    result = {"products": args.products, "database": connection.vendor, "broker": broker, "workers": args.workers,
              "seed_seconds": round(seed_seconds, 1), "full_sync_seconds": round(full_sync_seconds, 1), **phases}
    missed = []
    for name, figures in phases.items():
        if figures["lost"]:
            missed.append(f"{name}: {figures['lost']} of {figures['count']} edits not at Meta after {args.timeout:g} s")
        if args.max_p95_s and figures["p95_s"] > args.max_p95_s:
            missed.append(f"{name}: p95_s {figures['p95_s']} > {args.max_p95_s:g}")
    result["targets_missed"] = list(missed)
    if any(figures["lost"] for figures in phases.values()):
        missed.append(f"the worker's log: {log.name}")
    else:
        os.unlink(log.name)
    return finish(result, missed)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--products", type=int, default=10_000, help="products of the shop (default 10000)")
    parser.add_argument("--isolated", type=int, default=20, help="isolated edits (default 20)")
    parser.add_argument("--churn-minutes", type=float, default=10, help="minutes of 1 %%/hour churn simulated")
    parser.add_argument("--churn-seconds", type=float, default=60, help="... in this many seconds")
    parser.add_argument("--during", type=int, default=10, help="edits made while a full sync runs (default 10)")
    parser.add_argument("--during-interval", type=float, default=0.5, help="seconds between them")
    parser.add_argument("--workers", type=int, default=2, help="the cluster's worker processes (default 2)")
    parser.add_argument("--timeout", type=float, default=60, help="seconds after which an edit counts as lost")
    parser.add_argument("--max-p95-s", type=float, default=MAX_P95_S, help="target per phase (0: none)")
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    warnings.filterwarnings("ignore", "No directory at")  # no collectstatic: the pages' CSS is not measured
    if args.serve:
        serve()
        return 0
    if args.products < 100:
        parser.error("at least 100 products")
    url, cleanup = fresh_database("freshness_bench")
    os.environ["DATABASE_URL"] = url
    os.environ["ALLOWED_HOSTS"] = "127.0.0.1,localhost"
    try:
        with sandbox_process(str(Path(__file__).resolve())) as (base_url, _server):
            return run(args, base_url)
    finally:
        from django.db import connections

        connections.close_all()
        cleanup()


if __name__ == "__main__":
    sys.exit(main())
