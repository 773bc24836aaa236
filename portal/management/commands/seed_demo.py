"""Seed the demo seller idempotently: run it as often as you like."""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction

from shops.models import Membership, Shop
from shops.services import add_shop_rows

DEMO_USERNAME = "demo"
DEMO_PASSWORD = "demo-seller-2026"
DEMO_STAFF = "staff"
DEMO_STAFF_PASSWORD = "demo-staff-2026"

SHOPS = [
    {"name": "Lotus Tea House", "storefront_url": "https://lotus-tea.example.com", "country": "US",
     "currency": "USD", "timezone": "America/Los_Angeles", "external_business_id": "demo-lotus-tea"},
    {"name": "Harbour Ceramics", "storefront_url": "https://harbour-ceramics.example.com", "country": "GB",
     "currency": "GBP", "timezone": "Europe/London", "external_business_id": "demo-harbour-ceramics"},
]

#: Extra seeders (tests add theirs); each receives the shops in SHOPS order and must be idempotent.
EXTRA_SEEDERS: list = []


def demo_seeders() -> list:
    """The demo's seeders, in the order they depend on each other: the sandbox delivers its
    webhooks by itself; the first shop is connected to the sandbox; products; then orders
    (placed at the sandbox for the connected shop, website orders for the other); then the
    connected shop's ads signals (website orders with their Purchases, page events); last its
    payments (the sandbox's finance history, one wrong payout, the first finance sync queued)."""
    from django.conf import settings

    from ads.demo import seed as seed_ads
    from catalog.demo import seed as seed_catalog
    from finance.demo import seed as seed_finance
    from orders.demo import seed as seed_orders
    from shops.demo import seed as seed_shops

    seeders = []
    if settings.GRAPH_SANDBOX_ENABLED:
        from meta_sandbox import facade as sandbox

        seeders.append(sandbox.seed_demo)
    return [*seeders, seed_shops, seed_catalog, seed_orders, seed_ads, seed_finance, *EXTRA_SEEDERS]


class Command(BaseCommand):
    help = "Create the demo seller, staff user and two shops (safe to run again)."

    @transaction.atomic
    def handle(self, *args, **options):
        User = get_user_model()
        user, _ = User.objects.get_or_create(username=DEMO_USERNAME, defaults={"email": "demo@example.com"})
        user.set_password(DEMO_PASSWORD)
        user.save()
        staff, _ = User.objects.get_or_create(username=DEMO_STAFF, defaults={"email": "staff@example.com"})
        staff.is_staff = staff.is_superuser = True
        staff.set_password(DEMO_STAFF_PASSWORD)
        staff.save()
        shops = []
        for spec in SHOPS:
            spec = dict(spec)
            ext_id = spec.pop("external_business_id")
            shop, created = Shop.objects.update_or_create(external_business_id=ext_id, defaults=spec)
            Membership.objects.get_or_create(user=user, shop=shop, defaults={"role": Membership.Role.OWNER})
            if created:
                add_shop_rows(shop)
            shops.append(shop)
        for seeder in demo_seeders():
            seeder(shops, stdout=self.stdout)
        self.stdout.write(self.style.SUCCESS(
            f"Demo seller: {DEMO_USERNAME} / {DEMO_PASSWORD}   Staff (admin): {DEMO_STAFF} / {DEMO_STAFF_PASSWORD}"
        ))
