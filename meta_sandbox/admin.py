"""Read-mostly admin views of the sandbox's tables (the console at /graph-sandbox/console/
is the place to act). Tokens are stored hashed; only their tail is shown."""

from django.contrib import admin

from .models import Fault, Node, RequestLog, Token, WebhookEvent


@admin.register(Node)
class NodeAdmin(admin.ModelAdmin):
    list_display = ("id", "gid", "type", "business_id", "key", "deleted", "created")
    list_filter = ("type", "deleted")
    search_fields = ("business_id", "key", "parent_id")
    readonly_fields = ("created", "updated")

    @admin.display(description="Graph id")
    def gid(self, obj):
        return obj.gid


@admin.register(Token)
class TokenAdmin(admin.ModelAdmin):
    list_display = ("id", "hint", "kind", "business_id", "user_id", "issued_at", "expires_at", "revoked_at")
    list_filter = ("kind",)
    search_fields = ("business_id", "user_id", "hint")
    exclude = ("token_hash",)
    readonly_fields = ("hint", "kind", "app_id", "user_id", "business_id", "page_id", "install_id", "issued_at")


@admin.register(Fault)
class FaultAdmin(admin.ModelAdmin):
    list_display = ("id", "method", "path", "kind", "remaining", "probability", "hits", "created")
    list_filter = ("kind",)


@admin.register(RequestLog)
class RequestLogAdmin(admin.ModelAdmin):
    list_display = ("created", "method", "version", "path", "status", "error_code", "fault", "duration_ms")
    list_filter = ("method", "status", "fault")
    search_fields = ("path", "business_id", "fbtrace_id")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(WebhookEvent)
class WebhookEventAdmin(admin.ModelAdmin):
    list_display = ("id", "object", "field", "status", "attempts", "created", "delivered_at")
    list_filter = ("status", "object")
    exclude = ("body",)  # the install payload carries a system-user token

    def has_add_permission(self, request):
        return False
