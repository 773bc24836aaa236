from django.apps import AppConfig


class ShopsConfig(AppConfig):
    name = "shops"

    def ready(self):
        from kernel.issues import register_provider
        from shops import webhooks  # noqa: F401  (registers the fbe_install handler)
        from shops.issues import shop_issue_cards

        register_provider(shop_issue_cards)

