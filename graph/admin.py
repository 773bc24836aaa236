from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django_q.tasks import async_task

from graph.models import GraphCall, WebhookEvent


class OutcomeFilter(admin.SimpleListFilter):
    title = _("outcome")
    parameter_name = "outcome"

    def lookups(self, request, model_admin):
        return [
            ("ok", _("Succeeded")),
            ("error", _("Failed")),
            ("no_answer", _("No answer (timeout, connection)")),
            ("retry", _("Retries")),
        ]

    def queryset(self, request, queryset):
        value = self.value()
        if value == "ok":
            return queryset.filter(error_class="")
        if value == "error":
            return queryset.exclude(error_class="")
        if value == "no_answer":
            return queryset.filter(status_code__isnull=True)
        if value == "retry":
            return queryset.filter(is_retry=True)
        return queryset


class StatusClassFilter(admin.SimpleListFilter):
    title = _("HTTP status")
    parameter_name = "status_class"

    def lookups(self, request, model_admin):
        return [("2xx", "2xx"), ("3xx", "3xx"), ("4xx", "4xx"), ("5xx", "5xx")]

    def queryset(self, request, queryset):
        value = self.value()
        if value in {"2xx", "3xx", "4xx", "5xx"}:
            low = int(value[0]) * 100
            return queryset.filter(Q(status_code__gte=low) & Q(status_code__lt=low + 100))
        return queryset


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(GraphCall)
class GraphCallAdmin(ReadOnlyAdmin):
    """The Graph call journal. Rows hold no secrets; this page adds none."""

    list_display = [
        "created", "shop", "method", "path", "api_version", "status_code", "duration_ms", "attempt",
        "error_class", "error_code", "error_subcode", "fbtrace_id",
    ]
    list_filter = [
        OutcomeFilter, StatusClassFilter, "method", ("shop", admin.RelatedOnlyFieldListFilter),
        "error_code", "error_class", "api_version", "created",
    ]
    list_select_related = ["shop"]
    search_fields = ["path", "fbtrace_id", "shop__name", "error_message"]
    date_hierarchy = "created"
    readonly_fields = [
        "created", "shop", "method", "path", "api_version", "params", "status_code", "duration_ms", "attempt",
        "is_retry", "error_class", "error_code", "error_subcode", "error_message", "fbtrace_id",
    ]
    show_full_result_count = False


@admin.register(WebhookEvent)
class WebhookEventAdmin(ReadOnlyAdmin):
    list_display = ["received_at", "object", "field", "entry_id", "status", "attempts", "processed_at", "short_note"]
    list_filter = ["status", "object", "field", "received_at"]
    search_fields = ["entry_id", "object", "field", "note"]
    date_hierarchy = "received_at"
    # The payload is stored with secrets masked; the sealed (encrypted) copy is never shown.
    readonly_fields = [
        "received_at", "object", "field", "entry_id", "entry_time", "payload", "dedupe_key", "status",
        "attempts", "note", "processed_at",
    ]
    exclude = ["sealed_payload"]
    actions = ["reprocess"]

    @admin.display(description=_("note"))
    def short_note(self, obj):
        return obj.note[:80]

    @admin.action(description=_("Process the selected events again"))
    def reprocess(self, request, queryset):
        ids = list(queryset.values_list("pk", flat=True))
        queryset.update(status=WebhookEvent.Status.PENDING, processed_at=None)
        for event_id in ids:
            async_task("graph.tasks.process_webhook_event", event_id, group="graph.webhooks")
        self.message_user(
            request,
            ngettext("%(count)d event queued.", "%(count)d events queued.", len(ids)) % {"count": len(ids)},
            messages.SUCCESS,
        )

    def has_change_permission(self, request, obj=None):
        # Needed for the reprocess action; every field is read-only.
        return request.user.has_perm("graph.change_webhookevent")
