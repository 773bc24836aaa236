"""Benchmark: every seller page of one shop at N orders and M products (issue 16, item 3).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/portal python bench/pages.py --orders 1000000 --products 100000

Builds a fresh database (a new PostgreSQL database next to the one DATABASE_URL names, or a
temporary SQLite file), migrates it, makes a seller `bench` and a shop connected to a sandbox
business (bench.common), then seeds the shop in bulk SQL (`INSERT ... SELECT` over
`generate_series` on PostgreSQL, a recursive counter on SQLite; nothing goes through the ORM
row by row): M products (1 % with an open issue from Meta, 2 % archived, 6 % waiting to sync),
N orders over two years (most completed, 2 % in progress with units to ship, 0.5 % to
acknowledge, a few with returns or failed changes; Facebook, Instagram and website), two lines
each, and a promotion recorded on every fifth order; then VACUUM ANALYZE (ANALYZE on SQLite).

The seller signs in through Django's test client (in process, DEBUG off, as production runs)
and requests each seller page `--requests` times (default 20) after one warm-up request. Per
page: the queries of one request (the last; CaptureQueriesContext) and the p95 of the server
time (the test client's request, rendering included). The last line is one JSON object:
`pages` ({name: {queries, p95_ms, p50_ms}}), `max_queries`, `max_p95_ms`, `orders`,
`products`, `database`, `seed_seconds`.

Exits non-zero when a page answers other than 200, or max_queries > `--max-queries` (12) or
max_p95_ms > `--max-p95-ms` (150).
"""

from __future__ import annotations

import argparse
import datetime
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import connected_shop, finish, percentile, signed_in_client  # noqa: E402
from kernel.localserver import fresh_database  # noqa: E402

MAX_QUERIES = 12
MAX_P95_MS = 150.0
#: buyer names: a common surname is in 1 of 40 orders; the rare buyer has 3 orders in all
FIRST = ["Ada", "Ben", "Chloe", "Dan", "Eva", "Finn", "Grace", "Hugo", "Iris", "Jack", "Kira", "Liam", "Maya",
         "Noah", "Olga", "Paul", "Quinn", "Rosa", "Sam", "Tara", "Uma", "Viktor", "Wen", "Yara", "Zoe"]
LAST = ["Smith", "Jones", "Garcia", "Chen", "Wang", "Kumar", "Silva", "Novak", "Okafor", "Kim", "Lopez", "Rossi",
        "Muller", "Dubois", "Tanaka", "Ivanova", "Hansen", "Nguyen", "Cohen", "Ali", "Brown", "Wilson", "Taylor",
        "Clark", "Lewis", "Walker", "Hall", "Young", "King", "Wright", "Scott", "Green", "Baker", "Adams", "Nelson",
        "Hill", "Campbell", "Mitchell", "Roberts", "Carter"]
RARE_BUYER = "Quillon Farthingale"
NOUNS = ["tea", "cup", "teapot", "kettle", "mug", "saucer", "infuser", "tray", "caddy", "whisk"]
ADJECTIVES = ["Jasmine", "Green", "Oolong", "Black", "White", "Ceramic", "Glass", "Iron", "Bamboo", "Silver"]


def _pick(values: list[str], index_sql: str) -> str:
    """SQL choosing values[index % len] (CASE: portable between PostgreSQL and SQLite)."""
    whens = " ".join(f"WHEN {i} THEN '{v}'" for i, v in enumerate(values))
    return f"(CASE ({index_sql}) % {len(values)} {whens} END)"


class Seeder:
    """INSERT ... SELECT over a counter `g(i)` (1..n): every column of the model, the given ones as
    SQL expressions over `i` (and `%s` params), the others their field defaults."""

    def __init__(self, connection):
        self.connection = connection
        self.pg = connection.vendor == "postgresql"

    def counter(self, n: int) -> str:
        if self.pg:
            return f"generate_series(1, {int(n)}) AS g(i)"
        return f"(WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < {int(n)}) SELECT i FROM c) AS g"

    def ts(self, minutes_sql: str) -> str:
        """The bench's `now` (param) minus `minutes_sql` minutes, as a timestamp value."""
        if self.pg:
            return f"(%s::timestamptz - ({minutes_sql}) * interval '1 minute')"
        return f"strftime('%Y-%m-%d %H:%M:%f', %s, '-' || ({minutes_sql}) || ' minutes')"

    def insert(self, model, n: int | None, columns: dict[str, tuple[str, list]], source: str | None = None) -> None:
        from django.utils import timezone

        fields = [f for f in model._meta.concrete_fields if not f.primary_key]
        names, exprs, params = [], [], []
        for field in fields:
            names.append(self.connection.ops.quote_name(field.column))
            if field.column in columns:
                sql, ps = columns[field.column]
                exprs.append(sql)
                params.extend(ps)
                continue
            if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
                value = timezone.now()
            else:
                value = field.get_default()
            exprs.append("%s")
            params.append(field.get_db_prep_save(value, self.connection))
        table = self.connection.ops.quote_name(model._meta.db_table)
        sql = f"INSERT INTO {table} ({', '.join(names)}) SELECT {', '.join(exprs)} FROM {source or self.counter(n)}"
        # `%` is modulo in the expressions: escaped for the driver's parameter style, `%s` kept
        sql = sql.replace("%s", "\0").replace("%", "%%").replace("\0", "%s")
        with self.connection.cursor() as cursor:
            cursor.execute(sql, params)


def seed(shop, n_orders: int, n_products: int, now) -> dict:
    """The shop's products, orders, lines, promotions and product issues, in bulk SQL."""
    from django.db import connection, transaction

    from catalog.models import Product, ProductIssue
    from orders.models import Order, OrderItem
    from promotions.models import OrderPromotion

    s = Seeder(connection)
    sid = shop.pk
    if not s.pg:  # SQLite keeps datetimes as UTC text
        now = now.astimezone(datetime.UTC).strftime("%Y-%m-%d %H:%M:%S")
    with transaction.atomic():
        if s.pg:
            # The rows are consistent by construction: no deferred foreign-key check per row at
            # COMMIT (millions of them; the bench's user is the database's superuser).
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL session_replication_role = replica")
        s.insert(Product, n_products, {
            "shop_id": ("%s", [sid]),
            "retailer_id": ("'SKU-' || i", []),
            "title": (f"{_pick(ADJECTIVES, 'i / 7')} || ' ' || {_pick(NOUNS, 'i')} || ' ' || i", []),
            "description": ("'A product of the bench shop'", []),
            "brand": ("'Brand ' || (i % 50)", []),
            "link": ("'https://bench.example.com/p/' || i", []),
            "image_link": ("'https://bench.example.com/p/' || i || '.jpg'", []),
            "currency": ("'USD'", []),
            "price_minor": ("500 + (i % 97) * 100", []),
            "quantity_to_sell_on_facebook": ("i % 40", []),
            "availability": ("CASE WHEN i % 40 = 0 THEN 'out of stock' ELSE 'in stock' END", []),
            "status": ("CASE WHEN i % 50 = 0 THEN 'archived' ELSE 'active' END", []),
            "slow_hash": ("'s' || i", []), "fast_hash": ("'f' || i", []),
            "synced_slow_hash": ("CASE WHEN i % 33 = 0 THEN '' ELSE 's' || i END", []),
            "synced_fast_hash": ("'f' || i", []),
            "needs_sync_slow": ("i % 33 = 0", []),
            "needs_sync_fast": ("i % 33 = 16", []),  # the field's default is True: set, or all would wait
            "synced_at": (f"CASE WHEN i % 100 = 1 THEN NULL ELSE {s.ts('i % 1000')} END", [now]),
            "meta_item_id": ("'9' || i", []),
        })
        first_product = Product.objects.filter(shop=shop).order_by("pk").values_list("pk", flat=True).first()
        s.insert(ProductIssue, None, {
            "shop_id": ("%s", [sid]),
            "product_id": ("p.id", []),
            "source": ("'item_check'", []),
            "code": ("CASE WHEN p.id % 3 = 0 THEN 'IMAGE_RESOLUTION_LOW' ELSE 'UNIQUE_PRODUCT_IDENTIFIER_MISSING' END", []),
            "field": ("CASE WHEN p.id % 3 = 0 THEN 'image_link' ELSE 'gtin' END", []),
            "severity": ("CASE WHEN p.id % 3 = 0 THEN 'must_fix' ELSE 'warning' END", []),
            "message": ("'Reported by Meta'", []),
            "first_seen": ("%s", [now]), "last_seen": ("%s", [now]),
        }, source=f"catalog_product p WHERE p.shop_id = {int(sid)} AND p.id % 100 = 7")

        name = f"{_pick(FIRST, 'i / 3')} || ' ' || {_pick(LAST, 'i')}"
        minutes = f"({n_orders} - i) * {max(1, (2 * 365 * 24 * 60) // max(n_orders, 1))}"
        s.insert(Order, n_orders, {
            "shop_id": ("%s", [sid]),
            "source": ("CASE WHEN i % 10 = 3 THEN 'website' ELSE 'meta' END", []),
            "channel": ("CASE WHEN i % 10 = 3 THEN 'website' WHEN i % 2 = 0 THEN 'instagram' ELSE 'facebook' END", []),
            "meta_order_id": ("CASE WHEN i % 10 = 3 THEN '' ELSE '3' || (100000000 + i) END", []),
            "website_order_id": ("CASE WHEN i % 10 = 3 THEN 'W-' || i ELSE '' END", []),
            "reference": ("'SP-B' || (1000000000 + i)", []),
            # the newest orders carry the work: to acknowledge, to ship, returns, failed changes
            "state": (f"CASE WHEN i > {n_orders} - {max(1, n_orders // 200)} AND i % 10 <> 3 THEN 'CREATED' "
                      f"WHEN i > {n_orders} - {max(1, n_orders // 40)} THEN 'IN_PROGRESS' ELSE 'COMPLETED' END", []),
            "ack_state": (f"CASE WHEN i > {n_orders} - {max(1, n_orders // 200)} AND i % 10 <> 3 THEN "
                          f"(CASE WHEN i % 17 = 0 THEN 'failed' ELSE 'pending' END) "
                          f"WHEN i % 10 = 3 THEN '' ELSE 'synced' END", []),
            "placed_at": (s.ts(minutes), [now]),
            "acknowledged_at": (s.ts(minutes), [now]),
            "buyer_name": (f"CASE WHEN i % {max(3, n_orders // 3)} = 5 THEN '{RARE_BUYER}' ELSE {name} END", []),
            "buyer_email": ("'buyer' || i || '@relay.example.com'", []),
            "currency": ("'USD'", []),
            "items_subtotal_minor": ("3200", []), "shipping_minor": ("400", []), "tax_minor": ("264", []),
            "total_minor": ("3764", []),
            "units_to_ship": (f"CASE WHEN i > {n_orders} - {max(1, n_orders // 40)} "
                              f"AND i <= {n_orders} - {max(1, n_orders // 200)} THEN 3 ELSE 0 END", []),
            "open_returns": ("CASE WHEN i % 997 = 0 THEN 1 ELSE 0 END", []),
            "failed_pushes": ("CASE WHEN i % 1999 = 0 THEN 1 ELSE 0 END", []),
            "stock_taken": ("true" if s.pg else "1", []),
        })
        bounds = Order.objects.filter(shop=shop).order_by("pk").values_list("pk", flat=True)
        first_order = bounds.first()
        for position, (rid_sql, title, qty, price) in enumerate([
            ("'SKU-' || (1 + o.id % %s)", "'Jasmine tea'", 2, 1200), ("'SKU-' || (1 + (o.id * 7) % %s)", "'Tea cup'", 1, 800),
        ]):
            s.insert(OrderItem, None, {
                "order_id": ("o.id", []),
                "position": (str(position), []),
                "retailer_id": (rid_sql, [max(n_products, 1)]),
                "product_id": (("%s + (o.id % %s)" if position == 0 else "%s + ((o.id * 7) % %s)"),
                               [first_product, max(n_products, 1)]),
                "title": (title, []),
                "quantity": (str(qty), []),
                "price_per_unit_minor": (str(price), []),
                "meta_item_id": ("'7' || o.id || '" + str(position) + "'", []),
            }, source=f"orders_order o WHERE o.shop_id = {int(sid)}")
        s.insert(OrderPromotion, None, {
            "order_id": ("o.id", []),
            "promotion_id": ("'PROMO-' || (o.id % 12)", []),
            "campaign_name": ("'Campaign ' || (o.id % 12)", []),
            "coupon_code": ("CASE WHEN o.id % 2 = 0 THEN 'SAVE' || (o.id % 12) ELSE '' END", []),
            "granularity": ("'item_level'", []),
            "retailer_id": ("'SKU-' || (1 + o.id % %s)", [max(n_products, 1)]),
            "currency": ("'USD'", []),
            "applied_minor": ("100", []),
        }, source=f"orders_order o WHERE o.shop_id = {int(sid)} AND o.id % 5 = 0")
    with connection.cursor() as cursor:
        # As autovacuum leaves a settled database: statistics, and the visibility map that lets
        # the covering indexes answer counts without reading the table.
        cursor.execute("VACUUM ANALYZE" if s.pg else "ANALYZE")
    return {"first_order": first_order, "first_product": first_product}


def seeded_shop(n_orders: int, n_products: int) -> tuple:
    """(shop, seeded, seed_seconds) on the migrated database: the bench seller's connected shop
    (bench.common) seeded with `n_orders` orders and `n_products` products."""
    from django.core.management import call_command
    from django.utils import timezone

    from meta_sandbox import facade as sandbox

    call_command("migrate", verbosity=0, interactive=False)
    shop, _conn, _business = connected_shop(sandbox.create_business)
    started = time.perf_counter()
    seeded = seed(shop, n_orders, n_products, timezone.now())
    seeded["products"] = n_products
    return shop, seeded, time.perf_counter() - started


def add_size_arguments(parser) -> None:
    parser.add_argument("--orders", type=int, default=1_000_000)
    parser.add_argument("--products", type=int, default=100_000)


def check_sizes(parser, args) -> None:
    if args.orders < 100 or args.products < 100:
        parser.error("at least 100 orders and 100 products")


def pages(shop, seeded: dict, n_orders: int) -> list[tuple[str, str]]:
    """(name, URL) of every seller page measured."""
    from django.urls import reverse

    from orders.models import Order

    sid = shop.pk
    orders = reverse("orders:index", args=[sid])
    products = reverse("catalog:products", args=[sid])
    newest = Order.objects.filter(shop=shop).order_by("-pk").values_list("pk", flat=True).first()
    one = Order.objects.filter(shop=shop).order_by("-pk").values("pk", "reference", "meta_order_id", "placed_at")[
        min(n_orders - 1, 1234)]
    meta_one = (Order.objects.filter(shop=shop).exclude(meta_order_id="").order_by("-pk")
                .values_list("meta_order_id", flat=True)[min(n_orders // 2, 4321)])
    deep = newest - min(n_orders - 60, 500 * 50)  # the 500th page of 50
    day = one["placed_at"].date()
    return [
        ("dashboard", reverse("dashboard", args=[sid])),
        ("orders", orders),
        ("orders_to_ship", f"{orders}?view=to_ship"),
        ("orders_state_channel", f"{orders}?state=COMPLETED&channel=instagram"),
        ("orders_placed_dates", f"{orders}?placed_from={day}&placed_to={day}"),
        ("orders_search_common_name", f"{orders}?q=Smith"),
        ("orders_search_rare_name", f"{orders}?q=Farthingale"),
        ("orders_search_reference", f"{orders}?q={one['reference']}"),
        ("orders_search_meta_id", f"{orders}?q={meta_one}"),
        ("orders_deep_page", f"{orders}?after={deep}"),
        ("order_detail", reverse("orders:detail", args=[sid, one["pk"]])),
        ("catalog", reverse("catalog:index", args=[sid])),
        ("products", products),
        ("products_filters", f"{products}?availability=in+stock&status=active&sync=synced"),
        ("products_issue_filter", f"{products}?issue=IMAGE_RESOLUTION_LOW"),
        ("products_search", f"{products}?q=teapot"),
        ("products_search_rare", f"{products}?q=SKU-{max(1, seeded['products'] // 3)}"),
        ("product_detail", reverse("catalog:product_edit", args=[sid, seeded["first_product"] + 42])),
        ("issues", reverse("shops:issues", args=[sid])),
        ("promotions", reverse("promotions:index", args=[sid])),
        ("payments", reverse("finance:index", args=[sid])),
        ("meta_tools", reverse("meta_tools", args=[sid])),
        ("settings", reverse("shops:settings", args=[sid])),
    ]


def measure(client, url: str, requests: int) -> dict:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    response = client.get(url)  # warm-up: caches, prepared plans, the template loader
    if response.status_code != 200:
        raise SystemExit(f"{url} answered {response.status_code}")
    times = []
    for _ in range(requests):
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            response = client.get(url)
            times.append((time.perf_counter() - started) * 1000)
        if response.status_code != 200:
            raise SystemExit(f"{url} answered {response.status_code}")
    return {"queries": len(captured.captured_queries), "p95_ms": round(percentile(times, 0.95), 1),
            "p50_ms": round(statistics.median(times), 1)}


def run(args) -> int:
    import django

    django.setup()
    from django.conf import settings
    from django.db import connection

    shop, seeded, seed_seconds = seeded_shop(args.orders, args.products)
    settings.DEBUG = False
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    client = signed_in_client()
    figures = {}
    for name, url in pages(shop, seeded, args.orders):
        figures[name] = measure(client, url, args.requests)
        print(f"{name:28s} {figures[name]['queries']:3d} queries  p50 {figures[name]['p50_ms']:7.1f} ms  "
              f"p95 {figures[name]['p95_ms']:7.1f} ms", file=sys.stderr, flush=True)
    result = {
        "orders": args.orders, "products": args.products, "requests": args.requests,
        "database": connection.vendor, "seed_seconds": round(seed_seconds, 1),
        "pages": figures,
        "max_queries": max(f["queries"] for f in figures.values()),
        "max_p95_ms": max(f["p95_ms"] for f in figures.values()),
    }
    failed = []
    if result["max_queries"] > args.max_queries:
        failed.append(f"max_queries {result['max_queries']} > {args.max_queries}: "
                      + ", ".join(n for n, f in figures.items() if f["queries"] > args.max_queries))
    if result["max_p95_ms"] > args.max_p95_ms:
        failed.append(f"max_p95_ms {result['max_p95_ms']} > {args.max_p95_ms:g}: "
                      + ", ".join(n for n, f in figures.items() if f["p95_ms"] > args.max_p95_ms))
    return finish(result, failed)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_size_arguments(parser)
    parser.add_argument("--requests", type=int, default=20, help="requests per page (default 20)")
    parser.add_argument("--max-queries", type=int, default=MAX_QUERIES)
    parser.add_argument("--max-p95-ms", type=float, default=MAX_P95_MS)
    args = parser.parse_args()
    check_sizes(parser, args)

    url, cleanup = fresh_database("pages_bench")
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    try:
        return run(args)
    finally:
        from django.db import connections

        connections.close_all()
        cleanup()


if __name__ == "__main__":
    sys.exit(main())
