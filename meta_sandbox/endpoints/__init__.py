"""Endpoint modules: every module in this package is imported at start-up (SandboxConfig.ready)
and registers its node types, edges and routes with `meta_sandbox.router`. Add a module here
to add endpoints; see docs/sandbox.md, "Adding an endpoint"."""

from __future__ import annotations

import importlib
import pkgutil

_loaded = False


def load_all() -> None:
    global _loaded
    if _loaded:
        return
    for module in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if not module.name.startswith("_"):
            importlib.import_module(f"{__name__}.{module.name}")
    _loaded = True
