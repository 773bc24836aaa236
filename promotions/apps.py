from django.apps import AppConfig


class PromotionsConfig(AppConfig):
    name = "promotions"

    def ready(self):
        from promotions.models import Discount
        from shops.hooks import register_money_data

        register_money_data(lambda shop: Discount.objects.filter(shop=shop).exists())
