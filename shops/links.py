"""Deep links into Meta's own tools, built from the ids a shop's connection stores: the one home
of every link to Meta (Commerce Manager, Business Suite, Ads Manager, Events Manager, Instagram),
so one place changes when Meta moves a page.

Each pattern names its source. Confidence as in META_API.md: (C) confirmed by Meta's own plugins
or documentation; (P) the URL Meta's tool shows in the browser, used the same way by public
integrations (no Meta document publishes it); (I) inferred from Commerce Manager's usual
``/commerce/<account>/<page>/`` pattern, not confirmed. Where no stable link to the exact page is
known, the builder links to the closest stable page and says so.

Ids are Graph ids (digits): anything else gives no link ("") rather than a broken or injected one.
"""

from __future__ import annotations

from urllib.parse import urlencode

CM = "https://business.facebook.com/commerce"
#: Meta Business Suite ("latest" is the suite's own prefix for its current pages)
SUITE = "https://business.facebook.com/latest"
ADS_MANAGER = "https://adsmanager.facebook.com/adsmanager"
#: the hosts every link here points at (all Meta's, all https)
META_HOSTS = ("business.facebook.com", "adsmanager.facebook.com", "www.facebook.com", "www.instagram.com")


def graph_id(value) -> str:
    """The id if it is a Graph id (digits; an ad account's ``act_`` prefix dropped), else ""."""
    text = str(value or "").strip().removeprefix("act_")
    return text if text.isdigit() else ""


def _q(**params) -> str:
    return urlencode({k: v for k, v in params.items() if v})


# --- Commerce Manager ----------------------------------------------------------------------------


def commerce_manager(cms_id: str) -> str:
    """The commerce account's home in Commerce Manager (C: Meta's WooCommerce plugin's Shops screen
    links business.facebook.com/commerce_manager/{cms_id}; Meta's Magento plugin
    facebook.com/commerce/{cms_id}; Commerce Manager answers both with the account's home)."""
    cms = graph_id(cms_id)
    return f"{CM}/{cms}/" if cms else ""


def shop_settings(cms_id: str) -> str:
    """(I) Commerce Manager → Settings."""
    cms = graph_id(cms_id)
    return f"{CM}/{cms}/settings/" if cms else ""


def support(cms_id: str) -> str:
    """Where a seller requests a review of an integrity or policy decision (appeal) (C: Meta's
    Magento plugin, META_API §4.2)."""
    cms = graph_id(cms_id)
    return f"{CM}/{cms}/support/" if cms else ""


def sales_channels(cms_id: str) -> str:
    """(I) Commerce Manager → Settings → Sales channels."""
    cms = graph_id(cms_id)
    return f"{CM}/{cms}/settings/sales_channels/" if cms else ""


def catalog_products(catalog_id: str) -> str:
    """The catalog's items (C: Meta's WooCommerce plugin, Product sync screen:
    facebook.com/commerce/catalogs/{catalog_id}/products/)."""
    catalog = graph_id(catalog_id)
    return f"{CM}/catalogs/{catalog}/products/" if catalog else ""


def catalog_issues(catalog_id: str) -> str:
    """(I) The catalog's issues (diagnostics) in Commerce Manager (META_API §4.2: from memory);
    without a catalog, Commerce Manager's start page."""
    catalog = graph_id(catalog_id)
    return f"{CM}/catalogs/{catalog}/issues" if catalog else f"{CM}/"


def discounts(cms_id: str) -> str:
    """Commerce Manager's discounts page (C: Meta's Magento plugin, META_API §4.2)."""
    cms = graph_id(cms_id)
    return f"https://www.facebook.com/commerce/{cms}/promotions/discounts/" if cms else ""


# Finance pages (onsite-checkout era). Meta's help centre names them ("Payouts" under Finance,
# "Disputes" under the Orders tab: "About chargebacks in Commerce Manager"); the paths follow
# Commerce Manager's usual /commerce/<account>/<page>/ pattern and are not confirmed (I).


def payouts(cms_id: str) -> str:
    cms = graph_id(cms_id)
    return f"{CM}/{cms}/payouts/" if cms else ""


def disputes(cms_id: str) -> str:
    cms = graph_id(cms_id)
    return f"{CM}/{cms}/orders/disputes/" if cms else ""


def order(cms_id: str, meta_order_id: str) -> str:
    """One order in Commerce Manager (C: Meta's Magento plugin's Order tab, META_API §4.2)."""
    cms, order_id = graph_id(cms_id), graph_id(meta_order_id)
    return f"https://www.facebook.com/commerce_manager/{cms}/orders/{order_id}/" if cms and order_id else ""


# --- the nine jobs that live in Meta's own tools (MISSION.md, "Meta only") ------------------------


def shop_insights(cms_id: str) -> str:
    """View shop insights and recommendations: Commerce Manager's Insights (Meta Business Help
    Centre, "Commerce Manager insights glossary", 538769503450341, names the metrics it shows:
    visitors, product page views, clicks to the website, sales). (I): the tab's path follows
    Commerce Manager's pattern; Meta publishes none. The account's recommendations are on its
    home, `commerce_manager`."""
    cms = graph_id(cms_id)
    return f"{CM}/{cms}/insights/" if cms else ""


def shop_look(cms_id: str) -> str:
    """Customise the shop's look (featured collections, the shop's layout). Meta edits it in
    Commerce Manager's shop editor, whose address Meta does not publish: the closest stable page
    is the commerce account's home, where the editor is one click away."""
    return commerce_manager(cms_id)


def inbox(page_id: str, business_id: str = "") -> str:
    """Reply to buyers: Meta Business Suite's inbox, Messenger, Instagram Direct and WhatsApp
    conversations of the Page in one place (P: business.facebook.com/latest/inbox/all with
    asset_id = the Page, business_id = the business portfolio)."""
    page = graph_id(page_id)
    return f"{SUITE}/inbox/all/?{_q(asset_id=page, business_id=graph_id(business_id))}" if page else ""


def message_buyer(page_id: str, business_id: str = "") -> str:
    """"Message the buyer" of a Meta order. Meta's order API gives no messaging id of the buyer
    (no page-scoped id), so no link opens that buyer's thread: the inbox is the closest stable
    page (the buyer is found there by name)."""
    return inbox(page_id, business_id)


def ugc(instagram_username: str = "", cms_id: str = "") -> str:
    """Review user-generated content: the posts in which buyers tagged the shop's Instagram
    account, i.e. the account's Tagged tab (instagram.com/{username}/tagged/, Instagram's own
    profile address); from a post there the seller asks to feature it in the shop (Instagram Help
    Centre 616066542412490, "Feature user-generated content in your shop on Instagram"). Without
    the username (read with the account's figures) the closest stable page is the commerce
    account's home, whose UGC tab Meta shows to eligible sellers."""
    name = str(instagram_username or "").strip()
    if name and all(c.isalnum() or c in "._" for c in name) and len(name) <= 30:
        return f"https://www.instagram.com/{name}/tagged/"
    return commerce_manager(cms_id)


def ads_reporting(ad_account_id: str, business_id: str = "") -> str:
    """Ads performance and analytics: Ads Manager's reports for the ad account
    (P: adsmanager.facebook.com/adsmanager/reporting/view?act={account}&business_id={business})."""
    account = graph_id(ad_account_id)
    return f"{ADS_MANAGER}/reporting/view?{_q(act=account, business_id=graph_id(business_id))}" if account else ""


def ads_manager(ad_account_id) -> str:
    """An ad account's campaigns in Ads Manager (P: Ads Manager's own URL for the account, the
    number after act_)."""
    account = graph_id(ad_account_id)
    return f"{ADS_MANAGER}/manage/campaigns?{_q(act=account)}" if account else ""


def organic_insights(page_id: str, business_id: str = "") -> str:
    """Organic performance and analytics: Meta Business Suite's Insights for the Page and its
    Instagram account (P: business.facebook.com/latest/insights/overview with asset_id = the
    Page). Commerce Manager's deeper shop metrics are `shop_insights`."""
    page = graph_id(page_id)
    return f"{SUITE}/insights/overview/?{_q(asset_id=page, business_id=graph_id(business_id))}" if page else ""


def product_launches(catalog_id: str) -> str:
    """Instagram product launches: a launch is set on a catalog item shown in an Instagram post
    (launch date, reminders). Meta publishes no address of the launch set-up, so the closest stable
    page is the catalog's items in Commerce Manager (C), where the item to launch is."""
    return catalog_products(catalog_id)


def live_shopping() -> str:
    """Instagram live shopping. Meta ended product tags in Instagram Live on 16 March 2023
    (Instagram Help Centre notice; Facebook Live Shopping ended on 1 October 2022): a live
    broadcast can no longer carry product tags. The closest stable page is Meta's Live Producer,
    where a broadcast is planned and run; viewers are pointed to tagged posts instead."""
    return "https://www.facebook.com/live/producer/"


def tagged_post(page_id: str, business_id: str = "") -> str:
    """Organic posts with product tags: Meta Business Suite's post composer for the Page and its
    Instagram account (P: business.facebook.com/latest/composer with asset_id = the Page), where
    an Instagram post's products are tagged from the catalog (Instagram Graph API "Product
    Tagging" guide: tags need an Instagram Shop; Facebook posts lost product tags on 10 August
    2023 for shops without checkout). A product cannot be preselected there."""
    page = graph_id(page_id)
    return f"{SUITE}/composer/?{_q(asset_id=page, business_id=graph_id(business_id))}" if page else ""


# --- ads assets ----------------------------------------------------------------------------------


def events_manager(pixel_id) -> str:
    """A pixel's (dataset's) overview in Events Manager (P: the page Meta's plugins open for the
    shop's pixel, e.g. facebook-for-woocommerce's "Events Manager" link)."""
    pixel = graph_id(pixel_id)
    return f"https://business.facebook.com/events_manager2/list/pixel/{pixel}/overview" if pixel else ""


# --- all of a connection's links -------------------------------------------------------------------

#: the nine Meta-only seller jobs (MISSION.md), in the table's order
JOBS = ("shop_insights", "shop_look", "inbox", "ugc", "ads_reporting", "organic_insights", "product_launches",
        "live_shopping", "tagged_post")


def for_connection(conn, *, instagram_username: str = "") -> dict[str, str]:
    """{job: link} for the nine jobs, from a MetaConnection's ids ("" where an id is missing)."""
    if conn is None:
        return dict.fromkeys(JOBS, "")
    business = conn.business_manager_id
    cms = conn.commerce_merchant_settings_id
    return {
        "shop_insights": shop_insights(cms),
        "shop_look": shop_look(cms),
        "inbox": inbox(conn.page_id, business),
        "ugc": ugc(instagram_username, cms),
        "ads_reporting": ads_reporting(conn.ad_account_id, business),
        "organic_insights": organic_insights(conn.page_id, business),
        "product_launches": product_launches(conn.catalog_id),
        "live_shopping": live_shopping(),
        "tagged_post": tagged_post(conn.page_id, business),
    }
