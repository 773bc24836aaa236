"""Product sets to Meta: create, update or delete one set."""

from __future__ import annotations

import json

from django.utils import timezone

from catalog.models import ProductSet
from graph.errors import NotFound


def sync_product_set(client, catalog_id: str, product_set: ProductSet) -> int:
    """Create, update or delete one set at Meta; returns 1 when Meta confirmed."""
    from catalog.sets import meta_filter

    seen = product_set.updated_at
    if product_set.deleted_at is not None:
        if product_set.meta_set_id:
            try:
                client.delete(product_set.meta_set_id, {"allow_live_product_set_deletion": True})
            except NotFound:
                pass  # already gone at Meta
        ProductSet.objects.filter(pk=product_set.pk, updated_at=seen).update(needs_sync=False,
                                                                              synced_at=timezone.now())
        return 1
    params = {"name": product_set.name, "filter": json.dumps(meta_filter(product_set), separators=(",", ":"))}
    set_id = product_set.meta_set_id
    if not set_id:
        # A crash after an earlier create left the set at Meta without its id here: find it first.
        found = client.get(f"{catalog_id}/product_sets", {"retailer_id": product_set.retailer_id, "fields": "id"})
        existing = (found or {}).get("data") or []
        set_id = str(existing[0]["id"]) if existing else ""
    if set_id:
        try:
            client.post(set_id, params, idempotent=True)
        except NotFound:
            set_id = ""
    if not set_id:
        made = client.post(f"{catalog_id}/product_sets", {**params, "retailer_id": product_set.retailer_id})
        set_id = str(made["id"])
    ProductSet.objects.filter(pk=product_set.pk).update(meta_set_id=set_id)
    ProductSet.objects.filter(pk=product_set.pk, updated_at=seen).update(needs_sync=False, synced_at=timezone.now())
    return 1
