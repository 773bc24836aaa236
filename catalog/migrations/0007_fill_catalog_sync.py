"""Every shop has its catalog sync state, made with the shop (`shops.services.add_shop_rows`); this adds
the missing ones for shops made before. A GET never creates them: pages read them with `.get()`."""

from django.db import migrations


def fill(apps, schema_editor):
    Shop = apps.get_model("shops", "Shop")
    CatalogSync = apps.get_model("catalog", "CatalogSync")
    missing = Shop.objects.filter(catalog_sync__isnull=True).values_list("pk", flat=True)
    CatalogSync.objects.bulk_create([CatalogSync(shop_id=pk) for pk in missing.iterator()], batch_size=1000)


class Migration(migrations.Migration):

    dependencies = [
        ('catalog', '0006_leases_moved_to_kernel'),
        ('shops', '0005_fill_meta_connections'),
    ]

    operations = [
        migrations.RunPython(fill, migrations.RunPython.noop),
    ]
