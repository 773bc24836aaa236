"""Area-specific control calls (`/graph-sandbox/_control/<area>/...`).

Each module here (e.g. `orders.py`, `catalog.py`) defines `urlpatterns` (paths relative to
`_control/`, views decorated with `meta_sandbox.control.control` that parse the request and
call one control action of `meta_sandbox/actions/`); they are all mounted by
meta_sandbox/urls.py, so an area adds its control calls without touching it.
"""

from __future__ import annotations

import importlib
import pkgutil


def extra_control_patterns() -> list:
    patterns: list = []
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{__name__}.{info.name}")
        patterns.extend(getattr(module, "urlpatterns", []))
    return patterns
