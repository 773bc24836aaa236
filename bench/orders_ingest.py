"""Benchmark: ingest and acknowledge N new Meta orders for one shop.

    python bench/orders_ingest.py --orders 10000

Builds a fresh database (a temporary SQLite file, or a new PostgreSQL database next to the one
DATABASE_URL names), migrates it, places N orders in the Graph sandbox in bulk (the buyer's side,
in process), then runs one real poll of the shop (`orders.ingest.poll_shop`) against the sandbox
over HTTP: a local threaded WSGI server on 127.0.0.1 serves the sandbox, the portal's Graph
client calls it like it would call Meta.

Prints the Graph calls by kind, seconds, database queries (the portal's, and the sandbox's
separately) and peak memory; the last line is one JSON object with at least the keys `orders`,
`ack_calls`, `seconds`, `queries` and `peak_rss_mb`. Exits non-zero if an order is missing, not
acknowledged, or the acknowledgement took more than ceil(N/100) calls.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import connected_shop  # noqa: E402
from kernel.localserver import QueryCounter, background_server, fresh_database  # noqa: E402

SPEC = {
    "channel": "instagram",
    "currency": "USD",
    "items": [{"retailer_id": "BENCH-TEA", "quantity": 2, "price": "12.00", "product_name": "Jasmine tea"},
              {"retailer_id": "BENCH-CUP", "quantity": 1, "price": "8.00", "product_name": "Tea cup"}],
    "shipping": {"name": "Standard", "reference_id": "std", "price": "4.00"},
    "tax_rate": "8.25",
    "discounts": [{"type": "item", "retailer_id": "BENCH-TEA", "amount_off": "1.00"}],
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orders", type=int, default=10_000, help="new orders to place (default 10000)")
    args = parser.parse_args()
    n = args.orders

    url, cleanup = fresh_database("orders_bench")
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    try:
        return run(n)
    finally:
        from django.db import connections

        connections.close_all()
        cleanup()


def run(n: int) -> int:
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection, transaction
    from django.db.backends.signals import connection_created

    call_command("migrate", verbosity=0, interactive=False)


    from catalog.models import Product
    from graph.models import GraphCall
    from meta_sandbox import facade as sandbox
    from orders.ingest import poll_shop
    from orders.models import Order

    server = background_server()
    settings.GRAPH_BASE_URL = f"http://127.0.0.1:{server.server_address[1]}/graph-sandbox"
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "127.0.0.1"]

    # A seller, a shop connected to a sandbox business, two products that track stock.
    shop, conn, business = connected_shop(sandbox.create_business)
    for rid, title in (("BENCH-TEA", "Jasmine tea"), ("BENCH-CUP", "Tea cup")):
        Product.objects.create(shop=shop, retailer_id=rid, title=title, description="Bench product", brand="Bench",
                               link=f"https://bench.example.com/{rid}", image_link=f"https://bench.example.com/{rid}.jpg",
                               currency="USD", price_minor=1200, quantity_to_sell_on_facebook=10 * n)
    poll_shop(shop.pk)  # registers the order management app (orders then wait for us in CREATED)

    cms_id = business["commerce_merchant_settings_id"]
    started = time.perf_counter()
    for start in range(0, n, 1000):  # in chunks, so the buyer's side does not hold 10,000 orders in memory
        with transaction.atomic():
            sandbox.place_orders(cms_id, SPEC, min(1000, n - start))
    placed_seconds = time.perf_counter() - started
    sandbox.clear_requests()
    GraphCall.objects.all().delete()

    # End kept-alive connections, so the sandbox serves the measured poll from fresh threads
    # (whose new database connections get the query counter).
    from graph.client.session import shared_session

    shared_session().close()
    counter = QueryCounter()
    counter.install(connection)
    connection_created.connect(counter.install)
    started = time.perf_counter()
    counts = poll_shop(shop.pk)
    seconds = time.perf_counter() - started
    connection_created.disconnect(counter.install)
    connection.execute_wrappers.remove(counter)

    calls = [(row["method"], row["path"]) for row in sandbox.requests()]
    ack_calls = sum(1 for method, path in calls if method == "POST" and path.endswith("/acknowledge_orders"))
    list_calls = sum(1 for method, path in calls if method == "GET" and path.endswith("/commerce_orders"))
    acknowledged = Order.objects.filter(shop=shop, state=Order.State.IN_PROGRESS).count()
    at_meta = sandbox.count_orders(cms_id, state="IN_PROGRESS")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    figures = {
        "orders": n,
        "ack_calls": ack_calls,
        "seconds": round(seconds, 2),
        "queries": counter.portal,
        "peak_rss_mb": round(peak, 1),
        "graph_calls": len(calls),
        "list_calls": list_calls,
        "sandbox_queries": counter.sandbox,
        "acknowledged": acknowledged,
        "orders_per_second": round(n / seconds, 1) if seconds else None,
        "place_seconds": round(placed_seconds, 2),
        "database": connection.vendor,
    }
    print(f"orders placed in the sandbox: {n} in {placed_seconds:.1f} s")
    print(f"one poll: {seconds:.1f} s, {n / seconds:.0f} orders/s; poll counts {dict(counts)}")
    print(f"Graph calls: {len(calls)} in all, {list_calls} order list pages, {ack_calls} acknowledgements "
          f"(ceil({n}/100) = {math.ceil(n / 100)})")
    print(f"queries: portal {counter.portal} ({counter.portal / n:.2f} per order), sandbox {counter.sandbox}")
    print(f"peak RSS: {peak:.0f} MB (portal and sandbox in one process); database: {connection.vendor}")
    server.shutdown()
    ok = acknowledged == n and at_meta == n and ack_calls == math.ceil(n / 100)
    if not ok:
        print(f"FAILED: {acknowledged} acknowledged here, {at_meta} at Meta, {ack_calls} acknowledgement calls",
              file=sys.stderr)
    print(json.dumps(figures))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
