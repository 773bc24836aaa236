"""What the apps above orders add to order ingestion, without orders importing them (the same
inversion as the issue cards and `shops.hooks`):

- `register_on_orders_created(fn)`: `fn(orders, lines)` is called with the orders an ingest
  page created (items and events written) and `lines`, each order's lines as written ({order
  pk: [OrderItem, ...]}, so a receiver needs no query for them), inside that page's
  transaction, so whatever it records commits or rolls back with the orders. Promotions
  records the promotions Meta applied; finance links transactions read before their order.
- `register_detail_panel(fn)`: `fn(order)` returns (template name, context) or None: a panel
  the order page shows (finance: the order's transactions and the payout that paid it).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

_ON_ORDERS_CREATED: list[Callable] = []


def register_on_orders_created(fn: Callable) -> Callable:
    if fn not in _ON_ORDERS_CREATED:
        _ON_ORDERS_CREATED.append(fn)
    return fn


def orders_created(orders: Sequence, lines: Mapping[int, Sequence]) -> None:
    """Called by ingest for the orders it just created and their lines (inside its transaction)."""
    if not orders:
        return
    for fn in _ON_ORDERS_CREATED:
        fn(orders, lines)


_DETAIL_PANELS: list[Callable] = []


def register_detail_panel(fn: Callable) -> Callable:
    if fn not in _DETAIL_PANELS:
        _DETAIL_PANELS.append(fn)
    return fn


def detail_panels(order) -> list[tuple[str, dict]]:
    """The panels the apps above orders add to an order's page."""
    panels = []
    for fn in _DETAIL_PANELS:
        panel = fn(order)
        if panel is not None:
            panels.append(panel)
    return panels
