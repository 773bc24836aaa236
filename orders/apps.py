from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OrdersConfig(AppConfig):
    name = "orders"
    verbose_name = _("Orders")

    def ready(self):
        from kernel.issues import register_provider
        from orders.issues import order_issue_cards

        register_provider(order_issue_cards)

        from orders.models import Order
        from shops.hooks import register_money_data

        register_money_data(lambda shop: Order.objects.filter(shop=shop).exists())

        from orders.ingest.poll import create_feed
        from shops.signals import shop_created

        shop_created.connect(create_feed, dispatch_uid="orders.create_feed")
