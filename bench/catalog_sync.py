"""Benchmark: a full catalog sync of N products, then the fast lane after 1 % of them changed.

    python bench/catalog_sync.py --products 100000

Builds N products for one shop in a fresh database (a temporary SQLite file, or a new
PostgreSQL database next to the one DATABASE_URL names), migrates it, and starts the Graph
sandbox in a subprocess: a threaded WSGI server on 127.0.0.1 (port 0) serving the same
database, reached over real HTTP like Meta would be. Then:

1. the transfer floor: a bare `requests` loop posts the very batches the sync will send
   (pre-built, form-encoded) to a second catalog of the sandbox, and nothing else;
2. a full sync of the shop (`catalog.sync.sync_shop(shop, "full")`: batches, status polling,
   per-item results, product sets, and the reconcile listing of the catalog);
3. price or stock changes on 1 % of the products, and the fast lane.

Prints the figures; its last line is one JSON object with the keys `products`,
`items_batch_calls`, `status_calls`, `seconds`, `floor_seconds`, `ratio_to_floor`,
`queries_per_batch`, `peak_rss_mb`, `fast_calls`, `fast_items_sent` (and a few more). Exits
non-zero when the full sync did not take exactly ceil(N/5000) items_batch calls, the fast lane
not exactly one call with the changed items, or a product is not confirmed.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import connected_shop  # noqa: E402
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
    def __init__(self):
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
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


def prebuilt_batches(shop, folder: str) -> list[str]:
    """The form bodies the full sync will send, built before the clock starts and kept in files
    (one at a time in memory, so the peak RSS stays the sync's)."""
    from urllib.parse import urlencode

    from catalog import payloads
    from catalog.models import Product
    from catalog.sync import engine

    paths, records = [], []

    def flush():
        body = urlencode({"item_type": "PRODUCT_ITEM", "allow_upsert": "true", "requests": "[" + ",".join(records)
                          + "]"})
        path = os.path.join(folder, f"batch-{len(paths):04d}.form")
        with open(path, "w") as out:
            out.write(body)
        paths.append(path)

    for product in Product.objects.filter(shop=shop).order_by("pk").iterator(chunk_size=5000):
        records.append(json.dumps(payloads.item_request(product), separators=(",", ":"), ensure_ascii=False))
        if len(records) == engine.BATCH_SIZE:
            flush()
            records = []
    if records:
        flush()
    return paths


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--products", type=int, default=100_000, help="products to sync (default 100000)")
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
    server = None
    try:
        import django

        django.setup()
        from django.core.management import call_command

        call_command("migrate", verbosity=0, interactive=False)
        server = subprocess.Popen([sys.executable, str(Path(__file__).resolve()), "--serve"], stdout=subprocess.PIPE,
                                  env={**os.environ}, cwd=str(ROOT))
        port = int(server.stdout.readline().strip())
        return run(args.products, f"http://127.0.0.1:{port}/graph-sandbox")
    finally:
        if server is not None:
            server.kill()
            server.wait()
        from django.db import connections

        connections.close_all()
        cleanup()


def run(n: int, base: str) -> int:
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
    shop, conn, made = connected_shop(sandbox.create_business, in_process=False)
    floor_business = sandbox.create_business(name="Floor business")

    started = time.perf_counter()
    build_products(shop, n)
    build_seconds = time.perf_counter() - started
    print(f"built {n} products in {build_seconds:.1f} s ({connection.vendor})")

    # 1. The transfer floor: the same batches, posted by a bare requests loop.
    folder = tempfile.mkdtemp(prefix="catalog-bench-floor-")
    paths = prebuilt_batches(shop, folder)
    token = floor_business["access_token"]
    proof = appsecret_proof(token, settings.META_APP_SECRET)
    floor_url = f"{base}/{settings.GRAPH_API_VERSION}/{floor_business['catalog_id']}/items_batch"
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/x-www-form-urlencoded"}
    session = requests.Session()
    payload_bytes = 0
    started = time.perf_counter()
    for path in paths:
        with open(path) as body:
            data = body.read() + "&appsecret_proof=" + proof
        payload_bytes += len(data)
        response = session.post(floor_url, data=data, headers=headers, timeout=120)
        response.raise_for_status()
    floor_seconds = time.perf_counter() - started
    payload_mb = payload_bytes / 1e6
    del data
    shutil.rmtree(folder, ignore_errors=True)
    sandbox.clear_requests()

    # 2. The full sync.
    counter = QueryCounter()
    started = time.perf_counter()
    with connection.execute_wrapper(counter):
        if os.environ.get("BENCH_PROFILE"):
            import cProfile

            profile = cProfile.Profile()
            outcome = profile.runcall(sync.sync_shop, shop.pk, "full")
            profile.dump_stats(os.environ["BENCH_PROFILE"])
        else:
            outcome = sync.sync_shop(shop.pk, "full")
    seconds = time.perf_counter() - started
    sync_peak = rss_mb("VmHWM")
    journal = sandbox.requests()
    batch_calls = sum(1 for r in journal if r["method"] == "POST" and r["path"].endswith("/items_batch"))
    status_calls = sum(1 for r in journal if r["path"].endswith("/check_batch_request_status"))
    list_calls = sum(1 for r in journal if r["method"] == "GET" and r["path"].endswith("/products"))
    confirmed = Product.objects.filter(shop=shop, needs_sync_slow=False, needs_sync_fast=False).count()
    sandbox.clear_requests()

    # 3. 1 %: every hundredth product changes price or stock; then the fast lane.
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
    figures = {
        "products": n,
        "items_batch_calls": batch_calls,
        "status_calls": status_calls,
        "seconds": round(seconds, 2),
        "floor_seconds": round(floor_seconds, 2),
        "ratio_to_floor": round(seconds / floor_seconds, 2) if floor_seconds else None,
        "queries_per_batch": round(counter.count / batch_calls, 1) if batch_calls else None,
        "peak_rss_mb": round(peak, 1),
        "peak_rss_mb_at_full_sync_end": round(sync_peak, 1),
        "fast_calls": len(fast_journal),
        "fast_items_sent": fast_items_sent,
        "fast_changed": len(changed),
        "fast_seconds": round(fast_seconds, 2),
        "fast_queries": fast_counter.count,
        "list_calls": list_calls,
        "queries": counter.count,
        "payload_mb": round(payload_mb, 1),
        "build_seconds": round(build_seconds, 1),
        "outcome": outcome.status,
        "database": connection.vendor,
    }
    print(f"full sync: {seconds:.1f} s, {batch_calls} items_batch calls (ceil({n}/5000) = {expected_calls}), "
          f"{status_calls} status calls, {list_calls} catalog list pages (reconcile); {outcome.status}")
    print(f"transfer floor: {floor_seconds:.1f} s for the same {payload_mb:.0f} MB of batches; "
          f"ratio {figures['ratio_to_floor']}")
    print(f"queries: {counter.count} in the full sync, {figures['queries_per_batch']} per batch")
    print(f"fast lane: {len(changed)} changed, {len(fast_journal)} call(s) carrying {fast_items_sent} items, "
          f"{fast_seconds:.2f} s, {fast_counter.count} queries; {fast_outcome.status}")
    print(f"peak RSS: {peak:.0f} MB (the portal's process, building included; the sandbox runs in its own)")
    ok = (batch_calls == expected_calls and confirmed == n and len(fast_journal) == 1
          and fast_items_sent == len(changed) and fast_clean)
    if not ok:
        print(f"FAILED: {confirmed}/{n} confirmed, {batch_calls} batch calls, fast {len(fast_journal)} calls with "
              f"{fast_items_sent} items", file=sys.stderr)
    print(json.dumps(figures))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
