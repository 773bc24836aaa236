"""Meta's own catalog checks as an actor (batch delay, review rules, reviews, catalog-level
diagnostics) and a look at what a catalog holds."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from ..endpoints.catalog.products import products_of
from ..endpoints.catalog.validation import DEFAULT_SWITCH, DIAGNOSTIC_TYPES, SWITCH, _price_minor
from ..models import Node, Switch
from . import ControlError
from .world import node_or_404

MODES = ("reject", "flag", "policy")
_KEEP = object()  # review_products(errors=...) not given: the items keep their errors


def _switch() -> dict:
    row = Switch.objects.filter(key=SWITCH).first()
    return {**DEFAULT_SWITCH, **(row.value if row and isinstance(row.value, dict) else {})}


def _save(value: dict) -> dict:
    Switch.objects.update_or_create(key=SWITCH, defaults={"value": value})
    return value


#: check_batch_request_status's statuses (Meta's "Get batch request" guide, developers.facebook.com/
#: docs/marketing-api/catalog-batch/guides/get-batch-request): in progress, and final.
BATCH_PROGRESS = ("scheduled", "dispatched", "started")
BATCH_OUTCOMES = ("finished", "error", "canceled")


def _public(current: dict) -> dict:
    return {"batch_delay_seconds": current["batch_delay_seconds"], "batch_progress": current["batch_progress"],
            "batch_outcome": current["batch_outcome"], "rules": current["rules"]}


def catalog_config() -> dict:
    return _public(_switch())


def set_catalog_config(*, batch_delay_seconds=None, batch_progress=None, batch_outcome=None) -> dict:
    """How long a batch is in progress (`batch_delay_seconds`, its time shared by the statuses of
    `batch_progress`, default ["started"]) before check_batch_request_status gives
    `batch_outcome` ("finished", or "error" / "canceled" to play Meta's failures)."""
    current = _switch()
    if batch_delay_seconds is not None:
        delay = float(batch_delay_seconds)
        if delay < 0:
            raise ControlError("batch_delay_seconds must not be negative")
        current["batch_delay_seconds"] = delay
    if batch_progress is not None:
        if not isinstance(batch_progress, list) or not batch_progress or any(
                s not in BATCH_PROGRESS for s in batch_progress):
            raise ControlError(f"batch_progress must be a non-empty list of {', '.join(BATCH_PROGRESS)}")
        current["batch_progress"] = list(batch_progress)
    if batch_outcome is not None:
        if batch_outcome not in BATCH_OUTCOMES:
            raise ControlError(f"batch_outcome must be one of {', '.join(BATCH_OUTCOMES)}")
        current["batch_outcome"] = batch_outcome
    _save(current)
    return _public(current)


def catalog_rules() -> list[dict]:
    return _switch()["rules"]


def add_catalog_rule(*, retailer_id: str | None = None, error_type: str | None = None, mode: str = "reject",
                     when: dict | None = None, priority: str | None = None, message: str | None = None,
                     title: str | None = None, call_to_action: str | None = None) -> dict:
    """A check Meta runs on every later write of matching items (see controls/catalog.py)."""
    if mode not in MODES:
        raise ControlError(f"mode must be one of {', '.join(MODES)}")
    when = when or {}
    if not isinstance(when, dict):
        raise ControlError("when must be an object of field globs")
    current = _switch()
    rule = {"id": max([r.get("id", 0) for r in current["rules"]] or [0]) + 1,
            "retailer_id": str(retailer_id or "*"),
            "error_type": str(error_type or ("SHOPS_POLICY_VIOLATION" if mode == "policy" else "IMAGE_RESOLUTION_LOW")),
            "mode": mode, "when": {str(k): str(v) for k, v in when.items()},
            "priority": str(priority or "HIGH")}
    for key, value in (("message", message), ("title", title), ("call_to_action", call_to_action)):
        if value:
            rule[key] = str(value)
    current["rules"] = [*current["rules"], rule]
    _save(current)
    return rule


def clear_catalog_rules() -> list[dict]:
    current = _switch()
    current["rules"] = []
    _save(current)
    return current["rules"]


def _product_dict(node: Node) -> dict:
    return {"id": node.gid, "retailer_id": node.key, "deleted": node.deleted,
            **{k: v for k, v in node.data.items() if not k.startswith("_")}}


def catalog_products(catalog_id: str, *, retailer_id: str | None = None, deleted: bool = False) -> list[dict]:
    """The items as stored (deleted ones too with `deleted`)."""
    catalog = node_or_404(catalog_id, "catalog")
    qs = Node.objects.filter(type="product", parent_id=catalog.gid).order_by("pk")
    if not deleted:
        qs = qs.filter(deleted=False)
    if retailer_id:
        qs = qs.filter(key=retailer_id)
    return [_product_dict(n) for n in qs]


def add_catalog_products(catalog_id: str, items) -> int:
    """Put items straight into the catalog (e.g. orphans made in Commerce Manager); how many."""
    catalog = node_or_404(catalog_id, "catalog")
    if not isinstance(items, list) or not all(isinstance(i, dict) and i.get("id") for i in items):
        raise ControlError('send {"items": [{"id": "<retailer id>", ...}]}')
    with transaction.atomic():
        made = Node.objects.bulk_create([
            Node(type="product", business_id=catalog.business_id, parent_id=catalog.gid, key=str(i["id"]),
                 data={**{k: v for k, v in i.items() if k != "id"}, "price_minor": _price_minor(i.get("price")),
                       "_catalog": catalog.gid}) for i in items])
    return len(made)


def review_products(catalog_id: str, retailer_ids, *, review_status: str = "rejected", reasons=None,
                    errors=_KEEP) -> int:
    """Meta's review marks items (`errors` replaces their item errors when given); how many."""
    catalog = node_or_404(catalog_id, "catalog")
    if not isinstance(retailer_ids, list) or not retailer_ids:
        raise ControlError("retailer_ids must be a non-empty list")
    if review_status not in ("approved", "outdated", "pending", "rejected"):
        raise ControlError("review_status must be approved, outdated, pending or rejected")
    changed = 0
    with transaction.atomic():
        for node in products_of(catalog.gid).filter(key__in=[str(i) for i in retailer_ids]):
            node.data["review_status"] = review_status
            node.data["review_rejection_reasons"] = list(reasons or (
                ["SHOPS_POLICY_VIOLATION"] if review_status == "rejected" else []))
            if errors is not _KEEP:
                node.data["errors"] = list(errors or [])
            node.updated = timezone.now()
            node.save(update_fields=["data", "updated"])
            changed += 1
    return changed


def catalog_product_sets(catalog_id: str, *, deleted: bool = False) -> list[dict]:
    catalog = node_or_404(catalog_id, "catalog")
    qs = Node.objects.filter(type="product_set", parent_id=catalog.gid).order_by("pk")
    if not deleted:
        qs = qs.filter(deleted=False)
    return [{"id": n.gid, "retailer_id": n.key, "deleted": n.deleted,
             **{k: v for k, v in n.data.items() if not k.startswith("_")}} for n in qs]


def catalog_batches(catalog_id: str) -> list[dict]:
    catalog = node_or_404(catalog_id, "catalog")
    return [{"handle": n.key, "requests": n.data.get("requests"), "errors": n.data.get("errors"),
             "warnings": n.data.get("warnings"), "invalid": n.data.get("invalid")}
            for n in Node.objects.filter(type="catalog_batch", parent_id=catalog.gid).order_by("pk")]


def set_catalog_diagnostics(catalog_id: str, groups) -> list[dict]:
    """Catalog-level diagnostics the diagnostics edge returns next to those computed from item errors."""
    catalog = node_or_404(catalog_id, "catalog")
    if not isinstance(groups, list) or not all(isinstance(g, dict) for g in groups):
        raise ControlError('send {"diagnostics": [{"type", "title", "severity", ...}]}')
    normalised = []
    for group in groups:
        kind = group.get("type", "ATTRIBUTES_MISSING")
        if kind not in DIAGNOSTIC_TYPES:
            raise ControlError(f"type must be one of {', '.join(DIAGNOSTIC_TYPES)}")
        code = group.get("error_code")
        # Meta's ProductCatalogDiagnosticGroup.error_code is an int (the v26 SDK's field types).
        if code is not None and (isinstance(code, bool) or not isinstance(code, int)):
            raise ControlError("error_code must be an integer (Meta's numeric code)")
        normalised.append({"type": kind, "title": group.get("title") or kind.replace("_", " ").capitalize(),
                           "subtitle": group.get("subtitle", ""),
                           "severity": group.get("severity", "MUST_FIX"),
                           "affected_entity": group.get("affected_entity", "product_catalog"),
                           "affected_channels": group.get("affected_channels", ["shops"]),
                           "affected_features": group.get("affected_features", []),
                           "number_of_affected_items": int(group.get("number_of_affected_items", 0)),
                           "number_of_affected_entities": int(group.get("number_of_affected_entities", 1)),
                           "diagnostics": group.get("diagnostics", []),
                           **({"error_code": code} if code is not None else {})})
    current = _switch()
    current["diagnostics"] = {**current.get("diagnostics", {}), catalog.gid: normalised}
    _save(current)
    return normalised
