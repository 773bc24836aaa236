"""Benchmark: N server events through the storefront API to Meta's Conversions API.

    python bench/capi.py --events 100000

Builds a fresh database (a temporary SQLite file, or a new PostgreSQL database next to the one
DATABASE_URL names), migrates it, makes a shop connected to a sandbox business with a pixel and
a storefront API key, and serves the portal (with its sandbox) on 127.0.0.1. Two storefront
threads post the events over HTTP, 1,000 per request, while a sender thread (the worker) sends
what is queued in batches of 1,000 to the sandbox's `POST /{pixel_id}/events`.

Prints figures; the last line is one JSON object with `events`, `capi_calls` (ceil(N/1000)),
`seconds` (first post to last event sent), `intake_events_per_s` (the storefront API's rate),
`queue_p95_s` (an event's wait from its intake to Meta's answer, 95th percentile) and
`peak_rss_mb`. Exits non-zero unless every event was sent once and Meta received N.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import connected_shop  # noqa: E402
from kernel.localserver import fresh_database  # noqa: E402

PER_REQUEST = 1000
CLIENTS = 2


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=100_000, help="events to post (default 100000)")
    args = parser.parse_args()
    url, cleanup = fresh_database("capi_bench")
    os.environ["DATABASE_URL"] = url
    # production settings, even under the test suite (whose settings run tasks inline)
    os.environ["DJANGO_SETTINGS_MODULE"] = "portal.settings"
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    try:
        return run(args.events)
    finally:
        from django.db import connections

        connections.close_all()
        cleanup()


def _events(start: int, count: int, now: int) -> list[dict]:
    return [{"event_name": "AddToCart", "event_id": f"addtocart.bench{n}", "event_time": now,
             "event_source_url": "https://bench.example.com/p/BENCH-TEA",
             "user_data": {"em": f"buyer{n}@example.com", "client_user_agent": "Mozilla/5.0 (bench)",
                           "client_ip_address": "203.0.113.7", "fbp": f"fb.1.1700000000000.{n}"},
             "custom_data": {"content_ids": ["BENCH-TEA"], "content_type": "product", "currency": "USD",
                             "value": 12.0}} for n in range(start, start + count)]


def run(n: int) -> int:
    import django

    django.setup()
    import requests
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection, connections

    call_command("migrate", verbosity=0, interactive=False)

    from ads.capi.sender import send_queued
    from ads.models import ServerEvent
    from kernel.localserver import quiet_server
    from meta_sandbox import facade as sandbox
    from shops.api_keys import create_key

    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "127.0.0.1"]
    settings.STOREFRONT_API_RATE_PER_MINUTE = 10 ** 9
    # Each post's on-commit send request waits in the broker: the bench's sender thread is the worker.
    server = quiet_server()
    threading.Thread(target=server.serve_forever, name="portal", daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    settings.GRAPH_BASE_URL = f"{base}/graph-sandbox"

    shop, conn, business = connected_shop(sandbox.create_business)
    _key, raw_key = create_key(shop, name="bench")
    sandbox.clear_requests()

    now = int(time.time())
    chunks = [(start, min(PER_REQUEST, n - start)) for start in range(0, n, PER_REQUEST)]
    intake_done = threading.Event()
    errors: list[str] = []

    def storefront(mine):
        session = requests.Session()
        for start, count in mine:
            answer = session.post(f"{base}/api/storefront/v1/events", json={"events": _events(start, count, now)},
                                  headers={"Authorization": f"Bearer {raw_key}"}, timeout=120)
            if answer.status_code != 202:
                errors.append(f"{answer.status_code} {answer.text[:200]}")
        connections.close_all()

    def worker():
        while True:
            finished = intake_done.is_set()
            counts = send_queued(shop.pk, min_batch=1 if finished else PER_REQUEST)
            if finished and not ServerEvent.objects.filter(shop=shop, state=ServerEvent.State.QUEUED).exists():
                break
            if not counts["calls"]:
                time.sleep(0.05)
        connections.close_all()

    started = time.perf_counter()
    sender = threading.Thread(target=worker, name="sender")
    sender.start()
    clients = [threading.Thread(target=storefront, args=(chunks[i::CLIENTS],)) for i in range(CLIENTS)]
    for thread in clients:
        thread.start()
    for thread in clients:
        thread.join()
    intake_seconds = time.perf_counter() - started
    intake_done.set()
    sender.join()
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux; before the checks below

    waits = sorted((e.sent_at - e.queued_at).total_seconds()
                   for e in ServerEvent.objects.filter(shop=shop).only("sent_at", "queued_at").iterator()
                   if e.sent_at)
    sent = len(waits)
    from graph.models import GraphCall

    posts = [r for r in sandbox.requests(method="POST") if r["path"].endswith("/events")]
    statuses = sorted({str(r["status"]) for r in posts})
    # the portal's own journal: a call and its retries are one call
    calls = GraphCall.objects.filter(shop=shop, method="POST", path__endswith="/events", is_retry=False).count()
    received = len(sandbox.received_events(business["pixel_id"]))
    figures = {
        "events": n,
        "capi_calls": calls,
        "seconds": round(seconds, 2),
        "intake_events_per_s": round(n / intake_seconds, 1),
        "queue_p95_s": round(waits[int(0.95 * (sent - 1))], 2) if waits else None,
        "peak_rss_mb": round(peak, 1),
        "sent": sent,
        "received_at_meta": received,
        "capi_attempts": len(posts),
        "capi_statuses": statuses,
        "intake_seconds": round(intake_seconds, 2),
        "database": connection.vendor,
    }
    server.shutdown()
    print(f"{n} events posted by {CLIENTS} storefront threads in {intake_seconds:.1f} s "
          f"({n / intake_seconds:.0f} events/s); all sent in {seconds:.1f} s with {calls} Conversions API calls")
    ok = not errors and sent == n and received == n and calls == math.ceil(n / PER_REQUEST)
    if not ok:
        print(f"FAILED: {len(errors)} refused posts {errors[:2]}, {sent} sent, {received} at Meta, {calls} calls",
              file=sys.stderr)
    print(json.dumps(figures))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
