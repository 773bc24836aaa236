"""PostgreSQL only: trigram indexes for the product list's "contains" search.

Needs the pg_trgm extension. Where the database user may not create it, the migration skips
the indexes and search keeps working by scanning the shop's rows (see catalog/listing.py).
"""

from django.db import DatabaseError, migrations, transaction

COLUMNS = ("title", "retailer_id", "brand")


def add_indexes(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        try:
            with transaction.atomic(using=connection.alias):
                cursor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        except DatabaseError:
            return
        for column in COLUMNS:
            # Matches Django's icontains SQL: UPPER("col"::text) LIKE UPPER(%s).
            cursor.execute(
                f"CREATE INDEX IF NOT EXISTS catalog_product_{column}_trgm "
                f"ON catalog_product USING gin (UPPER({column}::text) gin_trgm_ops)"
            )


def drop_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        for column in COLUMNS:
            cursor.execute(f"DROP INDEX IF EXISTS catalog_product_{column}_trgm")


class Migration(migrations.Migration):
    dependencies = [("catalog", "0002_import_job_checkpoint")]

    operations = [migrations.RunPython(add_indexes, drop_indexes)]
