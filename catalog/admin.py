from django.contrib import admin

from catalog.models import ImportJob, Product, ProductIssue, ProductSet


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
                       "fatal_error", "task_id", "locked_until", "started_at", "finished_at")
