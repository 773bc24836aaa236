"""The catalog's models, one module per topic: `products` (products, their sync hashes and
tombstones), `sets` (product sets), `issues` (product issues), `imports` (CSV import jobs),
`sync` (the sync state, runs and batches with Meta). Import them from here."""

from catalog.models.imports import ImportJob
from catalog.models.issues import IssueQuerySet, ProductIssue
from catalog.models.products import SYNC_STATE_FIELDS, Product, ProductQuerySet
from catalog.models.sets import ProductSet, ProductSetQuerySet, new_set_retailer_id
from catalog.models.sync import CatalogBatch, CatalogSync, SyncRun

__all__ = ["SYNC_STATE_FIELDS", "CatalogBatch", "CatalogSync", "ImportJob", "IssueQuerySet", "Product",
           "ProductIssue", "ProductQuerySet", "ProductSet", "ProductSetQuerySet", "SyncRun", "new_set_retailer_id"]
