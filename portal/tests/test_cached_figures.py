"""The shop's figures are cached (kernel.shopcache) yet never hide what the seller just did or what
a job just brought in: taken along the seller's path (the FBE-connected shop, the sandbox's buyer,
the poll job, the product form)."""

from __future__ import annotations

from django.urls import reverse

from catalog.tests.factories import make_product
from catalog.tests.test_forms import VALID


def test_new_orders_show_in_the_counts_when_the_poll_that_brought_them_ends(meta_shop, alice_client):
    shop = meta_shop.shop
    orders_url, dashboard_url = reverse("orders:index", args=[shop.pk]), reverse("dashboard", args=[shop.pk])
    assert alice_client.get(orders_url).context["counts"]["to_ship"] == 0
    assert alice_client.get(dashboard_url).context["order_counts"]["to_ship"] == 0

    meta_shop.place()
    meta_shop.place()
    meta_shop.poll()  # a recorded job run of the shop: acknowledged, now waiting to be shipped

    page = alice_client.get(orders_url)
    assert page.context["counts"]["to_ship"] == 2
    assert alice_client.get(dashboard_url).context["order_counts"]["to_ship"] == 2
    assert 'To ship <span class="count">2</span>' in page.content.decode()


def test_a_product_the_seller_adds_is_counted_at_once_but_a_row_written_behind_the_portal_waits(
        owner, shop_a):
    catalog_url = reverse("catalog:index", args=[shop_a.pk])
    make_product(shop_a, retailer_id="TEA-OLD")
    assert owner.get(catalog_url).context["counts"]["total"] == 1

    # a row written outside any request or job (a shell, a data fix) shows within the minute
    make_product(shop_a, retailer_id="TEA-SHELL")
    assert owner.get(catalog_url).context["counts"]["total"] == 1

    # the seller's own change (a POST through the shop's views) shows at once
    response = owner.post(reverse("catalog:product_new", args=[shop_a.pk]), VALID)
    assert response.status_code == 302
    counts = owner.get(catalog_url).context["counts"]
    assert counts["total"] == 3 and counts["pending"] == 3
    assert owner.get(reverse("dashboard", args=[shop_a.pk])).context["catalog"]["total"] == 3
