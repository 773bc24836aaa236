"""PostgreSQL only: a trigram index for the orders list's buyer-name search (orders/listing.py).

Needs the pg_trgm extension. Where the database user may not create it, the migration skips
the index and a name search walks the shop's orders in id order, as on SQLite.
"""

from django.db import migrations

from kernel.postgres import postgresql_only


class Migration(migrations.Migration):
    dependencies = [("orders", "0006_website_order_id")]

    operations = [postgresql_only(
        # Matches Django's icontains SQL: UPPER("buyer_name"::text) LIKE UPPER(%s).
        ["CREATE INDEX IF NOT EXISTS orders_order_buyer_trgm "
         "ON orders_order USING gin (UPPER(buyer_name::text) gin_trgm_ops)"],
        ["DROP INDEX IF EXISTS orders_order_buyer_trgm"],
        extension="pg_trgm",
    )]
