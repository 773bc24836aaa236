"""What the benchmarks share: a seller's shop connected to a new sandbox business."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path

#: The seller every benchmark makes (`connected_shop`) and signs in as.
SELLER, PASSWORD = "bench", "bench-pass-2026"


def signed_in_client():
    """A Django test client signed in as the bench seller (a session row, as a browser gets)."""
    from django.test import Client

    client = Client()
    if not client.login(username=SELLER, password=PASSWORD):
        raise SystemExit("the bench seller could not sign in")
    return client


def percentile(values: list[float], q: float) -> float:
    """The nearest-rank `q` quantile (0.95: p95) of `values`; 0 for none."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered)) - 1))]


def finish(result: dict, missed: list[str]) -> int:
    """Print the result as the last line (one JSON object) and each missed target on stderr;
    the exit code: 1 when a target was missed."""
    print(json.dumps(result))
    for reason in missed:
        print(reason, file=sys.stderr)
    return 1 if missed else 0


def connected_shop(create_business, *, name: str = "Bench shop", in_process: bool = True):
    """(shop, connection, business): a seller `bench`, a USD shop and its connection to a new
    sandbox business. Hand-made on purpose: the benchmarks measure syncs, ingest and intake,
    not onboarding (the tests connect through the FBE dialog). `create_business` is the
    sandbox's: the facade's function (`in_process`, run in a transaction of ours), or
    SandboxControl's method when the sandbox is another process (no transaction held here,
    or its writes would wait on ours)."""
    from django.contrib.auth import get_user_model
    from django.db import transaction
    from django.utils import timezone

    from shops.models import MetaConnection
    from shops.services import create_shop

    owner = get_user_model().objects.create_user(SELLER, "bench@example.com", PASSWORD)
    shop = create_shop(owner=owner, name=name, currency="USD", country="US")
    if in_process:
        with transaction.atomic():
            business = create_business(name="Bench business", external_business_id=shop.external_business_id)
    else:
        business = create_business(name="Bench business", external_business_id=shop.external_business_id)
    conn = MetaConnection.objects.get(shop=shop)
    conn.access_token = business["access_token"]
    conn.status = MetaConnection.Status.CONNECTED
    conn.business_manager_id = business.get("business_id", "")
    for field in ("commerce_merchant_settings_id", "catalog_id", "pixel_id"):
        setattr(conn, field, business.get(field) or "")
    conn.connected_at = timezone.now()
    conn.save()
    return shop, conn, business


@contextmanager
def sandbox_process(script: str):
    """The sandbox served by `script --serve` (which prints its port first) in a process of its
    own, as Meta is another machine for the portal: yields (base URL, process); killed on exit."""
    process = subprocess.Popen([sys.executable, script, "--serve"], stdout=subprocess.PIPE, env={**os.environ},
                               cwd=str(Path(__file__).resolve().parent.parent))
    try:
        port = int(process.stdout.readline().strip())
        yield f"http://127.0.0.1:{port}/graph-sandbox", process
    finally:
        process.kill()
        process.wait()
