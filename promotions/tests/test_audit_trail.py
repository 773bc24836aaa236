"""Every change a seller makes to discounts goes through a promotions service that takes plain
values and the actor and writes an audit event: each test drives the seller's page end to end
and reads the trail."""

from __future__ import annotations

import pytest
from django.urls import reverse

from catalog.tests.factories import make_product, make_set
from promotions import services
from promotions.models import Discount, PromotionSettings
from promotions.tests.factories import make_discount
from shops.models import AuditEvent


def url(name, shop, *args):
    return reverse(f"promotions:{name}", args=[shop.pk, *args])


def form_data(**over) -> dict:
    data = {"title": "Spring tea", "kind": "percent", "percent_off": "10", "level": "item", "target": "all",
            "application": "automatic", "starts_at": "2026-03-01T09:00", "ends_at": ""}
    data.update(over)
    return data


def _event(shop, action) -> AuditEvent:
    return AuditEvent.objects.get(shop=shop, action=action)


def test_creating_a_discount_through_the_form_is_audited(owner, alice, shop_a):
    tea = make_product(shop_a, retailer_id="TEA-1")
    response = owner.post(url("create", shop_a), form_data(
        kind="amount", percent_off="", amount_off="5.50", target="products", retailer_ids="TEA-1"))
    discount = Discount.objects.get(shop=shop_a)
    assert response["Location"] == url("edit", shop_a, discount.pk)
    assert (discount.amount_off_minor, list(discount.products.all())) == (550, [tea])
    event = _event(shop_a, "discount.create")
    assert (event.actor, event.target_id, event.summary) == (alice, str(discount.pk), "Spring tea")
    assert event.changes["amount_off_minor"] == 550 and event.changes["products"] == [tea.pk]


def test_editing_a_discount_audits_what_changed(owner, alice, shop_a):
    discount = make_discount(shop_a, title="Spring tea", percent_off=10)
    response = owner.post(url("edit", shop_a, discount.pk), form_data(percent_off="15"))
    assert response.status_code == 302
    discount.refresh_from_db()
    assert discount.percent_off == 15 and discount.sync_state == Discount.SyncState.PENDING
    event = _event(shop_a, "discount.update")
    assert event.actor == alice and event.changes["percent_off"] == [10, 15]


def test_a_product_set_is_passed_by_id(owner, shop_a):
    product_set = make_set(shop_a, name="Teas")
    owner.post(url("create", shop_a), form_data(target="product_set", product_set=str(product_set.pk)))
    discount = Discount.objects.get(shop=shop_a)
    assert discount.product_set == product_set
    assert _event(shop_a, "discount.create").changes["product_set_id"] == product_set.pk


def test_the_service_refuses_another_shops_set_and_ignores_its_products(shop_a, shop_b, alice):
    theirs = make_set(shop_b, name="Theirs")
    values = {"title": "x", "kind": "percent", "percent_off": 5, "target": "products", "starts_at": "2026-03-01T09:00Z"}
    with pytest.raises(ValueError):
        services.save_discount(shop_a, values={**values, "product_set_id": theirs.pk}, actor=alice)
    with pytest.raises(ValueError):
        services.save_discount(shop_a, values={**values, "shop_id": shop_b.pk}, actor=alice)
    other = make_product(shop_b, retailer_id="THEIRS")
    discount = services.save_discount(shop_a, values=values, product_ids=[other.pk], actor=alice)
    assert list(discount.products.all()) == []


def test_ending_a_discount_is_audited(owner, alice, shop_a):
    discount = make_discount(shop_a)
    owner.post(url("end", shop_a, discount.pk))
    discount.refresh_from_db()
    assert discount.ended_at is not None
    event = _event(shop_a, "discount.end")
    assert event.actor == alice and event.changes["ends_at"][0] is None


def test_choosing_where_discounts_are_managed_is_audited(owner, alice, shop_a):
    owner.post(url("settings", shop_a), {"source": "commerce_manager"})
    assert PromotionSettings.objects.get(shop=shop_a).source == "commerce_manager"
    event = _event(shop_a, "promotions.set_source")
    assert event.actor == alice and event.changes == {"source": ["portal", "commerce_manager"]}


def test_send_now_is_a_service_and_audited(owner, alice, shop_a, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks():  # the sync task itself is not run here
        response = owner.post(url("sync_now", shop_a))
    assert response["Location"] == url("index", shop_a)
    assert PromotionSettings.objects.get(shop=shop_a).sync_requested_at is not None
    assert _event(shop_a, "promotions.sync").actor == alice


def test_send_now_does_nothing_when_commerce_manager_manages_discounts(owner, alice, shop_a):
    services.set_source(shop_a, PromotionSettings.Source.COMMERCE_MANAGER, actor=alice)
    owner.post(url("sync_now", shop_a))
    assert not AuditEvent.objects.filter(shop=shop_a, action="promotions.sync").exists()
