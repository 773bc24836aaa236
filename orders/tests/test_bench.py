"""The ingest benchmark runs end to end on a small number and reports what it promises."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_benchmark_acknowledges_in_ceil_n_over_100_calls():
    n = 120
    result = subprocess.run([sys.executable, str(ROOT / "bench" / "orders_ingest.py"), "--orders", str(n)],
                            capture_output=True, text=True, timeout=600, cwd=ROOT)
    assert result.returncode == 0, result.stderr[-2000:]
    figures = json.loads(result.stdout.strip().splitlines()[-1])
    assert {"orders", "ack_calls", "seconds", "queries", "peak_rss_mb"} <= set(figures)
    assert figures["orders"] == figures["acknowledged"] == n
    assert figures["ack_calls"] == math.ceil(n / 100) == 2
