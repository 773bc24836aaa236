"""Run the web server (with the Graph sandbox mounted) and one django-q2 cluster in the
foreground; Ctrl-C stops both."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import requests
from django.core.management.base import BaseCommand

from portal.management.commands.seed_demo import DEMO_PASSWORD, DEMO_STAFF, DEMO_STAFF_PASSWORD, DEMO_USERNAME


def wait_for_server(url: str, server: subprocess.Popen, timeout: float = 60) -> bool:
    """True once `url` answers with any HTTP status (healthz is 503 until the worker beats)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and server.poll() is None:
        try:
            requests.get(url, timeout=2)
            return True
        except requests.RequestException:
            time.sleep(0.2)
    return False


class Command(BaseCommand):
    help = "Run web server, worker and sandbox together (demo)."

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
        parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))

    def handle(self, *args, host: str, port: int, **options):
        manage = [sys.executable, "manage.py"]
        env = {**os.environ, "PORT": str(port), "PYTHONUNBUFFERED": "1"}
        env.setdefault("PORTAL_BASE_URL", f"http://127.0.0.1:{port}")
        procs = [subprocess.Popen([*manage, "runserver", f"{host}:{port}", "--noreload"], env=env)]
        # The worker's first tasks call the sandbox, which the web server serves: start the worker
        # once the server answers, so its first calls do not fail with "connection refused".
        if not wait_for_server(f"http://127.0.0.1:{port}/healthz", procs[0]):
            procs[0].terminate()
            raise SystemExit(f"the web server did not answer on port {port}")
        procs.append(subprocess.Popen([*manage, "qcluster"], env=env))
        self.stdout.write(self.style.SUCCESS(
            f"\nSeller portal: http://{host}:{port}/   log in at http://{host}:{port}/login/ as {DEMO_USERNAME} / {DEMO_PASSWORD}\n"
            f"Staff admin:   http://{host}:{port}/admin/   {DEMO_STAFF} / {DEMO_STAFF_PASSWORD}\n"
            f"Health:        http://{host}:{port}/healthz   Graph sandbox: http://{host}:{port}/graph-sandbox/\n"
            "Press Ctrl-C to stop.\n"
        ))
        stopping = False

        def stop(*_):
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        try:
            while not stopping and all(p.poll() is None for p in procs):
                time.sleep(0.5)
        finally:
            for p in procs:
                if p.poll() is None:
                    p.send_signal(signal.SIGTERM)
            deadline = time.monotonic() + 15
            for p in procs:
                try:
                    p.wait(timeout=max(0.1, deadline - time.monotonic()))
                except subprocess.TimeoutExpired:
                    p.kill()
        failed = [p.args for p in procs if p.returncode not in (0, -signal.SIGINT, None) and not stopping]
        if failed:
            raise SystemExit(f"stopped because a process exited: {failed}")
