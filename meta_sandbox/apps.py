from django.apps import AppConfig


class SandboxConfig(AppConfig):
    name = "meta_sandbox"
    label = "sandbox"
    verbose_name = "Graph sandbox"

    def ready(self):
        from .endpoints import load_all

        load_all()
