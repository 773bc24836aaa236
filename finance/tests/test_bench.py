"""The finance benchmark runs end to end on a small number and reports what it promises."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_benchmark_archives_a_year_that_ties_out_and_measures_the_pages():
    n = 200
    result = subprocess.run([sys.executable, str(ROOT / "bench" / "finance.py"), "--orders", str(n)],
                            capture_output=True, text=True, timeout=600, cwd=ROOT)
    assert result.returncode == 0, result.stderr[-2000:]
    figures = json.loads(result.stdout.strip().splitlines()[-1])
    assert {"orders", "seconds", "graph_calls", "queries", "peak_rss_mb", "payouts", "transactions", "page_queries",
            "page_ms_p95", "payout_page_queries", "payout_page_ms_p95"} <= set(figures)
    assert figures["orders"] == n
    assert figures["transactions"] == n + n // 20  # a sale each, a refund of every 20th
    assert figures["payouts"] >= 50  # weekly, over a year
    assert figures["differences"] == {"failed": 0, "payouts": 0, "orders": 0, "missing": 0}
