"""Every shop has its ads settings, made with the shop (`shops.services.add_shop_rows`); this adds
the missing ones for shops made before. A GET never creates them: pages read them with `.get()`."""

from django.db import migrations


def fill(apps, schema_editor):
    Shop = apps.get_model("shops", "Shop")
    AdsSettings = apps.get_model("ads", "AdsSettings")
    missing = Shop.objects.filter(ads_settings__isnull=True).values_list("pk", flat=True)
    AdsSettings.objects.bulk_create([AdsSettings(shop_id=pk) for pk in missing.iterator()], batch_size=1000)


class Migration(migrations.Migration):

    dependencies = [
        ('ads', '0002_ads_settings'),
        ('shops', '0005_fill_meta_connections'),
    ]

    operations = [
        migrations.RunPython(fill, migrations.RunPython.noop),
    ]
