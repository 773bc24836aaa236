"""The v26+ gate on the order edges (nested reads are gated by `common.gate`)."""

from __future__ import annotations

from ...router import registry
from .common import CANCELLATION, ORDER, PAYMENT, REFUND, REMOVED_IN, RETURN, SHIPMENT

# --- version gates of the edges ---------------------------------------------------------------------


def gate_edge_routes() -> None:
    """Edges register their GET routes themselves; mark the order ones removed on v26+ like the
    other order routes (nested reads are gated by `gate`)."""
    own_types = {ORDER, SHIPMENT, PAYMENT, CANCELLATION, REFUND, RETURN}
    parent_edges = {"commerce_orders", "returns", "order_management_apps"}
    for r in registry.node_routes:
        if r.method != "GET" or len(r.segs) != 2 or isinstance(r.segs[1], tuple):
            continue
        types = set(r.segs[0][1] or ())
        if types & own_types or (types & {"commerce_merchant_settings", "page"} and r.segs[1] in parent_edges):
            r.removed_in = REMOVED_IN

