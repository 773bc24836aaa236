"""The Ads page of a shop connected through FBE: its pixel, the server events' figures, the
storefront snippet with the event-id helper, and the settings that shape what is sent."""

from __future__ import annotations

from datetime import timedelta

from django.urls import reverse
from django.utils import timezone

from ads.capi.queue import queue_event
from ads.models import AdsSettings, ServerEvent
from shops.models import AuditEvent

BROWSER = {"client_user_agent": "Mozilla/5.0", "client_ip_address": "203.0.113.7"}


def test_an_unconnected_shop_is_told_to_connect(owner, shop_a):
    page = owner.get(reverse("ads:index", args=[shop_a.pk])).content.decode()
    assert "Connect your shop to set up the Meta Pixel" in page and "portalEventId" not in page


def test_a_connected_shop_is_never_told_to_connect(meta_shop, owner, sandbox, settings):
    """A shop whose token Meta stopped accepting is told to reconnect, not to connect."""
    from shops.tasks import check_shop_health

    settings.GRAPH_MAX_ATTEMPTS = 1
    sandbox.expire_token(str(meta_shop.connection.access_token))
    check_shop_health(meta_shop.shop.pk)
    page = owner.get(reverse("ads:index", args=[meta_shop.shop.pk])).content.decode()
    assert "Connect your shop" not in page and "reconnect the shop to resume the Pixel" in page
    assert "Reconnect to Meta" in page


def test_the_page_shows_the_pixel_the_snippet_and_the_figures(meta_shop, owner):
    shop, pixel = meta_shop.shop, meta_shop.business["pixel_id"]
    queue_event(shop, event_name="AddToCart", key="k1", event_time=timezone.now() - timedelta(minutes=1),
                user=BROWSER, event_source_url="https://tea.example.com/p/1")
    page = owner.get(reverse("ads:index", args=[shop.pk])).content.decode()
    assert pixel in page and f"events_manager2/list/pixel/{pixel}/overview" in page
    assert "window.portalEventId" in page and f'fbq(&quot;init&quot;, &quot;{pixel}&quot;)' in page
    assert "1 received, 1 sent to Meta" in page and "AddToCart" in page


def test_test_mode_and_limited_data_use_shape_what_is_sent(meta_shop, owner):
    shop = meta_shop.shop
    response = owner.post(reverse("ads:index", args=[shop.pk]), {"test_event_code": "TEST4242",
                                                                  "limited_data_use": "on"})
    assert response.status_code == 302
    assert AuditEvent.objects.get(shop=shop, action="ads.settings").changes == {
        "test_event_code": ["", "TEST4242"], "limited_data_use": [False, True]}
    event, _ = queue_event(shop, event_name="Search", key="q1", event_time=timezone.now(), user=BROWSER,
                           event_source_url="https://tea.example.com/search", custom={"search_string": "tea"})
    event.refresh_from_db()
    assert event.test_event_code == "TEST4242" and event.state == ServerEvent.State.SENT
    assert event.payload["data_processing_options"] == ["LDU"]
    from meta_sandbox import facade

    assert [e["test_event_code"] for e in facade.received_events(meta_shop.business["pixel_id"])] == ["TEST4242"]
    page = owner.get(reverse("ads:index", args=[shop.pk])).content.decode()
    assert "events go to Test events with the code TEST4242" in page


def test_a_bad_test_code_is_refused_at_its_field(meta_shop, owner):
    response = owner.post(reverse("ads:index", args=[meta_shop.shop.pk]), {"test_event_code": "<b>x</b>"})
    assert response.status_code == 200 and "Use the code Events Manager shows" in response.content.decode()
    assert AdsSettings.objects.get(shop=meta_shop.shop).test_event_code == ""


def test_viewers_read_but_do_not_change_settings(viewer_client, shop_a):
    url = reverse("ads:index", args=[shop_a.pk])
    assert viewer_client.get(url).status_code == 200
    assert viewer_client.post(url, {"test_event_code": "X1"}).status_code == 403


def test_match_quality_per_event_and_what_to_fix(meta_shop, owner):
    from ads import quality
    from catalog.tests.factories import make_product
    from kernel.issues import issue_cards

    shop = meta_shop.shop
    make_product(shop, retailer_id="TEA-1")
    now = timezone.now() - timedelta(minutes=1)
    for n in range(quality.MIN_EVENTS):
        user = {**BROWSER, **({"em": "ann@example.com"} if n < 5 else {})}
        queue_event(shop, event_name="Purchase", key=f"W-{n}", event_time=now, user=user,
                    event_source_url="https://tea.example.com/thanks",
                    custom={"value": 10.0, "currency": "USD", "content_ids": ["TEA-1" if n % 2 else "tea-one"]})
    from ads.tasks import send_events

    send_events(shop.pk)  # requests within seconds share one send: the worker's next run sends the rest
    row = quality.figures(shop)[0]
    assert row["event_name"] == "Purchase" and row["count"] == 20
    assert row["email_share"] == 0.25 and row["catalog_match"] == 0.5
    assert dict(row["shares"])["IP address"] == 1.0
    kinds = {card.kind for card in issue_cards(shop)}
    assert {"ads.purchase_match_low", "ads.catalog_match_low.Purchase"} <= kinds
    page = owner.get(reverse("ads:index", args=[shop.pk])).content.decode()
    assert "Match quality, last 7 days" in page and "25 %" in page and "50 %" in page
    assert "20 events, 20 sent" in page  # the chart's day
