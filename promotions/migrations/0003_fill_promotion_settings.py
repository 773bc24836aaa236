"""Every shop has its promotion settings, made with the shop (`shops.services.add_shop_rows`); this adds
the missing ones for shops made before. A GET never creates them: pages read them with `.get()`."""

from django.db import migrations


def fill(apps, schema_editor):
    Shop = apps.get_model("shops", "Shop")
    PromotionSettings = apps.get_model("promotions", "PromotionSettings")
    missing = Shop.objects.filter(promotion_settings__isnull=True).values_list("pk", flat=True)
    PromotionSettings.objects.bulk_create([PromotionSettings(shop_id=pk) for pk in missing.iterator()], batch_size=1000)


class Migration(migrations.Migration):

    dependencies = [
        ('promotions', '0002_leases_moved_to_kernel'),
        ('shops', '0005_fill_meta_connections'),
    ]

    operations = [
        migrations.RunPython(fill, migrations.RunPython.noop),
    ]
