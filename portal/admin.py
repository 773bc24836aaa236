from django.contrib import admin

from portal.models import Heartbeat, JobRun


@admin.register(JobRun)
class JobRunAdmin(admin.ModelAdmin):
    list_display = ["job", "shop", "status", "started_at", "finished_at", "counts", "short_error"]
    list_filter = ["status", "job"]
    list_select_related = ["shop"]
    search_fields = ["job", "shop__name", "error", "task_id"]
    date_hierarchy = "started_at"
    readonly_fields = [f.name for f in JobRun._meta.fields]

    @admin.display(description="error")
    def short_error(self, obj):
        return obj.error[:80]

    def has_add_permission(self, request):
        return False


@admin.register(Heartbeat)
class HeartbeatAdmin(admin.ModelAdmin):
    list_display = ["name", "beat_at"]
