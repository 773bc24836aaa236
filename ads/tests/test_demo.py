"""The demo's ads signals: the connected demo shop gets website orders with their Purchases
(browser copies fired at the sandbox), page events over several days, a pixel connected to the
catalog and one match-quality issue; seeding again adds nothing."""

from __future__ import annotations

import io

from django.core.management import call_command

from ads.models import ServerEvent
from kernel.issues import issue_cards
from orders.models import Order
from shops.models import Shop


def test_the_demo_shows_ads_signals(sandbox, settings):
    settings.GRAPH_SANDBOX_ENABLED = True
    call_command("seed_demo", stdout=io.StringIO())
    shop = Shop.objects.get(external_business_id="demo-lotus-tea")
    events = ServerEvent.objects.filter(shop=shop)
    assert events.filter(event_name="Purchase").count() == 24
    assert Order.objects.filter(shop=shop, source="website").count() == 24
    assert events.dates("queued_at", "day").count() >= 3
    assert "ads.purchase_match_low" in {card.kind for card in issue_cards(shop)}
    assert shop.meta_connection.ad_account_id  # the Insights figures have an ad account to read
    from meta_sandbox import facade

    kept = facade.received_events(shop.meta_connection.pixel_id)
    assert {tuple(e["sources"]) for e in kept if e["event_name"] == "Purchase"} >= {("browser", "server")}
    before = events.count()
    call_command("seed_demo", stdout=io.StringIO())
    assert ServerEvent.objects.filter(shop=shop).count() == before
