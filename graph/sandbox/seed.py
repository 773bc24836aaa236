"""Demo seeding for the sandbox (registered in portal's seed_demo EXTRA_SEEDERS)."""

from __future__ import annotations

from .config import update_config


def seed_sandbox(shops, stdout=None) -> None:
    """Idempotent: in the demo, queued webhooks are delivered by a django-q2 task."""
    update_config({"webhooks": {"auto_deliver": True}})
    if stdout is not None:
        stdout.write("Graph sandbox: webhooks are delivered automatically (console: /graph-sandbox/console/)")
