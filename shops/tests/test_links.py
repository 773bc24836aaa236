"""Deep links into Meta's tools (shops.links): one test per link, each checking that the link is
https on a Meta host and carries the ids it is built from; an id that is not a Graph id gives no
link."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from shops import links

BUSINESS, CMS, CATALOG, PAGE, ACCOUNT, PIXEL, ORDER = (
    "1000000000000101", "1000000000000102", "1000000000000103", "1000000000000104", "1000000000000105",
    "1000000000000106", "1000000000000107")


def parts(url: str):
    split = urlsplit(url)
    assert split.scheme == "https" and split.netloc in links.META_HOSTS, url
    return split.path, {k: v[0] for k, v in parse_qs(split.query).items()}


@pytest.mark.parametrize("bad", ["", None, "12/../x", "abc", "1 2", "0x1", "../1"])
def test_anything_but_a_graph_id_gives_no_link(bad):
    for build in (links.commerce_manager, links.shop_insights, links.shop_look, links.inbox, links.ads_reporting,
                  links.organic_insights, links.product_launches, links.tagged_post, links.events_manager,
                  links.ads_manager, links.catalog_products, links.discounts, links.payouts, links.disputes,
                  links.support, links.shop_settings, links.sales_channels):
        assert build(bad) == "", build.__name__


def test_commerce_manager_home_carries_the_commerce_account():
    assert parts(links.commerce_manager(CMS)) == (f"/commerce/{CMS}/", {})


def test_shop_insights_opens_the_commerce_accounts_insights():
    assert parts(links.shop_insights(CMS)) == (f"/commerce/{CMS}/insights/", {})


def test_shop_look_opens_the_commerce_accounts_home_the_closest_stable_page():
    assert links.shop_look(CMS) == links.commerce_manager(CMS)


def test_inbox_opens_business_suites_inbox_for_the_page_in_its_business():
    path, query = parts(links.inbox(PAGE, BUSINESS))
    assert path == "/latest/inbox/all/" and query == {"asset_id": PAGE, "business_id": BUSINESS}
    assert parts(links.inbox(PAGE))[1] == {"asset_id": PAGE}


def test_message_the_buyer_opens_the_pages_inbox():
    assert links.message_buyer(PAGE, BUSINESS) == links.inbox(PAGE, BUSINESS)
    assert links.message_buyer("", BUSINESS) == ""


def test_ugc_opens_the_instagram_accounts_tagged_posts_or_else_commerce_manager():
    assert parts(links.ugc("lotus_tea.house")) == ("/lotus_tea.house/tagged/", {})
    assert links.ugc("", CMS) == links.commerce_manager(CMS)
    assert links.ugc("not a name/../x", CMS) == links.commerce_manager(CMS)  # never a made-up path
    assert links.ugc("", "") == ""


def test_ads_reporting_opens_ads_managers_reports_of_the_ad_account():
    path, query = parts(links.ads_reporting(ACCOUNT, BUSINESS))
    assert path == "/adsmanager/reporting/view" and query == {"act": ACCOUNT, "business_id": BUSINESS}
    assert links.ads_reporting(f"act_{ACCOUNT}", BUSINESS) == links.ads_reporting(ACCOUNT, BUSINESS)


def test_ads_manager_opens_the_ad_accounts_campaigns():
    assert parts(links.ads_manager(ACCOUNT)) == ("/adsmanager/manage/campaigns", {"act": ACCOUNT})
    assert links.ads_manager(f"act_{ACCOUNT}") == links.ads_manager(ACCOUNT)


def test_organic_insights_open_business_suites_insights_for_the_page():
    path, query = parts(links.organic_insights(PAGE, BUSINESS))
    assert path == "/latest/insights/overview/" and query == {"asset_id": PAGE, "business_id": BUSINESS}


def test_product_launches_open_the_catalogs_items():
    assert parts(links.product_launches(CATALOG)) == (f"/commerce/catalogs/{CATALOG}/products/", {})


def test_live_shopping_opens_live_producer():
    assert parts(links.live_shopping()) == ("/live/producer/", {})


def test_tagged_posts_open_the_composer_for_the_page():
    path, query = parts(links.tagged_post(PAGE, BUSINESS))
    assert path == "/latest/composer/" and query == {"asset_id": PAGE, "business_id": BUSINESS}


def test_events_manager_opens_the_pixels_overview():
    assert parts(links.events_manager(PIXEL)) == (f"/events_manager2/list/pixel/{PIXEL}/overview", {})


def test_an_order_opens_in_commerce_manager():
    assert parts(links.order(CMS, ORDER)) == (f"/commerce_manager/{CMS}/orders/{ORDER}/", {})
    assert links.order(CMS, "") == "" and links.order("", ORDER) == ""


def test_commerce_manager_pages_carry_the_commerce_account():
    for build, tail in ((links.shop_settings, "settings/"), (links.support, "support/"),
                        (links.sales_channels, "settings/sales_channels/"), (links.payouts, "payouts/"),
                        (links.disputes, "orders/disputes/")):
        assert parts(build(CMS)) == (f"/commerce/{CMS}/{tail}", {}), build.__name__
    assert parts(links.discounts(CMS)) == (f"/commerce/{CMS}/promotions/discounts/", {})


def test_catalog_pages_carry_the_catalog():
    assert parts(links.catalog_products(CATALOG)) == (f"/commerce/catalogs/{CATALOG}/products/", {})
    assert parts(links.catalog_issues(CATALOG)) == (f"/commerce/catalogs/{CATALOG}/issues", {})
    assert links.catalog_issues("") == "https://business.facebook.com/commerce/"


def test_a_connection_gives_every_one_of_the_nine_jobs_its_link():
    from shops.models import MetaConnection

    conn = MetaConnection(business_manager_id=BUSINESS, commerce_merchant_settings_id=CMS, catalog_id=CATALOG,
                          page_id=PAGE, ad_account_id=ACCOUNT, pixel_id=PIXEL)
    found = links.for_connection(conn, instagram_username="lotus_tea")
    assert tuple(found) == links.JOBS and len(found) == 9 and all(found.values())
    assert found["inbox"] == links.inbox(PAGE, BUSINESS) and found["ugc"].endswith("/lotus_tea/tagged/")
    assert found["ads_reporting"] == links.ads_reporting(ACCOUNT, BUSINESS)
    assert links.for_connection(None) == dict.fromkeys(links.JOBS, "")
