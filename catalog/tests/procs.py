"""Multi-process harness for the tests that need real processes: a worker killed with SIGKILL,
a real django-q2 cluster. The test process cannot share pytest's test database with children
(on SQLite it lives in memory), so the harness makes its own database: a SQLite file, or a new
PostgreSQL database next to DATABASE_URL's (and a Redis database of its own when REDIS_URL is
set), migrates it, and serves the portal with its Graph sandbox from a subprocess.

Children run `python -m catalog.tests.procs <command>`; each prints one JSON line.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from kernel.localserver import fresh_database  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]


class Stack:
    """A database, a server (portal + sandbox) and a way to run commands against both."""

    def __init__(self):
        self.env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST", "DJANGO_ALLOW"))}
        self.env.update(DJANGO_SETTINGS_MODULE="portal.settings", ALLOWED_HOSTS="127.0.0.1,localhost",
                        Q_WORKERS="1", LOG_LEVEL="WARNING", PYTHONPATH=str(ROOT))
        self.env["DATABASE_URL"], self.drop = fresh_database("catalog_procs")
        redis = os.environ.get("REDIS_URL", "")
        if redis:
            # A Redis database of our own: no other cluster takes our tasks, nor we theirs.
            # (one per pytest-xdist worker: gw0 takes 13, gw1 14, …)
            worker = int(os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw") or 0)
            self.env["REDIS_URL"] = urlunsplit(urlsplit(redis)._replace(path=f"/{13 + worker % 3}"))
        subprocess.run([sys.executable, "manage.py", "migrate", "-v0", "--noinput"], cwd=ROOT, env=self.env,
                       check=True, timeout=300)
        self.server = self.spawn("serve")
        line = self.server.stdout.readline()
        if not line:
            raise RuntimeError("the server did not start")
        self.base = f"http://127.0.0.1:{json.loads(line)['port']}"
        self.env["GRAPH_BASE_URL"] = f"{self.base}/graph-sandbox"
        self.env["PORTAL_BASE_URL"] = self.base
        self.children: list[subprocess.Popen] = [self.server]

    def spawn(self, *args: str, **extra_env) -> subprocess.Popen:
        child = subprocess.Popen([sys.executable, "-m", "catalog.tests.procs", *args], cwd=ROOT,
                                 env={**self.env, **extra_env}, stdout=subprocess.PIPE, text=True,
                                 start_new_session=True)
        if hasattr(self, "children"):
            self.children.append(child)
        return child

    def run(self, *args: str, timeout: float = 120, **extra_env) -> dict:
        done = subprocess.run([sys.executable, "-m", "catalog.tests.procs", *args], cwd=ROOT,
                              env={**self.env, **extra_env}, capture_output=True, text=True, timeout=timeout)
        if done.returncode != 0:
            raise RuntimeError(f"{args}: exit {done.returncode}\n{done.stderr[-3000:]}")
        return json.loads(done.stdout.strip().splitlines()[-1])

    def qcluster(self) -> subprocess.Popen:
        child = subprocess.Popen([sys.executable, "manage.py", "qcluster"], cwd=ROOT, env=self.env,
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        self.children.append(child)
        return child

    @staticmethod
    def stop(child: subprocess.Popen, sig=signal.SIGTERM, timeout: float = 20) -> None:
        if child.poll() is None:
            try:
                os.killpg(child.pid, sig)
            except ProcessLookupError:
                return
            try:
                child.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                os.killpg(child.pid, signal.SIGKILL)
                child.wait(timeout=timeout)

    def close(self) -> None:
        for child in reversed(self.children):
            self.stop(child)
            if child.stdout:
                child.stdout.close()
        if self.drop is not None:
            self.drop()



# --- commands (in the child) ------------------------------------------------------------------


def _out(value) -> None:
    print(json.dumps(value, default=str), flush=True)


def cmd_serve() -> None:
    from kernel.localserver import quiet_server

    server = quiet_server()
    _out({"port": server.server_address[1]})
    server.serve_forever()


def cmd_setup(count: str, prefix: str) -> None:
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from catalog.models import Product
    from meta_sandbox.facade import SandboxControl
    from shops.models import MetaConnection
    from shops.services import create_shop

    user = get_user_model().objects.create_user(f"seller-{prefix}", f"{prefix}@example.com", "pw-procs-2026")
    shop = create_shop(owner=user, name=f"Shop {prefix}", currency="USD", country="US")
    # Hand-made on purpose (crash harness): this child runs outside pytest, under the production
    # settings and a real broker, with no test client; a connect through the FBE dialog would queue
    # a first full sync there that the cluster under test would run besides the sync it measures.
    made = SandboxControl(settings.GRAPH_BASE_URL).create_business(name=shop.name,
                                                                   external_business_id=shop.external_business_id)
    conn = MetaConnection.objects.get(shop=shop)
    conn.access_token = made["access_token"]
    conn.status = MetaConnection.Status.CONNECTED
    conn.catalog_id = made["catalog_id"]
    conn.connected_at = timezone.now()
    conn.save()
    for n in range(int(count)):
        Product.objects.create(
            shop=shop, retailer_id=f"{prefix}-{n:03d}", title=f"Tea {n}", description="Green tea", brand="Lotus",
            link=f"https://t.example.com/{n}", image_link=f"https://t.example.com/{n}.jpg", currency="USD",
            price_minor=900 + n, quantity_to_sell_on_facebook=10)
    _out({"shop_id": shop.pk, "catalog_id": made["catalog_id"]})


def cmd_sync(shop_id: str, kind: str, batch_size: str = "5000", lease_seconds: str = "") -> None:
    from django.conf import settings

    from catalog import sync
    from catalog.sync import engine

    engine.BATCH_SIZE = int(batch_size)
    if lease_seconds:
        settings.CATALOG_SYNC_LEASE_SECONDS = int(lease_seconds)
    outcome = sync.sync_shop(int(shop_id), kind)
    _out({"status": outcome.status, "run_id": outcome.run_id})


def cmd_edit(shop_id: str, retailer_id: str, price_minor: str) -> None:
    """The seller changes a price (the path the product form takes: a service, then on_commit)."""
    from django.db import transaction

    from catalog import services
    from catalog.models import Product

    with transaction.atomic():
        product = Product.objects.select_for_update().get(shop_id=shop_id, retailer_id=retailer_id)
        product.price_minor = int(price_minor)
        services.bulk_save([product], ["price_minor"])
    _out({"edited": retailer_id, "at": time.time()})


def cmd_state(shop_id: str) -> None:
    from catalog.models import CatalogBatch, Product, SyncRun

    _out({
        "products": {p.retailer_id: {"synced": p.synced_at is not None, "dirty": p.needs_sync_slow or p.needs_sync_fast,
                                     "synced_slow_hash": p.synced_slow_hash, "slow_hash": p.slow_hash}
                     for p in Product.objects.filter(shop_id=shop_id)},
        "batches": [{"status": b.status, "handle": b.handle, "items": [i[1] for i in b.items]}
                    for b in CatalogBatch.objects.filter(shop_id=shop_id).order_by("pk")],
        "runs": [{"kind": r.kind, "status": r.status, "confirmed": r.confirmed}
                 for r in SyncRun.objects.filter(shop_id=shop_id).order_by("pk")],
    })


def main(argv: list[str]) -> None:
    import django

    django.setup()
    command, *args = argv
    globals()[f"cmd_{command}"](*args)


if __name__ == "__main__":
    main(sys.argv[1:])
