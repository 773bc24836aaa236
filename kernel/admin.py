"""Admin for the job skeleton's rows, and the read-only mixin every journal-like admin uses."""

from django.contrib import admin

from kernel.models import JobRun, Lease


class ReadOnlyAdminMixin:
    """For journals and records that only the system writes (job runs, Graph calls, audit
    events, ingestion ledgers): staff can look, filter and search, never add, change or delete."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(JobRun)
class JobRunAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["job", "shop", "status", "started_at", "finished_at", "counts", "short_error"]
    list_filter = ["status", "job"]
    list_select_related = ["shop"]
    search_fields = ["job", "shop__name", "error", "task_id"]
    date_hierarchy = "started_at"

    @admin.display(description="error")
    def short_error(self, obj):
        return obj.error[:80]


@admin.register(Lease)
class LeaseAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["key", "until", "taken_at"]
    search_fields = ["key"]
