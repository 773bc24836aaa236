from django.apps import AppConfig


class FinanceConfig(AppConfig):
    name = "finance"
    verbose_name = "Payments and finance"

    def ready(self):
        from finance.sync import create_feed, link_orders
        from orders import hooks
        from shops.signals import shop_created

        shop_created.connect(create_feed, dispatch_uid="finance.create_feed")
        hooks.register_on_orders_created(link_orders)
        from finance.views import order_panel

        hooks.register_detail_panel(order_panel)

        from finance.issues import finance_issue_cards
        from kernel.issues import register_provider

        register_provider(finance_issue_cards)
