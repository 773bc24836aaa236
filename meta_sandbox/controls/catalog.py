"""Control calls for the catalog (`/graph-sandbox/_control/catalog/...`): Meta's own checks as
an actor, and a look at what the catalog holds.

- `GET/POST catalog/config`: `{"batch_delay_seconds": 0, "batch_progress": ["started"],
  "batch_outcome": "finished"}` — how long a batch stays in progress (its time shared by the
  statuses of batch_progress: scheduled, dispatched, started), and its final status (finished,
  error, canceled) in `check_batch_request_status`.
- `GET/POST/DELETE catalog/rules`: per-item checks Meta runs on each write. A rule
  `{"retailer_id": "TEA-*", "error_type": "IMAGE_RESOLUTION_LOW", "mode": "reject", "when":
  {"image_link": "*small*"}, "priority": "HIGH", "message": "..."}` matches records whose retailer
  id and fields match the globs; `mode` "reject" (the batch status reports the item as an error
  and it is not ingested), "flag" (ingested, with the error in the item's `errors`) or "policy"
  (ingested, `review_status: rejected`). DELETE clears them all.
- `GET catalog/<catalog_id>/products[?retailer_id=&deleted=1]`: the items as stored.
- `POST catalog/<catalog_id>/products`: `{"items": [{"id": "X", ...items_batch fields}]}` puts
  items straight into the catalog (e.g. orphans made in Commerce Manager).
- `POST catalog/<catalog_id>/review`: `{"retailer_ids": [...], "review_status": "rejected",
  "reasons": [...], "errors": [...]?}` marks items as reviewed (policy rejection) by Meta.
- `GET catalog/<catalog_id>/product_sets`, `GET catalog/<catalog_id>/batches`.
- `POST catalog/<catalog_id>/diagnostics`: `{"diagnostics": [...groups]}` catalog-level
  diagnostics the `diagnostics` edge returns next to those computed from item errors.
"""

from __future__ import annotations

from django.urls import path

from ..actions import catalog as actions
from ..control import control


def _flag(value) -> bool:
    return value in ("1", "true")


@control("GET", "POST")
def config(request, body):
    if request.method == "POST":
        return actions.set_catalog_config(batch_delay_seconds=body.get("batch_delay_seconds"),
                                          batch_progress=body.get("batch_progress"),
                                          batch_outcome=body.get("batch_outcome"))
    return actions.catalog_config()


@control("GET", "POST", "DELETE")
def rules(request, body):
    if request.method == "DELETE":
        actions.clear_catalog_rules()
    elif request.method == "POST":
        return actions.add_catalog_rule(
            retailer_id=body.get("retailer_id"), error_type=body.get("error_type"), mode=body.get("mode", "reject"),
            when=body.get("when"), priority=body.get("priority"), message=body.get("message"),
            title=body.get("title"), call_to_action=body.get("call_to_action"))
    return {"data": actions.catalog_rules()}


@control("GET", "POST")
def products(request, body, catalog_id: str):
    if request.method == "POST":
        return {"created": actions.add_catalog_products(catalog_id, body.get("items"))}
    return {"data": actions.catalog_products(catalog_id, retailer_id=request.GET.get("retailer_id") or None,
                                             deleted=_flag(request.GET.get("deleted")))}


@control("POST")
def review(request, body, catalog_id: str):
    extra = {"errors": body["errors"]} if "errors" in body else {}
    return {"changed": actions.review_products(catalog_id, body.get("retailer_ids"),
                                               review_status=body.get("review_status", "rejected"),
                                               reasons=body.get("reasons"), **extra)}


@control("GET")
def product_sets(request, body, catalog_id: str):
    return {"data": actions.catalog_product_sets(catalog_id, deleted=_flag(request.GET.get("deleted")))}


@control("GET")
def batches(request, body, catalog_id: str):
    return {"data": actions.catalog_batches(catalog_id)}


@control("POST")
def diagnostics(request, body, catalog_id: str):
    return {"data": actions.set_catalog_diagnostics(catalog_id, body.get("diagnostics"))}


urlpatterns = [
    path("catalog/config", config),
    path("catalog/rules", rules),
    path("catalog/<str:catalog_id>/products", products),
    path("catalog/<str:catalog_id>/review", review),
    path("catalog/<str:catalog_id>/product_sets", product_sets),
    path("catalog/<str:catalog_id>/batches", batches),
    path("catalog/<str:catalog_id>/diagnostics", diagnostics),
]
