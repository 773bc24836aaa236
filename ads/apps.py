from django.apps import AppConfig


class AdsConfig(AppConfig):
    name = "ads"

    def ready(self):
        from ads.services import create_settings
        from shops.signals import shop_created

        shop_created.connect(create_settings, dispatch_uid="ads.create_settings")

        from ads.issues import ads_issue_cards
        from kernel.issues import register_provider

        register_provider(ads_issue_cards)
