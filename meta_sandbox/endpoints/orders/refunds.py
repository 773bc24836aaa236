"""Refunds of shipped units, by quantity or amount, with shipping, deductions and Meta's part (META_API §3.10)."""

from __future__ import annotations

from django.utils import timezone

from ... import allocation, errors
from ...models import Node
from ...params import P
from ...router import route
from .common import (
    ORDER,
    REFUND,
    REFUND_REASONS,
    REMOVED_IN,
    RETURN,
    WRITE_PERMS,
    amount_str,
    child,
    children,
    currency_of,
    gate,
    iso,
    save,
    touch,
)
from .figures import (
    available_for_refund,
    has_order_level_item_offers,
    line_value,
    meta_paid_for_fulfilled,
    paid_for_fulfilled,
    refund_tax,
    refunded_tax,
    refunded_to_meta,
    units_share,
)
from .items import _money_param, _quantity, resolve_items

# --- refunds ----------------------------------------------------------------------------------------


def _tax_share(line_tax: int, value: int, before: int, refunded: int) -> int:
    return allocation.proportional_step(line_tax, value, before, refunded)


def refund(order: Node, *, reason_code: str, reason_text: str = "", items: list[dict] | None = None,
           shipping: dict | None = None, deductions: list | None = None, adjustment=None,
           return_id: str = "") -> Node:
    if order.data["state"] not in ("IN_PROGRESS", "COMPLETED"):
        raise errors.invalid_param(f"The order cannot be refunded in state {order.data['state']}: refunds apply to "
                                   "shipped items")
    if reason_code not in REFUND_REASONS:
        raise errors.bad_enum("reason_code", REFUND_REASONS, reason_code)
    cur = currency_of(order)
    ret = None
    if return_id:
        ret = children(RETURN, order).filter(pk=Node.pk_from_gid(str(return_id)) or 0).first()
        if ret is None:
            raise errors.invalid_param("return_id is not a return of this order",
                                       error_data={"blame_field_specs": [["return_id"]]})
        if ret.data["status"] not in ("REQUESTED", "APPROVED"):
            raise errors.invalid_param(f"The return is {ret.data['status']}; only a requested or approved return can "
                                       "be refunded")
    amounts: dict[str, int] = {}
    quantities: dict[str, int] = {}
    full = items is None  # no `items` at all: refund everything shipped (an empty list refunds no item)
    if items:
        order_offers = has_order_level_item_offers(order)
        for n, (line, entry) in enumerate(resolve_items(order, items)):
            has_qty = entry.get("item_refund_quantity") not in (None, "")
            has_amount = entry.get("item_refund_amount") not in (None, "")
            if has_qty == has_amount:
                raise errors.invalid_param(f"items[{n}]: give exactly one of item_refund_quantity and "
                                           "item_refund_amount", error_data={"blame_field_specs": [["items", n]]})
            if has_qty:
                if order_offers:
                    raise errors.invalid_param(
                        "This order has order-level offers: only amount-based refunds (item_refund_amount) are "
                        "supported; see amount_available_for_refund", error_data={"blame_field_specs": [["items", n]]})
                k = _quantity(entry, "item_refund_quantity", n)
                quantities[line["id"]] = quantities.get(line["id"], 0) + k
            else:
                minor = _money_param(entry["item_refund_amount"], cur, f"items[{n}].item_refund_amount")
                if minor == 0:
                    raise errors.invalid_param(f"items[{n}].item_refund_amount must be more than zero")
                amounts[line["id"]] = amounts.get(line["id"], 0) + minor
    lines_out, subtotal, tax, buyer, meta = [], 0, 0, 0, 0
    for line in order.data["items"]:
        k = quantities.get(line["id"], 0)
        value = line_value(line)
        if k:
            if k > line["shipped"] - line["refunded_qty"]:
                raise errors.invalid_param(
                    f"Cannot refund {k} of item {line['id']} ({line['retailer_id']}): only "
                    f"{line['shipped'] - line['refunded_qty']} shipped and not refunded",
                    error_data={"blame_field_specs": [["items"]]})
            amt = units_share(value, line["quantity"], line["refunded_qty"], k)
        elif full:
            amt = available_for_refund(line)
            k = line["shipped"] - line["refunded_qty"] if amt else 0
        else:
            amt = amounts.get(line["id"], 0)
        if not amt and not k:
            continue
        if amt > available_for_refund(line):
            raise errors.invalid_param(
                f"Cannot refund {amount_str(amt, cur)} {cur} for item {line['id']} ({line['retailer_id']}): "
                f"{amount_str(available_for_refund(line), cur)} {cur} is available for refund",
                error_data={"blame_field_specs": [["items"]]})
        # Meta's part: in proportion to what the buyer and Meta paid for the fulfilled units
        # (Build Offers Integration, Step 6).
        to_meta = allocation.meta_part(amt, paid=paid_for_fulfilled(line), meta_paid=meta_paid_for_fulfilled(line),
                                       refunded_before=line["refunded_amount"],
                                       meta_refunded_before=refunded_to_meta(line))
        t = refund_tax(line, amt)
        lines_out.append({"id": line["id"], "retailer_id": line["retailer_id"], "product_id": line["product_id"],
                          "quantity": k, "subtotal": amt, "tax": t, "buyer": amt - to_meta, "meta": to_meta})
        subtotal, tax, buyer, meta = subtotal + amt, tax + t, buyer + amt - to_meta, meta + to_meta
    refunded = order.data.setdefault("refunded", {"subtotal": 0, "shipping": 0, "tax": 0, "deductions": 0,
                                                  "total": 0})
    shipping_left = order.data["totals"]["shipping"] - refunded["shipping"]
    if shipping is not None:
        if not isinstance(shipping, dict) or "shipping_refund" not in shipping:
            raise errors.invalid_param('shipping must be {"shipping_refund": {"amount": ..., "currency": ...}}')
        ship_amt = _money_param(shipping["shipping_refund"], cur, "shipping.shipping_refund")
    else:
        ship_amt = shipping_left if full else 0
    if ship_amt > shipping_left:
        raise errors.invalid_param(f"Cannot refund {amount_str(ship_amt, cur)} {cur} of shipping: "
                                   f"{amount_str(shipping_left, cur)} {cur} is left",
                                   error_data={"blame_field_specs": [["shipping"]]})
    ship_tax = _tax_share(order.data.get("shipping_tax", 0), order.data["totals"]["shipping"], refunded["shipping"],
                          ship_amt)
    deduction_list = []
    for n, d in enumerate(deductions or []):
        if not isinstance(d, dict) or d.get("deduction_type") != "RETURN_SHIPPING":
            raise errors.bad_enum(f"deductions[{n}].deduction_type", ("RETURN_SHIPPING",),
                                  (d or {}).get("deduction_type") if isinstance(d, dict) else d)
        deduction_list.append({"deduction_type": "RETURN_SHIPPING",
                               "amount": _money_param(d.get("deduction_amount"), cur, f"deductions[{n}].deduction_amount")})
    deducted = sum(d["amount"] for d in deduction_list)
    adjust = _money_param(adjustment, cur, "adjustment_amount") if adjustment is not None else 0
    gross = subtotal + ship_amt + tax + ship_tax + adjust
    if not lines_out and not ship_amt and not adjust:
        raise errors.invalid_param("Nothing to refund: no shipped item value or shipping is left")
    if deducted > gross:
        raise errors.invalid_param("Deductions cannot exceed the refund", error_data={"blame_field_specs": [["deductions"]]})
    total = gross - deducted
    if refunded["total"] + total > order.data["totals"]["total"]:
        raise errors.invalid_param(
            f"The refunds would exceed what was paid for the order ({amount_str(order.data['totals']['total'], cur)} "
            f"{cur})")
    for out in lines_out:
        line = next(item for item in order.data["items"] if item["id"] == out["id"])
        line["refunded_meta"] = refunded_to_meta(line) + out["meta"]
        line["refunded_tax"] = refunded_tax(line) + out["tax"]
        line["refunded_amount"] += out["subtotal"]
        line["refunded_qty"] += out["quantity"]
    refunded["subtotal"] += subtotal
    refunded["shipping"] += ship_amt
    refunded["tax"] += tax + ship_tax
    refunded["deductions"] += deducted
    refunded["total"] += total
    # Shipping and adjustments come back to the buyer; deductions are kept from the buyer's part.
    node = child(REFUND, order, currency=cur, reason_code=reason_code, reason_text=reason_text or "", items=lines_out,
                 subtotal=subtotal, shipping=ship_amt, tax=tax + ship_tax, deductions=deducted,
                 deduction_list=deduction_list, adjustment=adjust, total=total,
                 buyer=buyer + ship_amt + tax + ship_tax + adjust - deducted, meta=meta,
                 return_id=ret.gid if ret else "", created=iso(timezone.now()))
    if ret is not None:
        ret.data["status"] = "REFUNDED"
        ret.data["last_updated"] = iso(timezone.now())
        ret.save(update_fields=["data", "updated"])
    order.data["has_refunds"] = True
    touch(order)
    save(order)
    return node


@route("POST", f"{{order:{ORDER}}}/refunds", perms=WRITE_PERMS, idempotency="required", removed_in=REMOVED_IN,
       params=(P("reason_code", "enum", enum=REFUND_REASONS, required=True), P("reason_text"),
               P("items", "list<map>"), P("shipping", "map"), P("deductions", "list<map>"),
               P("adjustment_amount", "map"), P("return_id")))
def create_refund(ctx):
    gate(ctx)
    a = ctx.args
    refund(ctx.node, reason_code=a["reason_code"], reason_text=a.get("reason_text") or "", items=a.get("items"),
           shipping=a.get("shipping"), deductions=a.get("deductions"), adjustment=a.get("adjustment_amount"),
           return_id=a.get("return_id") or "")
    return {"success": True}
