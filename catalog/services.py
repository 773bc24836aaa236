"""State changes of products: the one path that views, the CSV import, the admin and tasks use.
A seller's change takes plain values and the acting user (`actor`; None is the system) and writes
its audit event in its transaction."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from django.db import connection, transaction
from django.db.models import Case, Value, When
from django.utils import timezone

from catalog.models import SYNC_STATE_FIELDS, Product, ProductIssue
from shops import audit

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
def save_product(shop, product_id: int | None = None, *, values: Mapping[str, Any],
                 variant_of_id: int | None = None, actor=None) -> Product:
    """Create (no `product_id`) or update a live product from plain values (`CONTENT_FIELDS`,
    amounts in minor units: `ProductForm.values()`). A new product whose retailer id belongs to a
    deleted one revives that tombstone, so Meta sees an update of the item it may still hold.
    `variant_of_id`: the product this one was added as a variant of; if it had no group yet, it
    joins the new product's group (named after it by the form's initial values)."""
    unknown = set(values) - set(CONTENT_FIELDS)
    if unknown:
        raise ValueError(f"not product fields: {sorted(unknown)}")
    before = None
    if product_id is None:
        product = (
            Product.objects.select_for_update()
            .filter(shop=shop, retailer_id=values.get("retailer_id"), deleted_at__isnull=False).first()
        )
        if product is not None:
            product.deleted_at = None
        else:
            product = Product(shop=shop, currency=shop.currency)
    else:
        product = Product.objects.select_for_update().get(shop=shop, pk=product_id, deleted_at__isnull=True)
        before = audit.snapshot(product, values)
    for name, value in values.items():
        setattr(product, name, value)
    product.save()
    if before is None:
        audit.record(shop, actor, "product.create", target=product, summary=product.retailer_id,
                     changes={k: v for k, v in values.items() if v not in (None, "", [])})
    else:
        audit.record(shop, actor, "product.update", target=product, summary=product.retailer_id,
                     changes=audit.diff(before, audit.snapshot(product, values)))
    fast_lane_changed([product])
    if variant_of_id is not None and product.item_group_id:
        original = Product.objects.select_for_update().filter(shop=shop, pk=variant_of_id).first()
        if original is not None and not original.item_group_id:
            audit.record(shop, actor, "product.update", target=original, summary=original.retailer_id,
                         changes={"item_group_id": [original.item_group_id, product.item_group_id]})
            original.item_group_id = product.item_group_id
            original.save(update_fields=["item_group_id"])
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
    fast_lane_changed(products)
    return len(products)


def fast_lane_changed(products: Iterable[Product]) -> None:
    """After the commit, queue the fast sync of the shops whose known products changed price or
    stock (coalesced per shop: catalog.sync.state.request_fast_sync)."""
    shop_ids = {p.shop_id for p in products if p.needs_sync_fast and p.synced_at and not p.is_deleted}
    if shop_ids:
        from catalog.sync.state import on_commit_request_fast_sync

        for shop_id in shop_ids:
            on_commit_request_fast_sync(shop_id)


@transaction.atomic
def set_status(shop, products: Iterable[Product], status: str, *, actor=None) -> int:
    """Archive or re-activate the shop's `products` (only their ids are used: each is locked and
    read again). Returns how many changed."""
    changed = [p for p in lock_products(shop, products) if p.status != status]
    audit.record_each(shop, actor, "product.set_status", [(p, {"status": [p.status, status]}) for p in changed])
    for product in changed:
        product.status = status
    return bulk_save(changed, ["status"])


@transaction.atomic
def set_availability(shop, products: Iterable[Product], availability: str, *, actor=None) -> int:
    """Set the availability of the shop's `products` (as `set_status`). Returns how many changed."""
    changed = [p for p in lock_products(shop, products) if p.availability != availability]
    audit.record_each(shop, actor, "product.set_availability",
                      [(p, {"availability": [p.availability, availability]}) for p in changed])
    for product in changed:
        product.availability = availability
    return bulk_save(changed, ["availability"])


def move_stock(shop, deltas: Mapping[int, int], *, reason: str, actor=None) -> dict[int, int]:
    """The one way stock changes outside the product form: `{product id: +/- units}` (an order
    takes units, a cancellation with restock gives them back). Returns the new inventories.

    Call inside the transaction that records the cause, so the move commits with it; rows are
    locked in primary-key order. Products that do not track stock (empty inventory) are left
    alone and stock never goes below zero. After the commit the shop's fast lane is asked for,
    so the new inventory reaches Meta in seconds, not at the next sweep.
    """
    changes = {pid: delta for pid, delta in deltas.items() if pid and delta}
    if not changes:
        return {}
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("move_stock must run inside the transaction of the change that causes it")
    moved: list[Product] = []
    for product in Product.objects.filter(shop=shop, pk__in=list(changes)).order_by("pk").select_for_update():
        if product.quantity_to_sell_on_facebook is None:
            continue
        before = product.quantity_to_sell_on_facebook
        product.quantity_to_sell_on_facebook = max(0, before + changes[product.pk])
        if product.quantity_to_sell_on_facebook == before:
            continue
        product.save(update_fields=["quantity_to_sell_on_facebook"])
        moved.append(product)
        audit.record(shop, actor, "product.stock", target=product, summary=reason,
                     changes={"quantity_to_sell_on_facebook": [before, product.quantity_to_sell_on_facebook]})
    fast_lane_changed(moved)
    return {p.pk: p.quantity_to_sell_on_facebook for p in moved}


@transaction.atomic
def delete_product(shop, product: Product, *, actor=None) -> None:
    """Soft delete: keep a tombstone the sync turns into a DELETE at Meta; close its issues."""
    product = Product.objects.select_for_update().get(shop=shop, pk=product.pk)
    now = timezone.now()
    audit.record(shop, actor, "product.delete", target=product, summary=product.retailer_id)
    product.deleted_at = now
    product.set_labels = []
    product.save(update_fields=["deleted_at", "set_labels"])
    product.picked_sets.clear()
    ProductIssue.objects.open().filter(product=product).update(resolved_at=now)


@transaction.atomic(savepoint=False)  # one statement: inside a caller's transaction it needs no savepoint
def confirm_synced(shop, confirmations: Iterable[tuple[int, str | None, str | None]]) -> int:
    """Record what Meta confirmed: (product id, slow hash sent or None, fast hash sent or None).

    The dirty flag clears only if the product still has the hash that was sent; a product edited
    while its batch was on the way stays dirty and goes out again. One UPDATE statement whatever
    the number of products (a JSON list joined in SQL), so a 5,000-item batch costs one query.
    """
    rows = [{"id": int(pid), "slow": slow, "fast": fast} for pid, slow, fast in confirmations]
    if not rows:
        return 0
    now = timezone.now()
    if connection.vendor in ("sqlite", "postgresql"):
        return _confirm_in_sql(shop.pk, rows, now)
    count = 0
    for row in rows:
        updates: dict = {"synced_at": now}
        if row["slow"] is not None:
            updates |= {"synced_slow_hash": row["slow"], "needs_sync_slow": Case(
                When(slow_hash=row["slow"], then=Value(False)), default=Value(True))}
        if row["fast"] is not None:
            updates |= {"synced_fast_hash": row["fast"], "needs_sync_fast": Case(
                When(fast_hash=row["fast"], then=Value(False)), default=Value(True))}
        count += Product.objects.filter(shop=shop, pk=row["id"]).update(**updates)
    return count


def _confirm_in_sql(shop_id: int, rows: list[dict], now) -> int:
    table = Product._meta.db_table
    # SET expressions read the row's old values on both databases.
    assignments = f"""
        synced_slow_hash = COALESCE(j.slow, {table}.synced_slow_hash),
        synced_fast_hash = COALESCE(j.fast, {table}.synced_fast_hash),
        needs_sync_slow = ({table}.slow_hash <> COALESCE(j.slow, {table}.synced_slow_hash)),
        needs_sync_fast = ({table}.fast_hash <> COALESCE(j.fast, {table}.synced_fast_hash)),
        synced_at = %s"""
    if connection.vendor == "postgresql":
        sql = (f"UPDATE {table} SET {assignments} FROM jsonb_to_recordset(%s::jsonb) AS j(id bigint, slow text, "
               f"fast text) WHERE {table}.id = j.id AND {table}.shop_id = %s")
    else:
        sql = (f"UPDATE {table} SET {assignments} FROM (SELECT json_extract(value, '$.id') AS id, "
               f"json_extract(value, '$.slow') AS slow, json_extract(value, '$.fast') AS fast "
               f"FROM json_each(%s)) AS j WHERE {table}.id = j.id AND +{table}.shop_id = %s")
        # The unary + keeps SQLite from driving the join by the shop index (a scan of the shop's
        # products, each probing the JSON list): the list drives, each row found by its id.
    with connection.cursor() as cursor:
        cursor.execute(sql, [connection.ops.adapt_datetimefield_value(now), json.dumps(rows), shop_id])
        return cursor.rowcount


def lock_products(shop, products: Iterable[Product]) -> list[Product]:
    ids = [p.pk for p in products]
    return list(Product.objects.select_for_update().filter(shop=shop, pk__in=ids).order_by("pk"))
