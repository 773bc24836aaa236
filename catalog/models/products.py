"""Products: the local catalog item, its sync hashes and dirty flags, its tombstone.

Sync bookkeeping (DESIGN §5). Every save recomputes two hashes of what Meta would receive: the
"fast" fields (price, sale price and its dates, availability, inventory) and the "slow" rest.
Phase 2's sync stores the hashes Meta confirmed in `synced_*_hash`; `needs_sync_fast` and
`needs_sync_slow` are simply "hash differs", kept as booleans so that partial indexes make the
dirty queries touch dirty rows only, never the clean catalog.

Retailer id. Meta identifies an item by our `retailer_id` (items_batch `data.id`); changing it
at Meta is a delete plus a create, which loses the item's history, reviews and ad stats. We do
not do that silently: once Meta has confirmed the product (`synced_at` set), the form refuses a
new retailer id with a clear error (the seller can still delete it and create a new product).

Deletion is soft: `deleted_at` marks a tombstone that the sync turns into a DELETE at Meta.
"""

from __future__ import annotations

import hashlib
import json

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from catalog import constants as c
from catalog import payloads
from kernel.money import Money


class ProductQuerySet(models.QuerySet):
    def live(self):
        """Products the seller sees: not deleted (archived ones included)."""
        return self.filter(deleted_at__isnull=True)

    def pending_sync(self):
        return self.filter(Q(needs_sync_slow=True) | Q(needs_sync_fast=True))

    def needing_full_sync(self):
        """Slow fields changed, new products and tombstones (index catalog_product_dirty_slow)."""
        return self.filter(needs_sync_slow=True)

    def needing_fast_sync(self):
        """The fast lane: price/stock changed on a live item Meta knows (index
        catalog_product_dirty_fast). Slow changes may be waiting too: the fast lane sends only the
        fast fields now, the changes sync the rest later."""
        return self.filter(needs_sync_fast=True, synced_at__isnull=False, deleted_at__isnull=True)


class Product(models.Model):
    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        ARCHIVED = "archived", _("Archived")

    # No separate index: the unique (shop, retailer_id) index serves every lookup by shop.
    shop = models.ForeignKey("shops.Shop", on_delete=models.CASCADE, related_name="products", db_index=False)
    retailer_id = models.CharField(
        _("retailer id"), max_length=c.RETAILER_ID_MAX,
        help_text=_("Your SKU or product id. Meta knows the product by it, so it cannot change after the first sync."),
    )
    item_group_id = models.CharField(
        _("variant group"), max_length=c.ITEM_GROUP_ID_MAX, blank=True,
        help_text=_("Products with the same group are variants of one product (e.g. sizes of one shirt)."),
    )
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.ACTIVE)

    title = models.CharField(_("title"), max_length=c.TITLE_MAX)
    description = models.TextField(_("description"), max_length=c.DESCRIPTION_MAX)
    rich_text_description = models.TextField(
        _("rich-text description"), max_length=c.RICH_TEXT_MAX, blank=True,
        help_text=_("Optional HTML (no scripts or styles). The plain description is still required."),
    )
    brand = models.CharField(_("brand"), max_length=c.BRAND_MAX)
    link = models.URLField(_("product page link"), max_length=c.URL_MAX)
    image_link = models.URLField(_("main image link"), max_length=c.URL_MAX)
    additional_image_links = models.JSONField(_("additional image links"), default=list, blank=True)

    currency = models.CharField(_("currency"), max_length=3)
    price_minor = models.BigIntegerField(_("price"))
    sale_price_minor = models.BigIntegerField(_("sale price"), null=True, blank=True)
    sale_starts_at = models.DateTimeField(_("sale starts"), null=True, blank=True)
    sale_ends_at = models.DateTimeField(_("sale ends"), null=True, blank=True)
    availability = models.CharField(
        _("availability"), max_length=20, choices=c.Availability.choices, default=c.Availability.IN_STOCK
    )
    condition = models.CharField(_("condition"), max_length=20, choices=c.Condition.choices, default=c.Condition.NEW)
    quantity_to_sell_on_facebook = models.PositiveIntegerField(
        _("inventory"), null=True, blank=True,
        help_text=_("Units Meta may sell. Leave empty if you do not track stock."),
    )

    gtin = models.CharField(_("GTIN"), max_length=c.GTIN_MAX, blank=True,
                            help_text=_("Barcode number: UPC (12 digits), EAN (13), ITF-14 or GTIN-8."))
    mpn = models.CharField(_("MPN"), max_length=c.MPN_MAX, blank=True)
    color = models.CharField(_("colour"), max_length=c.COLOR_MAX, blank=True)
    size = models.CharField(_("size"), max_length=c.SIZE_MAX, blank=True)
    material = models.CharField(_("material"), max_length=c.MATERIAL_MAX, blank=True)
    pattern = models.CharField(_("pattern"), max_length=c.PATTERN_MAX, blank=True)
    gender = models.CharField(_("gender"), max_length=10, choices=c.Gender.choices, blank=True)
    age_group = models.CharField(_("age group"), max_length=10, choices=c.AgeGroup.choices, blank=True)
    google_product_category = models.CharField(
        _("Google product category"), max_length=c.GOOGLE_CATEGORY_MAX, blank=True,
        help_text=_("A category name or its number, e.g. 'Apparel & Accessories > Clothing' or 1604."),
    )
    fb_product_category = models.CharField(_("Facebook product category"), max_length=c.GOOGLE_CATEGORY_MAX, blank=True)
    product_type = models.CharField(
        _("product type"), max_length=c.PRODUCT_TYPE_MAX, blank=True,
        help_text=_("Your own category path, e.g. 'Tea > Green tea'."),
    )
    custom_label_0 = models.CharField(_("custom label 0"), max_length=c.CUSTOM_LABEL_MAX, blank=True)
    custom_label_1 = models.CharField(_("custom label 1"), max_length=c.CUSTOM_LABEL_MAX, blank=True)
    custom_label_2 = models.CharField(_("custom label 2"), max_length=c.CUSTOM_LABEL_MAX, blank=True)
    custom_label_3 = models.CharField(_("custom label 3"), max_length=c.CUSTOM_LABEL_MAX, blank=True)
    custom_label_4 = models.CharField(_("custom label 4"), max_length=c.CUSTOM_LABEL_MAX, blank=True)
    shipping_weight_value = models.DecimalField(_("shipping weight"), max_digits=10, decimal_places=3, null=True,
                                                blank=True)
    shipping_weight_unit = models.CharField(_("weight unit"), max_length=2, choices=c.WeightUnit.choices, blank=True)
    #: The seller's own labels (Meta `internal_label`: never shown to buyers; usable in product sets).
    internal_labels = models.JSONField(_("internal labels"), default=list, blank=True)
    #: Labels of the picked product sets this product belongs to, maintained by catalog.sets.
    set_labels = models.JSONField(default=list, blank=True, editable=False)

    # --- sync bookkeeping (phase 2 writes the synced_* fields) --------------------------------
    slow_hash = models.CharField(max_length=64, editable=False)
    fast_hash = models.CharField(max_length=64, editable=False)
    synced_slow_hash = models.CharField(max_length=64, blank=True, editable=False)
    synced_fast_hash = models.CharField(max_length=64, blank=True, editable=False)
    needs_sync_slow = models.BooleanField(default=True, editable=False)
    needs_sync_fast = models.BooleanField(default=True, editable=False)
    #: When Meta last confirmed this product; set once ⇒ the retailer id is frozen.
    synced_at = models.DateTimeField(null=True, blank=True, editable=False)
    meta_item_id = models.CharField(max_length=64, blank=True, editable=False)

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    deleted_at = models.DateTimeField(null=True, blank=True, editable=False)

    objects = ProductQuerySet.as_manager()

    class Meta:
        ordering = ["-id"]
        constraints = [
            # Tombstones keep their id: re-creating the same retailer id revives the tombstone.
            models.UniqueConstraint(fields=["shop", "retailer_id"], name="catalog_product_uniq_retailer_id"),
        ]
        indexes = [
            # The seller's list: keyset pagination by id within a shop, live rows only.
            models.Index(fields=["shop", "-id"], condition=Q(deleted_at__isnull=True), name="catalog_product_live"),
            models.Index(fields=["shop", "availability", "-id"], name="catalog_product_avail"),
            models.Index(fields=["shop", "item_group_id"], name="catalog_product_group"),
            # Dirty queries read only dirty rows (partial indexes, SQLite and PostgreSQL).
            models.Index(fields=["shop", "id"], condition=Q(needs_sync_slow=True), name="catalog_product_dirty_slow"),
            models.Index(fields=["shop", "id"], condition=Q(needs_sync_fast=True), name="catalog_product_dirty_fast"),
            # PostgreSQL also has catalog_product_counts (migration 0009): the catalog's figures
            # (catalog.summary.counts) in one index-only scan.
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.retailer_id})"

    def save(self, *args, **kwargs):
        self.refresh_sync_state()
        update_fields = kwargs.get("update_fields")
        if update_fields is not None:
            kwargs["update_fields"] = {*update_fields, *SYNC_STATE_FIELDS, "updated_at"}
        super().save(*args, **kwargs)

    # --- derived values -----------------------------------------------------------------------

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None

    @property
    def is_archived(self) -> bool:
        return self.status == self.Status.ARCHIVED

    @property
    def retailer_id_locked(self) -> bool:
        """Meta has confirmed this product: its retailer id can no longer change."""
        return self.synced_at is not None

    @property
    def needs_sync(self) -> bool:
        return self.needs_sync_slow or self.needs_sync_fast

    @property
    def on_sale(self) -> bool:
        return self.sale_price_minor is not None

    @property
    def price(self) -> Money:
        return Money(self.price_minor, self.currency)

    @property
    def sale_price(self) -> Money | None:
        return Money(self.sale_price_minor, self.currency) if self.on_sale else None

    @property
    def has_blocking_issue(self) -> bool:
        """An open must-fix issue (uses the list page's prefetched `open_issues` when present)."""
        from catalog.models.issues import ProductIssue  # issues.py imports this module

        issues = getattr(self, "open_issues", None)
        if issues is None:
            issues = self.issues.open()
        return any(issue.severity == ProductIssue.Severity.MUST_FIX for issue in issues)

    @property
    def all_internal_labels(self) -> list[str]:
        return payloads.internal_labels(self.internal_labels, self.set_labels)

    @property
    def shipping_weight(self) -> str:
        return payloads.shipping_weight(self.shipping_weight_value, self.shipping_weight_unit)

    def refresh_sync_state(self) -> None:
        """Recompute both hashes and the dirty flags from the current field values."""
        if self.is_deleted:
            self.slow_hash = _digest(payloads.delete_request(self))
            self.fast_hash = self.synced_fast_hash
        else:
            data = payloads.item_data(self)
            fast = {k: data.pop(k) for k in payloads.FAST_FIELDS if k in data}
            self.slow_hash = _digest(data)
            self.fast_hash = _digest(fast)
        self.needs_sync_slow = self.slow_hash != self.synced_slow_hash
        self.needs_sync_fast = self.fast_hash != self.synced_fast_hash


SYNC_STATE_FIELDS = ("slow_hash", "fast_hash", "needs_sync_slow", "needs_sync_fast")


def _digest(value) -> str:
    canonical = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()
