"""Cancellations of unshipped units, by the seller or the buyer (META_API §3.9)."""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone

from ... import errors
from ...models import Node
from ...params import P
from ...router import route
from .common import (
    CANCEL_REASONS,
    CANCELLATION,
    ORDER,
    REMOVED_IN,
    STUCK_PROCESSING,
    WRITE_PERMS,
    child,
    gate,
    iso,
    save,
    touch,
)
from .figures import allocate_units, complete_if_done, remaining
from .items import _quantity, resolve_items

# --- cancellations ----------------------------------------------------------------------------------


def cancel(order: Node, *, items: list[dict] | None, reason: dict | None, restock: bool,
           initiator: str = "merchant") -> Node:
    state = order.data["state"]
    if state == "FB_PROCESSING" and initiator == "merchant":
        created = datetime.fromisoformat(order.data["created"])
        if timezone.now() - created < STUCK_PROCESSING:
            raise errors.invalid_param("The order is still being processed by Facebook; it can be cancelled once it "
                                       "leaves FB_PROCESSING (or after 24 hours there)")
    if reason is not None:
        if not isinstance(reason, dict):
            raise errors.bad_type("cancel_reason", "a JSON object")
        code = reason.get("reason_code")
        if code is not None and code not in CANCEL_REASONS:
            raise errors.bad_enum("cancel_reason.reason_code", CANCEL_REASONS, code)
    wanted: dict[str, int] = {}
    if items:
        for n, (line, entry) in enumerate(resolve_items(order, items)):
            wanted[line["id"]] = wanted.get(line["id"], 0) + _quantity(entry, "quantity", n)
        for line in order.data["items"]:
            k = wanted.get(line["id"], 0)
            if k > remaining(line):
                raise errors.invalid_param(
                    f"Cannot cancel {k} of item {line['id']} ({line['retailer_id']}): only {remaining(line)} are "
                    "not shipped or cancelled yet", error_data={"blame_field_specs": [["items"]]})
    else:
        wanted = {line["id"]: remaining(line) for line in order.data["items"] if remaining(line)}
        if not wanted:
            raise errors.invalid_param("Nothing left to cancel: every item is shipped or cancelled")
    cancelled = []
    for line in order.data["items"]:
        k = wanted.get(line["id"])
        if not k:
            continue
        allocations = allocate_units(order, line, k)
        line["cancelled"] += k
        cancelled.append({"id": line["id"], "retailer_id": line["retailer_id"], "product_id": line["product_id"],
                          "quantity": k, "promotion_allocations": [
                              {"promotion_id": a["promotion_id"], "allocation_amount": a["allocation_amount"]}
                              for a in allocations]})
    node = child(CANCELLATION, order, items=cancelled, cancel_reason=_clean_reason(reason), restock_items=restock,
                 created=iso(timezone.now()), initiator=initiator)
    order.data["has_cancellations"] = True
    if all(line["cancelled"] == line["quantity"] for line in order.data["items"]):
        order.data["cancelled_all"] = True
        order.data["state"] = "COMPLETED"
    elif order.data["state"] == "IN_PROGRESS":
        complete_if_done(order)
    touch(order)
    save(order)
    return node


def _clean_reason(reason: dict | None) -> dict:
    if not reason:
        return {"reason_code": "CANCEL_REASON_OTHER"}
    out = {"reason_code": reason.get("reason_code") or "CANCEL_REASON_OTHER"}
    if reason.get("reason_description"):
        out["reason_description"] = str(reason["reason_description"])
    return out


@route("POST", f"{{order:{ORDER}}}/cancellations", perms=WRITE_PERMS, idempotency="required",
       removed_in=REMOVED_IN, params=(P("cancel_reason", "map"), P("restock_items", "bool", default=False),
                                      P("items", "list<map>")))
def create_cancellation(ctx):
    gate(ctx)
    a = ctx.args
    cancel(ctx.node, items=a.get("items"), reason=a.get("cancel_reason"), restock=bool(a.get("restock_items")))
    return {"success": True}
