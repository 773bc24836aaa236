"""Deep links into Meta's tools: one per link, built from stored ids; anything but a Graph id
gives no link."""

from __future__ import annotations

from ads import links


def test_events_manager_opens_the_pixels_overview():
    assert links.events_manager("1234567890") == \
        "https://business.facebook.com/events_manager2/list/pixel/1234567890/overview"
    assert links.events_manager("") == "" and links.events_manager("12/../x") == ""


def test_ads_manager_opens_the_ad_accounts_campaigns():
    assert links.ads_manager("987654321") == "https://adsmanager.facebook.com/adsmanager/manage/campaigns?act=987654321"
    assert links.ads_manager("act_987654321") == links.ads_manager("987654321")
    assert links.ads_manager("") == "" and links.ads_manager("0x1") == ""
