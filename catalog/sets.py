"""Product sets, local part: Meta's filter for each set, local membership and its changes.

Membership of a picked set rides the normal item sync: each member carries the set's label
(`Product.set_labels`, sent in the item's `internal_label`), and the set's filter at Meta selects
that label. Adding or removing a product therefore only marks that product dirty; the set itself
changes at Meta only when its name or rules change (`needs_sync`).

Filter grammar (META_API.md §2.6): `{"and": [leaf, ...]}` with leaves `{"<field>": {"<op>": value}}`.
Prices in a filter are in the currency's minor units, as Meta's Graph product fields are (I).

Changes a seller makes (save, delete, add or remove products) take plain values and the acting
user (`actor`; None is the system) and write their audit event in their transaction.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.db import connection, transaction
from django.db.models import BooleanField, Q
from django.db.models.expressions import RawSQL
from django.utils import timezone

from catalog.models import Product, ProductSet
from catalog.services import bulk_save, lock_products
from shops import audit

#: What a seller sets on a product set (`ProductSetForm.values()`): prices in minor units.
SET_FIELDS = ("name", "kind", "label", "brand", "product_type", "price_min_minor", "price_max_minor")


def meta_filter(product_set: ProductSet) -> dict:
    Kind = ProductSet.Kind
    if product_set.kind == Kind.PICKED:
        leaves = [{"internal_label": {"eq": product_set.member_label}}]
    elif product_set.kind == Kind.LABEL:
        leaves = [{"internal_label": {"eq": product_set.label}}]
    else:
        leaves = []
        if product_set.brand:
            leaves.append({"brand": {"eq": product_set.brand}})
        if product_set.product_type:
            leaves.append({"product_type": {"i_contains": product_set.product_type}})
        if product_set.price_min_minor is not None:
            leaves.append({"price": {"gte": product_set.price_min_minor}})
        if product_set.price_max_minor is not None:
            leaves.append({"price": {"lte": product_set.price_max_minor}})
    return {"and": leaves}


def members(product_set: ProductSet):
    """The shop's live products the set's filter selects, evaluated locally."""
    products = Product.objects.live().filter(shop_id=product_set.shop_id)
    Kind = ProductSet.Kind
    if product_set.kind == Kind.PICKED:
        return products.filter(picked_sets=product_set)
    if product_set.kind == Kind.LABEL:
        return _with_label(products, product_set.label)
    rules = Q()
    if product_set.brand:
        rules &= Q(brand=product_set.brand)
    if product_set.product_type:
        rules &= Q(product_type__icontains=product_set.product_type)
    if product_set.price_min_minor is not None:
        rules &= Q(price_minor__gte=product_set.price_min_minor)
    if product_set.price_max_minor is not None:
        rules &= Q(price_minor__lte=product_set.price_max_minor)
    return products.filter(rules)


def _with_label(products, label: str):
    table = Product._meta.db_table
    if connection.vendor == "postgresql":
        return products.filter(Q(internal_labels__contains=[label]) | Q(set_labels__contains=[label]))
    # SQLite: JSON1's json_each (JSONField "contains" is not supported there).
    sql = (f"EXISTS (SELECT 1 FROM json_each({table}.internal_labels) WHERE value = %s) "
           f"OR EXISTS (SELECT 1 FROM json_each({table}.set_labels) WHERE value = %s)")
    return products.alias(labelled=RawSQL(sql, [label, label], output_field=BooleanField())).filter(labelled=True)


@transaction.atomic
def save_product_set(shop, set_id: int | None = None, *, values: Mapping[str, Any],
                     picked_ids: Iterable[int] | None = None, actor=None) -> ProductSet:
    """Create (no `set_id`) or update a live set from plain values (`SET_FIELDS`). A picked set's
    members become the shop's products `picked_ids` (None: unchanged); other kinds have none."""
    unknown = set(values) - set(SET_FIELDS)
    if unknown:
        raise ValueError(f"not product set fields: {sorted(unknown)}")
    if set_id is None:
        product_set, before = ProductSet(shop=shop), None
    else:
        product_set = ProductSet.objects.select_for_update().get(shop=shop, pk=set_id, deleted_at__isnull=True)
        before = audit.snapshot(product_set, values)
    for name, value in values.items():
        setattr(product_set, name, value)
    product_set.needs_sync = True
    product_set.save()
    added, removed = [], []
    if product_set.kind == ProductSet.Kind.PICKED:
        if picked_ids is not None:
            added, removed = set_members(shop, product_set, Product.objects.filter(shop=shop, pk__in=list(picked_ids)))
    else:
        added, removed = set_members(shop, product_set, [])
    if before is None:
        changes = {k: v for k, v in values.items() if v not in (None, "")}
    else:
        changes = audit.diff(before, audit.snapshot(product_set, values))
    changes |= {k: v for k, v in (("products_added", added), ("products_removed", removed)) if v}
    audit.record(shop, actor, "product_set.create" if before is None else "product_set.update", target=product_set,
                 summary=product_set.name, changes=changes)
    return product_set


def set_members(shop, product_set: ProductSet, products: Iterable[Product]) -> tuple[list[int], list[int]]:
    """Make `products` the set's members; returns the ids (added, removed)."""
    wanted = {p.pk for p in products}
    current = set(product_set.products.values_list("pk", flat=True))
    _add(product_set, lock_products(shop, Product.objects.filter(shop=shop, pk__in=wanted - current)))
    _remove(product_set, lock_products(shop, Product.objects.filter(shop=shop, pk__in=current - wanted)))
    return sorted(wanted - current), sorted(current - wanted)


@transaction.atomic
def add_products(shop, product_set: ProductSet, products: Iterable[Product], *, actor=None) -> int:
    """Add the shop's `products` to a picked set. Returns how many products changed."""
    locked = lock_products(shop, products)
    if locked:
        audit.record(shop, actor, "product_set.add_products", target=product_set, summary=product_set.name,
                     changes={"products": [p.pk for p in locked]})
    return _add(product_set, locked)


@transaction.atomic
def remove_products(shop, product_set: ProductSet, products: Iterable[Product], *, actor=None) -> int:
    """Remove the shop's `products` from a picked set. Returns how many products changed."""
    locked = lock_products(shop, products)
    if locked:
        audit.record(shop, actor, "product_set.remove_products", target=product_set, summary=product_set.name,
                     changes={"products": [p.pk for p in locked]})
    return _remove(product_set, locked)


def _add(product_set: ProductSet, locked: list[Product]) -> int:
    """Give the (locked) products the set's label and membership; returns how many changed."""
    label = product_set.member_label
    changed = []
    for product in locked:
        if label not in product.set_labels:
            product.set_labels = sorted({*product.set_labels, label})
            changed.append(product)
    product_set.products.add(*locked)
    return bulk_save(changed, ["set_labels"])


def _remove(product_set: ProductSet, locked: list[Product]) -> int:
    label = product_set.member_label
    changed = []
    for product in locked:
        if label in product.set_labels:
            product.set_labels = [x for x in product.set_labels if x != label]
            changed.append(product)
    product_set.products.remove(*locked)
    return bulk_save(changed, ["set_labels"])


@transaction.atomic
def delete_product_set(shop, product_set: ProductSet, *, actor=None) -> None:
    """Soft delete: phase 2 deletes the set at Meta, then may purge the row."""
    audit.record(shop, actor, "product_set.delete", target=product_set, summary=product_set.name)
    _remove(product_set, lock_products(shop, product_set.products.all()))
    product_set.deleted_at = timezone.now()
    product_set.needs_sync = True
    product_set.save(update_fields=["deleted_at", "needs_sync", "updated_at"])
