"""PostgreSQL only: trigram indexes for the product list's "contains" search.

Needs the pg_trgm extension. Where the database user may not create it, the migration skips
the indexes and search keeps working by scanning the shop's rows (see catalog/listing.py).
"""

from django.db import migrations

from kernel.postgres import postgresql_only

COLUMNS = ("title", "retailer_id", "brand")


class Migration(migrations.Migration):
    dependencies = [("catalog", "0002_import_job_checkpoint")]

    operations = [postgresql_only(
        # Matches Django's icontains SQL: UPPER("col"::text) LIKE UPPER(%s).
        [f"CREATE INDEX IF NOT EXISTS catalog_product_{column}_trgm "
         f"ON catalog_product USING gin (UPPER({column}::text) gin_trgm_ops)" for column in COLUMNS],
        [f"DROP INDEX IF EXISTS catalog_product_{column}_trgm" for column in COLUMNS],
        extension="pg_trgm",
    )]
