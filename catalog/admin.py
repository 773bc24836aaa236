from django.contrib import admin

from catalog.models import CatalogBatch, ImportJob, Product, ProductIssue, ProductSet, SyncRun


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
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

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        from catalog.services import fast_lane_changed

        fast_lane_changed([obj])


@admin.register(ProductSet)
class ProductSetAdmin(admin.ModelAdmin):
    list_display = ("name", "shop", "kind", "retailer_id", "needs_sync", "synced_at", "deleted_at")
    list_select_related = ("shop",)
    search_fields = ("name", "retailer_id", "meta_set_id")
    raw_id_fields = ("shop", "products")
    readonly_fields = ("retailer_id", "needs_sync", "synced_at", "meta_set_id", "deleted_at")


@admin.register(ProductIssue)
class ProductIssueAdmin(admin.ModelAdmin):
    list_display = ("code", "severity", "shop", "product", "source", "field", "first_seen", "last_seen", "resolved_at")
    list_filter = ("severity", "source")
    list_select_related = ("shop", "product")
    search_fields = ("code", "product__retailer_id", "message")
    raw_id_fields = ("shop", "product")


@admin.register(ImportJob)
class ImportJobAdmin(admin.ModelAdmin):
    list_display = ("filename", "shop", "status", "total_rows", "processed_rows", "created_at", "finished_at")
    list_filter = ("status",)
    list_select_related = ("shop",)
    raw_id_fields = ("shop", "created_by")
    exclude = ("content",)
    readonly_fields = ("status", "total_rows", "processed_rows", "counts", "errors", "warnings", "preview",
                       "fatal_error", "task_id", "started_at", "finished_at")


@admin.register(SyncRun)
class SyncRunAdmin(admin.ModelAdmin):
    list_display = ("shop", "kind", "trigger", "status", "total", "sent", "confirmed", "rejected", "orphans_deleted",
                    "started_at", "finished_at")
    list_filter = ("kind", "status", "trigger")
    list_select_related = ("shop",)
    raw_id_fields = ("shop", "requested_by")
    readonly_fields = [f.name for f in SyncRun._meta.fields]


@admin.register(CatalogBatch)
class CatalogBatchAdmin(admin.ModelAdmin):
    list_display = ("pk", "shop", "run", "status", "size", "confirmed", "rejected", "handle", "sent_at", "finished_at")
    list_filter = ("status",)
    list_select_related = ("shop",)
    search_fields = ("handle",)
    raw_id_fields = ("shop", "run")
    exclude = ("items",)
    readonly_fields = [f.name for f in CatalogBatch._meta.fields if f.name != "items"]
