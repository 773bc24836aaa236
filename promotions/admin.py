"""Staff see every promotion row. They change a shop's discounts and where they are managed
through the same forms' rules and services as sellers (kernel.admin.ServiceAdminMixin): a
change is queued for Meta and written to the audit trail with the staff member as the actor.
Uploads and an order's promotions are the system's records: read-only."""

from django.contrib import admin

from kernel.admin import ReadOnlyAdminMixin, ServiceAdminMixin
from promotions import services
from promotions.forms import DiscountForm
from promotions.models import (
    Discount,
    LineAllocation,
    MetaAllocation,
    OfferUpload,
    OrderPromotion,
    PromotionSettings,
)


@admin.register(PromotionSettings)
class PromotionSettingsAdmin(ServiceAdminMixin, admin.ModelAdmin):
    list_display = ("shop", "source", "meta_feed_id", "last_sync_at", "last_error")
    list_select_related = ("shop",)
    list_filter = ("source",)
    search_fields = ("shop__name", "meta_feed_id")
    service_fields = ("source",)

    def has_add_permission(self, request):
        return False  # made with the shop

    def save_through_service(self, request, obj, values, form):
        if "source" not in values:
            return obj
        return services.set_source(obj.shop, values["source"], actor=request.user)


@admin.register(Discount)
class DiscountAdmin(ServiceAdminMixin, admin.ModelAdmin):
    """A discount as its seller edits it (the seller's form and its rules, in the shop's
    currency); sellers create them, staff correct them."""

    list_display = ("title", "shop", "kind", "level", "starts_at", "ends_at", "sync_state")
    list_select_related = ("shop",)
    list_filter = ("kind", "sync_state")
    search_fields = ("title", "offer_id", "coupon_code", "shop__name")
    readonly_fields = ("shop", "offer_id", "sync_state", "sync_errors", "synced_at", "ended_at")

    def has_add_permission(self, request):
        return False

    def get_readonly_fields(self, request, obj=None):
        return self.readonly_fields  # the seller's form says what is edited

    def get_form(self, request, obj=None, change=False, **kwargs):
        shop = obj.shop

        class Form(DiscountForm):
            def __init__(self, *args, **kw):
                super().__init__(*args, shop=shop, **kw)

        return Form

    def save_through_service(self, request, obj, values, form):
        return services.save_discount(obj.shop, obj.pk, values=form.values(), product_ids=form.product_ids(),
                                      actor=request.user)


@admin.register(OfferUpload)
class OfferUploadAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
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
class OrderPromotionAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("promotion_id", "order", "campaign_name", "sponsor", "granularity", "target_type",
                    "applied_minor", "currency")
    list_filter = ("sponsor", "granularity", "target_type")
    search_fields = ("promotion_id", "campaign_name", "coupon_code", "order__meta_order_id")
    raw_id_fields = ("order",)
    inlines = [LineAllocationInline, MetaAllocationInline]
