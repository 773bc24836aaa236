from django.contrib import admin

from shops.models import Membership, MetaConnection, Shop


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    raw_id_fields = ["user"]


class MetaConnectionInline(admin.StackedInline):
    model = MetaConnection
    can_delete = False
    exclude = ["access_token"]
    readonly_fields = ["token_set", "token_type", "token_expires_at", "last_checked_at", "last_ok_at", "usage", "usage_updated_at"]

    @admin.display(boolean=True, description="token set")
    def token_set(self, obj):
        return obj.has_token


@admin.register(Shop)
class ShopAdmin(admin.ModelAdmin):
    list_display = ["name", "country", "currency", "connection_status", "external_business_id", "created_at"]
    list_filter = ["country", "currency", "meta_connection__status"]
    search_fields = ["name", "external_business_id", "meta_connection__catalog_id", "meta_connection__commerce_merchant_settings_id", "memberships__user__email"]
    list_select_related = ["meta_connection"]
    inlines = [MetaConnectionInline, MembershipInline]

    @admin.display(description="Meta connection")
    def connection_status(self, obj):
        conn = getattr(obj, "meta_connection", None)
        return conn.get_status_display() if conn else "—"


@admin.register(MetaConnection)
class MetaConnectionAdmin(admin.ModelAdmin):
    """Partner-wide connection health. The token itself is never shown or editable here."""

    list_display = ["shop", "status", "token_set", "token_expires_at", "last_checked_at", "last_ok_at", "catalog_id", "commerce_merchant_settings_id"]
    list_filter = ["status", "token_type"]
    list_select_related = ["shop"]
    search_fields = ["shop__name", "catalog_id", "commerce_merchant_settings_id", "business_manager_id", "pixel_id"]
    exclude = ["access_token"]
    readonly_fields = ["token_set", "usage", "usage_updated_at", "last_checked_at", "last_ok_at"]

    @admin.display(boolean=True, description="token set")
    def token_set(self, obj):
        return obj.has_token


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "shop", "role", "created_at"]
    list_filter = ["role"]
    list_select_related = ["user", "shop"]
    search_fields = ["user__email", "user__username", "shop__name"]
    raw_id_fields = ["user", "shop"]
