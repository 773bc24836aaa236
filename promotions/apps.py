from django.apps import AppConfig


class PromotionsConfig(AppConfig):
    name = "promotions"

    def ready(self):
        from promotions.models import Discount
        from shops.hooks import register_money_data

        register_money_data(lambda shop: Discount.objects.filter(shop=shop).exists())

        from promotions.checkout import checkout_coupons
        from shops.hooks import register_checkout_coupons

        register_checkout_coupons(checkout_coupons)

        from orders.hooks import register_on_orders_created
        from promotions.orders import record_promotions_for_orders

        register_on_orders_created(record_promotions_for_orders)

        from promotions.sync import create_settings
        from shops.signals import shop_created

        shop_created.connect(create_settings, dispatch_uid="promotions.create_settings")
