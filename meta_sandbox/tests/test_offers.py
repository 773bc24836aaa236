"""Contract tests of the sandbox's offer feeds: feeds, uploads (multipart CSV), row validation per
META_API §4.1, upload errors with row numbers, replace semantics and rejection rules."""

from __future__ import annotations

import csv
import io

import pytest

from meta_sandbox.tests.conftest import error_of, proof

HEADER = ["offer_id", "title", "value_type", "percent_off", "fixed_amount_off", "application_type", "target_type",
          "target_shipping_option_types", "target_granularity", "target_selection", "start_date_time",
          "end_date_time", "coupon_codes", "public_coupon_code", "target_product_retailer_ids",
          "target_product_set_retailer_ids", "min_subtotal", "min_quantity", "target_quantity",
          "prerequisite_product_retailer_ids", "exclude_sale_priced_products", "usage_limit"]
BASE = {"value_type": "PERCENTAGE", "percent_off": "10", "application_type": "AUTOMATIC_AT_CHECKOUT",
        "target_type": "LINE_ITEM", "target_granularity": "ITEM_LEVEL", "target_selection": "ALL_CATALOG_PRODUCTS",
        "start_date_time": "1767225600"}


def row(offer_id: str, **over) -> dict:
    return {"offer_id": offer_id, "title": f"Offer {offer_id}", **BASE, **over}


def to_csv(rows: list[dict], header=HEADER) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=header, extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode()


def upload(graph, biz, feed_id: str, content: bytes, **params):
    token = biz["access_token"]
    return graph.session.post(graph.url(f"{feed_id}/uploads"), data={"access_token": token,
                                                                      "appsecret_proof": proof(token), **params},
                              files={"file": ("offers.csv", content, "text/csv")}, timeout=10)


@pytest.fixture
def feed(graph, biz) -> str:
    r = graph.post(f"{biz['catalog_id']}/product_feeds", token=biz["access_token"], name="Offers",
                   feed_type="OFFER", default_currency="USD")
    assert r.status_code == 200, r.text
    return r.json()["id"]


def errors_of(graph, biz, upload_id: str, **params) -> list[dict]:
    r = graph.get(f"{upload_id}/errors", token=biz["access_token"], **params)
    assert r.status_code == 200, r.text
    return r.json()["data"]


def offers(sandbox, biz) -> dict:
    return {o["offer_id"]: o for o in sandbox._call("GET", "offers", params={"catalog_id": biz["catalog_id"]})["data"]}


def test_a_feed_is_created_listed_and_read(graph, biz, feed):
    listing = graph.get(f"{biz['catalog_id']}/product_feeds", token=biz["access_token"], fields="id,name,feed_type")
    assert listing.json()["data"] == [{"id": feed, "name": "Offers", "feed_type": "OFFER"}]
    assert graph.get(biz["catalog_id"], token=biz["access_token"], fields="feed_count").json()["feed_count"] == 1
    r = graph.post(f"{biz['catalog_id']}/product_feeds", token=biz["access_token"], feed_type="OFFER")
    assert error_of(r)["message"] == "(#100) The parameter name is required"
    r = graph.post(f"{biz['catalog_id']}/product_feeds", token=biz["access_token"], name="x", feed_type="COUPONS")
    assert "feed_type must be one of" in error_of(r)["message"]


def test_valid_rows_become_offers_and_the_upload_reports_counts(graph, biz, feed, sandbox):
    rows = [row("A"), row("B", value_type="FIXED_AMOUNT", percent_off="", fixed_amount_off="5.00 USD",
                          target_granularity="ORDER_LEVEL", application_type="BUYER_APPLIED",
                          coupon_codes='["SAVE5","VIP"]', min_subtotal="20.00 USD"),
            row("PUB", application_type="BUYER_APPLIED", public_coupon_code="SPRING5"),
            row("SHIP", target_type="SHIPPING", percent_off="100", target_granularity="ORDER_LEVEL",
                target_shipping_option_types='["STANDARD"]')]
    r = upload(graph, biz, feed, to_csv(rows))
    assert r.status_code == 200, r.text
    upload_id = r.json()["id"]
    state = graph.get(upload_id, token=biz["access_token"],
                      fields="end_time,error_count,warning_count,num_detected_items,num_persisted_items").json()
    assert state["end_time"] and state["num_detected_items"] == 4 and state["num_persisted_items"] == 4
    assert state.get("error_count", 0) == 0
    stored = offers(sandbox, biz)
    assert set(stored) == {"A", "B", "PUB", "SHIP"}
    assert stored["B"]["fixed_amount_off"] == "5.00 USD" and stored["B"]["coupon_codes"] == ["SAVE5", "VIP"]
    assert (stored["PUB"]["public_coupon_code"], stored["PUB"]["coupon_codes"]) == ("SPRING5", [])
    assert stored["SHIP"]["target_shipping_option_types"] == ["STANDARD"]
    uploads = graph.get(f"{feed}/uploads", token=biz["access_token"]).json()["data"]
    assert [u["id"] for u in uploads] == [upload_id]


@pytest.mark.parametrize(("over", "column", "words"), [
    ({"value_type": "PERCENT"}, "value_type", "must be one of PERCENTAGE, FIXED_AMOUNT"),
    ({"percent_off": "101"}, "percent_off", "between 0 and 100"),
    ({"percent_off": "12.5"}, "percent_off", "whole number"),
    ({"percent_off": ""}, "percent_off", "required when value_type is PERCENTAGE"),
    ({"value_type": "FIXED_AMOUNT", "percent_off": "", "fixed_amount_off": "15"}, "fixed_amount_off", "15.00 USD"),
    ({"value_type": "FIXED_AMOUNT", "percent_off": "", "fixed_amount_off": "1.234 USD"}, "fixed_amount_off",
     "currency's decimals"),
    ({"value_type": "FIXED_AMOUNT", "percent_off": "", "fixed_amount_off": "1000 JPY"}, "fixed_amount_off",
     "this feed uses USD"),
    ({"application_type": "COUPON"}, "application_type", "BUYER_APPLIED"),
    ({"application_type": "BUYER_APPLIED"}, "coupon_codes", "coupon_codes or public_coupon_code is required"),
    ({"coupon_codes": '["X1"]'}, "coupon_codes", "BUYER_APPLIED offers only"),
    ({"application_type": "BUYER_APPLIED", "coupon_codes": '["SAVE 5"]'}, "coupon_codes", "letters, digits"),
    # Meta: "If this field [coupon_codes] is set, public_coupon_code must be null".
    ({"application_type": "BUYER_APPLIED", "coupon_codes": '["A"]', "public_coupon_code": "A"},
     "public_coupon_code", "must be empty when coupon_codes is set"),
    ({"application_type": "BUYER_APPLIED", "public_coupon_code": "X" * 21}, "public_coupon_code", "1 to 20"),
    ({"target_type": "ITEM"}, "target_type", "LINE_ITEM, SHIPPING"),
    ({"target_type": "SHIPPING", "target_shipping_option_types": '["STANDARD"]'}, "target_granularity",
     "must be ORDER_LEVEL"),
    ({"target_type": "SHIPPING", "target_granularity": "ORDER_LEVEL"}, "target_shipping_option_types", "required"),
    ({"target_type": "SHIPPING", "target_granularity": "ORDER_LEVEL", "target_shipping_option_types": '["BOAT"]'},
     "target_shipping_option_types", "STANDARD"),
    ({"target_granularity": "LINE"}, "target_granularity", "ITEM_LEVEL, ORDER_LEVEL"),
    ({"target_selection": "SPECIFIC_PRODUCTS"}, "target_selection", "needs target_filter"),
    ({"target_product_retailer_ids": '["TEA"]'}, "target_product_retailer_ids", "empty with ALL_CATALOG_PRODUCTS"),
    ({"start_date_time": ""}, "start_date_time", "required"),
    ({"start_date_time": "tomorrow"}, "start_date_time", "unix timestamp"),
    ({"end_date_time": "1767225000"}, "end_date_time", "after start_date_time"),
    ({"target_quantity": "1"}, "min_quantity", "needs min_quantity"),
    ({"target_quantity": "1", "min_quantity": "2", "target_granularity": "ORDER_LEVEL"}, "target_quantity",
     "ITEM_LEVEL and LINE_ITEM"),
    ({"prerequisite_product_retailer_ids": '["TEA"]'}, "min_quantity", "prerequisite"),
    ({"exclude_sale_priced_products": "maybe"}, "exclude_sale_priced_products", "YES, NO"),
    ({"usage_limit": "-1"}, "usage_limit", "whole number"),
    ({"title": ""}, "title", "title is required"),
    ({"min_subtotal": "abc"}, "min_subtotal", "15.00 USD"),
])
def test_invalid_rows_are_rejected_with_their_row_and_column(graph, biz, feed, sandbox, over, column, words):
    r = upload(graph, biz, feed, to_csv([row("GOOD"), row("BAD", **over)]))
    assert r.status_code == 200, r.text
    found = errors_of(graph, biz, r.json()["id"], error_priority="HIGH")
    assert len(found) == 1, found
    [error] = found
    assert error["row_number"] == 3 and error["severity"] == "fatal" and error["column_name"] == column
    assert error["column_number"] == HEADER.index(column) + 1
    assert words in error["description"], error["description"]
    assert set(offers(sandbox, biz)) == {"GOOD"}


def test_a_buy_x_get_y_row_with_products_of_the_catalog(graph, biz, feed, sandbox):
    sandbox._call("POST", f"catalog/{biz['catalog_id']}/products", json={"items": [
        {"id": "TEA", "title": "Tea", "description": "Tea", "price": "9.99 USD", "availability": "in stock",
         "condition": "new", "link": "https://t.example.com/t", "image_link": "https://t.example.com/t.jpg",
         "brand": "Lotus"}]})
    bxgy = row("B2G1", percent_off="100", target_selection="SPECIFIC_PRODUCTS", target_product_retailer_ids='["TEA"]',
               prerequisite_product_retailer_ids='["TEA"]', min_quantity="2", target_quantity="1")
    unknown = row("GHOST", target_selection="SPECIFIC_PRODUCTS", target_product_retailer_ids='["NOPE"]')
    missing_set = row("SET", target_selection="SPECIFIC_PRODUCTS", target_product_set_retailer_ids='["ps_x"]')
    r = upload(graph, biz, feed, to_csv([bxgy, unknown, missing_set]))
    found = errors_of(graph, biz, r.json()["id"])
    assert [(e["row_number"], e["severity"], e["summary"]) for e in found] == [
        (3, "warning", "Unknown products"), (4, "fatal", "Unknown product set")]
    stored = offers(sandbox, biz)
    assert set(stored) == {"B2G1", "GHOST"}
    assert (stored["B2G1"]["min_quantity"], stored["B2G1"]["target_quantity"]) == (2, 1)


def test_a_replace_upload_removes_offers_no_longer_listed_and_keeps_failed_rows(graph, biz, feed, sandbox):
    upload(graph, biz, feed, to_csv([row("A"), row("B"), row("C")]))
    r = upload(graph, biz, feed, to_csv([row("A", percent_off="20"), row("B", percent_off="200")]))
    state = graph.get(r.json()["id"], token=biz["access_token"],
                      fields="num_deleted_items,num_persisted_items,error_count").json()
    assert (state["num_deleted_items"], state["num_persisted_items"], state["error_count"]) == (1, 1, 1)
    stored = offers(sandbox, biz)
    assert set(stored) == {"A", "B"}
    assert stored["A"]["percent_off"] == 20 and stored["B"]["percent_off"] == 10  # B keeps its last good version
    upload(graph, biz, feed, to_csv([row("D")]), update_only="true")
    assert set(offers(sandbox, biz)) == {"A", "B", "D"}


def test_rejection_rules_play_metas_review(graph, biz, feed, sandbox):
    sandbox._call("POST", "offers/reject", json={"offer_id": "offer_bad*", "column": "title",
                                                 "message": "The title makes a misleading claim."})
    r = upload(graph, biz, feed, to_csv([row("offer_ok"), row("offer_bad1")]))
    [error] = errors_of(graph, biz, r.json()["id"])
    assert (error["row_number"], error["column_name"], error["description"]) == (
        3, "title", "The title makes a misleading claim.")
    assert set(offers(sandbox, biz)) == {"offer_ok"}
    sandbox._call("DELETE", "offers/reject")
    upload(graph, biz, feed, to_csv([row("offer_ok"), row("offer_bad1")]))
    assert set(offers(sandbox, biz)) == {"offer_ok", "offer_bad1"}


def test_file_level_problems(graph, biz, feed, sandbox):
    r = upload(graph, biz, feed, to_csv([row("A", colour="red")], header=[*HEADER, "colour"]))
    [warning] = errors_of(graph, biz, r.json()["id"])
    assert (warning["row_number"], warning["severity"], warning["column_name"]) == (1, "warning", "colour")
    r = upload(graph, biz, feed, b"title,value_type\nx,PERCENTAGE\n")
    [fatal] = errors_of(graph, biz, r.json()["id"], error_priority="HIGH")
    assert fatal["summary"] == "Missing required column"
    r = upload(graph, biz, feed, to_csv([row("A"), row("A")]))
    assert [e["summary"] for e in errors_of(graph, biz, r.json()["id"])] == ["Duplicate offer_id"]
    token = biz["access_token"]
    both = graph.session.post(graph.url(f"{feed}/uploads"), data={"access_token": token,
                                                                  "appsecret_proof": proof(token)}, timeout=10)
    assert "either as a multipart file or as a url" in error_of(both)["message"]


def test_an_upload_stays_in_progress_until_processed(graph, biz, feed, sandbox):
    sandbox._call("POST", "offers/config", json={"manual_processing": True})
    r = upload(graph, biz, feed, to_csv([row("A")]))
    upload_id = r.json()["id"]
    assert "end_time" not in graph.get(upload_id, token=biz["access_token"], fields="end_time").json()
    assert offers(sandbox, biz) == {}
    sandbox._call("POST", f"offers/uploads/{upload_id}/process")
    assert graph.get(upload_id, token=biz["access_token"], fields="end_time").json()["end_time"]
    assert set(offers(sandbox, biz)) == {"A"}


def test_uploads_need_catalog_permission_and_an_offer_feed(graph, biz, sandbox):
    r = graph.post(f"{biz['catalog_id']}/product_feeds", token=biz["access_token"], name="Products")
    products_feed = r.json()["id"]
    r = upload(graph, biz, products_feed, to_csv([row("A")]))
    assert "OFFER feeds only" in error_of(r)["message"]
    other = sandbox.create_business(name="Other")
    r = graph.get(f"{biz['catalog_id']}/product_feeds", token=other["access_token"])
    assert error_of(r)["code"] == 100
