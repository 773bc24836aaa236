from django.apps import AppConfig


class ShopsConfig(AppConfig):
    name = "shops"

    def ready(self):
        from kernel.issues import register_provider
        from kernel.jobs import job_finished
        from shops import webhooks  # noqa: F401  (registers the fbe_install handler)
        from shops.health.jobs import on_job_finished
        from shops.issues import shop_issue_cards

        register_provider(shop_issue_cards)
        job_finished.connect(on_job_finished, dispatch_uid="shops.health.jobs")

