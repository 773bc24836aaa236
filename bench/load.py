"""Benchmark: mixed seller traffic through gunicorn, as production serves it (issue 16, item 4).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/portal python bench/load.py

Builds a fresh database (bench.pages' seeding: N orders, M products for one connected shop),
collects the static files, starts gunicorn on 127.0.0.1 (`portal.wsgi`, DEBUG off, as in
production: `--workers`, `--threads`), signs in `--sessions` seller sessions (one Django session
each, the cookie sent by hand) and lets each session request the seller pages of
`bench.pages.pages()` in turn, over one keep-alive connection per session, for `--seconds` after
`--warmup` seconds. Latency is the client's, from sending the request to the last byte.

CPU per request is read from /proc: gunicorn's workers (`app_cpu_ms_per_request`), the
database server (`db_cpu_ms_per_request`: every PostgreSQL process, the ones that ended
included; other databases' work on the same server counts too) and this process
(`client_cpu_ms_per_request`). The last line is one JSON object: `req_per_s`, `p50_ms`,
`p95_ms`, `p99_ms`, `errors` (answers other than 200 and failed connections), the CPU figures,
`load_before` (the machine's 1-minute load average before the run: the targets assume an
otherwise idle machine) and the configuration.

Exits non-zero when `req_per_s` < `--min-rps` (100) or `p95_ms` > `--max-p95-ms` (300) or any
request failed.
"""

from __future__ import annotations

import argparse
import base64
import http.client
import json
import os
import random
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import finish, percentile, signed_in_client  # noqa: E402
from bench.pages import add_size_arguments, check_sizes, pages, seeded_shop  # noqa: E402
from kernel.localserver import fresh_database  # noqa: E402

MIN_RPS = 100.0
MAX_P95_MS = 300.0
TICKS = os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cpu_seconds(pid: int, *, children: bool = False) -> float:
    """utime + stime of a process (and of its waited-for children with `children`), in seconds."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError):
        return 0.0
    used = int(fields[11]) + int(fields[12])  # utime, stime
    if children:
        used += int(fields[13]) + int(fields[14])  # cutime, cstime
    return used / TICKS


def descendants(pid: int) -> list[int]:
    found, todo = [], [pid]
    while todo:
        parent = todo.pop()
        try:
            kids = Path(f"/proc/{parent}/task/{parent}/children").read_text().split()
        except FileNotFoundError:
            continue
        for kid in map(int, kids):
            found.append(kid)
            todo.append(kid)
    return found


def postgres_cpu() -> float:
    """CPU seconds of the PostgreSQL server: its live processes, plus what the postmaster
    collected from the backends that ended (cutime/cstime)."""
    total = 0.0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            comm = (entry / "comm").read_text().strip()
        except OSError:
            continue
        if comm in ("postgres", "postmaster"):
            pid = int(entry.name)
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
                parent = Path(f"/proc/{ppid}/comm").read_text().strip()
            except (OSError, ValueError):
                parent = ""
            is_postmaster = parent not in ("postgres", "postmaster")
            total += cpu_seconds(pid, children=is_postmaster)
    return total


def app_cpu(master: int) -> float:
    """CPU seconds of gunicorn: the master, its live workers, and workers that ended."""
    return cpu_seconds(master, children=True) + sum(cpu_seconds(pid) for pid in descendants(master))


class Session(threading.Thread):
    """One signed-in seller: requests the pages in turn over one keep-alive connection."""

    def __init__(self, port: int, cookie: str, urls: list[str], start_at: float, measure_from: float,
                 stop_at: float, seed: int):
        super().__init__(daemon=True)
        self.port, self.cookie, self.start_at = port, cookie, start_at
        self.measure_from, self.stop_at = measure_from, stop_at
        self.urls = urls[:]
        random.Random(seed).shuffle(self.urls)
        self.latencies: list[float] = []
        self.errors: list[str] = []
        self.requests = 0

    def connect(self) -> http.client.HTTPConnection:
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)

    def run(self) -> None:
        while time.monotonic() < self.start_at:
            time.sleep(0.005)
        conn = self.connect()
        headers = {"Cookie": f"sessionid={self.cookie}", "Host": "127.0.0.1", "Accept-Language": "en"}
        i = 0
        while True:
            now = time.monotonic()
            if now >= self.stop_at:
                break
            url = self.urls[i % len(self.urls)]
            i += 1
            started = time.perf_counter()
            try:
                conn.request("GET", url, headers=headers)
                response = conn.getresponse()
                response.read()
                status = response.status
                if response.getheader("Connection", "").lower() == "close":
                    conn.close()
                    conn = self.connect()
            except (OSError, http.client.HTTPException) as exc:
                status = f"{type(exc).__name__}: {exc}"
                conn.close()
                conn = self.connect()
            elapsed = (time.perf_counter() - started) * 1000
            if now >= self.measure_from:
                self.requests += 1
                self.latencies.append(elapsed)
                if status != 200:
                    self.errors.append(f"{url}: {status}")
        conn.close()


def wait_healthy(port: int, proc: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"gunicorn exited with {proc.returncode}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", "/healthz", headers={"Host": "127.0.0.1"})
            response = conn.getresponse()
            # 503 without a django-q2 worker (none runs here): the web side is up when the
            # database answers.
            if response.status in (200, 503) and json.loads(response.read())["checks"]["database"]["ok"]:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise SystemExit("gunicorn did not answer /healthz")


def run(args, env: dict) -> int:
    import django

    django.setup()
    from django.db import connection, connections

    shop, seeded, seed_seconds = seeded_shop(args.orders, args.products)
    urls = [url for _name, url in pages(shop, seeded, args.orders)]
    cookies = [signed_in_client().cookies["sessionid"].value for _ in range(args.sessions)]
    vendor = connection.vendor
    connections.close_all()

    subprocess.run([sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"], cwd=ROOT, env=env,
                   check=True)
    port = free_port()
    gunicorn = [sys.executable, "-m", "gunicorn", "portal.wsgi:application", "--bind", f"127.0.0.1:{port}",
                "--workers", str(args.workers), "--threads", str(args.threads), "--keep-alive", "30",
                "--log-level", "warning", "--timeout", "60"]
    proc = subprocess.Popen(gunicorn, cwd=ROOT, env=env)
    try:
        wait_healthy(port, proc)
        # Every page once (each must answer 200); the `--warmup` seconds of the run then warm
        # every worker (templates, translations, connections) before the measured part.
        check = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        for url in urls:
            check.request("GET", url, headers={"Cookie": f"sessionid={cookies[0]}", "Host": "127.0.0.1"})
            response = check.getresponse()
            response.read()
            if response.status != 200:
                raise SystemExit(f"{url} answered {response.status}")
        check.close()
        load_before = os.getloadavg()[0]
        begin = time.monotonic() + 0.2
        measure_from = begin + args.warmup
        stop_at = measure_from + args.seconds
        sessions = [Session(port, cookie, urls, begin, measure_from, stop_at, seed=i)
                    for i, cookie in enumerate(cookies)]
        for s in sessions:
            s.start()
        while time.monotonic() < measure_from:
            time.sleep(0.01)
        app0, db0, me0 = app_cpu(proc.pid), postgres_cpu(), cpu_seconds(os.getpid())
        t0 = time.monotonic()
        for s in sessions:
            s.join()
        wall = time.monotonic() - t0
        app1, db1, me1 = app_cpu(proc.pid), postgres_cpu(), cpu_seconds(os.getpid())
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()

    latencies = [ms for s in sessions for ms in s.latencies]
    errors = [e for s in sessions for e in s.errors]
    n = len(latencies)
    per = 1000.0 / max(n, 1)
    result = {
        "req_per_s": round(n / wall, 1), "requests": n,
        "p50_ms": round(statistics.median(latencies), 1) if latencies else 0.0,
        "p95_ms": round(percentile(latencies, 0.95), 1), "p99_ms": round(percentile(latencies, 0.99), 1),
        "errors": len(errors),
        "app_cpu_ms_per_request": round((app1 - app0) * per, 1),
        "db_cpu_ms_per_request": round((db1 - db0) * per, 1) if vendor == "postgresql" else None,
        "client_cpu_ms_per_request": round((me1 - me0) * per, 1),
        "sessions": args.sessions, "seconds": args.seconds, "workers": args.workers, "threads": args.threads,
        "pages": len(urls), "orders": args.orders, "products": args.products, "database": vendor,
        "seed_seconds": round(seed_seconds, 1), "load_before": round(load_before, 2), "cores": os.cpu_count(),
    }
    failed = []
    if result["req_per_s"] < args.min_rps:
        failed.append(f"req_per_s {result['req_per_s']} < {args.min_rps:g}")
    if result["p95_ms"] > args.max_p95_ms:
        failed.append(f"p95_ms {result['p95_ms']} > {args.max_p95_ms:g}")
    if errors:
        failed.append(f"{len(errors)} failed requests, e.g. {errors[:3]}")
    return finish(result, failed)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_size_arguments(parser)
    parser.add_argument("--sessions", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--warmup", type=float, default=5)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes (default 2: one a core)")
    parser.add_argument("--threads", type=int, default=4, help="threads per worker (gthread; default 4)")
    parser.add_argument("--min-rps", type=float, default=MIN_RPS)
    parser.add_argument("--max-p95-ms", type=float, default=MAX_P95_MS)
    args = parser.parse_args()
    check_sizes(parser, args)

    url, cleanup = fresh_database("load_bench")
    key = base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()
    # The bench (which seeds and signs in) and gunicorn share the keys: one set of sessions, one
    # encrypted token. gunicorn runs as production does: DEBUG off, no sandbox mounted.
    shared = {"DATABASE_URL": url, "SECRET_KEY": secrets.token_urlsafe(40), "FIELD_ENCRYPTION_KEY": key,
              "DJANGO_SETTINGS_MODULE": "portal.settings", "LOG_LEVEL": "WARNING"}
    os.environ.update(shared)
    env = {**os.environ, **shared, "DEBUG": "0", "GRAPH_SANDBOX_ENABLED": "0", "ALLOWED_HOSTS": "127.0.0.1",
           "SECURE_SSL_REDIRECT": "0", "META_APP_ID": "1234567890", "META_APP_SECRET": "bench-app-secret",
           "META_WEBHOOK_VERIFY_TOKEN": "bench-verify-token"}
    try:
        return run(args, env)
    finally:
        from django.db import connections

        connections.close_all()
        cleanup()


if __name__ == "__main__":
    sys.exit(main())
