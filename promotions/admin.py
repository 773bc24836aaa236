from django.contrib import admin

from promotions.models import (
    Discount,
    LineAllocation,
    MetaAllocation,
    OfferUpload,
    OrderPromotion,
    PromotionSettings,
)


@admin.register(PromotionSettings)
class PromotionSettingsAdmin(admin.ModelAdmin):
    list_display = ("shop", "source", "meta_feed_id", "last_sync_at", "last_error")
    list_select_related = ("shop",)
    list_filter = ("source",)
    search_fields = ("shop__name", "meta_feed_id")
    readonly_fields = ("meta_feed_id", "feed_catalog_id", "last_upload_hash", "last_sync_at")


@admin.register(Discount)
class DiscountAdmin(admin.ModelAdmin):
    list_display = ("title", "shop", "kind", "level", "starts_at", "ends_at", "sync_state")
    list_select_related = ("shop",)
    list_filter = ("kind", "sync_state")
    search_fields = ("title", "offer_id", "coupon_code", "shop__name")
    raw_id_fields = ("shop", "product_set", "upload")
    filter_horizontal = ()
    readonly_fields = ("offer_id", "sync_errors", "synced_at", "ended_at")


@admin.register(OfferUpload)
class OfferUploadAdmin(admin.ModelAdmin):
    list_display = ("pk", "shop", "meta_upload_id", "status", "rows", "error_count", "created_at")
    list_select_related = ("shop",)
    list_filter = ("status",)
    search_fields = ("meta_upload_id",)
    readonly_fields = [f.name for f in OfferUpload._meta.fields]


class LineAllocationInline(admin.TabularInline):
    model = LineAllocation
    raw_id_fields = ("item",)
    readonly_fields = ("item", "amount_minor", "unit_minor")
    extra = 0


class MetaAllocationInline(admin.TabularInline):
    model = MetaAllocation
    readonly_fields = ("item", "source", "meta_source_id", "quantity", "amount_minor", "preview_minor")
    extra = 0


@admin.register(OrderPromotion)
class OrderPromotionAdmin(admin.ModelAdmin):
    list_display = ("promotion_id", "order", "campaign_name", "sponsor", "granularity", "target_type",
                    "applied_minor", "currency")
    list_filter = ("sponsor", "granularity", "target_type")
    search_fields = ("promotion_id", "campaign_name", "coupon_code", "order__meta_order_id")
    raw_id_fields = ("order",)
    inlines = [LineAllocationInline, MetaAllocationInline]
