"""An order's page: every Meta order offers "Message the buyer" (the shop's inbox at Meta), a
website order does not; order lines show the product's name, and its retailer id once."""

from __future__ import annotations

from django.urls import reverse

from catalog.tests.factories import make_product


def _page(client, order) -> str:
    response = client.get(reverse("orders:detail", args=[order.shop_id, order.pk]))
    assert response.status_code == 200
    return response.content.decode()


def test_a_meta_order_offers_message_the_buyer_in_the_shops_inbox_at_meta(meta_shop, owner):
    made = meta_shop.place()
    meta_shop.poll()
    conn = meta_shop.connection
    page = _page(owner, meta_shop.local(made["id"]))
    inbox = f"https://business.facebook.com/latest/inbox/all/?asset_id={conn.page_id}&amp;business_id={conn.business_manager_id}"
    assert f'id="message-buyer" href="{inbox}" target="_blank" rel="noopener"' in page
    assert "Message the buyer" in page


def test_a_website_order_has_no_message_the_buyer(meta_shop, owner):
    from django.utils import timezone

    from orders.website import WebsiteLine, WebsiteOrder, record_website_order

    order, _created = record_website_order(meta_shop.shop, WebsiteOrder(
        order_id="WEB-1", currency="USD", placed_at=timezone.now(), buyer_name="Ann",
        lines=[WebsiteLine(retailer_id="TEA-1", title="Jasmine tea", quantity=1, price_per_unit_minor=1200)]))
    page = _page(owner, order)
    assert not order.is_meta and "Message the buyer" not in page


def test_order_lines_show_the_products_name_and_its_retailer_id_once(meta_shop, owner):
    make_product(meta_shop.shop, retailer_id="OOLONG-1", title="Oolong tea")
    # Meta names a line after its catalog item; an item Meta does not hold comes back with its
    # retailer id as its name.
    made = meta_shop.place(items=[{"retailer_id": "TEA-1", "quantity": 1, "price": "12.00", "product_name": "Jasmine tea"},
                                  {"retailer_id": "OOLONG-1", "quantity": 1, "price": "9.00"}])
    meta_shop.poll()
    order = meta_shop.local(made["id"])
    assert {i.retailer_id: i.title for i in order.items.all()} == {"TEA-1": "Jasmine tea", "OOLONG-1": "OOLONG-1"}
    page = _page(owner, order)
    items = page.split('id="items-h"')[1].split("</table>")[0]
    assert "Jasmine tea" in items and items.count("TEA-1") == 1
    assert "Oolong tea" in items and items.count("OOLONG-1") == 1  # the product's name, the retailer id once
