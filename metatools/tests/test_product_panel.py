"""A product's page shows what Meta reports about it (impressions without and in ads, message
sends, with the date read) and opens Meta's tools to tag it in a post and to plan its launch."""

from __future__ import annotations

from django.urls import reverse

from catalog import services, sync
from catalog.tests.factories import make_product, product_values
from meta_sandbox.facade import GraphCaller
from metatools.models import ProductFigures
from metatools.tasks import read_figures


def _page(client, product) -> str:
    response = client.get(reverse("catalog:product_edit", args=[product.shop_id, product.pk]))
    assert response.status_code == 200
    return response.content.decode()


def test_the_product_page_shows_metas_figures_and_the_instagram_links(meta_shop, owner, alice):
    product = services.save_product(meta_shop.shop, values=product_values(retailer_id="TEA-7", title="Tea"),
                                    actor=alice)
    assert sync.sync_shop(meta_shop.shop.pk, "full").status == "succeeded"
    read_figures(meta_shop.shop.pk)
    figures = ProductFigures.objects.get(product=product)
    graph = GraphCaller(meta_shop.sandbox.base_url)
    items = graph.get(f"{meta_shop.catalog_id}/products", token=str(meta_shop.connection.access_token),
                      fields="retailer_id,commerce_insights").json()["data"]
    graph.session.close()
    [meta] = [i["commerce_insights"] for i in items if i["retailer_id"] == "TEA-7"]
    assert (figures.organic_impressions, figures.paid_impressions, figures.message_sends) == (
        meta["organic_impressions"], meta["paid_impressions"], meta["message_sends"])
    page = _page(owner, product)
    panel = page.split('aria-labelledby="meta-product-h"')[1].split("</section>")[0]
    assert "Seen without ads" in panel and f"<dd>{figures.organic_impressions:,}</dd>" in panel
    conn = meta_shop.connection
    assert (f'href="https://business.facebook.com/latest/composer/?asset_id={conn.page_id}&amp;'
            f'business_id={conn.business_manager_id}" target="_blank" rel="noopener"') in panel
    assert f'href="https://business.facebook.com/commerce/catalogs/{conn.catalog_id}/products/"' in panel
    assert "Impressions as Meta reports them, read" in panel


def test_a_product_meta_has_not_reported_says_so(meta_shop, owner):
    product = make_product(meta_shop.shop, retailer_id="NEW-1")
    panel = _page(owner, product).split('aria-labelledby="meta-product-h"')[1].split("</section>")[0]
    assert "Meta has reported no impressions of this product yet." in panel


def test_an_unconnected_shops_product_page_has_no_meta_panel(owner, shop_a):
    product = make_product(shop_a)
    assert 'id="meta-product-h"' not in _page(owner, product)
