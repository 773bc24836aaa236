from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CatalogConfig(AppConfig):
    name = "catalog"
    verbose_name = _("Catalog")

    def ready(self):
        from catalog.issues import catalog_issue_cards
        from kernel.issues import register_provider

        register_provider(catalog_issue_cards)

        from catalog.tasks import queue_first_sync
        from shops.signals import shop_connected

        shop_connected.connect(queue_first_sync, dispatch_uid="catalog.queue_first_sync")

        from catalog.sync.state import create_state
        from shops.signals import shop_created

        shop_created.connect(create_state, dispatch_uid="catalog.create_sync_state")

        from catalog.sync.panel import refresh_diagnostics
        from shops.signals import check_requested

        check_requested.connect(refresh_diagnostics, dispatch_uid="catalog.refresh_diagnostics")

        from catalog.models import Product
        from shops.hooks import register_money_data

        register_money_data(lambda shop: Product.objects.filter(shop=shop).exists())

        from catalog.checkout import checkout_products
        from shops.hooks import register_checkout_products

        register_checkout_products(checkout_products)
