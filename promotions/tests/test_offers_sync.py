"""Offers sync over real HTTP against the sandbox: the feed is created once, the file uploaded as
multipart, every discount kind becomes a valid offer row, Meta's rejections reach the discount
with their reason; Commerce Manager mode sends nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from catalog.tests.factories import make_product
from kernel.models import JobRun
from promotions import services
from promotions.models import Discount, OfferUpload, PromotionSettings
from promotions.sync import sync_offers
from promotions.tests.factories import make_discount


def sandbox_offers(meta_shop) -> dict:
    answer = meta_shop.sandbox._call("GET", "offers", params={"catalog_id": meta_shop.business["catalog_id"]})
    return {o["offer_id"]: o for o in answer["data"]}


def feeds(meta_shop) -> list[dict]:
    return meta_shop.sandbox._call("GET", "offers/feeds", params={"catalog_id": meta_shop.business["catalog_id"]})[
        "data"]


@pytest.fixture
def products(meta_shop):
    tea = make_product(meta_shop.shop, retailer_id="TEA-1")
    cup = make_product(meta_shop.shop, retailer_id="CUP-1")
    meta_shop.sandbox._call("POST", f"catalog/{meta_shop.business['catalog_id']}/products", json={"items": [
        {"id": rid, "title": rid, "description": "d", "price": "9.99 USD", "availability": "in stock",
         "condition": "new", "link": "https://t.example.com/x", "image_link": "https://t.example.com/x.jpg",
         "brand": "b"} for rid in ("TEA-1", "CUP-1")]})
    return tea, cup


def every_kind(shop, products) -> dict[str, Discount]:
    tea, cup = products
    now = timezone.now()
    return {
        "percent": make_discount(shop, title="10% off tea", percent_off=10, target=Discount.Target.PRODUCTS,
                                 products=[tea], ends_at=now + timedelta(days=7)),
        "amount": make_discount(shop, title="$5 off $30", kind=Discount.Kind.AMOUNT, percent_off=None,
                                amount_off_minor=500, level=Discount.Level.ORDER, min_subtotal_minor=3000,
                                application=Discount.Application.COUPON, coupon_code="SAVE5", coupon_public=True,
                                usage_limit=100, limit_per_buyer=1),
        "ship": make_discount(shop, title="Free shipping", kind=Discount.Kind.FREE_SHIPPING, percent_off=None,
                              level=Discount.Level.ORDER, application=Discount.Application.COUPON,
                              coupon_code="SHIPFREE"),
        "bxgy": make_discount(shop, title="Buy 2 cups, get 1 free", kind=Discount.Kind.BXGY, percent_off=100,
                              buy_quantity=2, get_quantity=1, target=Discount.Target.PRODUCTS, products=[cup],
                              exclude_sale_items=True),
        "sale": make_discount(shop, title="Sale", percent_off=25, level=Discount.Level.ORDER,
                              application=Discount.Application.SALE, min_quantity=3,
                              starts_at=now + timedelta(days=1)),
    }


def test_every_kind_of_discount_goes_live_at_meta_as_a_valid_offer(meta_shop, products):
    made = every_kind(meta_shop.shop, products)
    counts = sync_offers(meta_shop.shop.pk)
    assert counts["uploaded"] == 1 and counts["live"] == 5 and counts["rejected"] == 0
    for discount in made.values():
        discount.refresh_from_db()
        assert discount.sync_state == Discount.SyncState.SYNCED, (discount.title, discount.sync_errors)
    offers = sandbox_offers(meta_shop)
    assert set(offers) == {d.offer_id for d in made.values()}
    percent, amount = offers[made["percent"].offer_id], offers[made["amount"].offer_id]
    assert (percent["value_type"], percent["percent_off"], percent["target_granularity"], percent["target_selection"],
            percent["target_product_retailer_ids"], percent["application_type"]) == (
        "PERCENTAGE", 10, "ITEM_LEVEL", "SPECIFIC_PRODUCTS", ["TEA-1"], "AUTOMATIC_AT_CHECKOUT")
    assert percent["end_date_time"] == int(made["percent"].ends_at.timestamp())
    assert (amount["value_type"], amount["fixed_amount_off"], amount["target_granularity"], amount["coupon_codes"],
            amount["public_coupon_code"], amount["min_subtotal"], amount["usage_limit"],
            amount["redeem_limit_per_user"]) == ("FIXED_AMOUNT", "5.00 USD", "ORDER_LEVEL", [], "SAVE5",
                                                 "30.00 USD", 100, 1)
    ship = offers[made["ship"].offer_id]
    assert ship["coupon_codes"] == ["SHIPFREE"]  # a private code: coupon_codes, no public code
    assert (ship["target_type"], ship["percent_off"], ship["target_granularity"], ship["target_shipping_option_types"],
            ship["public_coupon_code"]) == ("SHIPPING", 100, "ORDER_LEVEL", ["STANDARD"], None)
    bxgy = offers[made["bxgy"].offer_id]
    assert (bxgy["min_quantity"], bxgy["target_quantity"], bxgy["prerequisite_product_retailer_ids"],
            bxgy["target_product_retailer_ids"], bxgy["percent_off"], bxgy["exclude_sale_priced_products"]) == (
        2, 1, ["CUP-1"], ["CUP-1"], 100, "YES")
    sale = offers[made["sale"].offer_id]
    assert (sale["application_type"], sale["min_quantity"], sale["start_date_time"]) == (
        "SALE", 3, int(made["sale"].starts_at.timestamp()))


def test_the_feed_is_created_once_and_an_unchanged_file_is_not_sent_again(meta_shop, products):
    make_discount(meta_shop.shop)
    sync_offers(meta_shop.shop.pk)
    assert sync_offers(meta_shop.shop.pk)["uploaded"] == 0
    prefs = PromotionSettings.objects.get(shop=meta_shop.shop)
    feed_id = prefs.meta_feed_id
    # A create whose answer was lost: the stored id is gone, the feed is found again, not duplicated.
    PromotionSettings.objects.filter(pk=prefs.pk).update(meta_feed_id="", feed_catalog_id="")
    make_discount(meta_shop.shop, title="Another")
    assert sync_offers(meta_shop.shop.pk)["uploaded"] == 1
    assert PromotionSettings.objects.get(pk=prefs.pk).meta_feed_id == feed_id
    [feed] = feeds(meta_shop)
    assert feed["id"] == feed_id and feed["feed_type"] == "OFFER" and len(feed["uploads"]) == 2
    creates = [r for r in meta_shop.sandbox.requests(path="*/product_feeds", method="POST")]
    assert len(creates) == 1
    assert JobRun.objects.filter(job="promotions.offers_sync", shop=meta_shop.shop).count() == 3


def test_a_rejected_row_is_shown_to_the_seller_with_metas_reason(meta_shop, products, client, alice):
    made = every_kind(meta_shop.shop, products)
    meta_shop.sandbox._call("POST", "offers/reject", json={
        "offer_id": made["amount"].offer_id, "column": "title", "summary": "Misleading claim",
        "message": "The offer title promises more than the offer gives."})
    counts = sync_offers(meta_shop.shop.pk)
    assert (counts["live"], counts["rejected"]) == (4, 1)
    rejected = Discount.objects.get(pk=made["amount"].pk)
    assert rejected.sync_state == Discount.SyncState.REJECTED
    assert rejected.sync_errors == [{"severity": "fatal", "summary": "Misleading claim",
                                     "description": "The offer title promises more than the offer gives.",
                                     "column": "title", "row": 3}]
    assert made["amount"].offer_id not in sandbox_offers(meta_shop)
    client.force_login(alice)
    page = client.get(reverse("promotions:index", args=[meta_shop.shop.pk])).content.decode()
    assert "Rejected by Meta" in page and "The offer title promises more than the offer gives." in page
    detail = client.get(reverse("promotions:edit", args=[meta_shop.shop.pk, rejected.pk])).content.decode()
    assert "Misleading claim" in detail and "column title" in detail
    # Meta's review changes its mind; the seller edits and the offer goes live.
    meta_shop.sandbox._call("DELETE", "offers/reject")
    response = client.post(reverse("promotions:edit", args=[meta_shop.shop.pk, rejected.pk]), {
        "title": "$5 off orders over $30", "kind": "amount", "amount_off": "5", "level": "order", "target": "all",
        "application": "coupon", "coupon_code": "SAVE5", "coupon_public": "on", "min_subtotal": "30",
        "starts_at": "2026-01-01T00:00"})
    assert response.status_code == 302
    rejected.refresh_from_db()
    assert rejected.sync_state == Discount.SyncState.SYNCED  # the sync task ran on commit (q2 sync in tests)
    assert sandbox_offers(meta_shop)[rejected.offer_id]["title"] == "$5 off orders over $30"


def test_ending_a_discount_sends_its_end_date(meta_shop, products):
    discount = make_discount(meta_shop.shop, title="Ends soon")
    sync_offers(meta_shop.shop.pk)
    assert sandbox_offers(meta_shop)[discount.offer_id]["end_date_time"] is None
    services.end_discount(meta_shop.shop, discount.pk)  # requests a sync, which runs on commit
    discount.refresh_from_db()
    assert discount.status() == "ended" and discount.sync_state == Discount.SyncState.SYNCED
    assert sandbox_offers(meta_shop)[discount.offer_id]["end_date_time"] == int(discount.ends_at.timestamp())


def test_an_upload_meta_is_still_processing_is_checked_by_the_next_run(meta_shop, products):
    meta_shop.sandbox._call("POST", "offers/config", json={"manual_processing": True})
    discount = make_discount(meta_shop.shop)
    counts = sync_offers(meta_shop.shop.pk)
    assert counts["uploaded"] == 1 and counts["live"] == 0
    discount.refresh_from_db()
    assert discount.sync_state == Discount.SyncState.UPLOADING
    upload = OfferUpload.objects.get(shop=meta_shop.shop)
    assert upload.status == OfferUpload.Status.SENT
    meta_shop.sandbox._call("POST", f"offers/uploads/{upload.meta_upload_id}/process")
    counts = sync_offers(meta_shop.shop.pk)
    assert counts["live"] == 1 and counts["uploaded"] == 0
    discount.refresh_from_db()
    upload.refresh_from_db()
    assert discount.sync_state == Discount.SyncState.SYNCED and upload.status == OfferUpload.Status.DONE


def test_commerce_manager_mode_sends_nothing_and_links_to_commerce_manager(meta_shop, products, client, alice):
    discount = make_discount(meta_shop.shop)
    services.set_source(meta_shop.shop, PromotionSettings.Source.COMMERCE_MANAGER)
    assert sync_offers(meta_shop.shop.pk) is None
    discount.refresh_from_db()
    assert discount.sync_state == Discount.SyncState.LOCAL
    assert meta_shop.sandbox.requests(path="*/product_feeds") == []
    assert JobRun.objects.filter(job="promotions.offers_sync", status=JobRun.Status.SKIPPED).exists()
    client.force_login(alice)
    cms = meta_shop.business["commerce_merchant_settings_id"]
    link = f"https://www.facebook.com/commerce/{cms}/promotions/discounts/"
    for url in (reverse("promotions:index", args=[meta_shop.shop.pk]),
                reverse("promotions:create", args=[meta_shop.shop.pk]),
                reverse("promotions:edit", args=[meta_shop.shop.pk, discount.pk]),
                reverse("promotions:end", args=[meta_shop.shop.pk, discount.pk]),
                reverse("promotions:settings", args=[meta_shop.shop.pk])):
        assert link in client.get(url).content.decode(), url
    # Back to this portal: every discount is sent again.
    services.set_source(meta_shop.shop, PromotionSettings.Source.PORTAL)
    discount.refresh_from_db()
    assert discount.sync_state == Discount.SyncState.SYNCED
    assert discount.offer_id in sandbox_offers(meta_shop)


def test_a_refused_upload_marks_the_waiting_discounts_failed(meta_shop, products):
    discount = make_discount(meta_shop.shop)
    sync_offers(meta_shop.shop.pk)  # creates the feed
    make_discount(meta_shop.shop, title="New one")
    meta_shop.sandbox.add_fault(path="*/uploads", method="POST", kind="error", code=100,
                                message="(#100) Invalid feed file")
    counts = sync_offers(meta_shop.shop.pk)
    assert "Invalid feed file" in counts["error"]
    prefs = PromotionSettings.objects.get(shop=meta_shop.shop)
    assert "Invalid feed file" in prefs.last_error
    failed = Discount.objects.get(title="New one")
    assert failed.sync_state == Discount.SyncState.FAILED
    assert "Invalid feed file" in failed.sync_errors[0]["description"]
    discount.refresh_from_db()
    assert discount.sync_state == Discount.SyncState.FAILED
    assert sync_offers(meta_shop.shop.pk)["live"] == 2  # the next run sends them again
