"""Every shop has its order feed, made with the shop (`shops.services.add_shop_rows`); this adds
the missing ones for shops made before. A GET never creates them: pages read them with `.get()`."""

from django.db import migrations


def fill(apps, schema_editor):
    Shop = apps.get_model("shops", "Shop")
    OrderFeed = apps.get_model("orders", "OrderFeed")
    missing = Shop.objects.filter(order_feed__isnull=True).values_list("pk", flat=True)
    OrderFeed.objects.bulk_create([OrderFeed(shop_id=pk) for pk in missing.iterator()], batch_size=1000)


class Migration(migrations.Migration):

    dependencies = [
        ('orders', '0003_leases_moved_to_kernel'),
        ('shops', '0005_fill_meta_connections'),
    ]

    operations = [
        migrations.RunPython(fill, migrations.RunPython.noop),
    ]
