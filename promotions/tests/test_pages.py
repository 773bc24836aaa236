"""Promotions pages: list with status and sync state (and its empty state), create / edit / end with
field errors, the source-of-truth setting; viewers read only; another shop's discount is a 404."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from catalog.tests.factories import make_product
from promotions.models import Discount, PromotionSettings
from promotions.tests.factories import make_discount


def url(name, shop, *args):
    return reverse(f"promotions:{name}", args=[shop.pk, *args])


def form_data(**over) -> dict:
    data = {"title": "Spring tea", "kind": "percent", "percent_off": "10", "level": "item", "target": "all",
            "application": "automatic", "starts_at": "2026-03-01T09:00", "ends_at": ""}
    data.update(over)
    return {k: v for k, v in data.items() if v is not None}


def test_the_empty_state_says_what_to_do_first(owner, shop_a):
    page = owner.get(url("index", shop_a)).content.decode()
    assert "No discounts yet" in page and url("create", shop_a) in page


def test_the_list_shows_each_discount_with_its_status_and_sync_state(owner, shop_a):
    now = timezone.now()
    make_discount(shop_a, title="Live one", sync_state=Discount.SyncState.SYNCED)
    make_discount(shop_a, title="Later", starts_at=now + timedelta(days=3))
    make_discount(shop_a, title="Over", ends_at=now - timedelta(minutes=1), starts_at=now - timedelta(days=2),
                  sync_state=Discount.SyncState.REJECTED,
                  sync_errors=[{"severity": "fatal", "summary": "Invalid value", "description": "bad", "column": "x"}])
    page = owner.get(url("index", shop_a)).content.decode()
    for words in ("Live one", "Active", "Live at Meta", "Later", "Scheduled", "Waiting to sync", "Over", "Ended",
                  "Rejected by Meta", "Invalid value — bad"):
        assert words in page, words


def test_a_discount_is_created_and_edited_and_waits_for_sync(owner, shop_a):
    tea = make_product(shop_a, retailer_id="TEA-1")
    response = owner.post(url("create", shop_a), form_data(
        kind="amount", percent_off="", amount_off="5.50", level="order", target="products", retailer_ids="TEA-1",
        application="coupon", coupon_code="spring5", coupon_public="on", min_subtotal="30", min_quantity="2",
        usage_limit="100", limit_per_buyer="1", ends_at="2026-03-31T23:59"))
    assert response.status_code == 302
    discount = Discount.objects.get(shop=shop_a)
    assert (discount.amount_off_minor, discount.currency, discount.level, discount.coupon_code, discount.coupon_public,
            discount.min_subtotal_minor, discount.min_quantity, list(discount.products.all())) == (
        550, "USD", "order", "SPRING5", True, 3000, 2, [tea])
    assert discount.sync_state == Discount.SyncState.PENDING
    page = owner.get(url("edit", shop_a, discount.pk)).content.decode()
    assert 'value="5.50"' in page and "TEA-1" in page
    response = owner.post(url("edit", shop_a, discount.pk), form_data(kind="free_shipping", percent_off=""))
    assert response.status_code == 302
    discount.refresh_from_db()
    assert (discount.kind, discount.level, discount.amount_off_minor, discount.coupon_code, discount.products.count()) \
        == ("free_shipping", "order", None, "", 0)


@pytest.mark.parametrize(("over", "field", "words"), [
    ({"percent_off": ""}, "percent_off", "Enter the percentage off."),
    ({"percent_off": "120"}, "percent_off", "from 1 to 100"),
    ({"kind": "amount", "percent_off": "", "amount_off": "1.234"}, "amount_off", "at most 2 decimal places"),
    ({"kind": "amount", "percent_off": "", "amount_off": ""}, "amount_off", "Enter the amount off."),
    ({"kind": "bxgy", "buy_quantity": ""}, "buy_quantity", "at least 1"),
    ({"target": "products", "retailer_ids": "NOPE-1"}, "retailer_ids", "No product with retailer id NOPE-1"),
    ({"target": "product_set"}, "product_set", "Choose a product set."),
    ({"application": "coupon"}, "coupon_code", "Enter the code"),
    ({"application": "coupon", "coupon_code": "two words"}, "coupon_code", "letters, digits"),
    ({"application": "coupon", "coupon_code": "C" * 21, "coupon_public": "on"}, "coupon_code", "at most 20"),
    ({"ends_at": "2026-02-01T00:00"}, "ends_at", "after the start"),
])
def test_field_errors_are_shown_next_to_the_field(owner, shop_a, over, field, words):
    response = owner.post(url("create", shop_a), form_data(**over))
    assert response.status_code == 200
    assert words in " ".join(response.context["form"].errors.get(field, [])), response.context["form"].errors
    assert f'id="id_{field}_error"' in response.content.decode()
    assert not Discount.objects.exists()


def test_a_coupon_code_is_unique_in_the_shop(owner, shop_a):
    make_discount(shop_a, application=Discount.Application.COUPON, coupon_code="SAVE5")
    response = owner.post(url("create", shop_a), form_data(application="coupon", coupon_code="save5"))
    assert "already uses this code" in response.content.decode()


def test_amounts_use_the_shops_currency(client, shop_b, charlie):
    client.force_login(charlie)
    response = client.post(url("create", shop_b), form_data(kind="amount", percent_off="", amount_off="500.5"))
    assert "whole numbers" in " ".join(response.context["form"].errors["amount_off"])
    client.post(url("create", shop_b), form_data(kind="amount", percent_off="", amount_off="500"))
    assert Discount.objects.get(shop=shop_b).amount_off_minor == 500


def test_ending_a_discount(owner, shop_a):
    discount = make_discount(shop_a)
    assert "Buyers can no longer use it" in owner.get(url("end", shop_a, discount.pk)).content.decode()
    assert owner.post(url("end", shop_a, discount.pk)).status_code == 302
    discount.refresh_from_db()
    assert discount.status() == "ended" and discount.ended_at and discount.ends_at <= timezone.now()


def test_the_shop_chooses_where_discounts_are_managed(owner, shop_a):
    make_discount(shop_a)
    assert owner.post(url("settings", shop_a), {"source": "commerce_manager"}).status_code == 302
    assert PromotionSettings.objects.get(shop=shop_a).source == "commerce_manager"
    assert Discount.objects.get(shop=shop_a).sync_state == Discount.SyncState.LOCAL
    page = owner.get(url("index", shop_a)).content.decode()
    assert "Commerce Manager manages your discounts" in page
    response = owner.post(url("settings", shop_a), {"source": "elsewhere"})
    assert "Select a valid choice" in response.content.decode()


def test_viewers_read_but_cannot_change(client, shop_a, bob):
    discount = make_discount(shop_a)
    client.force_login(bob)
    page = client.get(url("edit", shop_a, discount.pk)).content.decode()
    assert "Spring sale" in page and 'id="save"' not in page
    assert 'id="new-discount"' not in client.get(url("index", shop_a)).content.decode()
    assert client.post(url("edit", shop_a, discount.pk), form_data()).status_code == 403
    assert client.post(url("end", shop_a, discount.pk)).status_code == 403
    assert client.post(url("settings", shop_a), {"source": "commerce_manager"}).status_code == 403
    assert client.post(url("sync_now", shop_a)).status_code == 403
    discount.refresh_from_db()
    assert discount.ended_at is None


def test_another_shops_discount_is_not_found(client, shop_a, shop_b, charlie):
    theirs = make_discount(shop_a)
    client.force_login(charlie)
    for name in ("edit", "end"):
        assert client.get(url(name, shop_b, theirs.pk)).status_code == 404
        assert client.post(url(name, shop_b, theirs.pk)).status_code == 404
    assert client.get(url("index", shop_a)).status_code == 404


def test_the_list_page_makes_a_fixed_number_of_queries(owner, shop_a):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def queries() -> int:
        with CaptureQueriesContext(connection) as context:
            assert owner.get(url("index", shop_a)).status_code == 200
        return len(context)

    make_discount(shop_a, title="D")
    queries()  # a first visit, so the count below is of a steady page
    few = queries()
    for n in range(30):
        make_discount(shop_a, title=f"D{n}", product_set=None)
    assert queries() == few
