"""State changes of products: the one path that views, the CSV import, the admin and tasks use."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction
from django.db.models import Case, Value, When
from django.utils import timezone

from catalog.models import SYNC_STATE_FIELDS, Product, ProductIssue

#: Everything a seller edits about a product (copied when a tombstone is revived).
CONTENT_FIELDS = (
    "retailer_id", "item_group_id", "status", "title", "description", "rich_text_description", "brand", "link",
    "image_link", "additional_image_links", "currency", "price_minor", "sale_price_minor", "sale_starts_at",
    "sale_ends_at", "availability", "condition", "quantity_to_sell_on_facebook", "gtin", "mpn", "color", "size",
    "material", "pattern", "gender", "age_group", "google_product_category", "fb_product_category", "product_type",
    "custom_label_0", "custom_label_1", "custom_label_2", "custom_label_3", "custom_label_4",
    "shipping_weight_value", "shipping_weight_unit", "internal_labels",
)


@transaction.atomic
def save_product(shop, form, *, variant_of: Product | None = None) -> Product:
    """Create or update from a valid ProductForm. A new product whose retailer id belongs to a
    deleted one revives that tombstone, so Meta sees an update of the item it may still hold.
    `variant_of`: the product this one was added as a variant of; if it had no group yet, it
    joins the new product's group (named after it by the form's initial values)."""
    product = form.save(commit=False)
    if product.pk is None:
        tombstone = (
            Product.objects.select_for_update()
            .filter(shop=shop, retailer_id=product.retailer_id, deleted_at__isnull=False).first()
        )
        if tombstone is not None:
            product = revive(tombstone, product)
    product.save()
    if variant_of is not None and not variant_of.item_group_id and product.item_group_id:
        variant_of.item_group_id = product.item_group_id
        variant_of.save(update_fields=["item_group_id"])
    return product


def revive(tombstone: Product, values: Product) -> Product:
    for name in CONTENT_FIELDS:
        setattr(tombstone, name, getattr(values, name))
    tombstone.deleted_at = None
    return tombstone


def bulk_save(products: list[Product], fields: Iterable[str]) -> int:
    for product in products:
        product.refresh_sync_state()
        product.updated_at = timezone.now()
    Product.objects.bulk_update(products, [*fields, *SYNC_STATE_FIELDS, "updated_at"], batch_size=500)
    return len(products)


@transaction.atomic
def set_status(shop, products: Iterable[Product], status: str) -> int:
    changed = [p for p in lock_products(shop, products) if p.status != status]
    for product in changed:
        product.status = status
    return bulk_save(changed, ["status"])


@transaction.atomic
def set_availability(shop, products: Iterable[Product], availability: str) -> int:
    changed = [p for p in lock_products(shop, products) if p.availability != availability]
    for product in changed:
        product.availability = availability
    return bulk_save(changed, ["availability"])


@transaction.atomic
def delete_product(shop, product: Product) -> None:
    """Soft delete: keep a tombstone the sync turns into a DELETE at Meta; close its issues."""
    product = Product.objects.select_for_update().get(shop=shop, pk=product.pk)
    now = timezone.now()
    product.deleted_at = now
    product.set_labels = []
    product.save(update_fields=["deleted_at", "set_labels"])
    product.picked_sets.clear()
    ProductIssue.objects.open().filter(product=product).update(resolved_at=now)


@transaction.atomic
def confirm_synced(shop, confirmations: Iterable[tuple[int, str | None, str | None]]) -> int:
    """Record what Meta confirmed: (product id, slow hash sent or None, fast hash sent or None).

    The dirty flag clears only if the product still has the hash that was sent; a product edited
    while its batch was on the way stays dirty and goes out again.
    """
    now = timezone.now()
    count = 0
    for product_id, slow, fast in confirmations:
        updates: dict = {"synced_at": now}
        if slow is not None:
            updates |= {"synced_slow_hash": slow,
                        "needs_sync_slow": Case(When(slow_hash=slow, then=Value(False)), default=Value(True))}
        if fast is not None:
            updates |= {"synced_fast_hash": fast,
                        "needs_sync_fast": Case(When(fast_hash=fast, then=Value(False)), default=Value(True))}
        count += Product.objects.filter(shop=shop, pk=product_id).update(**updates)
    return count


def lock_products(shop, products: Iterable[Product]) -> list[Product]:
    ids = [p.pk for p in products]
    return list(Product.objects.select_for_update().filter(shop=shop, pk__in=ids).order_by("pk"))
