"""Staff find any server event: by shop, event name, event id, state and Meta's message."""

from django.contrib import admin

from ads.models import ServerEvent
from kernel.admin import ReadOnlyAdminMixin


@admin.register(ServerEvent)
class ServerEventAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["queued_at", "shop", "event_name", "event_id", "state", "attempts", "sent_at", "short_message"]
    list_filter = ["state", "event_name", "action_source"]
    list_select_related = ["shop"]
    search_fields = ["event_id", "shop__name", "message"]
    date_hierarchy = "queued_at"

    @admin.display(description="message")
    def short_message(self, obj):
        return obj.message[:80]
