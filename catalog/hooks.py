"""Hooks the apps above the catalog register with (the catalog never imports them), like
orders.hooks:

- `register_product_panel(fn)`: `fn(product)` returns (template name, context) or None: a panel
  the product's page shows (metatools: what Meta reports about the product, and its Instagram
  links).
"""

from __future__ import annotations

from collections.abc import Callable

_PRODUCT_PANELS: list[Callable] = []


def register_product_panel(fn: Callable) -> Callable:
    if fn not in _PRODUCT_PANELS:
        _PRODUCT_PANELS.append(fn)
    return fn


def product_panels(product) -> list[tuple[str, dict]]:
    """The panels the apps above the catalog add to a product's page."""
    panels = []
    for fn in _PRODUCT_PANELS:
        panel = fn(product)
        if panel is not None:
            panels.append(panel)
    return panels
