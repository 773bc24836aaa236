"""Payment details (onsite checkout): the shop's Settings and the Payments page say whether Meta
can pay the commerce account out, from the set-up status the connection check reads."""

from __future__ import annotations

from django.urls import reverse

from shops.tasks import check_shop_health


def test_settings_say_payouts_are_set_up_and_then_that_they_are_not(meta_shop, owner):
    from meta_sandbox import facade

    shop = meta_shop.shop
    check_shop_health(shop.pk)
    page = owner.get(reverse("shops:settings", args=[shop.pk])).content.decode()
    assert "Payouts are set up at Meta" in page
    facade.set_business_state(meta_shop.connection.business_manager_id, "setup_incomplete")
    check_shop_health(shop.pk)
    page = owner.get(reverse("shops:settings", args=[shop.pk])).content.decode()
    assert "Payouts are not set up at Meta" in page and "/settings/" in page
    payments = owner.get(reverse("finance:index", args=[shop.pk])).content.decode()
    assert 'id="payouts-setup"' in payments and "Set up payouts in Commerce Manager" in payments
