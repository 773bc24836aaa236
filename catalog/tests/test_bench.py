"""The catalog sync benchmark runs end to end on a small number and fails loudly on a missed target."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_benchmark_reports_its_figures_and_exits_non_zero_when_a_target_is_missed():
    # A floor ratio nobody meets (one batch: the run's own queries are not a per-batch figure, so
    # that target is off): the run is correct (every product confirmed, one fast call)
    # and still exits 1, naming the target it missed.
    command = [sys.executable, str(ROOT / "bench" / "catalog_sync.py"), "--products", "300", "--max-ratio", "0.01",
               "--max-queries-per-batch", "0"]
    result = subprocess.run(command, capture_output=True, text=True, timeout=600, cwd=ROOT)
    assert result.returncode == 1, result.stderr[-2000:]
    figures = json.loads(result.stdout.strip().splitlines()[-1])
    assert {"seconds", "floor_seconds", "ratio_to_floor", "queries_per_batch", "peak_rss_mb",
            "daily_ratio_to_floor", "daily_queries_per_batch"} <= set(figures)
    assert figures["items_batch_calls"] == figures["status_calls"] == 1
    assert figures["fast_calls"] == 1 and figures["fast_items_sent"] == figures["fast_changed"] == 3
    assert figures["outcome"] == figures["daily_outcome"] == "succeeded"
    assert [m.split()[0] for m in figures["targets_missed"]] == ["ratio_to_floor", "daily_ratio_to_floor"]
    assert "FAILED: ratio_to_floor" in result.stderr
