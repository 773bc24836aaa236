from django.contrib import admin

from kernel.admin import ReadOnlyAdminMixin
from metatools.models import ProductFigures, ShopFigures


@admin.register(ShopFigures)
class ShopFiguresAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["shop", "read_at"]
    list_select_related = ["shop"]
    search_fields = ["shop__name"]


@admin.register(ProductFigures)
class ProductFiguresAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["product", "shop", "organic_impressions", "paid_impressions", "message_sends", "read_at"]
    list_select_related = ["product", "shop"]
    search_fields = ["product__retailer_id", "product__title"]
