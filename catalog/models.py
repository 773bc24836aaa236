"""The local catalog: products (variants share `item_group_id`), product sets, product issues
and CSV import jobs.

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
import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
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
        issues = getattr(self, "open_issues", None)
        if issues is None:
            issues = self.issues.open()
        return any(issue.severity == ProductIssue.Severity.MUST_FIX for issue in issues)

    @property
    def all_internal_labels(self) -> list[str]:
        return sorted({*self.internal_labels, *self.set_labels})

    @property
    def shipping_weight(self) -> str:
        if self.shipping_weight_value is None or not self.shipping_weight_unit:
            return ""
        return f"{self.shipping_weight_value.normalize():f} {self.shipping_weight_unit}"

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


def new_set_retailer_id() -> str:
    return f"ps_{uuid.uuid4().hex[:12]}"


class ProductSetQuerySet(models.QuerySet):
    def live(self):
        return self.filter(deleted_at__isnull=True)


class ProductSet(models.Model):
    """A seller-defined collection, synced to Meta as a product set with a filter (phase 2).

    Picked sets give each member an internal label equal to the set's retailer id, so their
    membership rides the normal item sync; the set's Meta filter then selects that label.
    """

    class Kind(models.TextChoices):
        PICKED = "picked", _("Products I pick")
        LABEL = "label", _("Products with a label")
        RULES = "rules", _("Products matching rules")

    shop = models.ForeignKey("shops.Shop", on_delete=models.CASCADE, related_name="product_sets")
    name = models.CharField(_("name"), max_length=100)
    retailer_id = models.CharField(max_length=64, default=new_set_retailer_id, editable=False)
    kind = models.CharField(_("which products"), max_length=10, choices=Kind.choices, default=Kind.PICKED)
    products = models.ManyToManyField(Product, blank=True, related_name="picked_sets")
    label = models.CharField(_("label"), max_length=c.INTERNAL_LABEL_MAX, blank=True,
                             help_text=_("An internal label your products carry (product page or CSV column internal_label)."))
    brand = models.CharField(_("brand is"), max_length=c.BRAND_MAX, blank=True)
    product_type = models.CharField(_("product type contains"), max_length=c.PRODUCT_TYPE_MAX, blank=True)
    price_min_minor = models.BigIntegerField(_("price from"), null=True, blank=True)
    price_max_minor = models.BigIntegerField(_("price up to"), null=True, blank=True)

    needs_sync = models.BooleanField(default=True, editable=False)
    synced_at = models.DateTimeField(null=True, blank=True, editable=False)
    meta_set_id = models.CharField(max_length=64, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    deleted_at = models.DateTimeField(null=True, blank=True, editable=False)

    objects = ProductSetQuerySet.as_manager()

    class Meta:
        ordering = ["name", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["shop", "retailer_id"], name="catalog_productset_uniq_retailer_id"),
        ]

    def __str__(self) -> str:
        return self.name

    def _money(self, minor: int | None) -> Money | None:
        return None if minor is None else Money(minor, self.shop.currency)

    @property
    def price_min(self) -> Money | None:
        return self._money(self.price_min_minor)

    @property
    def price_max(self) -> Money | None:
        return self._money(self.price_max_minor)

    @property
    def member_label(self) -> str:
        """The internal label a picked set gives its members."""
        return self.retailer_id


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


class ImportJob(models.Model):
    """One CSV upload, kept in the database so that any worker can process it."""

    class Status(models.TextChoices):
        VALIDATING = "validating", _("Checking the file")
        READY = "ready", _("Ready to import")
        APPLYING = "applying", _("Importing")
        DONE = "done", _("Imported")
        FAILED = "failed", _("Failed")
        CANCELLED = "cancelled", _("Cancelled")

    shop = models.ForeignKey("shops.Shop", on_delete=models.CASCADE, related_name="import_jobs")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    filename = models.CharField(max_length=255)
    content = models.TextField()
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.VALIDATING)
    total_rows = models.PositiveIntegerField(default=0)
    processed_rows = models.PositiveIntegerField(default=0)
    #: Rows done as of the last saved checkpoint: where a continuation task resumes.
    position = models.PositiveIntegerField(default=0)
    #: {"create": n, "update": n, "unchanged": n, "error": n, "warning": n}
    counts = models.JSONField(default=dict, blank=True)
    #: [{"row": 3, "column": "price", "message": "..."}], every failed row, in file order.
    errors = models.JSONField(default=list, blank=True)
    warnings = models.JSONField(default=list, blank=True)
    #: First rows with their planned action, for the preview table.
    preview = models.JSONField(default=list, blank=True)
    #: A problem with the whole file (encoding, no header, no id column).
    fatal_error = models.TextField(blank=True)
    task_id = models.CharField(max_length=64, blank=True)
    locked_until = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.filename} ({self.get_status_display()})"

    @property
    def is_working(self) -> bool:
        return self.status in (self.Status.VALIDATING, self.Status.APPLYING)

    @property
    def percent(self) -> int:
        if not self.total_rows:
            return 0 if self.is_working else 100
        return min(100, self.processed_rows * 100 // self.total_rows)

    @property
    def rows_to_apply(self) -> int:
        return self.counts.get("create", 0) + self.counts.get("update", 0)


# --- sync with Meta (phase 2) -------------------------------------------------------------------


class CatalogSync(models.Model):
    """Per-shop sync state: the fast lane's requests and spacing, Meta's throttle and the last
    time each kind of sync finished. Created with the shop (`shops.signals.shop_created`). The
    leases (one sync per shop at a time, the fast lane's debounce) live in `kernel.Lease`
    (`catalog.sync.config.sync_key`, `fast_key`)."""

    shop = models.OneToOneField("shops.Shop", on_delete=models.CASCADE, related_name="catalog_sync")
    fast_requested_at = models.DateTimeField(null=True, blank=True)
    last_fast_call_at = models.DateTimeField(null=True, blank=True)
    #: Meta throttled us (80014/80009): no sync call before this.
    deferred_until = models.DateTimeField(null=True, blank=True)
    last_fast_at = models.DateTimeField(null=True, blank=True)
    last_changes_at = models.DateTimeField(null=True, blank=True)
    last_full_at = models.DateTimeField(null=True, blank=True)
    last_diagnostics_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"catalog sync of shop {self.shop_id}"


class SyncRun(models.Model):
    """One sync of a shop's catalog with Meta, with the counts the progress bar and history show."""

    class Kind(models.TextChoices):
        FAST = "fast", _("Price and stock")
        CHANGES = "changes", _("Changes")
        FULL = "full", _("Full")

    class Status(models.TextChoices):
        RUNNING = "running", _("Sending")
        WAITING = "waiting", _("Waiting for Meta")
        DEFERRED = "deferred", _("Paused: Meta asked us to slow down")
        SUCCEEDED = "succeeded", _("Done")
        FAILED = "failed", _("Failed")
        INTERRUPTED = "interrupted", _("Interrupted")

    class Trigger(models.TextChoices):
        SCHEDULE = "schedule", _("Scheduled")
        EDIT = "edit", _("After an edit")
        SELLER = "seller", _("Sync now")
        CONNECT = "connect", _("Shop connected")

    ACTIVE = (Status.RUNNING, Status.WAITING, Status.DEFERRED)

    shop = models.ForeignKey("shops.Shop", on_delete=models.CASCADE, related_name="catalog_sync_runs")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    trigger = models.CharField(max_length=10, choices=Trigger.choices, default=Trigger.SCHEDULE)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.RUNNING)
    #: items → sets → reconcile → poll → done: where a deferred run resumes.
    phase = models.CharField(max_length=10, default="items")
    #: Last product id sent in this run (keyset cursor; a resumed run continues after it).
    cursor = models.BigIntegerField(default=0)
    total = models.PositiveIntegerField(default=0)
    sent = models.PositiveIntegerField(default=0)
    confirmed = models.PositiveIntegerField(default=0)
    rejected = models.PositiveIntegerField(default=0)
    orphans_deleted = models.PositiveIntegerField(default=0)
    sets_synced = models.PositiveIntegerField(default=0)
    batches = models.PositiveIntegerField(default=0)
    batches_done = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)
    resume_at = models.DateTimeField(null=True, blank=True)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="+")
    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-started_at", "-pk"]
        indexes = [models.Index(fields=["shop", "-started_at"], name="catalog_syncrun_shop")]

    def __str__(self) -> str:
        return f"{self.kind} sync of shop {self.shop_id} ({self.status})"

    @property
    def is_active(self) -> bool:
        return self.status in self.ACTIVE

    @property
    def percent(self) -> int:
        if not self.total:
            return 100 if not self.is_active else 0
        return min(100, (self.confirmed + self.rejected) * 100 // self.total)

    @property
    def duration(self):
        return (self.finished_at - self.started_at) if self.finished_at else None


class CatalogBatch(models.Model):
    """One items_batch call: what was sent (product id, retailer id and the hashes sent) and
    Meta's handle. Written before the call, so a killed worker leaves a trace; products are
    marked synced only from the batch status Meta returns for this handle."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Being sent")
        SENT = "sent", _("Sent, waiting for Meta")
        FINISHED = "finished", _("Finished")
        FAILED = "failed", _("Failed")
        ABANDONED = "abandoned", _("Not sent")

    shop = models.ForeignKey("shops.Shop", on_delete=models.CASCADE, related_name="catalog_batches")
    run = models.ForeignKey(SyncRun, null=True, blank=True, on_delete=models.SET_NULL, related_name="batch_set")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    handle = models.CharField(max_length=255, blank=True)
    #: [[product id or null, retailer id, slow hash sent or null, fast hash sent or null], ...]
    items = models.JSONField(default=list)
    size = models.PositiveIntegerField(default=0)
    bytes = models.PositiveIntegerField(default=0)
    confirmed = models.PositiveIntegerField(default=0)
    rejected = models.PositiveIntegerField(default=0)
    checks = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    next_check_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["pk"]
        indexes = [
            # The poller reads only batches still waiting for Meta.
            models.Index(fields=["next_check_at"], condition=Q(status="sent"), name="catalog_batch_waiting"),
            models.Index(fields=["shop", "status"], name="catalog_batch_shop_status"),
        ]

    def __str__(self) -> str:
        return f"batch {self.handle or self.pk} ({self.status})"
