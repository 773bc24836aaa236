"""Benchmark: one finance sync of a year of a shop's Meta orders, then its Payments pages.

    python bench/finance.py --orders 100000

Builds a fresh database (a temporary SQLite file, or a new PostgreSQL database next to the one
DATABASE_URL names), migrates it, and writes a year of the shop's history at the Graph sandbox
in bulk (`facade.seed_finance_bulk`: N orders spread over 365 days, each shipped once (a SALE),
every 20th half refunded (a REFUND), Meta's weekly payouts of them by the sandbox's rules), with
the shop's orders (and their refunds) as portal rows made by hand. Then runs one real finance
sync of the shop ("archive everything", `finance.sync.sync_shop(shop_id, archive=True)`)
against the sandbox over HTTP: a local threaded WSGI server on 127.0.0.1 serves the sandbox, the
portal's Graph client calls it like it would call Meta. Then measures the Payments page
(`GET /shop/<id>/payments/`, default period: the last twelve months) and the largest payout's
page, 20 requests each, with the Django test client logged in as the owner.

Prints figures; the last line is one JSON object with at least the keys `orders`, `seconds` (the
sync), `graph_calls`, `queries` (the portal's, during the sync), `peak_rss_mb`, `payouts`,
`transactions`, `page_queries`, `page_ms_p95`, `payout_page_queries` and `payout_page_ms_p95`.
Exits non-zero if the archive's payouts or transactions differ from the sandbox's, a
transaction is not linked to its order or payout, or a payout does not tie out.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import connected_shop  # noqa: E402
from kernel.localserver import QueryCounter, background_server, fresh_database  # noqa: E402

PAGE_REQUESTS = 20
REFUND_EVERY = 20
DAYS = 365


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orders", type=int, default=100_000, help="orders of the year (default 100000)")
    args = parser.parse_args()

    url, cleanup = fresh_database("finance_bench")
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    try:
        return run(args.orders)
    finally:
        from django.db import connections

        connections.close_all()
        cleanup()


def _timed_pages(client, url: str, n: int) -> tuple[list[float], list[int], str]:
    """n GETs of url: milliseconds and queries of each (an execute wrapper counts them: the
    debug query log stops counting past 9,000 queries), and the last page's text."""
    from django.db import connection

    times, queries, body = [], [], ""
    for _ in range(n):
        counter = QueryCounter()
        with connection.execute_wrapper(counter):
            started = time.perf_counter()
            response = client.get(url)
            times.append((time.perf_counter() - started) * 1000)
        if response.status_code != 200:
            raise RuntimeError(f"GET {url}: {response.status_code}")
        queries.append(counter.portal)
        body = response.content.decode()
    return times, queries, body


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return round(ordered[int(0.95 * (len(ordered) - 1))], 1)


def run(n: int) -> int:
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection, transaction
    from django.db.backends.signals import connection_created

    call_command("migrate", verbosity=0, interactive=False)

    from datetime import UTC, datetime

    from django.db.models import Sum
    from django.test import Client
    from django.urls import reverse

    from finance.models import Payout, Transaction
    from finance.reconcile import payout_differences
    from finance.sync import sync_shop
    from meta_sandbox import facade as sandbox
    from orders.models import Order, Refund

    server = background_server()
    settings.GRAPH_BASE_URL = f"http://127.0.0.1:{server.server_address[1]}/graph-sandbox"
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "127.0.0.1", "testserver"]

    shop, conn, business = connected_shop(sandbox.create_business)
    owner = shop.memberships.get().user
    cms_id = business["commerce_merchant_settings_id"]

    # A year at Meta, in bulk (the sandbox's ledger rules, not its order flow).
    started = time.perf_counter()
    seeded = sandbox.seed_finance_bulk(cms_id, orders=n, days=DAYS, refund_every=REFUND_EVERY, currency="USD")
    # The shop's own orders and refunds, hand-made rows (the benchmark measures finance, not ingest).
    for first in range(0, n, 2000):
        chunk = seeded["orders"][first:first + 2000]
        with transaction.atomic():
            made = Order.objects.bulk_create([
                Order(shop=shop, source=Order.Source.META, channel=Order.Channel.INSTAGRAM, meta_order_id=o["id"],
                      state=Order.State.COMPLETED, placed_at=datetime.fromtimestamp(o["placed_ts"], tz=UTC),
                      currency="USD", items_subtotal_minor=o["paid_minor"], total_minor=o["paid_minor"],
                      buyer_paid_minor=o["paid_minor"], buyer_name=f"Buyer {o['merchant_order_id']}")
                for o in chunk])
            Refund.objects.bulk_create([
                Refund(order=order, meta_refund_id=f"R{o['id']}", reason_code=Refund.Reason.BUYERS_REMORSE,
                       subtotal_minor=o["refunded_minor"], total_minor=o["refunded_minor"])
                for order, o in zip(made, chunk, strict=True) if o["refunded_minor"]])
    seed_seconds = time.perf_counter() - started
    expected_transactions, expected_payouts = seeded["transactions"], seeded["payouts"]
    del seeded, chunk, made
    sandbox.clear_requests()

    # End kept-alive connections, so the sandbox serves the measured sync from fresh threads
    # (whose new database connections get the query counter).
    from graph.client.session import shared_session

    shared_session().close()
    counter = QueryCounter()
    counter.install(connection)
    connection_created.connect(counter.install)
    started = time.perf_counter()
    counts = sync_shop(shop.pk, archive=True)
    seconds = time.perf_counter() - started
    connection_created.disconnect(counter.install)
    connection.execute_wrappers.remove(counter)
    calls = sandbox.requests()
    server.shutdown()

    # The Payments page and the largest payout's page, as the owner sees them.
    client = Client()
    client.force_login(owner)
    index_times, index_queries, index_body = _timed_pages(client, reverse("finance:index", args=[shop.pk]),
                                                          PAGE_REQUESTS)
    biggest = (Payout.objects.filter(shop=shop).annotate(total=Sum("transactions__net_minor"))
               .order_by("-amount_minor").first())
    payout_times, payout_queries, payout_body = (
        _timed_pages(client, reverse("finance:payout", args=[shop.pk, biggest.pk]), PAGE_REQUESTS)
        if biggest else ([0.0], [0], ""))
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux; before the checks below

    # The checks: the archive against the sandbox's own ledger.
    meta = sandbox.finance(cms_id)
    meta_payouts = {p["payout_reference_id"]: p["amount_minor"] for p in meta["payouts"]}
    ours = dict(Payout.objects.filter(shop=shop).values_list("reference_id", "amount_minor"))
    transactions = Transaction.objects.filter(shop=shop).count()
    unlinked_orders = Transaction.objects.filter(shop=shop, order__isnull=True).count()
    unlinked_payouts = Transaction.objects.filter(shop=shop, payout__isnull=True).exclude(payout_reference_id="").count()
    not_tied = payout_differences(shop)
    meta_net = sum(t["net_minor"] for t in meta["transactions"])
    our_net = Transaction.objects.filter(shop=shop).aggregate(net=Sum("net_minor"))["net"] or 0
    figures = {
        "orders": n,
        "seconds": round(seconds, 2),
        "graph_calls": len(calls),
        "queries": counter.portal,
        "peak_rss_mb": round(peak, 1),
        "payouts": len(ours),
        "transactions": transactions,
        "page_queries": max(index_queries),
        "page_ms_p95": p95(index_times),
        "page_ms_median": round(sorted(index_times)[len(index_times) // 2], 1),
        "payout_page_queries": max(payout_queries),
        "payout_page_ms_p95": p95(payout_times),
        "payout_page_transactions": biggest.transactions.count() if biggest else 0,
        "sandbox_queries": counter.sandbox,
        "pages": counts.get("pages"),
        "transactions_per_second": round(transactions / seconds, 1) if seconds else None,
        "differences": {k.removeprefix("differences_"): v for k, v in counts.items() if k.startswith("differences_")},
        "seed_seconds": round(seed_seconds, 2),
        "database": connection.vendor,
    }
    print(f"seeded at the sandbox and in the portal: {n} orders, {expected_transactions} transactions, "
          f"{expected_payouts} payouts in {seed_seconds:.1f} s")
    print(f"one archive sync: {seconds:.1f} s, {len(calls)} Graph calls, {counts.get('pages')} pages; "
          f"{transactions / seconds:.0f} transactions/s; reconciliation found {figures['differences']}")
    print(f"queries: portal {counter.portal} ({counter.portal / max(transactions, 1):.3f} per transaction), "
          f"sandbox {counter.sandbox}")
    print(f"Payments page: p95 {figures['page_ms_p95']} ms, {figures['page_queries']} queries; "
          f"payout page ({figures['payout_page_transactions']} transactions): p95 {figures['payout_page_ms_p95']} ms, "
          f"{figures['payout_page_queries']} queries")
    print(f"peak RSS: {peak:.0f} MB (portal and sandbox in one process); database: {connection.vendor}")
    problems = []
    if ours != meta_payouts or len(ours) != expected_payouts:
        problems.append(f"{len(ours)} payouts here, {len(meta_payouts)} at Meta ({expected_payouts} seeded), "
                        f"{sum(1 for k, v in meta_payouts.items() if ours.get(k) != v)} differ")
    if transactions != len(meta["transactions"]) or transactions != expected_transactions or our_net != meta_net:
        problems.append(f"{transactions} transactions here (net {our_net}), {len(meta['transactions'])} at Meta "
                        f"(net {meta_net}, {expected_transactions} seeded)")
    if unlinked_orders or unlinked_payouts:
        problems.append(f"{unlinked_orders} transactions without their order, {unlinked_payouts} without their payout")
    if not_tied:
        problems.append(f"{len(not_tied)} payouts do not tie out, e.g. {not_tied[0].label}")
    if 'id="tied-out-USD"' not in index_body or (biggest and 'id="payout-tied-out"' not in payout_body):
        problems.append("the pages do not show the payouts tied out")
    for problem in problems:
        print(f"FAILED: {problem}", file=sys.stderr)
    print(json.dumps(figures))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
