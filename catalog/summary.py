"""The catalog's figures at a glance (the catalog overview and the dashboard's Catalog card), in a
few indexed queries whatever the catalog's size: the counts in one aggregate over the shop's live
products, the products with open issues from the open-issue index, the last sync from the shop's
sync state row."""

from __future__ import annotations

from django.db.models import Count, Q

from catalog.models import CatalogSync, Product, ProductIssue
from kernel import shopcache

#: "synced": Meta confirmed the product as it is now (the product list's "sync=synced" filter)
SYNCED = Q(needs_sync_slow=False, needs_sync_fast=False, synced_at__isnull=False)


def counts(shop) -> dict:
    """{total, archived, pending, never, synced} of the shop's live products, and `to_send`: the
    products waiting for a sync, deletions included (the sync panel's figure). One query: COUNT(shop_id)
    over the columns of `catalog_product_counts`, an index-only scan on PostgreSQL."""
    live = Q(deleted_at__isnull=True)
    waiting = Q(needs_sync_slow=True) | Q(needs_sync_fast=True)
    return Product.objects.filter(shop=shop).aggregate(
        total=Count("shop", filter=live),
        archived=Count("shop", filter=live & Q(status=Product.Status.ARCHIVED)),
        pending=Count("shop", filter=live & waiting),
        never=Count("shop", filter=live & Q(synced_at__isnull=True)),
        synced=Count("shop", filter=live & SYNCED),
        to_send=Count("shop", filter=waiting),
    )


def recent_counts(shop) -> dict:
    """`counts` as read at most a minute ago (kernel.shopcache: a seller's change or the end of a
    job of the shop reads them anew)."""
    return shopcache.remember(shop.pk, "catalog.counts", lambda: counts(shop))


def with_issues(shop) -> int:
    """Live products with at least one open issue from Meta (one query)."""
    return (ProductIssue.objects.open().filter(shop=shop, product__isnull=False, product__deleted_at__isnull=True)
            .values("product_id").distinct().count())


def last_sync(shop):
    """When a sync of the shop's catalog last finished (any kind), or None (one query)."""
    state = CatalogSync.objects.filter(shop=shop).values("last_fast_at", "last_changes_at", "last_full_at").first()
    return max((t for t in (state or {}).values() if t), default=None)


def at_a_glance(shop) -> dict:
    """The dashboard's Catalog card: products, synced, with issues (as read at most a minute
    ago: kernel.shopcache), last sync (read now)."""
    found = recent_counts(shop)
    return {"total": found["total"], "synced": found["synced"],
            "with_issues": shopcache.remember(shop.pk, "catalog.with_issues", lambda: with_issues(shop)),
            "last_sync": last_sync(shop)}
