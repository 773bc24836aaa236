"""Control calls for the catalog (`/graph-sandbox/_control/catalog/...`): Meta's own checks as
an actor, and a look at what the catalog holds.

- `GET/POST catalog/config`: `{"batch_delay_seconds": 0}` — how long a batch stays `started`
  before `check_batch_request_status` says `finished`.
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

from django.db import transaction
from django.urls import path
from django.utils import timezone

from ..control import ControlError, _node_or_404, control
from ..endpoints.catalog.products import products_of
from ..endpoints.catalog.validation import DEFAULT_SWITCH, DIAGNOSTIC_TYPES, SWITCH, _price_minor
from ..models import Node, Switch

MODES = ("reject", "flag", "policy")


def _switch() -> dict:
    row = Switch.objects.filter(key=SWITCH).first()
    return {**DEFAULT_SWITCH, **(row.value if row and isinstance(row.value, dict) else {})}


def _save(value: dict) -> dict:
    Switch.objects.update_or_create(key=SWITCH, defaults={"value": value})
    return value


@control("GET", "POST")
def config(request, body):
    current = _switch()
    if request.method == "POST":
        if "batch_delay_seconds" in body:
            delay = float(body["batch_delay_seconds"])
            if delay < 0:
                raise ControlError("batch_delay_seconds must not be negative")
            current["batch_delay_seconds"] = delay
        _save(current)
    return {"batch_delay_seconds": current["batch_delay_seconds"], "rules": current["rules"]}


@control("GET", "POST", "DELETE")
def rules(request, body):
    current = _switch()
    if request.method == "DELETE":
        current["rules"] = []
        _save(current)
    elif request.method == "POST":
        mode = body.get("mode", "reject")
        if mode not in MODES:
            raise ControlError(f"mode must be one of {', '.join(MODES)}")
        when = body.get("when") or {}
        if not isinstance(when, dict):
            raise ControlError("when must be an object of field globs")
        rule = {"id": max([r.get("id", 0) for r in current["rules"]] or [0]) + 1,
                "retailer_id": str(body.get("retailer_id") or "*"),
                "error_type": str(body.get("error_type") or ("SHOPS_POLICY_VIOLATION" if mode == "policy"
                                                            else "IMAGE_RESOLUTION_LOW")),
                "mode": mode, "when": {str(k): str(v) for k, v in when.items()},
                "priority": str(body.get("priority") or "HIGH")}
        for key in ("message", "title", "call_to_action"):
            if body.get(key):
                rule[key] = str(body[key])
        current["rules"] = [*current["rules"], rule]
        _save(current)
        return rule
    return {"data": current["rules"]}


def _product_dict(node: Node) -> dict:
    return {"id": node.gid, "retailer_id": node.key, "deleted": node.deleted,
            **{k: v for k, v in node.data.items() if not k.startswith("_")}}


@control("GET", "POST")
def products(request, body, catalog_id: str):
    catalog = _node_or_404(catalog_id, "catalog")
    if request.method == "POST":
        items = body.get("items")
        if not isinstance(items, list) or not all(isinstance(i, dict) and i.get("id") for i in items):
            raise ControlError('send {"items": [{"id": "<retailer id>", ...}]}')
        with transaction.atomic():
            made = Node.objects.bulk_create([
                Node(type="product", business_id=catalog.business_id, parent_id=catalog.gid, key=str(i["id"]),
                     data={**{k: v for k, v in i.items() if k != "id"}, "price_minor": _price_minor(i.get("price")),
                           "_catalog": catalog.gid}) for i in items])
        return {"created": len(made)}
    qs = Node.objects.filter(type="product", parent_id=catalog.gid).order_by("pk")
    if request.GET.get("deleted") not in ("1", "true"):
        qs = qs.filter(deleted=False)
    if request.GET.get("retailer_id"):
        qs = qs.filter(key=request.GET["retailer_id"])
    return {"data": [_product_dict(n) for n in qs]}


@control("POST")
def review(request, body, catalog_id: str):
    catalog = _node_or_404(catalog_id, "catalog")
    ids = body.get("retailer_ids")
    if not isinstance(ids, list) or not ids:
        raise ControlError("retailer_ids must be a non-empty list")
    status = body.get("review_status", "rejected")
    if status not in ("approved", "outdated", "pending", "rejected"):
        raise ControlError("review_status must be approved, outdated, pending or rejected")
    changed = 0
    with transaction.atomic():
        for node in products_of(catalog.gid).filter(key__in=[str(i) for i in ids]):
            node.data["review_status"] = status
            node.data["review_rejection_reasons"] = list(body.get("reasons") or (
                ["SHOPS_POLICY_VIOLATION"] if status == "rejected" else []))
            if "errors" in body:
                node.data["errors"] = list(body["errors"] or [])
            node.updated = timezone.now()
            node.save(update_fields=["data", "updated"])
            changed += 1
    return {"changed": changed}


@control("GET")
def product_sets(request, body, catalog_id: str):
    catalog = _node_or_404(catalog_id, "catalog")
    qs = Node.objects.filter(type="product_set", parent_id=catalog.gid).order_by("pk")
    if request.GET.get("deleted") not in ("1", "true"):
        qs = qs.filter(deleted=False)
    return {"data": [{"id": n.gid, "retailer_id": n.key, "deleted": n.deleted,
                      **{k: v for k, v in n.data.items() if not k.startswith("_")}} for n in qs]}


@control("GET")
def batches(request, body, catalog_id: str):
    catalog = _node_or_404(catalog_id, "catalog")
    return {"data": [{"handle": n.key, "requests": n.data.get("requests"), "errors": n.data.get("errors"),
                      "warnings": n.data.get("warnings"), "invalid": n.data.get("invalid")}
                     for n in Node.objects.filter(type="catalog_batch", parent_id=catalog.gid).order_by("pk")]}


@control("POST")
def diagnostics(request, body, catalog_id: str):
    catalog = _node_or_404(catalog_id, "catalog")
    groups = body.get("diagnostics")
    if not isinstance(groups, list) or not all(isinstance(g, dict) for g in groups):
        raise ControlError('send {"diagnostics": [{"type", "title", "severity", ...}]}')
    normalised = []
    for group in groups:
        kind = group.get("type", "ATTRIBUTES_MISSING")
        if kind not in DIAGNOSTIC_TYPES:
            raise ControlError(f"type must be one of {', '.join(DIAGNOSTIC_TYPES)}")
        normalised.append({"type": kind, "title": group.get("title") or kind.replace("_", " ").capitalize(),
                           "subtitle": group.get("subtitle", ""), "error_code": group.get("error_code") or kind,
                           "severity": group.get("severity", "MUST_FIX"),
                           "affected_entity": group.get("affected_entity", "product_catalog"),
                           "affected_channels": group.get("affected_channels", ["shops"]),
                           "affected_features": group.get("affected_features", []),
                           "number_of_affected_items": int(group.get("number_of_affected_items", 0)),
                           "number_of_affected_entities": int(group.get("number_of_affected_entities", 1)),
                           "diagnostics": group.get("diagnostics", [])})
    current = _switch()
    current["diagnostics"] = {**current.get("diagnostics", {}), catalog.gid: normalised}
    _save(current)
    return {"data": normalised}


urlpatterns = [
    path("catalog/config", config),
    path("catalog/rules", rules),
    path("catalog/<str:catalog_id>/products", products),
    path("catalog/<str:catalog_id>/review", review),
    path("catalog/<str:catalog_id>/product_sets", product_sets),
    path("catalog/<str:catalog_id>/batches", batches),
    path("catalog/<str:catalog_id>/diagnostics", diagnostics),
]
