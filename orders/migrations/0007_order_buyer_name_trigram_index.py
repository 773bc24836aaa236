"""PostgreSQL only: a trigram index for the orders list's buyer-name search (orders/listing.py).

Needs the pg_trgm extension. Where the database user may not create it, the migration skips
the index and a name search walks the shop's orders in id order, as on SQLite.
"""

from django.db import DatabaseError, migrations, transaction


def add_index(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        try:
            with transaction.atomic(using=connection.alias):
                cursor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        except DatabaseError:
            return
        # Matches Django's icontains SQL: UPPER("buyer_name"::text) LIKE UPPER(%s).
        cursor.execute("CREATE INDEX IF NOT EXISTS orders_order_buyer_trgm "
                       "ON orders_order USING gin (UPPER(buyer_name::text) gin_trgm_ops)")


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("DROP INDEX IF EXISTS orders_order_buyer_trgm")


class Migration(migrations.Migration):
    dependencies = [("orders", "0006_website_order_id")]

    operations = [migrations.RunPython(add_index, drop_index)]
