"""Staff views of the finance archive: read-only (the records are Meta's; the sync writes them)."""

from django.contrib import admin

from finance.models import FinanceFeed, FinanceRun, Payout, Report, Transaction
from kernel.admin import ReadOnlyAdminMixin


class ReadOnly(ReadOnlyAdminMixin, admin.ModelAdmin):
    pass


@admin.register(Payout)
class PayoutAdmin(ReadOnly):
    list_display = ("reference_id", "shop", "payout_date", "status", "amount_minor", "currency")
    list_filter = ("status", "currency")
    search_fields = ("reference_id", "transfer_id")
    list_select_related = ("shop",)


@admin.register(Transaction)
class TransactionAdmin(ReadOnly):
    list_display = ("transaction_date", "shop", "kind", "meta_order_id", "gross_minor", "fee_minor", "net_minor",
                    "currency", "payout_reference_id")
    list_filter = ("kind", "currency")
    search_fields = ("meta_order_id", "payout_reference_id")
    list_select_related = ("shop",)
    raw_id_fields = ("order", "payout")


@admin.register(FinanceFeed)
class FinanceFeedAdmin(ReadOnly):
    list_display = ("shop", "last_sync_at", "last_success_at", "api_removed_at", "reconciled_at")


@admin.register(FinanceRun)
class FinanceRunAdmin(ReadOnly):
    list_display = ("started_at", "shop", "status", "archive", "finished_at")
    list_filter = ("status", "archive")


@admin.register(Report)
class ReportAdmin(ReadOnly):
    list_display = ("created_at", "shop", "kind", "start", "end", "state")
    exclude = ("content",)
