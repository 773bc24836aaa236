from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OrdersConfig(AppConfig):
    name = "orders"
    verbose_name = _("Orders")

    def ready(self):
        from orders.issues import order_issue_cards
        from portal.issues import register_provider

        register_provider(order_issue_cards)
