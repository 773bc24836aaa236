"""Meta's figures win where Meta reports them, and a difference is shown to staff, never
corrected silently (issue 11, Build 2): orders.money.checks after each poll."""

from __future__ import annotations

from dataclasses import replace

from django.urls import reverse

from orders import meta as order_meta
from orders import services
from orders.models import MoneyCheck
from orders.money.ledger import ledgers


def shipped_order(meta_shop):
    placed = meta_shop.place(items=[{"retailer_id": "A", "quantity": 3, "price": "10.00", "product_name": "Tea"}],
                             discounts=[{"type": "order", "amount_off": "1.00"}], tax_rate="10")
    meta_shop.poll()
    order = meta_shop.local(placed["id"])
    item = order.items.get()
    services.ship(meta_shop.shop, order.pk, quantities={item.pk: 2}, carrier="UPS", tracking_number="1Z")
    meta_shop.poll()
    return placed, order


def reported(meta_shop, placed, **changes):
    state = meta_shop.meta(placed["id"])
    [item] = state["items"]
    data = order_meta.ItemData(meta_item_id=item["id"], retailer_id="A", meta_product_id="", title="Tea", quantity=3,
                               price_per_unit_minor=1000, tax_minor=0, captured_tax_minor=item["captured_tax"],
                               order_discount_minor=0, meta_discount_minor=0, promotions=[],
                               meta_refundable_minor=1934, meta_captured_tax_minor=item["captured_tax"])
    return replace(data, **changes)


def test_after_a_poll_metas_figures_are_kept_and_agree_with_ours(meta_shop):
    placed, order = shipped_order(meta_shop)
    item = order.items.get()
    # 2 of 3 shipped: 20.00 − cum(100, 3, 2) = 19.34 (Meta's Step 4); tax captured cum(290, 3, 2) = 193.
    assert (item.meta_refundable_minor, item.captured_tax_minor) == (1934, 193)
    assert ledgers(order)[item.pk].refundable_minor == 1934
    assert not MoneyCheck.objects.exists()


def test_a_difference_is_kept_for_staff_and_metas_figure_is_used(meta_shop, staff_client, owner, alice):
    from orders.money.checks import check_order

    placed, order = shipped_order(meta_shop)
    item = order.items.get()
    still_open = check_order(order, [reported(meta_shop, placed, meta_refundable_minor=1935,
                                              meta_captured_tax_minor=190)])
    checks = {c.figure: c for c in MoneyCheck.objects.filter(order=order, resolved_at=None)}
    assert set(checks) == {MoneyCheck.Figure.REFUNDABLE, MoneyCheck.Figure.CAPTURED_TAX}
    assert (checks["refundable"].ours_minor, checks["refundable"].meta_minor) == (1934, 1935)
    assert (checks["captured_tax"].ours_minor, checks["captured_tax"].meta_minor) == (193, 190)
    assert set(still_open) == set(checks.values())
    # Meta's figure is what the seller can refund.
    order.refresh_from_db()
    assert ledgers(order)[item.pk].refundable_minor == 1935
    plan = services.preview_refund(order, amounts={item.pk: 1935})
    assert plan.subtotal_minor == 1935
    # Staff see it in the admin (the list and the order's page) and, when they are also members
    # of the shop, on the seller's order page; the seller does not.
    admin = staff_client.get(reverse("admin:orders_moneycheck_changelist"))
    assert admin.status_code == 200 and order.reference in admin.content.decode()
    assert "1935" in staff_client.get(reverse("admin:orders_order_change", args=[order.pk])).content.decode()
    url = reverse("orders:detail", args=[meta_shop.shop.pk, order.pk])
    assert 'id="money-checks"' not in owner.get(url).content.decode()
    type(alice).objects.filter(pk=alice.pk).update(is_staff=True)
    assert 'id="money-checks"' in owner.get(url).content.decode()
    # The next poll reports Meta's real figures, which agree with ours: resolved, not deleted.
    check_order(order, [reported(meta_shop, placed)])
    assert not MoneyCheck.objects.filter(order=order, resolved_at=None).exists()
    assert MoneyCheck.objects.filter(order=order).count() == 2
    order.refresh_from_db()
    assert ledgers(order)[item.pk].refundable_minor == 1934


def test_a_change_on_its_way_to_meta_is_not_a_difference(meta_shop):
    from orders.money.checks import check_order

    placed, order = shipped_order(meta_shop)
    item = order.items.get()
    services.refund(meta_shop.shop, order.pk, amounts={item.pk: 500}, reason_code="QUALITY_ISSUE")
    # Meta's figure from before the refund reached it: ours for the records Meta has agrees.
    assert check_order(order, [reported(meta_shop, placed, meta_refundable_minor=1934)]) == []
    order.refresh_from_db()
    assert ledgers(order)[item.pk].refundable_minor == 1434
