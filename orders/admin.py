"""Staff view of orders: snapshots read-only, the outbox and the ingestion ledger for support."""

from __future__ import annotations

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from kernel.admin import ReadOnlyAdminMixin
from orders.models import (
    AckBatch,
    IngestRun,
    MetaPush,
    MoneyCheck,
    Order,
    OrderEvent,
    OrderFeed,
    OrderItem,
    SyncState,
)


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


class OrderItemInline(ReadOnlyInline):
    model = OrderItem
    fields = readonly_fields = ["meta_item_id", "retailer_id", "product", "title", "quantity", "price_per_unit_minor",
                                "order_discount_minor", "meta_discount_minor", "tax_minor", "captured_tax_minor",
                                "meta_refundable_minor", "quantity_shipped",
                                "quantity_cancelled", "quantity_refunded", "refunded_minor"]


class MetaPushInline(ReadOnlyInline):
    model = MetaPush
    fields = readonly_fields = ["kind", "state", "attempts", "error", "idempotency_key", "created_at", "synced_at"]


class MoneyCheckInline(ReadOnlyInline):
    model = MoneyCheck
    fields = readonly_fields = ["item", "figure", "ours_minor", "meta_minor", "first_seen_at", "last_seen_at",
                                "resolved_at"]


class OrderEventInline(ReadOnlyInline):
    model = OrderEvent
    fields = readonly_fields = ["created_at", "kind", "origin", "message", "push"]


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin):
    list_display = ["reference", "meta_order_id", "shop", "channel", "state", "ack_state", "units_to_ship",
                    "open_returns", "failed_pushes", "placed_at"]
    list_filter = ["state", "channel", "source", "ack_state"]
    list_select_related = ["shop"]
    search_fields = ["=meta_order_id", "=reference", "buyer_name"]
    date_hierarchy = "placed_at"
    inlines = [OrderItemInline, MoneyCheckInline, MetaPushInline, OrderEventInline]
    exclude = ["raw"]
    readonly_fields = [f.name for f in Order._meta.fields if f.name != "raw"] + ["raw_payload"]

    @admin.display(description=_("Meta's last payload"))
    def raw_payload(self, obj):
        import json

        return json.dumps(obj.raw, indent=1, sort_keys=True)[:20000]

    def has_add_permission(self, request):
        return False


@admin.register(MetaPush)
class MetaPushAdmin(admin.ModelAdmin):
    list_display = ["pk", "kind", "order", "shop", "state", "attempts", "error_code", "next_attempt_at", "created_at"]
    list_filter = ["state", "kind"]
    list_select_related = ["order", "shop"]
    search_fields = ["=idempotency_key", "=order__meta_order_id", "=order__reference"]
    readonly_fields = [f.name for f in MetaPush._meta.fields]
    actions = ["requeue"]

    @admin.action(description=_("Send again (same request and idempotency key)"))
    def requeue(self, request, queryset):
        from orders import services

        n = 0
        for push in queryset.filter(state=SyncState.FAILED).select_related("order"):
            services.retry_push(push.order.shop, push.order_id, push.pk, actor=request.user)
            n += 1
        messages.success(request, _("%(n)d change(s) queued again.") % {"n": n})

    def has_add_permission(self, request):
        return False


@admin.register(IngestRun)
class IngestRunAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["pk", "shop", "status", "started_at", "finished_at", "updated_after", "watermark", "counts"]
    list_filter = ["status"]
    list_select_related = ["shop"]
    readonly_fields = [f.name for f in IngestRun._meta.fields]


@admin.register(AckBatch)
class AckBatchAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["pk", "shop", "state", "attempts", "created_at", "finished_at"]
    list_filter = ["state"]
    readonly_fields = [f.name for f in AckBatch._meta.fields]


@admin.register(OrderFeed)
class OrderFeedAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["shop", "last_poll_at", "last_success_at", "next_poll_at", "changes_watermark", "api_removed_at"]
    readonly_fields = [f.name for f in OrderFeed._meta.fields]


@admin.register(MoneyCheck)
class MoneyCheckAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Where Meta's figure for an order line differs from ours (Meta's is the one used): one side's
    arithmetic is wrong, and support should find out which."""

    list_display = ["order", "item", "figure", "ours_minor", "meta_minor", "difference", "last_seen_at", "resolved_at"]
    list_filter = ["figure", ("resolved_at", admin.EmptyFieldListFilter)]
    list_select_related = ["order", "item"]
    search_fields = ["=order__meta_order_id", "=order__reference"]

    @admin.display(description=_("Meta − ours (minor units)"))
    def difference(self, obj):
        return obj.difference_minor
