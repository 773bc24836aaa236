"""The demo starts its worker only once the web server (which serves the sandbox) answers."""

from __future__ import annotations

import socket
import subprocess
import sys
import time

from portal.management.commands.run_demo import wait_for_server


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_waits_until_a_late_server_answers():
    port = _free_port()
    late = subprocess.Popen([sys.executable, "-c", (
        "import time, http.server; time.sleep(1.5); "
        f"http.server.HTTPServer(('127.0.0.1', {port}), http.server.BaseHTTPRequestHandler).serve_forever()")])
    try:
        started = time.monotonic()
        assert wait_for_server(f"http://127.0.0.1:{port}/healthz", late, timeout=30)
        assert time.monotonic() - started >= 1.0
    finally:
        late.kill()
        late.wait()


def test_gives_up_at_once_when_the_server_exits():
    port = _free_port()
    dead = subprocess.Popen([sys.executable, "-c", "raise SystemExit(3)"])
    started = time.monotonic()
    assert not wait_for_server(f"http://127.0.0.1:{port}/healthz", dead, timeout=30)
    assert time.monotonic() - started < 10
