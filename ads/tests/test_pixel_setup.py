"""The shop's pixel at Meta, for a shop connected through FBE: whether it is connected to the
catalog and receiving events, read by the hourly check, shown as issues with one action each;
"Connect the pixel" connects it at Meta."""

from __future__ import annotations

from datetime import timedelta

from django.urls import reverse
from django.utils import timezone

from ads.capi.queue import queue_event
from ads.models import AdsSettings
from ads.tasks import check_pixel
from kernel.issues import issue_cards
from shops.models import AuditEvent, MetaConnection


def _kinds(shop) -> set[str]:
    return {card.kind for card in issue_cards(shop)}


def test_a_new_pixel_is_not_linked_nor_receiving_and_says_so(meta_shop):
    shop = meta_shop.shop
    assert not _kinds(shop) & {"ads.pixel_not_linked", "ads.pixel_quiet"}  # nothing read yet: nothing claimed
    assert check_pixel(shop.pk) == {"linked": False, "last_fired_at": None,
                                    "meta_counts": {"browser": 0, "server": 0, "deduplicated": 0}}
    assert {"ads.pixel_not_linked", "ads.pixel_quiet"} <= _kinds(shop)


def test_connecting_the_pixel_and_an_event_clear_the_issues(meta_shop, owner):
    shop = meta_shop.shop
    check_pixel(shop.pk)
    page = owner.get(reverse("shops:issues", args=[shop.pk])).content.decode()
    assert "The pixel is not connected to your catalog" in page and reverse("ads:link_pixel", args=[shop.pk]) in page
    response = owner.post(reverse("ads:link_pixel", args=[shop.pk]), follow=True)
    assert "The pixel is connected to your catalog." in response.content.decode()
    assert AuditEvent.objects.filter(shop=shop, action="ads.link_pixel").exists()
    queue_event(shop, event_name="PageView", key="p1", event_time=timezone.now(), event_source_url="https://t.example/",
                user={"client_user_agent": "Mozilla/5.0"})
    check_pixel(shop.pk)
    prefs = AdsSettings.objects.get(shop=shop)
    assert prefs.pixel_linked and prefs.pixel_last_fired_at > timezone.now() - timedelta(minutes=5)
    assert not _kinds(shop) & {"ads.pixel_not_linked", "ads.pixel_quiet"}


def test_a_connected_shop_without_a_pixel_is_asked_to_reconnect(meta_shop):
    MetaConnection.objects.filter(shop=meta_shop.shop).update(pixel_id="")
    meta_shop.shop.refresh_from_db()  # read again, as the next request reads the shop and its connection
    cards = [c for c in issue_cards(meta_shop.shop) if c.kind == "ads.no_pixel"]
    assert cards and cards[0].cta_url == reverse("shops:connect", args=[meta_shop.shop.pk])


def test_viewers_cannot_connect_the_pixel(meta_shop, viewer_client):
    assert viewer_client.post(reverse("ads:link_pixel", args=[meta_shop.shop.pk])).status_code == 403
