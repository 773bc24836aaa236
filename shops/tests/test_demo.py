"""The demo seed connects the first demo shop to the sandbox, once."""

from __future__ import annotations

import io

from django.core.management import call_command

from shops import demo
from shops.models import MetaConnection, Shop, ShopIssue
from shops.tasks import check_shop_health


def test_seed_demo_connects_the_first_shop_once_and_it_checks_healthy(sandbox, settings):
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    lotus, harbour = Shop.objects.get(external_business_id="demo-lotus-tea"), Shop.objects.get(
        external_business_id="demo-harbour-ceramics")
    conn = MetaConnection.objects.get(shop=lotus)
    assert conn.status == "connected" and conn.has_token and conn.catalog_id and conn.commerce_merchant_settings_id
    assert MetaConnection.objects.get(shop=harbour).status == "not_connected"  # shows the wizard
    assert "Lotus Tea House is connected to the Graph sandbox" in out.getvalue()
    # The seeded connection is real at the sandbox: the health check passes but for nothing.
    check_shop_health(lotus.pk)
    conn.refresh_from_db()
    assert conn.failed_checks == [] and conn.last_checked_at is not None
    assert not ShopIssue.objects.filter(shop=lotus).exists()
    token = str(conn.access_token)
    # Idempotent, and a connection the demo user changed is left alone.
    call_command("seed_demo", stdout=io.StringIO())
    conn.refresh_from_db()
    assert str(conn.access_token) == token
    assert len(sandbox.state()["businesses"]) == 1


def test_the_connected_demo_shop_checks_out_at_the_sandbox_storefront(sandbox, settings):
    """The demo shop's website checkout is the sandbox's stand-in website: its check passes, so
    the demo shows no "missing checkout link" issue."""
    from shops.tasks import check_checkout_link

    settings.CHECKOUT_ALLOW_LOCAL_URLS = True
    call_command("seed_demo", stdout=io.StringIO())
    lotus = Shop.objects.get(external_business_id="demo-lotus-tea")
    assert lotus.checkout_url == f"{sandbox.base_url}/storefront/fb-checkout"
    check_checkout_link(lotus.pk)
    lotus.refresh_from_db()
    assert lotus.checkout_ok is True, lotus.checkout_results
    assert not ShopIssue.objects.filter(shop=lotus, kind="shop.checkout_link", resolved_at=None).exists()


def test_the_seeder_does_nothing_without_the_sandbox(alice, settings):
    from shops.services import create_shop

    settings.GRAPH_SANDBOX_ENABLED = False
    shop = create_shop(owner=alice, name="No sandbox")
    demo.seed([shop])
    assert MetaConnection.objects.get(shop=shop).status == "not_connected"
