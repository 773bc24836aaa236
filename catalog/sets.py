"""Product sets, local part: Meta's filter for each set, local membership and its changes.

Membership of a picked set rides the normal item sync: each member carries the set's label
(`Product.set_labels`, sent in the item's `internal_label`), and the set's filter at Meta selects
that label. Adding or removing a product therefore only marks that product dirty; the set itself
changes at Meta only when its name or rules change (`needs_sync`).

Filter grammar (META_API.md §2.6): `{"and": [leaf, ...]}` with leaves `{"<field>": {"<op>": value}}`.
Prices in a filter are in the currency's minor units, as Meta's Graph product fields are (I).
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import connection, transaction
from django.db.models import BooleanField, Q
from django.db.models.expressions import RawSQL
from django.utils import timezone

from catalog.models import Product, ProductSet
from catalog.services import bulk_save, lock_products


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
def save_product_set(shop, form) -> ProductSet:
    product_set = form.save(commit=False)
    product_set.needs_sync = True
    product_set.save()
    if product_set.kind == ProductSet.Kind.PICKED:
        if form.picked_products is not None:
            set_members(shop, product_set, form.picked_products)
    else:
        set_members(shop, product_set, [])
    return product_set


def set_members(shop, product_set: ProductSet, products: Iterable[Product]) -> None:
    wanted = {p.pk for p in products}
    current = set(product_set.products.values_list("pk", flat=True))
    add_products(shop, product_set, Product.objects.filter(shop=shop, pk__in=wanted - current))
    remove_products(shop, product_set, Product.objects.filter(shop=shop, pk__in=current - wanted))


@transaction.atomic
def add_products(shop, product_set: ProductSet, products: Iterable[Product]) -> int:
    label = product_set.member_label
    locked = lock_products(shop, products)
    changed = []
    for product in locked:
        if label not in product.set_labels:
            product.set_labels = sorted({*product.set_labels, label})
            changed.append(product)
    product_set.products.add(*locked)
    return bulk_save(changed, ["set_labels"])


@transaction.atomic
def remove_products(shop, product_set: ProductSet, products: Iterable[Product]) -> int:
    label = product_set.member_label
    locked = lock_products(shop, products)
    changed = []
    for product in locked:
        if label in product.set_labels:
            product.set_labels = [x for x in product.set_labels if x != label]
            changed.append(product)
    product_set.products.remove(*locked)
    return bulk_save(changed, ["set_labels"])


@transaction.atomic
def delete_product_set(shop, product_set: ProductSet) -> None:
    """Soft delete: phase 2 deletes the set at Meta, then may purge the row."""
    remove_products(shop, product_set, product_set.products.all())
    product_set.deleted_at = timezone.now()
    product_set.needs_sync = True
    product_set.save(update_fields=["deleted_at", "needs_sync", "updated_at"])
