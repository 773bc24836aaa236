"""Stock moves caused by orders: a new order takes units from the local product, a cancellation
with restock gives them back; the catalog's fast lane then pushes the new inventory to Meta.

The catalog app has no inventory service yet, so this is the one function in the orders app that
writes a product's inventory directly. It saves through `Product.save()`, which recomputes the
product's sync hashes, so the change is seen as dirty by the catalog sync (never a queryset
`update()`, which would skip that). Products that do not track stock (empty inventory) are left
alone; stock never goes below zero.
"""

from __future__ import annotations

from collections.abc import Mapping

from django.db import transaction


def adjust_stock(shop, deltas: Mapping[int, int]) -> dict[int, int]:
    """Apply `{product id: +/- units}` to the shop's products; returns the new inventories.

    Call inside the transaction that records the order change, so the stock move and the order
    commit together. Rows are locked in primary-key order.
    """
    from catalog.models import Product

    changes = {pid: delta for pid, delta in deltas.items() if pid and delta}
    if not changes:
        return {}
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("adjust_stock must run inside the order change's transaction")
    result = {}
    products = Product.objects.filter(shop=shop, pk__in=list(changes)).order_by("pk").select_for_update()
    for product in products:
        if product.quantity_to_sell_on_facebook is None:
            continue
        product.quantity_to_sell_on_facebook = max(0, product.quantity_to_sell_on_facebook + changes[product.pk])
        product.save(update_fields=["quantity_to_sell_on_facebook"])
        result[product.pk] = product.quantity_to_sell_on_facebook
    return result
