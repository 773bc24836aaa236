"""The Conversions API benchmark runs end to end on a small number and reports what it promises."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_benchmark_sends_n_events_in_ceil_n_over_1000_calls():
    n = 1200
    result = subprocess.run([sys.executable, str(ROOT / "bench" / "capi.py"), "--events", str(n)],
                            capture_output=True, text=True, timeout=600, cwd=ROOT)
    assert result.returncode == 0, result.stderr[-2000:]
    figures = json.loads(result.stdout.strip().splitlines()[-1])
    assert {"capi_calls", "seconds", "intake_events_per_s", "queue_p95_s", "peak_rss_mb"} <= set(figures)
    assert figures["sent"] == figures["received_at_meta"] == n
    assert figures["capi_calls"] == math.ceil(n / 1000) == 2
