"""The full sync's reconcile: delete at Meta the items of our catalog that no longer exist here,
from a listing of the catalog's retailer ids (which may run beside the sending)."""

from __future__ import annotations

import threading

from catalog.models import Product, SyncRun
from catalog.sync import batches
from catalog.sync.batches import Prepared
from catalog.sync.config import Deferred
from graph.errors import RateLimited

#: Page size of the reconcile's listing. Meta documents no maximum for the catalog's
#: `products` edge ("Some edges may also have a maximum on the limit value",
#: https://developers.facebook.com/docs/graph-api/results); Meta's own Facebook for WooCommerce
#: plugin lists products with `fields=id,retailer_id&limit=1000`
#: (facebook/facebook-for-woocommerce, includes/API/ProductCatalog/ProductGroups/Read/Request.php
#: and tests/Unit/ApiTest.php), the largest page we know Meta to serve; the sandbox's cap too.
LIST_LIMIT = 1000


class Reconcile:
    """The reconcile half of `catalog.sync.engine.Engine` (its attributes are the engine's)."""

    def reconcile(self, run: SyncRun) -> None:
        """Delete at Meta the items of OUR catalog (the connection's) that no longer exist here.
        A shop that never had a product here leaves its catalog alone. The listing asks for the
        retailer ids only (`fields=retailer_id`; Meta adds the item's id), at Meta's largest page;
        it ran beside the sending when this run started with its items."""
        listing, self.listing = self.listing, None
        try:
            if listing is not None:
                listed = self.calls.result(listing)
            else:
                listed = listed_retailer_ids(self.client, self.catalog_id, self.stop, each_page=self.renew)
        except RateLimited as exc:
            raise Deferred(exc.retry_after or 60, f"Meta throttled the catalog listing ({exc.code}).")
        # Ours: products here, tombstones still to delete, and those whose DELETE Meta confirmed
        # in this run (a listing beside the sending may have seen them before).
        keep: set[str] = set()
        ours = False
        for rid, deleted_at, needs_sync_slow, synced_at in Product.objects.filter(shop=self.shop).values_list(
                "retailer_id", "deleted_at", "needs_sync_slow", "synced_at").iterator(chunk_size=10000):
            ours = True
            if deleted_at is None or needs_sync_slow or (synced_at is not None and synced_at >= run.started_at):
                keep.add(rid)
        if not ours:
            return
        orphans = sorted(rid for rid in listed or () if rid not in keep)
        del keep
        size = self.batch_size()
        for start in range(0, len(orphans), size):
            prepared = Prepared(cursor=run.cursor)
            for rid in orphans[start:start + size]:
                prepared.records.append(batches.encode({"method": "DELETE", "data": {"id": rid}}))
                prepared.items.append([None, rid, None, None])
                prepared.size += len(prepared.records[-1].encode()) + 1
            self.send(run, prepared)


def listed_retailer_ids(client, catalog_id: str, stop: threading.Event, each_page=None) -> set[str] | None:
    """The retailer ids of every item of the catalog at Meta (the reconcile's listing; no database,
    so it may run on a worker thread). None when `stop` was set before the end."""
    ids: set[str] = set()
    for page in client.iter_pages(f"{catalog_id}/products", {"fields": "retailer_id"}, limit=LIST_LIMIT):
        ids.update(str(item["retailer_id"]) for item in page.get("data") or [] if item.get("retailer_id") is not None)
        if stop.is_set():
            return None
        if each_page is not None:
            each_page()
    return ids
