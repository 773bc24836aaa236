"""`GET {catalog}/diagnostics`: groups computed from item errors plus those set through the control API."""

from __future__ import annotations

from ...models import Node
from ...params import P
from ...router import edge
from .products import products_of
from .validation import DIAGNOSTIC_TYPES, catalog_switch

# --- diagnostics --------------------------------------------------------------------------------

_DIAG_OF = {"IMAGE": "IMAGE_QUALITY", "POLICY": "POLICY_VIOLATION", "TITLE": "LOW_QUALITY_TITLE_AND_DESCRIPTION",
            "DESCRIPTION": "LOW_QUALITY_TITLE_AND_DESCRIPTION", "MISSING": "ATTRIBUTES_MISSING"}


def _diagnostic_type(error_type: str) -> str:
    for word, kind in _DIAG_OF.items():
        if word in error_type:
            return kind
    return "ATTRIBUTES_INVALID"


def diagnostics_for(catalog: Node) -> list[dict]:
    groups: dict[str, dict] = {}
    flagged = products_of(catalog.gid).filter(data__errors__0__isnull=False)
    for node in flagged.order_by("pk").iterator(chunk_size=2000):
        for error in node.data.get("errors") or []:
            code = error.get("error_type", "UNKNOWN")
            group = groups.setdefault(code, {
                "type": _diagnostic_type(code), "title": error.get("title") or code, "subtitle": error.get(
                    "description", ""),
                "severity": "MUST_FIX" if error.get("error_priority") == "HIGH" else "OPPORTUNITY",
                "affected_entity": "product_item", "affected_channels": ["shops", "ads"], "affected_features": [],
                "number_of_affected_items": 0, "number_of_affected_entities": 0, "sample_affected_items": [],
                "diagnostics": []})
            group["number_of_affected_items"] += 1
            group["number_of_affected_entities"] += 1
            if len(group["sample_affected_items"]) < 10:
                group["sample_affected_items"].append({"id": node.gid})
    stored = catalog_switch(catalog_config()).get("diagnostics", {}).get(catalog.gid, [])
    return [*groups.values(), *stored]


def catalog_config() -> dict:
    from ...config import get_config

    return get_config()


@edge("catalog", "diagnostics", item_label="ProductCatalogDiagnosticGroup", item_fields=(
    "affected_channels", "affected_entity", "affected_features", "diagnostics", "error_code",
    "number_of_affected_entities", "number_of_affected_items", "severity", "subtitle", "title", "type",
    "sample_affected_items"), params=(
    P("affected_channels", "list"), P("affected_entities", "list"), P("affected_features", "list"),
    P("severities", "list<enum>", enum=("MUST_FIX", "OPPORTUNITY")),
    P("types", "list<enum>", enum=DIAGNOSTIC_TYPES),
))
def catalog_diagnostics(ctx, node, args):
    groups = diagnostics_for(node)
    if args.get("severities"):
        groups = [g for g in groups if g.get("severity") in args["severities"]]
    if args.get("types"):
        groups = [g for g in groups if g.get("type") in args["types"]]
    if args.get("affected_entities"):
        groups = [g for g in groups if g.get("affected_entity") in args["affected_entities"]]
    return groups
