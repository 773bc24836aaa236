"""The seller-page benchmarks run end to end on a small shop, report what they promise and fail
loudly on a missed target."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _run(script: str, *args: str) -> tuple[int, dict, str]:
    result = subprocess.run([sys.executable, str(ROOT / "bench" / script), *args],
                            capture_output=True, text=True, timeout=600, cwd=ROOT)
    lines = result.stdout.strip().splitlines()
    assert lines, result.stderr[-2000:]
    return result.returncode, json.loads(lines[-1]), result.stderr


def test_the_pages_benchmark_measures_every_page_and_fails_on_a_missed_target():
    code, figures, stderr = _run("pages.py", "--orders", "200", "--products", "100", "--requests", "2",
                                 "--max-queries", "1")
    assert code == 1 and "max_queries" in stderr  # no page answers in one query: the target is missed
    assert {"dashboard", "orders", "order_detail", "products", "product_detail", "issues", "promotions"} <= set(
        figures["pages"])
    assert all(page["queries"] > 1 and page["p95_ms"] > 0 for page in figures["pages"].values())
    assert figures["max_queries"] == max(page["queries"] for page in figures["pages"].values())


def test_the_load_benchmark_serves_signed_in_sessions_through_gunicorn():
    code, figures, stderr = _run("load.py", "--orders", "200", "--products", "100", "--sessions", "2",
                                 "--seconds", "2", "--warmup", "1", "--workers", "1", "--threads", "2",
                                 "--min-rps", "0", "--max-p95-ms", "100000")
    assert code == 0, stderr[-2000:]
    assert figures["requests"] > 0 and figures["errors"] == 0 and figures["req_per_s"] > 0
    assert figures["app_cpu_ms_per_request"] > 0 and figures["sessions"] == 2


def test_every_seller_page_costs_the_same_few_queries_at_two_sizes():
    """Issue 16's page budget, kept by the suite: no page's queries grow with the shop's data
    (200 orders / 100 products against 4,000 / 1,000), and none asks more than 12."""
    sizes = [("200", "100"), ("4000", "1000")]
    counts = []
    for orders, products in sizes:
        code, figures, stderr = _run("pages.py", "--orders", orders, "--products", products, "--requests", "1",
                                     "--max-p95-ms", "1000000")
        assert code == 0, stderr[-2000:]
        counts.append({name: page["queries"] for name, page in figures["pages"].items()})
    small, large = counts
    assert small == large
    assert max(large.values()) <= 12, large
