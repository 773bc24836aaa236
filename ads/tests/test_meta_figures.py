"""Meta's figures for a shop connected through FBE, read by the task over real HTTP from the
sandbox: the ad account's Insights (spend, purchases, value, ROAS for 7 and 28 days), Event
Match Quality and catalog matches per event, Meta's counts per day; shown on the Ads page with
the date they were read; a missing permission says which, with Reconnect; low Meta figures
become issues that clear when Meta's figures recover."""

from __future__ import annotations

from datetime import timedelta

from django.urls import reverse
from django.utils import timezone

from ads.capi.queue import queue_event
from ads.models import AdsSettings
from ads.tasks import read_due_figures, read_figures, send_events
from kernel.issues import issue_cards
from shops.models import MetaConnection
from shops.tasks import check_shop_health

BROWSER = {"client_user_agent": "Mozilla/5.0", "client_ip_address": "203.0.113.7"}
RICH = {**BROWSER, "em": "ann@example.com", "ph": "+1 415 555 0100", "fbp": "fb.1.1700000000000.12345"}


def _with_ad_account(meta_shop, daily_spend="10.00") -> str:
    """The seller opens an ad account at Meta; the next health check reads it from the install."""
    from meta_sandbox import facade

    account = facade.add_ad_account(meta_shop.business["business_id"], daily_spend=daily_spend)["ad_account_id"]
    check_shop_health(meta_shop.shop.pk)
    assert MetaConnection.objects.get(shop=meta_shop.shop).ad_account_id == account
    return account


def _purchases(shop, n, *, user, start=0, content_id="TEA-1", value=12.5):
    when = timezone.now() - timedelta(days=1)
    for i in range(start, start + n):
        queue_event(shop, event_name="Purchase", key=f"W-{i}", event_time=when, user=user,
                    event_source_url="https://tea.example.com/thanks",
                    custom={"value": value, "currency": "USD", "content_ids": [content_id]})
    send_events(shop.pk)


def _kinds(shop) -> set[str]:
    return {card.kind for card in issue_cards(shop)}


def test_the_task_reads_the_ads_figures_and_the_page_shows_them_with_their_date(meta_shop, owner):
    shop = meta_shop.shop
    account = _with_ad_account(meta_shop)
    _purchases(shop, 2, user=RICH)
    assert read_figures(shop.pk) == {"insights": "ok", "quality": "ok", "catalog": "ok", "days": "ok"}
    stored = AdsSettings.objects.get(shop=shop)
    week = stored.meta_figures["insights"]["periods"]["7"]
    assert week["spend_minor"] == 7000 and week["purchases"] == 2 and week["value_minor"] == 2500
    assert stored.meta_figures["insights"]["periods"]["28"]["spend_minor"] == 28000
    assert stored.figures_read_at is not None
    page = owner.get(reverse("ads:index", args=[shop.pk])).content.decode()
    assert "Ads results from Meta" in page and "Read from Meta" in page
    assert "$70.00" in page and "$25.00" in page and "0.36" in page  # 2500 / 7000
    assert "$280.00" in page and "0.09" in page  # 28 days: 2500 / 28000
    assert f"adsmanager/manage/campaigns?act={account}" in page
    assert "Meta&#x27;s columns read" in page or "Meta's columns read" in page


def test_without_an_ad_account_the_figures_say_so(meta_shop, owner):
    assert read_figures(meta_shop.shop.pk)["insights"] == "no_ad_account"
    page = owner.get(reverse("ads:index", args=[meta_shop.shop.pk])).content.decode()
    assert "No ad account" in page and "adsmanager" not in page


def test_a_missing_permission_names_it_and_offers_reconnect_until_it_is_granted(meta_shop, owner, sandbox):
    shop = meta_shop.shop
    _with_ad_account(meta_shop)
    token = MetaConnection.objects.get(shop=shop).access_token
    granted = MetaConnection.objects.get(shop=shop).scopes
    sandbox.set_token_scopes(token, [s for s in granted if s not in ("ads_read", "ads_management")])
    states = read_figures(shop.pk)
    assert states["insights"] == "permission" and states["quality"] == "permission"
    page = owner.get(reverse("ads:index", args=[shop.pk])).content.decode()
    assert "permission to share these figures" in page and "ads_read" in page
    assert reverse("shops:connect", args=[shop.pk]) in page
    cards = [c for c in issue_cards(shop) if c.kind == "ads.figures_permission"]
    assert cards and cards[0].cta_url == reverse("shops:connect", args=[shop.pk]) and "ads_read" in cards[0].explanation
    sandbox.set_token_scopes(token, granted)
    assert read_figures(shop.pk)["insights"] == "ok"
    assert "ads.figures_permission" not in _kinds(shop)


def test_low_meta_match_quality_and_catalog_matches_are_issues_until_they_recover(meta_shop, owner, sandbox):
    from ads import quality
    from meta_sandbox import facade

    shop = meta_shop.shop
    meta_shop.catalog.add_products(meta_shop.catalog_id, [{"id": "TEA-1", "name": "Tea", "price": "12.50 USD"}])
    facade.connect_pixel_to_catalog(meta_shop.catalog_id, meta_shop.business["pixel_id"])
    _purchases(shop, quality.MIN_EVENTS, user=BROWSER, content_id="tea-one")
    read_figures(shop.pk)
    kinds = _kinds(shop)
    assert {"ads.meta_emq_low.Purchase", "ads.meta_catalog_match_low.Purchase"} <= kinds
    page = owner.get(reverse("ads:index", args=[shop.pk])).content.decode()
    assert "match quality (of 10)" in page and "<td>1.5</td>" in page  # IP 1.0 + user agent 0.5
    _purchases(shop, 200, user=RICH, start=100)  # e-mail, phone and fbp on almost every purchase, the right ids
    read_figures(shop.pk)
    assert not _kinds(shop) & {"ads.meta_emq_low.Purchase", "ads.meta_catalog_match_low.Purchase"}


def test_the_chart_shows_7_or_28_days_with_a_text_legend(meta_shop, owner):
    from meta_sandbox import facade

    shop = meta_shop.shop
    _purchases(shop, 1, user=RICH)
    facade.fire_browser_event(meta_shop.business["pixel_id"], event_name="Purchase", event_id="purchase.W-0")
    read_figures(shop.pk)
    url = reverse("ads:index", args=[shop.pk])
    week = owner.get(url).content.decode()
    assert "Events per day at Meta, last 7 days" in week and week.count('class="bar-browser"') == 7
    assert 'href="?days=28"' in week
    for label in ("From the browser (pixel)", "From your server (Conversions API)", "Counted once"):
        assert label in week
    assert "1 from the browser, 1 from your server, 1 counted once" in week  # today's bar
    month = owner.get(url, {"days": "28"}).content.decode()
    assert "last 28 days" in month and month.count('class="bar-browser"') == 28 and 'href="?days=7"' in month
    assert owner.get(url, {"days": "<script>"}).status_code == 200  # anything else is the 7-day chart


def test_the_hourly_sweep_reads_figures_a_day_old_and_refresh_queues_them(meta_shop, owner):
    shop = meta_shop.shop
    assert read_due_figures() == 1  # never read (django-q2 runs it inline in tests)
    assert AdsSettings.objects.get(shop=shop).figures_read_at is not None
    assert read_due_figures() == 0
    AdsSettings.objects.filter(shop=shop).update(figures_read_at=timezone.now() - timedelta(hours=25))
    assert read_due_figures() == 1
    AdsSettings.objects.filter(shop=shop).update(figures_read_at=None, meta_figures={})
    owner.post(reverse("ads:check_now", args=[shop.pk]))
    assert AdsSettings.objects.get(shop=shop).meta_figures["insights"]["state"] == "no_ad_account"
