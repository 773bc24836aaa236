"""Benchmark: a full catalog sync of N products (the first and a daily one), then the fast lane
after 1 % of them changed.

    python bench/catalog_sync.py --products 100000        # DATABASE_URL=postgres://... for PostgreSQL

Builds N products for one shop in a fresh database (a temporary SQLite file, or a new
PostgreSQL database next to the one DATABASE_URL names), migrates it, and starts the Graph
sandbox in a subprocess: a threaded WSGI server on 127.0.0.1 (port 0) serving the same
database, reached over real HTTP like Meta would be. Then:

1. the transfer floor: a bare `requests` loop posts the very bodies the sync will send (the
   same batches and JSON bodies, built by the sync's own code before the clock starts) to a
   second catalog of the sandbox, one after the other, and nothing else;
2. the shop's first full sync (`catalog.sync.sync_shop(shop, "full")`: batches, status
   polling, per-item results, product sets, and the reconcile's listing of the catalog);
3. the daily full sync, against its own floor: the same bodies posted again to the floor's
   catalog, which now holds the items (Meta updates them), then a second full sync of the shop,
   whose reconcile lists all N items;
4. price or stock changes on 1 % of the products, and the fast lane.

Prints the figures; its last line is one JSON object with the keys `products`,
`items_batch_calls`, `status_calls`, `seconds`, `floor_seconds`, `ratio_to_floor`,
`queries_per_batch`, `peak_rss_mb`, their `daily_*` twins, CPU seconds of the portal's and the
sandbox's processes (`portal_cpu_s`, `sandbox_cpu_s`, `floor_sandbox_cpu_s`, ...), the fast
lane's figures and `targets_missed`. Exits non-zero (benchmarks fail loudly) when a full sync did
not take exactly ceil(N/5000) items_batch calls or left a product unconfirmed, the fast lane did
not make one call with exactly the changed items, or a target is missed: `ratio_to_floor` and
`daily_ratio_to_floor` at most `--max-ratio` (1.3), queries per batch at most
`--max-queries-per-batch` (10), peak RSS at most `--max-rss-mb` (250). `BENCH_PROFILE=<file>`
writes a cProfile of the first full sync (the run's own thread), `BENCH_SQL=<file>` its SQL.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import connected_shop, sandbox_process  # noqa: E402
from kernel.localserver import fresh_database  # noqa: E402


def serve() -> None:
    """The sandbox server (run as a subprocess): prints its port, then serves until killed."""
    import django

    django.setup()
    from django.conf import settings

    from kernel.localserver import quiet_server

    settings.DEBUG = False  # DEBUG keeps every query's SQL in memory: not what production does
    server = quiet_server()
    print(server.server_address[1], flush=True)
    server.serve_forever()


def rss_mb(field: str = "VmRSS") -> float:
    """The process's current (VmRSS) or peak (VmHWM) resident memory, in MB (Linux)."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


class QueryCounter:
    """Counts the queries of the portal's thread; with BENCH_SQL=<file>, writes their SQL there
    (cut to 160 characters a line), to see where the queries go."""

    def __init__(self, log: str = ""):
        self.count = 0
        self.log = open(log, "w") if log else None

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        if self.log:
            self.log.write(sql[:160].replace("\n", " ") + "\n")
        return execute(sql, params, many, context)


def build_products(shop, n: int) -> None:
    """N products in chunks (memory stays flat), hashes computed as a save would."""
    from catalog.models import Product

    chunk = []
    for i in range(n):
        product = Product(
            shop=shop, retailer_id=f"SKU-{i:07d}", item_group_id=f"G-{i // 3:06d}", title=f"Bench tea no. {i}",
            description="Loose-leaf green tea from the bench garden, harvested in spring and rolled by hand.",
            brand="Bench", link=f"https://bench.example.com/p/{i}", image_link=f"https://bench.example.com/i/{i}.jpg",
            currency="USD", price_minor=500 + i % 5000, availability="in stock", condition="new",
            quantity_to_sell_on_facebook=10 + i % 90, product_type="Tea > Green tea", color="green",
            size=("50 g", "100 g", "250 g")[i % 3], internal_labels=["bench"],
        )
        product.refresh_sync_state()
        chunk.append(product)
        if len(chunk) == 5000:
            Product.objects.bulk_create(chunk, batch_size=1000)
            chunk = []
    if chunk:
        Product.objects.bulk_create(chunk, batch_size=1000)


def prebuilt_batches(shop, folder: str, proof: str) -> list[str]:
    """The request bodies the full sync will send (the same batches, records and JSON body, built
    by the same code: `catalog.sync.batches.Outbox` and the client's `json_body`), built before
    the clock starts and kept in files (one at a time in memory, so the peak RSS stays the sync's)."""
    from catalog.models import SyncRun
    from catalog.sync import engine
    from catalog.sync.batches import Outbox, queue
    from graph.client.encoding import RawJSON, json_body

    outbox = Outbox(queue(shop, SyncRun.Kind.FULL), SyncRun.Kind.FULL, 0, set(), batch_size=engine.BATCH_SIZE)
    paths = []
    while (prepared := outbox.next()) is not None:
        body = json_body({"item_type": "PRODUCT_ITEM", "allow_upsert": True, "requests": RawJSON(prepared.body()),
                          "appsecret_proof": proof})
        path = os.path.join(folder, f"batch-{len(paths):04d}.json")
        with open(path, "wb") as out:
            out.write(body)
        paths.append(path)
    return paths


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--products", type=int, default=100_000, help="products to sync (default 100000)")
    parser.add_argument("--max-ratio", type=float, default=1.3,
                        help="target: full sync seconds / transfer floor seconds, first and daily (0: none)")
    parser.add_argument("--max-queries-per-batch", type=float, default=10, help="target (0: none)")
    parser.add_argument("--max-rss-mb", type=float, default=250, help="target: peak RSS of the portal (0: none)")
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    if args.serve:
        serve()
        return 0
    url, cleanup = fresh_database("catalog_bench")
    os.environ["DATABASE_URL"] = url
    os.environ["ALLOWED_HOSTS"] = "127.0.0.1,localhost"
    try:
        import django

        django.setup()
        from django.core.management import call_command

        call_command("migrate", verbosity=0, interactive=False)
        with sandbox_process(str(Path(__file__).resolve())) as (base_url, server):
            return run(args.products, base_url, server.pid, args)
    finally:
        from django.db import connections

        connections.close_all()
        cleanup()


class CPU:
    """CPU seconds used by this process (all its threads) and by the sandbox's, between two readings."""

    def __init__(self, sandbox_pid: int):
        self.sandbox_pid = sandbox_pid

    def read(self) -> tuple[float, float]:
        usage = resource.getrusage(resource.RUSAGE_SELF)
        try:
            with open(f"/proc/{self.sandbox_pid}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
            sandbox = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        except (OSError, IndexError, ValueError):
            sandbox = 0.0
        return usage.ru_utime + usage.ru_stime, sandbox

    @staticmethod
    def since(before: tuple[float, float], after: tuple[float, float]) -> tuple[float, float]:
        return round(after[0] - before[0], 2), round(after[1] - before[1], 2)


def post_floor(session, url: str, token: str, paths: list[str]) -> tuple[float, int]:
    """Seconds to post the prebuilt bodies one after the other, and their bytes."""
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    payload_bytes = 0
    started = time.perf_counter()
    for path in paths:
        with open(path, "rb") as body:
            data = body.read()
        payload_bytes += len(data)
        response = session.post(url, data=data, headers=headers, timeout=300)
        response.raise_for_status()
        del data
    return time.perf_counter() - started, payload_bytes


def timed_sync(shop_id: int, kind: str, cpu: CPU, *, sql_log: str = "") -> dict:
    """One sync of the shop, with its wall seconds, portal queries and CPU seconds on both sides."""
    from django.db import connection

    from catalog import sync

    counter = QueryCounter(sql_log)
    before = cpu.read()
    started = time.perf_counter()
    with connection.execute_wrapper(counter):
        if os.environ.get("BENCH_PROFILE") and kind == "full" and not sql_log.endswith("daily"):
            import cProfile

            profile = cProfile.Profile()
            outcome = profile.runcall(sync.sync_shop, shop_id, kind)
            profile.dump_stats(os.environ["BENCH_PROFILE"])
        else:
            outcome = sync.sync_shop(shop_id, kind)
    seconds = time.perf_counter() - started
    portal_cpu, sandbox_cpu = CPU.since(before, cpu.read())
    return {"seconds": seconds, "queries": counter.count, "outcome": outcome, "portal_cpu": portal_cpu,
            "sandbox_cpu": sandbox_cpu}


def run(n: int, base: str, sandbox_pid: int, targets: argparse.Namespace) -> int:
    import requests
    from django.conf import settings
    from django.db import connection

    from catalog import sync
    from catalog.models import Product
    from catalog.sync import engine
    from graph.client.encoding import appsecret_proof
    from meta_sandbox.facade import CatalogControl, SandboxControl

    settings.GRAPH_BASE_URL = base
    # The defaults run with DEBUG, which keeps the SQL of every query in memory (hundreds of MB
    # over 100,000 products); production runs without it, and so does the benchmark.
    settings.DEBUG = False
    sandbox = SandboxControl(base)
    catalog = CatalogControl(sandbox)
    cpu = CPU(sandbox_pid)
    shop, conn, made = connected_shop(sandbox.create_business, in_process=False)
    floor_business = sandbox.create_business(name="Floor business")

    started = time.perf_counter()
    build_products(shop, n)
    build_seconds = time.perf_counter() - started
    print(f"built {n} products in {build_seconds:.1f} s ({connection.vendor})")

    # 1. The transfer floor: the same batches, posted by a bare requests loop (items created).
    folder = tempfile.mkdtemp(prefix="catalog-bench-floor-")
    token = floor_business["access_token"]
    proof = appsecret_proof(token, settings.META_APP_SECRET)
    paths = prebuilt_batches(shop, folder, proof)
    floor_url = f"{base}/{settings.GRAPH_API_VERSION}/{floor_business['catalog_id']}/items_batch"
    session = requests.Session()
    before = cpu.read()
    floor_seconds, payload_bytes = post_floor(session, floor_url, token, paths)
    floor_cpu = CPU.since(before, cpu.read())
    payload_mb = payload_bytes / 1e6
    sandbox.clear_requests()

    # 2. The full sync (the shop's first: Meta creates every item).
    first = timed_sync(shop.pk, "full", cpu, sql_log=os.environ.get("BENCH_SQL", ""))
    seconds, outcome = first["seconds"], first["outcome"]
    sync_peak = rss_mb("VmHWM")
    journal = sandbox.requests()
    batch_calls = sum(1 for r in journal if r["method"] == "POST" and r["path"].endswith("/items_batch"))
    status_calls = sum(1 for r in journal if r["path"].endswith("/check_batch_request_status"))
    list_calls = sum(1 for r in journal if r["method"] == "GET" and r["path"].endswith("/products"))
    confirmed = Product.objects.filter(shop=shop, needs_sync_slow=False, needs_sync_fast=False).count()
    sandbox.clear_requests()

    # 3. The daily full sync: Meta holds every item (updates), the reconcile lists them all.
    # Its floor: the same bodies posted again to the floor's catalog, which holds them now.
    before = cpu.read()
    daily_floor_seconds, _ = post_floor(session, floor_url, token, paths)
    daily_floor_cpu = CPU.since(before, cpu.read())
    shutil.rmtree(folder, ignore_errors=True)
    sandbox.clear_requests()
    daily = timed_sync(shop.pk, "full", cpu, sql_log=(os.environ.get("BENCH_SQL", "") + ".daily")
                       if os.environ.get("BENCH_SQL") else "")
    journal = sandbox.requests()
    daily_batch_calls = sum(1 for r in journal if r["method"] == "POST" and r["path"].endswith("/items_batch"))
    daily_list_calls = sum(1 for r in journal if r["method"] == "GET" and r["path"].endswith("/products"))
    daily_confirmed = Product.objects.filter(shop=shop, needs_sync_slow=False, needs_sync_fast=False).count()
    sandbox.clear_requests()

    # 4. 1 %: every hundredth product changes price or stock; then the fast lane.
    ids = list(Product.objects.filter(shop=shop).order_by("pk").values_list("pk", flat=True))[::100]
    changed = list(Product.objects.filter(pk__in=ids).order_by("pk"))
    del ids
    for k, product in enumerate(changed):
        if k % 2:
            product.price_minor += 100
        else:
            product.quantity_to_sell_on_facebook = 0
            product.availability = "out of stock"
    for product in changed:
        product.refresh_sync_state()
    Product.objects.bulk_update(changed, ["price_minor", "quantity_to_sell_on_facebook", "availability",
                                          "slow_hash", "fast_hash", "needs_sync_slow", "needs_sync_fast"],
                                batch_size=1000)
    fast_counter = QueryCounter()
    started = time.perf_counter()
    with connection.execute_wrapper(fast_counter):
        fast_outcome = sync.sync_shop(shop.pk, "fast")
    fast_seconds = time.perf_counter() - started
    fast_journal = sandbox.requests(path="*/items_batch", method="POST")
    fast_batches = catalog.batches(made["catalog_id"])[-len(fast_journal):] if fast_journal else []
    fast_items_sent = sum(b["requests"] for b in fast_batches)
    fast_clean = not Product.objects.filter(shop=shop).pending_sync().exists()

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    expected_calls = math.ceil(n / engine.BATCH_SIZE)

    def ratio(a, b):
        return round(a / b, 2) if b else None

    figures = {
        "products": n,
        "items_batch_calls": batch_calls,
        "status_calls": status_calls,
        "seconds": round(seconds, 2),
        "floor_seconds": round(floor_seconds, 2),
        "ratio_to_floor": ratio(seconds, floor_seconds),
        "queries_per_batch": round(first["queries"] / batch_calls, 1) if batch_calls else None,
        "peak_rss_mb": round(peak, 1),
        "daily_seconds": round(daily["seconds"], 2),
        "daily_floor_seconds": round(daily_floor_seconds, 2),
        "daily_ratio_to_floor": ratio(daily["seconds"], daily_floor_seconds),
        "daily_queries_per_batch": round(daily["queries"] / daily_batch_calls, 1) if daily_batch_calls else None,
        "daily_list_calls": daily_list_calls,
        "peak_rss_mb_at_full_sync_end": round(sync_peak, 1),
        "portal_cpu_s": first["portal_cpu"],
        "sandbox_cpu_s": first["sandbox_cpu"],
        "floor_sandbox_cpu_s": floor_cpu[1],
        "daily_portal_cpu_s": daily["portal_cpu"],
        "daily_sandbox_cpu_s": daily["sandbox_cpu"],
        "daily_floor_sandbox_cpu_s": daily_floor_cpu[1],
        "fast_calls": len(fast_journal),
        "fast_items_sent": fast_items_sent,
        "fast_changed": len(changed),
        "fast_seconds": round(fast_seconds, 2),
        "fast_queries": fast_counter.count,
        "list_calls": list_calls,
        "queries": first["queries"],
        "payload_mb": round(payload_mb, 1),
        "build_seconds": round(build_seconds, 1),
        "outcome": outcome.status,
        "daily_outcome": daily["outcome"].status,
        "database": connection.vendor,
    }
    print(f"full sync: {seconds:.1f} s, {batch_calls} items_batch calls (ceil({n}/5000) = {expected_calls}), "
          f"{status_calls} status calls, {list_calls} catalog list pages (reconcile); {outcome.status}")
    print(f"transfer floor: {floor_seconds:.1f} s for the same {payload_mb:.0f} MB of batches; "
          f"ratio {figures['ratio_to_floor']}")
    print(f"daily full sync: {daily['seconds']:.1f} s against a floor of {daily_floor_seconds:.1f} s (updates); "
          f"ratio {figures['daily_ratio_to_floor']}; {daily_list_calls} catalog list pages")
    print(f"queries: {first['queries']} in the full sync, {figures['queries_per_batch']} per batch "
          f"(daily: {figures['daily_queries_per_batch']})")
    print(f"CPU seconds, portal / sandbox: full sync {first['portal_cpu']} / {first['sandbox_cpu']} "
          f"(floor: sandbox {floor_cpu[1]}); daily {daily['portal_cpu']} / {daily['sandbox_cpu']} "
          f"(floor: sandbox {daily_floor_cpu[1]})")
    print(f"fast lane: {len(changed)} changed, {len(fast_journal)} call(s) carrying {fast_items_sent} items, "
          f"{fast_seconds:.2f} s, {fast_counter.count} queries; {fast_outcome.status}")
    print(f"peak RSS: {peak:.0f} MB (the portal's process, building included; the sandbox runs in its own)")
    failures = []
    if not (batch_calls == expected_calls and confirmed == n and daily_batch_calls == expected_calls
            and daily_confirmed == n and len(fast_journal) == 1 and fast_items_sent == len(changed) and fast_clean):
        failures.append(f"{confirmed}/{n} confirmed ({daily_confirmed} daily), {batch_calls} batch calls "
                        f"({daily_batch_calls} daily), fast {len(fast_journal)} calls with {fast_items_sent} items")
    # Benchmarks fail loudly: a target missed is an exit code, not a figure nobody reads.
    for name, value, limit in (("ratio_to_floor", figures["ratio_to_floor"], targets.max_ratio),
                               ("daily_ratio_to_floor", figures["daily_ratio_to_floor"], targets.max_ratio),
                               ("queries_per_batch", figures["queries_per_batch"], targets.max_queries_per_batch),
                               ("daily_queries_per_batch", figures["daily_queries_per_batch"],
                                targets.max_queries_per_batch),
                               ("peak_rss_mb", figures["peak_rss_mb"], targets.max_rss_mb)):
        if limit and (value is None or value > limit):
            failures.append(f"{name} {value} > {limit}")
    figures["targets_missed"] = [f for f in failures]
    if failures:
        print("FAILED: " + "; ".join(failures), file=sys.stderr)
    print(json.dumps(figures))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
