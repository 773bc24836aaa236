"""Staff correct a shop's discounts in the admin with the seller's form and rules, and choose
where its discounts are managed, through the promotions services: queued for Meta and audited
with the staff member as the actor."""

from __future__ import annotations

from django.urls import reverse

from promotions.models import Discount, PromotionSettings
from shops.models import AuditEvent


def _seller_discount(owner, shop) -> Discount:
    response = owner.post(reverse("promotions:create", args=[shop.pk]), {
        "title": "Spring tea", "kind": "percent", "percent_off": "10", "level": "item", "target": "all",
        "application": "automatic", "starts_at": "2026-12-01T09:00"})
    assert response.status_code == 302, response.context["form"].errors
    discount = Discount.objects.get(shop=shop)
    Discount.objects.filter(pk=discount.pk).update(sync_state=Discount.SyncState.SYNCED)
    return discount


def test_a_staff_edit_of_a_discount_keeps_the_sellers_rules(owner, shop_a, staff_client, admin_form):
    discount = _seller_discount(owner, shop_a)
    url = reverse("admin:promotions_discount_change", args=[discount.pk])
    page = staff_client.get(url)
    response = staff_client.post(url, admin_form(page, percent_off="0"))
    assert response.status_code == 200 and "Enter a whole number from 1 to 100." in response.content.decode()
    response = staff_client.post(url, admin_form(page, percent_off="15"))
    assert response.status_code == 302
    discount.refresh_from_db()
    assert discount.percent_off == 15 and discount.sync_state == Discount.SyncState.PENDING
    event = AuditEvent.objects.get(shop=shop_a, action="discount.update")
    assert event.actor_label == "staff:stella" and event.changes["percent_off"] == [10, 15]


def test_staff_choose_where_discounts_are_managed_through_the_service(owner, shop_a, staff_client, admin_form):
    discount = _seller_discount(owner, shop_a)
    prefs = PromotionSettings.objects.get(shop=shop_a)
    url = reverse("admin:promotions_promotionsettings_change", args=[prefs.pk])
    response = staff_client.post(url, admin_form(staff_client.get(url), source="commerce_manager"))
    assert response.status_code == 302
    discount.refresh_from_db()
    assert discount.sync_state == Discount.SyncState.LOCAL  # nothing more is sent to Meta
    event = AuditEvent.objects.get(shop=shop_a, action="promotions.set_source")
    assert event.actor_label == "staff:stella" and event.changes == {"source": ["portal", "commerce_manager"]}
