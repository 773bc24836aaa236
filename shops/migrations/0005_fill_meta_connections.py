"""Every shop has its Meta connection, made with the shop (`shops.services.add_shop_rows`); this adds
the missing ones for shops made before. A GET never creates them: pages read them with `.get()`."""

from django.db import migrations


def fill(apps, schema_editor):
    Shop = apps.get_model("shops", "Shop")
    MetaConnection = apps.get_model("shops", "MetaConnection")
    missing = Shop.objects.filter(meta_connection__isnull=True).values_list("pk", flat=True)
    MetaConnection.objects.bulk_create([MetaConnection(shop_id=pk) for pk in missing.iterator()], batch_size=1000)


class Migration(migrations.Migration):

    dependencies = [
        ('shops', '0004_leases_moved_to_kernel'),
    ]

    operations = [
        migrations.RunPython(fill, migrations.RunPython.noop),
    ]
