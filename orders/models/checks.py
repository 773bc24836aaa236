"""Figures where Meta and our order-money module disagree: kept for staff, never corrected silently."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from orders.models.order import Order, OrderItem


class MoneyCheck(models.Model):
    """One figure Meta reports for an order line (`amount_available_for_refund`, `captured_tax`)
    that differs from ours for the same shipments, cancellations and refunds. Meta's figure is the
    one the portal uses; this row tells staff that one side's arithmetic is wrong. It is resolved
    when a later poll finds the two agreeing again."""

    class Figure(models.TextChoices):
        REFUNDABLE = "refundable", _("Amount available for refund")
        CAPTURED_TAX = "captured_tax", _("Tax captured")

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="money_checks")
    item = models.ForeignKey(OrderItem, on_delete=models.CASCADE, related_name="+")
    figure = models.CharField(max_length=20, choices=Figure.choices)
    ours_minor = models.BigIntegerField()
    meta_minor = models.BigIntegerField()
    first_seen_at = models.DateTimeField(auto_now_add=True)
    last_seen_at = models.DateTimeField(auto_now=True)
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-last_seen_at", "pk"]
        constraints = [models.UniqueConstraint(fields=["item", "figure"], condition=Q(resolved_at__isnull=True),
                                               name="orders_moneycheck_one_open")]

    def __str__(self) -> str:
        return f"{self.get_figure_display()}: ours {self.ours_minor}, Meta {self.meta_minor}"

    @property
    def difference_minor(self) -> int:
        return self.meta_minor - self.ours_minor
