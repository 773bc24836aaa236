"""The seller's finance archive: Meta's payouts and order transactions as pulled (kept for good,
also after Meta removed the order-era finance API), the sync's feed and ledger, and report jobs.

Amounts are integer minor units in the transaction's or payout's currency (kernel.money)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from kernel.money import Money


class FinanceFeed(models.Model):
    """Per shop: where the finance sync stands. Its lease is `finance.sync:<shop id>`."""

    shop = models.OneToOneField("shops.Shop", on_delete=models.CASCADE, related_name="finance_feed")
    #: newest transaction_date / payout_date imported (unix seconds); the next sync asks from a
    #: little before it (transactions can appear late, payouts change status).
    transactions_watermark = models.BigIntegerField(null=True, blank=True)
    payouts_watermark = models.BigIntegerField(null=True, blank=True)
    #: the oldest time the archive reaches back to (unix seconds), after "archive everything"
    archived_from = models.BigIntegerField(null=True, blank=True)
    archive_requested_at = models.DateTimeField(null=True, blank=True)
    #: where an archive that ran out of time goes on from (unix seconds)
    archive_cursor = models.BigIntegerField(null=True, blank=True)
    archived_at = models.DateTimeField(null=True, blank=True)
    last_sync_at = models.DateTimeField(null=True, blank=True)
    last_success_at = models.DateTimeField(null=True, blank=True)
    sync_requested_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    #: what the last reconciliation found (finance.reconcile.store), read by the issue cards:
    #: {"payouts": [...], "orders": [...], "missing": [...], "disputes": [...]}
    reconciliation = models.JSONField(default=dict, blank=True)
    reconciled_at = models.DateTimeField(null=True, blank=True)
    #: Meta answered that the finance API is gone: syncing stops, one notice is shown.
    api_removed_at = models.DateTimeField(null=True, blank=True)
    api_removed_message = models.TextField(blank=True)

    def __str__(self) -> str:
        return f"finance feed of {self.shop}"


class FinanceRun(models.Model):
    """The finance ingestion ledger: one row per sync, with the windows it asked for."""

    class Status(models.TextChoices):
        RUNNING = "running", _("Running")
        OK = "ok", _("OK")
        FAILED = "failed", _("Failed")
        REMOVED = "removed", _("Finance API removed")

    shop = models.ForeignKey("shops.Shop", on_delete=models.CASCADE, related_name="finance_runs")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.RUNNING)
    archive = models.BooleanField(default=False)
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    window_start = models.BigIntegerField(null=True, blank=True)
    window_end = models.BigIntegerField(null=True, blank=True)
    #: {"pages", "payouts_new", "payouts_updated", "transactions_new", "transactions_updated", "calls"}
    counts = models.JSONField(default=dict, blank=True)
    errors = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["-started_at", "-pk"]
        indexes = [models.Index(fields=["shop", "-started_at"], name="finance_run_shop")]

    def __str__(self) -> str:
        return f"finance sync {self.pk} of shop {self.shop_id} ({self.status})"


#: Meta's payout statuses (not in Meta's public docs: the values the sandbox documents, docs/sandbox.md)
STATUS_LABELS = {"PAID": _("Paid"), "IN_PROGRESS": _("On its way"), "FAILED": _("Failed"),
                 "PENDING": _("Pending")}


class Payout(models.Model):
    shop = models.ForeignKey("shops.Shop", on_delete=models.CASCADE, related_name="payouts")
    reference_id = models.CharField(_("payout reference"), max_length=128)
    transfer_id = models.CharField(max_length=128, blank=True)
    status = models.CharField(_("status"), max_length=40, blank=True)
    payout_date = models.DateTimeField(_("payout date"))
    currency = models.CharField(max_length=3)
    amount_minor = models.BigIntegerField(_("amount"))
    raw = models.JSONField(default=dict, blank=True)
    first_seen_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-payout_date", "-pk"]
        constraints = [models.UniqueConstraint(fields=["shop", "reference_id"], name="finance_payout_uniq_ref")]
        indexes = [models.Index(fields=["shop", "-payout_date"], name="finance_payout_date")]

    def __str__(self) -> str:
        return f"payout {self.reference_id}"

    @property
    def amount(self) -> Money:
        return Money(self.amount_minor, self.currency)

    @property
    def is_paid(self) -> bool:
        return self.status.upper() in ("PAID", "COMPLETED", "SUCCEEDED")

    @property
    def status_label(self) -> str:
        """Meta's status in the seller's language (Meta's own word when we do not know it)."""
        return str(STATUS_LABELS.get(self.status.upper(), self.status or "—"))


class Transaction(models.Model):
    """One of Meta's order transactions (`CommerceOrderTransactionDetail`). Meta gives it no id:
    `key` is made of what identifies it and never changes (order, type, date, amounts), so a
    re-read finds the same row while its payout fields fill in."""

    class Kind(models.TextChoices):
        SALE = "SALE", _("Sale")
        REFUND = "REFUND", _("Refund")
        CHARGEBACK = "CHARGEBACK", _("Chargeback")
        CHARGEBACK_REVERSAL = "CHARGEBACK_REVERSAL", _("Chargeback reversed")
        OTHER = "OTHER", _("Other")

    shop = models.ForeignKey("shops.Shop", on_delete=models.CASCADE, related_name="finance_transactions")
    key = models.CharField(max_length=64)
    meta_order_id = models.CharField(max_length=64, blank=True)
    order = models.ForeignKey("orders.Order", null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="finance_transactions")
    payout = models.ForeignKey(Payout, null=True, blank=True, on_delete=models.SET_NULL, related_name="transactions")
    payout_reference_id = models.CharField(max_length=128, blank=True)
    transfer_id = models.CharField(max_length=128, blank=True)
    kind = models.CharField(_("type"), max_length=24, choices=Kind.choices)
    #: Meta's transaction_type as sent (kind is OTHER for a type we do not know)
    meta_type = models.CharField(max_length=40, blank=True)
    #: the buyer's state or region (with tax_rate and postal_code: the transaction's tax details)
    state = models.CharField(max_length=40, blank=True)
    transaction_date = models.DateTimeField(_("date"))
    currency = models.CharField(max_length=3)
    #: what the transaction moved before fees (net + fee): the sale, refund or chargeback amount
    gross_minor = models.BigIntegerField()
    #: Meta's selling/processing fee (positive: charged to the seller; negative: given back)
    fee_minor = models.BigIntegerField(default=0)
    #: net_payment_amount: what reaches (or leaves) the seller
    net_minor = models.BigIntegerField()
    tax_rate = models.CharField(max_length=20, blank=True)
    postal_code = models.CharField(max_length=20, blank=True)
    raw = models.JSONField(default=dict, blank=True)
    first_seen_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-transaction_date", "-pk"]
        constraints = [models.UniqueConstraint(fields=["shop", "key"], name="finance_txn_uniq_key")]
        indexes = [
            models.Index(fields=["shop", "-transaction_date"], name="finance_txn_date"),
            models.Index(fields=["shop", "payout_reference_id"], name="finance_txn_payout_ref"),
            models.Index(fields=["shop", "meta_order_id"], name="finance_txn_order"),
            models.Index(fields=["shop", "kind"], condition=Q(kind__in=["CHARGEBACK", "CHARGEBACK_REVERSAL"]),
                         name="finance_txn_chargebacks"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.meta_order_id} {self.net_minor}"

    def money(self, minor: int) -> Money:
        return Money(minor, self.currency)

    @property
    def gross(self) -> Money:
        return self.money(self.gross_minor)

    @property
    def fee(self) -> Money:
        return self.money(self.fee_minor)

    @property
    def net(self) -> Money:
        return self.money(self.net_minor)


class Report(models.Model):
    """A report built in the background (long periods), downloaded when done."""

    class Kind(models.TextChoices):
        SALES = "sales", _("Sales reconciliation")
        TAX = "tax", _("Tax by jurisdiction")

    class State(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Building")
        DONE = "done", _("Ready")
        FAILED = "failed", _("Failed")

    shop = models.ForeignKey("shops.Shop", on_delete=models.CASCADE, related_name="finance_reports")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    start = models.DateField()
    end = models.DateField()
    state = models.CharField(max_length=10, choices=State.choices, default=State.QUEUED)
    #: rows done / rows to do, for the progress bar
    done = models.PositiveIntegerField(default=0)
    total = models.PositiveIntegerField(default=0)
    content = models.TextField(blank=True)
    error = models.TextField(blank=True)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.start}–{self.end}"

    @property
    def percent(self) -> int:
        return 100 if self.state == self.State.DONE else (self.done * 100 // self.total if self.total else 0)
