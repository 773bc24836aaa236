from django.apps import AppConfig


class SandboxConfig(AppConfig):
    name = "graph.sandbox"
    label = "sandbox"
    verbose_name = "Graph sandbox"

    def ready(self):
        from .endpoints import load_all

        load_all()
        _register_demo_seeder()


def _register_demo_seeder():
    """`make demo` seeds through portal's EXTRA_SEEDERS hook: there the sandbox delivers its
    webhooks on its own (tests keep it off and flush explicitly)."""
    try:
        from portal.management.commands.seed_demo import EXTRA_SEEDERS
    except ImportError:  # pragma: no cover - the portal app always ships it
        return
    from .seed import seed_sandbox

    if seed_sandbox not in EXTRA_SEEDERS:
        EXTRA_SEEDERS.append(seed_sandbox)
