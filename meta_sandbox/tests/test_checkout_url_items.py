"""A catalog item's `checkout_url` at the sandbox: accepted in items_batch as the URL Meta sends
buyers to for that item, kept, read back, cleared by "", and refused when it is not a web
address. Meta's Business SDK 26 lists `checkout_url` (string) among ProductItem's fields and the
catalog's item parameters (adobjects/productitem.py, productcatalog.py); the value here is a
website checkout link in Meta's format ("Set Up a Checkout URL": products=<id>%3A<qty>)."""

from __future__ import annotations

from meta_sandbox.tests.test_catalog_sandbox import batch, item

LINK = "https://t.example.com/fb-checkout?products=A%3A1"


def _read(graph, biz):
    listed = graph.get(f"{biz['catalog_id']}/products", token=biz["access_token"], fields="retailer_id,checkout_url")
    return {p["retailer_id"]: p.get("checkout_url") for p in listed.json()["data"]}


def test_an_items_checkout_url_is_kept_and_read_back(graph, biz):
    body = batch(graph, biz, [{"method": "UPDATE", "data": item("A", checkout_url=LINK)}]).json()
    assert body["validation_status"] == []
    assert _read(graph, biz) == {"A": LINK}
    batch(graph, biz, [{"method": "UPDATE", "data": {"id": "A", "checkout_url": ""}}])
    assert _read(graph, biz)["A"] in ("", None)


def test_a_checkout_url_that_is_not_a_web_address_is_refused(graph, biz):
    body = batch(graph, biz, [{"method": "UPDATE", "data": item("B", checkout_url="fb-checkout?products=B:1")}]).json()
    errors = {v["retailer_id"]: v["errors"] for v in body["validation_status"]}
    assert errors["B"] and "checkout_url" in errors["B"][0]["message"]
