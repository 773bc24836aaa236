"""The Meta tools page (`meta_tools`): every one of the nine Meta-only jobs with why, its link at
Meta and, where Meta shares one, the figure the daily tasks stored, with its date (the organic
figures from metatools, the ads figures from ads); "Refresh from Meta" reads them now, by tasks."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from django.urls import reverse

from ads.tasks import read_figures as read_ads_figures
from catalog import services, sync
from catalog.tests.factories import product_values
from metatools.models import ShopFigures
from metatools.tasks import read_figures


def _products(meta_shop, user, n=3):
    made = [services.save_product(meta_shop.shop, values=product_values(retailer_id=f"TEA-{i}", title=f"Tea {i}"),
                                  actor=user) for i in range(n)]
    assert sync.sync_shop(meta_shop.shop.pk, "full").status == "succeeded"
    return made


def test_the_meta_tools_page_shows_every_job_with_its_link_and_the_figures_with_their_dates(meta_shop, owner, alice):
    shop = meta_shop.shop
    _products(meta_shop, alice)
    read_figures(shop.pk)
    read_ads_figures(shop.pk)
    stored = ShopFigures.objects.get(shop=shop).figures
    conn = meta_shop.connection
    page = owner.get(reverse("meta_tools", args=[shop.pk])).content.decode()
    for job in ("shop_insights", "shop_look", "inbox", "ugc", "ads_reporting", "organic_insights",
                "product_launches", "live_shopping", "tagged_post"):
        assert f'id="job-{job}"' in page, job
    assert f"latest/inbox/all/?asset_id={conn.page_id}&amp;business_id={conn.business_manager_id}" in page
    assert f"instagram.com/{stored['ig_followers']['username']}/tagged/" in page
    assert page.count('rel="noopener"') >= 8 and 'target="_blank"' in page
    assert f"{stored['page']['follows']:,}" in page and "Page followers" in page
    assert "Instagram reach, one day" in page and "Products people see most on Meta" in page
    assert "Tea 0" in page
    assert "The shop has no ad account at Meta yet." in page and "adsmanager" not in page


def test_the_ads_job_shows_the_ads_figures_with_their_period_and_opens_the_accounts_reports(meta_shop, owner):
    from meta_sandbox import facade
    from shops.tasks import check_shop_health

    shop = meta_shop.shop
    account = facade.add_ad_account(meta_shop.business["business_id"], daily_spend="10.00")["ad_account_id"]
    check_shop_health(shop.pk)
    read_ads_figures(shop.pk)
    page = owner.get(reverse("meta_tools", args=[shop.pk])).content.decode()
    week = datetime.now(UTC).date()
    assert "Last 7 days: $70.00 spent, 0 purchases" in page
    assert f"{(week - timedelta(days=7)).isoformat()} to {(week - timedelta(days=1)).isoformat()}" in page
    assert f"adsmanager/reporting/view?act={account}&amp;business_id={meta_shop.business['business_id']}" in page


def test_refresh_from_meta_reads_the_figures_now_by_tasks(meta_shop, owner):
    shop = meta_shop.shop
    ShopFigures.objects.filter(shop=shop).delete()
    response = owner.post(reverse("meta_tools_refresh", args=[shop.pk]))
    assert response.status_code == 302 and response["Location"] == reverse("meta_tools", args=[shop.pk])
    assert ShopFigures.objects.get(shop=shop).figures["page"]["state"] == "ok"  # tasks run at once in tests
    from ads.models import AdsSettings

    assert AdsSettings.objects.get(shop=shop).figures_read_at is not None


def test_refresh_from_meta_on_an_unconnected_shop_says_connect_first(owner, shop_a):
    response = owner.post(reverse("meta_tools_refresh", args=[shop_a.pk]), follow=True)
    assert "Connect the shop to Meta first." in response.content.decode()
    assert not ShopFigures.objects.filter(shop=shop_a).exists()
