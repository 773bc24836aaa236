from __future__ import annotations


def prune_graph_calls() -> int:
    """Delete journal rows older than GRAPH_CALL_RETENTION_DAYS (filled in by the Graph issue)."""
    return 0
