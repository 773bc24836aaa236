"""PostgreSQL only: a covering index for the catalog's figures (catalog.summary.counts), so the
counts of a 100,000-product shop are one index-only scan instead of a read of the table.

SQLite has no INCLUDE: there the index would only be another (shop_id) index beside the unique
(shop_id, retailer_id) one, so it is not made.
"""

from django.db import migrations

from kernel.postgres import postgresql_only

COLUMNS = "deleted_at, status, needs_sync_slow, needs_sync_fast, synced_at"


class Migration(migrations.Migration):
    dependencies = [("catalog", "0008_import_leases_in_kernel")]

    operations = [postgresql_only(
        [f"CREATE INDEX IF NOT EXISTS catalog_product_counts ON catalog_product (shop_id) INCLUDE ({COLUMNS})"],
        ["DROP INDEX IF EXISTS catalog_product_counts"],
    )]
