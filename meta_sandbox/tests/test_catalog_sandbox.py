"""Contract tests of the sandbox's catalog endpoints (plain HTTP, as any client would call them)."""

from __future__ import annotations

import json

import pytest

from meta_sandbox.catalog_testing import CatalogControl
from meta_sandbox.tests.conftest import error_of


def item(rid: str, **over) -> dict:
    data = {"id": rid, "title": f"Tea {rid}", "description": "Green tea", "availability": "in stock",
            "condition": "new", "price": "9.99 USD", "link": f"https://t.example.com/{rid}",
            "image_link": f"https://t.example.com/{rid}.jpg", "brand": "Lotus"}
    data.update(over)
    return data


def batch(graph, biz, records, **params):
    return graph.post(f"{biz['catalog_id']}/items_batch", token=biz["access_token"], item_type="PRODUCT_ITEM",
                      requests=json.dumps(records), **params)


def status(graph, biz, handle, **params):
    return graph.get(f"{biz['catalog_id']}/check_batch_request_status", token=biz["access_token"], handle=handle,
                     load_ids_of_invalid_requests="true", **params)


@pytest.fixture
def catalog(sandbox):
    return CatalogControl(sandbox)


def test_items_batch_creates_updates_and_deletes(graph, biz, catalog):
    r = batch(graph, biz, [{"method": "CREATE", "data": item("A")}, {"method": "UPDATE", "data": item("B")}])
    assert r.status_code == 200, r.text
    body = r.json()
    assert len(body["handles"]) == 1 and body["validation_status"] == []
    assert "catalog_batch" in r.headers["X-Business-Use-Case-Usage"]
    done = status(graph, biz, body["handles"][0]).json()["data"][0]
    assert done["status"] == "finished" and done["errors_total_count"] == 0
    r = batch(graph, biz, [{"method": "UPDATE", "data": {"id": "A", "price": "12.50 USD"}},
                           {"method": "DELETE", "data": {"id": "B"}}])
    assert r.status_code == 200, r.text
    products = {p["retailer_id"]: p for p in catalog.products(biz["catalog_id"])}
    assert set(products) == {"A"} and products["A"]["price"] == "12.50 USD" and products["A"]["title"] == "Tea A"
    listed = graph.get(f"{biz['catalog_id']}/products", token=biz["access_token"],
                       fields="retailer_id,name,price,availability,errors,review_status").json()
    assert listed["data"][0]["price"] == "$12.50" and listed["data"][0]["review_status"] == "approved"


def test_items_batch_validates_each_record(graph, biz):
    records = [
        {"method": "CREATE", "data": {"id": "NOPRICE", "title": "x"}},
        {"method": "UPDATE", "data": item("BADENUM", availability="maybe", gender="robot")},
        {"method": "UPDATE", "data": item("BADPRICE", price="9.999 USD")},
        {"method": "UPDATE", "data": item("JPY", price="9.5 JPY")},
        {"method": "UPDATE", "data": item("URL", link="ftp://x")},
        {"method": "UPDATE", "data": item("LONG", title="x" * 151)},
        {"method": "PATCH", "data": item("METHOD")},
        {"method": "UPDATE", "data": item("OK", colour_name="blue")},
    ]
    body = batch(graph, biz, records).json()
    by_id = {v["retailer_id"]: v for v in body["validation_status"]}
    # Meta reports missing required fields in the batch status, not at submission.
    assert "NOPRICE" not in by_id
    assert len(by_id["BADENUM"]["errors"]) == 2
    assert by_id["BADPRICE"]["errors"] and by_id["JPY"]["errors"] and by_id["URL"]["errors"]
    assert "TITLE_TOO_LONG" in by_id["LONG"]["errors"][0]["message"]
    assert by_id["METHOD"]["errors"]
    assert by_id["OK"]["errors"] == [] and "colour_name" in by_id["OK"]["warnings"][0]["message"]
    done = status(graph, biz, body["handles"][0]).json()["data"][0]
    assert set(done["ids_of_invalid_requests"]) == {"NOPRICE", "BADENUM", "BADPRICE", "JPY", "URL", "LONG",
                                                   "METHOD"}
    assert done["warnings_total_count"] == 1
    missing = [e["message"] for e in done["errors"] if e["id"] == "NOPRICE"]
    assert any("without required field price" in m for m in missing) and len(missing) == 7, missing


def test_a_record_missing_only_required_fields_gets_a_handle_and_its_errors_in_the_status(graph, biz, catalog):
    body = batch(graph, biz, [{"method": "UPDATE", "data": {"id": "GHOST", "price": "9.99 USD"}}]).json()
    assert body["validation_status"] == [] and len(body["handles"]) == 1
    done = status(graph, biz, body["handles"][0]).json()["data"][0]
    assert done["status"] == "finished" and done["ids_of_invalid_requests"] == ["GHOST"]
    assert done["errors"][0]["message"].startswith("Invalid value: Value passed at position 0 (id=GHOST) is invalid")
    assert catalog.products(biz["catalog_id"]) == []


def test_the_status_goes_through_metas_values(graph, biz, catalog):
    catalog.set_batch_statuses(progress=["scheduled", "dispatched", "started"], delay=30)
    handle = batch(graph, biz, [{"method": "UPDATE", "data": item("A")}]).json()["handles"][0]
    assert status(graph, biz, handle).json()["data"][0]["status"] == "scheduled"
    for outcome in ("error", "canceled", "finished"):
        catalog.set_batch_statuses(progress=["started"], outcome=outcome, delay=0)
        handle = batch(graph, biz, [{"method": "UPDATE", "data": item("B")}]).json()["handles"][0]
        assert status(graph, biz, handle).json()["data"][0]["status"] == outcome


def test_items_batch_refuses_bad_calls(graph, biz):
    assert error_of(batch(graph, biz, [{"method": "DELETE", "data": {"id": str(n)}} for n in range(5001)]))[
        "code"] == 100
    r = graph.post(f"{biz['catalog_id']}/items_batch", token=biz["access_token"], requests="[]")
    assert "item_type" in error_of(r)["message"]
    r = batch(graph, biz, [], item_sub_type="SPACESHIPS")
    assert error_of(r)["code"] == 100
    r = batch(graph, biz, [{"method": "UPDATE", "data": item("X")}], allow_upsert="false")
    assert r.json()["handles"] == []  # nothing ingested


def test_status_waits_for_the_configured_delay(graph, biz, catalog):
    catalog.set_batch_delay(30)
    handle = batch(graph, biz, [{"method": "UPDATE", "data": item("A")}]).json()["handles"][0]
    assert status(graph, biz, handle).json()["data"][0]["status"] == "started"
    catalog.set_batch_delay(0)
    handle = batch(graph, biz, [{"method": "UPDATE", "data": item("B")}]).json()["handles"][0]
    assert status(graph, biz, handle).json()["data"][0]["status"] == "finished"
    assert error_of(status(graph, biz, "nope"))["code"] == 100


def test_rules_reject_flag_and_policy_reject_items(graph, biz, catalog):
    catalog.reject("SMALL-*", "IMAGE_RESOLUTION_LOW", when={"image_link": "*small*"})
    catalog.flag("GTIN-*", "UNIQUE_PRODUCT_IDENTIFIER_MISSING", priority="MEDIUM")
    catalog.policy_reject("BAD-*")
    records = [{"method": "UPDATE", "data": item(r, image_link=f"https://t.example.com/{r}-small.jpg")}
               for r in ("SMALL-1", "GTIN-1", "BAD-1", "FINE-1")]
    handle = batch(graph, biz, records).json()["handles"][0]
    done = status(graph, biz, handle).json()["data"][0]
    assert done["ids_of_invalid_requests"] == ["SMALL-1"] and "IMAGE_RESOLUTION_LOW" in done["errors"][0]["message"]
    held = {p["retailer_id"]: p for p in catalog.products(biz["catalog_id"])}
    assert set(held) == {"GTIN-1", "BAD-1", "FINE-1"}
    assert held["GTIN-1"]["errors"][0]["error_type"] == "UNIQUE_PRODUCT_IDENTIFIER_MISSING"
    assert held["BAD-1"]["review_status"] == "rejected" and held["FINE-1"]["errors"] == []
    # The fix: a big image passes.
    handle = batch(graph, biz, [{"method": "UPDATE", "data": item("SMALL-1")}]).json()["handles"][0]
    assert status(graph, biz, handle).json()["data"][0]["errors"] == []
    errs = graph.get(f"{biz['catalog_id']}/products", token=biz["access_token"], error_priority="MEDIUM",
                     fields="retailer_id,errors").json()["data"]
    assert [p["retailer_id"] for p in errs] == ["GTIN-1"]
    rejected = graph.get(f"{biz['catalog_id']}/products", token=biz["access_token"], fields="retailer_id",
                         filter=json.dumps({"review_status": {"eq": "rejected"}})).json()["data"]
    assert [p["retailer_id"] for p in rejected] == ["BAD-1"]
    diags = graph.get(f"{biz['catalog_id']}/diagnostics", token=biz["access_token"]).json()["data"]
    # Meta's error_code is an int: groups made from item errors carry none (the v26 SDK's types).
    assert [d["affected_entity"] for d in diags] == ["product_item"] and "error_code" not in diags[0]


def test_products_filter_paging_and_delete(graph, biz, catalog):
    batch(graph, biz, [{"method": "UPDATE", "data": item(f"P{n}", internal_label=["ps_x"] if n % 2 else [])}
                       for n in range(7)])
    token = biz["access_token"]
    page = graph.get(f"{biz['catalog_id']}/products", token=token, limit=3, fields="retailer_id").json()
    assert len(page["data"]) == 3 and "next" in page["paging"]
    some = graph.get(f"{biz['catalog_id']}/products", token=token, fields="retailer_id",
                     filter=json.dumps({"retailer_id": {"is_any": ["P1", "P2"]}})).json()["data"]
    assert sorted(p["retailer_id"] for p in some) == ["P1", "P2"]
    labelled = graph.get(f"{biz['catalog_id']}/products", token=token, fields="retailer_id",
                         filter=json.dumps({"and": [{"internal_label": {"eq": "ps_x"}}]})).json()["data"]
    assert sorted(p["retailer_id"] for p in labelled) == ["P1", "P3", "P5"]
    assert error_of(graph.get(f"{biz['catalog_id']}/products", token=token,
                              filter=json.dumps({"retailer_id": {"like": "x"}})))["code"] == 2500
    one = some[0]["id"]
    assert graph.get(one, token=token, fields="retailer_id,price").json()["price"] == "$9.99"
    assert graph.delete(one, token=token).json() == {"success": True}
    assert error_of(graph.get(one, token=token))["code"] == 100


def test_product_sets_crud(graph, biz, catalog):
    token = biz["access_token"]
    batch(graph, biz, [{"method": "UPDATE", "data": item(f"S{n}", brand="Lotus" if n < 2 else "Other")}
                       for n in range(3)])
    rule = {"and": [{"brand": {"eq": "Lotus"}}]}
    made = graph.post(f"{biz['catalog_id']}/product_sets", token=token, name="Lotus", filter=json.dumps(rule),
                      retailer_id="ps_1").json()
    again = graph.post(f"{biz['catalog_id']}/product_sets", token=token, name="Lotus", retailer_id="ps_1")
    assert error_of(again)["code"] == 100
    read = graph.get(made["id"], token=token, fields="name,filter,retailer_id,product_count").json()
    assert read["product_count"] == 2 and json.loads(read["filter"]) == rule
    found = graph.get(f"{biz['catalog_id']}/product_sets", token=token, retailer_id="ps_1").json()["data"]
    assert [s["id"] for s in found] == [made["id"]]
    assert graph.post(made["id"], token=token, name="Lotus teas").json() == {"success": True}
    assert catalog.product_sets(biz["catalog_id"])[0]["name"] == "Lotus teas"
    assert graph.delete(made["id"], token=token).json() == {"success": True}
    assert catalog.product_sets(biz["catalog_id"]) == []
    bad = graph.post(f"{biz['catalog_id']}/product_sets", token=token, name="X", filter='{"brand": "Lotus"}')
    assert error_of(bad)["code"] == 2500


def test_catalog_level_diagnostics_and_throttle(graph, biz, catalog, sandbox):
    catalog.set_diagnostics(biz["catalog_id"], [{"type": "CHECKOUT", "title": "No shipping profile",
                                                  "severity": "MUST_FIX"}])
    diags = graph.get(f"{biz['catalog_id']}/diagnostics", token=biz["access_token"]).json()["data"]
    assert diags[0]["type"] == "CHECKOUT" and diags[0]["affected_entity"] == "product_catalog"
    sandbox.set_usage_budget(calls=1, buc_type="catalog_batch")
    assert batch(graph, biz, [{"method": "UPDATE", "data": item("A")}]).status_code == 200
    throttled = batch(graph, biz, [{"method": "UPDATE", "data": item("B")}])
    assert error_of(throttled)["code"] == 80014
    usage = json.loads(throttled.headers["X-Business-Use-Case-Usage"])
    assert usage[biz["business_id"]][0]["estimated_time_to_regain_access"] > 0


def test_items_batch_takes_a_json_body_as_it_takes_form_fields(graph, biz, catalog, sandbox):
    """Graph reads a JSON body's keys as parameters (Meta's Messenger Send API reference posts
    `Content-Type: application/json` bodies to graph.facebook.com; Meta's Facebook for
    WooCommerce plugin sends items_batch that way): the records as a typed array, `allow_upsert`
    as a JSON boolean."""
    records = [{"method": "UPDATE", "data": item(f"J-{n}")} for n in range(3)]
    r = graph.post(f"{biz['catalog_id']}/items_batch", token=biz["access_token"],
                   json_body={"item_type": "PRODUCT_ITEM", "allow_upsert": True, "requests": records})
    assert r.status_code == 200, r.text
    assert status(graph, biz, r.json()["handles"][0]).json()["data"][0]["status"] == "finished"
    form = batch(graph, biz, [{"method": "UPDATE", "data": item("F-1")}], allow_upsert="true")
    assert form.status_code == 200, form.text
    assert {p["retailer_id"] for p in catalog.products(biz["catalog_id"])} == {"J-0", "J-1", "J-2", "F-1"}
    # The same validation either way: a JSON body with a bad value is refused like a form field.
    bad = graph.post(f"{biz['catalog_id']}/items_batch", token=biz["access_token"],
                     json_body={"item_type": "PRODUCT_ITEM", "requests": records, "allow_upsert": "perhaps"})
    assert bad.status_code == 400 and error_of(bad)["code"] == 100
    # The journal keeps a small JSON body's records typed, a large one's as cut JSON text.
    journalled = [row for row in sandbox.requests(path="*/items_batch") if row["status"] == 200]
    assert journalled[0]["headers"]["Content-Type"] == "application/json"
    assert journalled[0]["params"]["requests"] == records
    big = [{"method": "UPDATE", "data": item(f"B-{n}")} for n in range(40)]
    r = graph.post(f"{biz['catalog_id']}/items_batch", token=biz["access_token"],
                   json_body={"item_type": "PRODUCT_ITEM", "requests": big})
    assert r.status_code == 200, r.text
    kept = sandbox.requests(path="*/items_batch")[-1]["params"]["requests"]
    assert isinstance(kept, str) and kept.startswith('[{"method":"UPDATE"') and kept.endswith("…(40 items)")
    assert len(kept) < 2100


def test_a_listing_of_retailer_ids_answers_as_a_full_listing_does(graph, biz):
    batch(graph, biz, [{"method": "UPDATE", "data": item(f"L-{n}")} for n in range(5)])
    lean = graph.get(f"{biz['catalog_id']}/products", token=biz["access_token"], fields="retailer_id",
                     limit=2).json()
    full = graph.get(f"{biz['catalog_id']}/products", token=biz["access_token"], fields="retailer_id,name",
                     limit=2).json()
    assert lean["data"] == [{"retailer_id": d["retailer_id"], "id": d["id"]} for d in full["data"]]
    assert lean["paging"]["cursors"] == full["paging"]["cursors"] and "next" in lean["paging"]
