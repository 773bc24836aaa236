"""Demo data for `make demo` (portal's seed_demo EXTRA_SEEDERS, registered in ShopsConfig.ready).

The first demo shop is connected to the Graph sandbox as if its seller had gone through the
FBE dialog (a business with its assets, an install and the install's system-user token with the
permissions the wizard asks for), so
the demo has a live connection to sync; the other shops stay unconnected to show the wizard.
Idempotent, and it never touches a shop that was connected before (even if the demo user
disconnected it since).
"""

from __future__ import annotations

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from shops.models import MetaConnection, Shop
from shops.permissions import requested_scopes
from shops.signals import shop_connected

CONNECTED_SHOPS = 1


def seed(shops, stdout=None) -> None:
    if not getattr(settings, "GRAPH_SANDBOX_ENABLED", False):
        return
    for shop in list(shops)[:CONNECTED_SHOPS]:
        if connect_in_sandbox(shop) and stdout is not None:
            stdout.write(f"Shops: {shop.name} is connected to the Graph sandbox")
        if not Shop.objects.get(pk=shop.pk).checkout_url:
            # Website checkout at the sandbox's stand-in website: the worker checks it as it starts.
            from django.core.exceptions import ValidationError

            from shops.checkout.services import update_checkout_url

            try:
                update_checkout_url(shop, checkout_url=demo_checkout_url())
            except ValidationError:  # a local address, refused where CHECKOUT_ALLOW_LOCAL_URLS is off
                if stdout is not None:
                    stdout.write(f"Shops: {shop.name} has no checkout link (local addresses are refused here)")


def demo_checkout_url() -> str:
    return f"{settings.PORTAL_BASE_URL.rstrip('/')}/graph-sandbox/storefront/fb-checkout"


def connect_in_sandbox(shop: Shop) -> bool:
    """Connect `shop` to a new sandbox business in-process (the server need not run). Returns
    False when the shop was connected before."""
    from meta_sandbox import facade as sandbox

    with transaction.atomic():
        conn = MetaConnection.objects.select_for_update().get_or_create(shop=shop)[0]
        if conn.connected_at is not None:
            return False
        # The token carries what the wizard asks Meta for (shops/permissions.py), no more: the
        # demo shop works exactly as far as a shop connected through the FBE dialog does.
        scopes = requested_scopes()
        made = sandbox.create_business(name=shop.name, external_business_id=shop.external_business_id,
                                       timezone_name=shop.timezone, currency=shop.currency, scopes=scopes)
        now = timezone.now()
        conn.access_token = made["access_token"]
        conn.token_type = "SYSTEM_USER"
        conn.scopes = scopes
        conn.business_manager_id = made["business_id"]
        conn.catalog_id = made["catalog_id"] or ""
        conn.pixel_id = made["pixel_id"] or ""
        conn.page_id = made["page_id"] or ""
        conn.instagram_profile_id = made["instagram_profile_id"] or ""
        conn.commerce_merchant_settings_id = made["commerce_merchant_settings_id"] or ""
        conn.installed_features = ["pixel", "catalog", "fb_shop", "ig_shopping"]
        conn.status = MetaConnection.Status.CONNECTED
        conn.connected_at = conn.last_ok_at = now
        conn.save()
        Shop.objects.filter(pk=shop.pk, onboarded_at__isnull=True).update(onboarded_at=now)
        transaction.on_commit(lambda: _after_connect(shop.pk), robust=True)
    return True


def _after_connect(shop_id: int) -> None:
    from django_q.tasks import async_task

    shop_connected.send(sender=Shop, shop_id=shop_id, reconnect=False)
    async_task("shops.tasks.check_shop_health", shop_id, group="shops.health")
