"""Staff see every catalog row; they change products and product sets through the same services
as sellers (kernel.admin.ServiceAdminMixin: rules, fast lane, audit trail with the staff member as
the actor). Issues, imports, runs and batches are the system's records: read-only."""

from django.contrib import admin
from django.db import models

from catalog import services, sets
from catalog.models import CatalogBatch, ImportJob, Product, ProductIssue, ProductSet, SyncRun
from kernel.admin import ReadOnlyAdminMixin, ServiceAdminMixin


@admin.register(Product)
class ProductAdmin(ServiceAdminMixin, admin.ModelAdmin):
    list_display = ("retailer_id", "title", "shop", "status", "availability", "needs_sync_slow", "needs_sync_fast",
                    "synced_at", "deleted_at")
    list_filter = ("status", "availability", "needs_sync_slow", "needs_sync_fast")
    list_select_related = ("shop",)
    search_fields = ("retailer_id", "title", "meta_item_id", "item_group_id")
    readonly_fields = ("slow_hash", "fast_hash", "synced_slow_hash", "synced_fast_hash", "needs_sync_slow",
                       "needs_sync_fast", "synced_at", "meta_item_id", "set_labels", "created_at", "updated_at",
                       "deleted_at")
    raw_id_fields = ("shop",)
    show_full_result_count = False
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    service_fields = services.CONTENT_FIELDS

    def save_through_service(self, request, obj, values, form):
        return services.save_product(obj.shop, None if obj._state.adding else obj.pk, values=values,
                                     actor=request.user)

    def delete_through_service(self, request, obj):
        services.delete_product(obj.shop, obj, actor=request.user)


@admin.register(ProductSet)
class ProductSetAdmin(ServiceAdminMixin, admin.ModelAdmin):
    list_display = ("name", "shop", "kind", "retailer_id", "needs_sync", "synced_at", "deleted_at")
    list_select_related = ("shop",)
    search_fields = ("name", "retailer_id", "meta_set_id")
    raw_id_fields = ("shop", "products")
    readonly_fields = ("retailer_id", "needs_sync", "synced_at", "meta_set_id", "deleted_at")
    service_fields = (*sets.SET_FIELDS, "products")

    def save_through_service(self, request, obj, values, form):
        picked = values.pop("products", None)
        shop = obj.shop
        if picked is not None:
            # raw ids can name any product: only the shop's own become members
            picked = [p.pk for p in picked if p.shop_id == shop.pk]
        return sets.save_product_set(shop, None if obj._state.adding else obj.pk, values=values,
                                     picked_ids=picked, actor=request.user)

    def delete_through_service(self, request, obj):
        sets.delete_product_set(obj.shop, obj, actor=request.user)


@admin.register(ProductIssue)
class ProductIssueAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("code", "severity", "shop", "product", "source", "field", "first_seen", "last_seen", "resolved_at")
    list_filter = ("severity", "source")
    list_select_related = ("shop", "product")
    search_fields = ("code", "product__retailer_id", "message")
    raw_id_fields = ("shop", "product")


@admin.register(ImportJob)
class ImportJobAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("filename", "shop", "status", "total_rows", "processed_rows", "created_at", "finished_at")
    list_filter = ("status",)
    list_select_related = ("shop",)
    raw_id_fields = ("shop", "created_by")
    exclude = ("content",)
    readonly_fields = ("status", "total_rows", "processed_rows", "counts", "errors", "warnings", "preview",
                       "fatal_error", "task_id", "started_at", "finished_at")


@admin.register(SyncRun)
class SyncRunAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("shop", "kind", "trigger", "status", "total", "sent", "confirmed", "rejected", "orphans_deleted",
                    "started_at", "finished_at")
    list_filter = ("kind", "status", "trigger")
    list_select_related = ("shop",)
    raw_id_fields = ("shop", "requested_by")
    readonly_fields = [f.name for f in SyncRun._meta.fields]


@admin.register(CatalogBatch)
class CatalogBatchAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("pk", "shop", "run", "status", "size", "confirmed", "rejected", "handle", "sent_at", "finished_at")
    list_filter = ("status",)
    list_select_related = ("shop",)
    search_fields = ("handle",)
    raw_id_fields = ("shop", "run")
    exclude = ("items",)
    readonly_fields = [f.name for f in CatalogBatch._meta.fields if f.name != "items"]
