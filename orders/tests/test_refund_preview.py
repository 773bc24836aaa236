"""The refund preview (orders.money.preview) and its partial show every figure a seller confirms."""

from __future__ import annotations

from django.template.loader import render_to_string
from django.test import RequestFactory

from orders import services as order_services
from orders.money.preview import refund_amounts_for_units, refund_preview


def test_the_refund_preview_shows_list_price_discounts_paid_refund_shipping_and_totals(meta_shop):
    meta_shop.poll()
    placed = meta_shop.place(items=[{"retailer_id": "A", "quantity": 3, "price": "9.99", "product_name": "Tea"}],
                             discounts=[{"type": "order", "amount_off": "0.99"},
                                        {"type": "order", "percent_off": "10", "sponsor": "facebook"}],
                             shipping={"name": "Std", "reference_id": "std", "price": "5.00"}, tax_rate="10")
    meta_shop.poll()
    order = meta_shop.local(placed["id"])
    item = order.items.get()
    order_services.ship(meta_shop.shop, order.pk, quantities={item.pk: 3}, carrier="UPS", tracking_number="1")
    order.refresh_from_db()
    amounts = refund_amounts_for_units(order, {item.pk: 1})
    # value 29.97 − 0.99 = 28.98 → one unit cum(2898, 3, 1) = 966.
    assert amounts == {item.pk: 966}
    plan = order_services.preview_refund(order, amounts=amounts, shipping_minor=500)
    preview = refund_preview(order, plan)
    [line] = preview.lines
    # list 29.97; seller 0.99; Meta 10% of 29.97 = 2.99; buyer paid 26.99; Meta's part of 9.66:
    # floor(299·966/2898) = 99; tax 10% of 28.98 = 2.90 → floor(290·966/2898) = 96.
    assert (line.list_price.minor, line.seller_discount.minor, line.meta_discount.minor, line.net_paid.minor,
            line.refund.minor, line.tax.minor, line.meta_part.minor) == (2997, 99, 299, 2599, 966, 96, 99)
    assert (preview.shipping.minor, preview.shipping_tax.minor, preview.total.minor, preview.meta_part.minor) == (
        500, 50, 966 + 96 + 500 + 50, 99)
    html = render_to_string("orders/_refund_preview.html", {"preview": preview},
                            request=RequestFactory().get("/"))
    for text in ("$29.97", "$0.99", "$2.99", "$25.99", "$9.66", "$0.96", "$5.00", "$16.12", "$0.99"):
        assert text in html, text
