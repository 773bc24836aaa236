"""Shipments: fulfilling units (with their payment and promotion_allocations) and updating tracking."""

from __future__ import annotations

from django.utils import timezone

from ... import errors
from ...models import Node
from ...params import P
from ...router import route
from .common import (
    CARRIERS,
    ORDER,
    PAYMENT,
    REMOVED_IN,
    SHIPMENT,
    WRITE_PERMS,
    child,
    children,
    currency_of,
    gate,
    iso,
    save,
    touch,
)
from .figures import (
    all_done,
    allocate_units,
    captured_tax,
    complete_if_done,
    fulfilled_offers,
    line_total,
    remaining,
    units_share,
)
from .items import _quantity, _require_acknowledged, resolve_items

# --- shipments --------------------------------------------------------------------------------------


def _tracking(value, n: str = "tracking_info") -> dict:
    if not isinstance(value, dict):
        raise errors.bad_type(n, "a JSON object")
    carrier = str(value.get("carrier") or "")
    if carrier not in CARRIERS:
        raise errors.bad_enum(f"{n}.carrier", CARRIERS, carrier)
    number = str(value.get("tracking_number") or "")
    if not number and carrier != "OTHER":
        raise errors.required_param(f"{n}.tracking_number")
    out = {"carrier": carrier, "tracking_number": number}
    if value.get("shipping_method_name"):
        out["shipping_method_name"] = str(value["shipping_method_name"])
    return out


def ship(order: Node, *, items: list[dict], tracking_info: dict, external_shipment_id: str = "",
         fulfillment=None) -> Node:
    _require_acknowledged(order, "fulfilled")
    if order.data["state"] == "COMPLETED" and all_done(order):
        raise errors.invalid_param("Every item of this order is already shipped or cancelled")
    if not items:
        raise errors.required_param("items")
    tracking = _tracking(tracking_info)
    if external_shipment_id and children(SHIPMENT, order).filter(
            data__external_shipment_id=external_shipment_id).exists():
        raise errors.invalid_param(f"A shipment with external_shipment_id {external_shipment_id} already exists",
                                   error_data={"blame_field_specs": [["external_shipment_id"]]})
    wanted: dict[str, int] = {}
    for n, (line, entry) in enumerate(resolve_items(order, items)):
        wanted[line["id"]] = wanted.get(line["id"], 0) + _quantity(entry, "quantity", n)
    cur = currency_of(order)
    shipped_items, payment_items, total = [], [], 0
    first = not order.data.get("has_shipments")
    for line in order.data["items"]:
        k = wanted.get(line["id"])
        if not k:
            continue
        if k > remaining(line):
            raise errors.invalid_param(
                f"Cannot ship {k} of item {line['id']} ({line['retailer_id']}): only {remaining(line)} left to ship",
                error_data={"blame_field_specs": [["items"]]})
    for line in order.data["items"]:
        k = wanted.get(line["id"])
        if not k:
            continue
        start = line["shipped"] + line["cancelled"]
        allocations = allocate_units(order, line, k)
        offers = dict(fulfilled_offers(line))
        for a in allocations:
            offers[a["promotion_id"]] = offers.get(a["promotion_id"], 0) + a["_minor"]
        line["fulfilled_offers"] = offers
        tax = units_share(line["tax"], line["quantity"], start, k)
        line["captured_tax"] = captured_tax(line) + tax
        line["shipped"] += k
        value = units_share(line_total(line), line["quantity"], start, k) - sum(
            a["_minor"] for a in allocations)
        total += value + tax
        shipped_items.append({"id": line["id"], "retailer_id": line["retailer_id"], "product_id": line["product_id"],
                              "quantity": k})
        payment_items.append({"id": line["id"], "quantity": k, "promotion_allocations": [
            {"promotion_id": a["promotion_id"], "allocation_amount": a["allocation_amount"]} for a in allocations]})
    if first:
        total += order.data["totals"]["shipping"] + order.data.get("shipping_tax", 0)
    now = iso(timezone.now())
    shipment = child(SHIPMENT, order, external_shipment_id=external_shipment_id or None, tracking_info=tracking,
                     items=shipped_items, shipment_date=now, fulfillment=fulfillment, tracking_history=[])
    child(PAYMENT, order, total=total, currency=cur, items=payment_items, shipment_id=shipment.gid, created=now)
    order.data["has_shipments"] = True
    complete_if_done(order)
    touch(order)
    save(order)
    return shipment


@route("POST", f"{{order:{ORDER}}}/shipments", perms=WRITE_PERMS, idempotency="required", removed_in=REMOVED_IN,
       params=(P("items", "list<map>", required=True), P("tracking_info", "map", required=True),
               P("external_shipment_id"), P("fulfillment", "map"), P("should_use_default_fulfillment_location", "bool"),
               P("merchant_order_reference"), P("shipment_origin_postal_code"), P("shipping_tax_details", "map"),
               P("external_redemption_link")))
def create_shipment(ctx):
    gate(ctx)
    a = ctx.args
    ship(ctx.node, items=a["items"], tracking_info=a["tracking_info"],
         external_shipment_id=a.get("external_shipment_id") or "", fulfillment=a.get("fulfillment"))
    return {"success": True}


@route("POST", f"{{order:{ORDER}}}/update_shipment", perms=WRITE_PERMS, idempotency="required",
       removed_in=REMOVED_IN, params=(P("shipment_id"), P("fulfillment_id"), P("external_shipment_id"),
                                      P("tracking_info", "map", required=True)))
def update_shipment(ctx):
    gate(ctx)
    a = ctx.args
    given = [k for k in ("shipment_id", "fulfillment_id", "external_shipment_id") if a.get(k)]
    if len(given) != 1:
        raise errors.invalid_param("Give exactly one of shipment_id, fulfillment_id and external_shipment_id")
    shipments = children(SHIPMENT, ctx.node)
    if a.get("external_shipment_id"):
        shipment = shipments.filter(data__external_shipment_id=a["external_shipment_id"]).first()
    else:
        shipment = shipments.filter(pk=Node.pk_from_gid(str(a[given[0]])) or 0).first()
    if shipment is None:
        raise errors.invalid_param("No such shipment on this order", error_data={"blame_field_specs": [[given[0]]]})
    tracking = _tracking(a["tracking_info"])
    shipment.data.setdefault("tracking_history", []).append(shipment.data["tracking_info"])
    shipment.data["tracking_info"] = tracking
    shipment.save(update_fields=["data", "updated"])
    touch(ctx.node)
    save(ctx.node)
    return {"success": True}
