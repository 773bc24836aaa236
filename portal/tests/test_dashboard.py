"""The dashboard: the Catalog card shows figures (products, synced, with issues, last sync) from a
few queries whatever the catalog's size; the shop's insights and look open at Meta from it; the
Meta tools page is one click away."""

from __future__ import annotations

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from catalog.models import CatalogSync, Product
from catalog.tests.factories import make_issue, make_product
from portal.testing import clear_cache

#: The whole dashboard at most, with the issue cards read anew (measured: session, user,
#: membership, connection, order counts; the Catalog card's three: counts, products with issues,
#: last sync; the shop switcher and the issue badge's providers). A new query on this hot page
#: should be a choice, so this is exact.
DASHBOARD_QUERIES = 16
#: ... and while the shop's issue cards are cached (kernel.issues.recent_issue_cards), as most
#: requests find them: issue 16's page budget.
DASHBOARD_QUERIES_CACHED = 12


def _dashboard(client, shop, *, cached: bool = False):
    if not cached:
        clear_cache()  # every app's issue cards read anew: the providers' queries counted too
    with CaptureQueriesContext(connection) as captured:
        response = client.get(reverse("dashboard", args=[shop.pk]))
    assert response.status_code == 200
    return response.content.decode(), len(captured.captured_queries)


def _catalog(shop, n: int) -> list[Product]:
    products = [make_product(shop, retailer_id=f"T-{shop.pk}-{i}") for i in range(n)]
    Product.objects.filter(pk__in=[p.pk for p in products[: n // 2]]).update(
        needs_sync_slow=False, needs_sync_fast=False, synced_at=timezone.now())
    for product in products[:3]:
        make_issue(shop, product)
    make_issue(shop, products[0], code="EMPTY_DESCRIPTION")  # a second issue of one product counts it once
    return products


def test_the_catalog_card_shows_the_catalogs_figures(owner, shop_a):
    _catalog(shop_a, 8)
    CatalogSync.objects.filter(shop=shop_a).update(last_changes_at=timezone.now() - timezone.timedelta(minutes=5))
    page, _queries = _dashboard(owner, shop_a)
    card = page.split('id="catalog-card"')[1].split("</article>")[0]
    assert "8 products" in card and "4 synced with Meta" in card and "3 with issues" in card
    assert "Last sync 5\xa0minutes ago" in card
    products = reverse("catalog:products", args=[shop_a.pk])
    assert f'href="{products}?sync=synced"' in card and f'href="{products}?issue=any"' in card


def test_an_empty_catalog_says_what_to_do_first(owner, shop_a):
    page, _queries = _dashboard(owner, shop_a)
    card = page.split('id="catalog-card"')[1].split("</article>")[0]
    assert "No products yet" in card and "Last sync" not in card


def test_the_dashboard_costs_the_same_few_queries_for_2_or_40_products(owner, shop_a):
    _catalog(shop_a, 4)
    _page, few = _dashboard(owner, shop_a)
    _catalog_more = [make_product(shop_a, retailer_id=f"M-{i}") for i in range(36)]
    for product in _catalog_more[:10]:
        make_issue(shop_a, product)
    _page, many = _dashboard(owner, shop_a)
    assert few == many <= DASHBOARD_QUERIES, (few, many)
    _page, cached = _dashboard(owner, shop_a, cached=True)
    assert cached <= DASHBOARD_QUERIES_CACHED and cached < many, (cached, many)


def test_shop_insights_and_look_open_at_meta_from_the_dashboard(owner, meta_shop):
    cms = meta_shop.cms
    page, _queries = _dashboard(owner, meta_shop.shop)
    card = page.split('id="meta-card"')[1].split("</article>")[0]
    assert f'href="https://business.facebook.com/commerce/{cms}/insights/" target="_blank" rel="noopener"' in card
    assert f'href="https://business.facebook.com/commerce/{cms}/" target="_blank" rel="noopener"' in card
    assert reverse("meta_tools", args=[meta_shop.shop.pk]) in card


def test_an_unconnected_shop_gets_no_links_to_meta(owner, shop_a):
    page, _queries = _dashboard(owner, shop_a)
    card = page.split('id="meta-card"')[1].split("</article>")[0]
    assert "business.facebook.com" not in card and "once the shop is connected" in card
