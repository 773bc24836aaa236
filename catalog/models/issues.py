"""Product issues: problems Meta reported about a product or the whole catalog, kept when resolved."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from catalog.models.products import Product


class IssueQuerySet(models.QuerySet):
    def open(self):
        return self.filter(resolved_at__isnull=True)


class ProductIssue(models.Model):
    """A problem Meta reported about a product (or the whole catalog when `product` is empty).

    Rows are never deleted: an issue that is no longer reported gets `resolved_at`, and if it
    comes back later a new row starts, so the history of each problem stays readable.
    """

    class Source(models.TextChoices):
        BATCH = "batch", _("Batch upload result")
        ITEM_ERRORS = "item_errors", _("Product check")
        REVIEW = "review", _("Meta review")
        DIAGNOSTICS = "diagnostics", _("Catalog diagnostics")

    class Severity(models.TextChoices):
        MUST_FIX = "must_fix", _("Must fix")
        WARNING = "warning", _("Warning")
        OPPORTUNITY = "opportunity", _("Opportunity")

    shop = models.ForeignKey("shops.Shop", on_delete=models.CASCADE, related_name="product_issues")
    product = models.ForeignKey(Product, null=True, blank=True, on_delete=models.CASCADE, related_name="issues")
    source = models.CharField(max_length=20, choices=Source.choices)
    #: Meta's error type or diagnostics type, e.g. IMAGE_RESOLUTION_LOW.
    code = models.CharField(max_length=100)
    severity = models.CharField(max_length=20, choices=Severity.choices, default=Severity.MUST_FIX)
    #: Our form field the issue concerns ("" when Meta did not say).
    field = models.CharField(max_length=64, blank=True)
    title = models.CharField(max_length=255, blank=True)
    message = models.TextField(blank=True)
    #: For catalog-level diagnostics: how many items Meta counted.
    affected_count = models.PositiveIntegerField(default=1)
    first_seen = models.DateTimeField(default=timezone.now)
    last_seen = models.DateTimeField(default=timezone.now)
    resolved_at = models.DateTimeField(null=True, blank=True)

    objects = IssueQuerySet.as_manager()

    class Meta:
        ordering = ["-last_seen", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["shop", "product", "source", "code", "field"],
                condition=Q(resolved_at__isnull=True),
                name="catalog_issue_uniq_open",
            ),
        ]
        indexes = [
            models.Index(fields=["shop", "code"], condition=Q(resolved_at__isnull=True), name="catalog_issue_open"),
            models.Index(fields=["product"], condition=Q(resolved_at__isnull=True), name="catalog_issue_open_product"),
        ]

    def __str__(self) -> str:
        return f"{self.code} ({self.get_severity_display()})"

    @property
    def is_open(self) -> bool:
        return self.resolved_at is None

    @property
    def code_label(self) -> str:
        from catalog.issues import describe_code

        return describe_code(self.code)
