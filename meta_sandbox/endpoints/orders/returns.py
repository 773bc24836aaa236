"""Returns: the buyer's requests, the seller's returns and their updates (META_API §3.11)."""

from __future__ import annotations

from django.utils import timezone

from ... import errors
from ...models import Node
from ...params import P
from ...router import Reply, route
from .common import ORDER, REMOVED_IN, RETURN, RETURN_EVENTS, WRITE_PERMS, child, children, gate, iso, save, touch
from .items import _quantity, resolve_items

# --- returns ---------------------------------------------------------------------------------------


def create_return(order: Node, *, items: list[dict], status: str, message: str = "", merchant_return_id: str = "",
                  initiator: str = "buyer") -> Node:
    if order.data["state"] not in ("IN_PROGRESS", "COMPLETED"):
        raise errors.invalid_param("Only shipped items can be returned")
    if not items:
        raise errors.required_param("items")
    open_returns = children(RETURN, order).filter(data__status__in=["REQUESTED", "APPROVED"])
    claimed: dict[str, int] = {}
    for ret in open_returns:
        for item in ret.data["items"]:
            claimed[item["id"]] = claimed.get(item["id"], 0) + item["quantity"]
    out = []
    for n, (line, entry) in enumerate(resolve_items(order, items)):
        k = _quantity(entry, "quantity", n)
        free = line["shipped"] - line["refunded_qty"] - claimed.get(line["id"], 0)
        if k > free:
            raise errors.invalid_param(f"items[{n}]: only {max(free, 0)} unit(s) of item {line['id']} can be returned")
        claimed[line["id"]] = claimed.get(line["id"], 0) + k
        out.append({"id": line["id"], "retailer_id": line["retailer_id"], "product_id": line["product_id"],
                    "quantity": k, "reason": str(entry.get("reason") or "")})
    now = iso(timezone.now())
    ret = child(RETURN, order, status=status, items=out, return_message=message,
                merchant_return_id=merchant_return_id, created=now, last_updated=now, initiator=initiator,
                history=[{"status": status, "at": now}])
    order.data["has_returns"] = True
    touch(order)
    save(order)
    return ret


def update_return(ret: Node, *, event: str, merchant_return_id: str = "", notes: str = "") -> Node:
    status = ret.data["status"]
    if event == "ACCEPT_RETURN":
        if status != "REQUESTED":
            raise errors.invalid_param(f"Only a requested return can be accepted; this one is {status}")
        if not merchant_return_id:
            raise errors.required_param("merchant_return_id")
        new = "APPROVED"
    elif event == "DISAPPROVE_RETURN":
        if status != "REQUESTED":
            raise errors.invalid_param(f"Only a requested return can be disapproved; this one is {status}")
        new = "DISAPPROVED"
    elif event == "CLOSE_RETURN":
        if status not in ("APPROVED", "REFUNDED"):
            raise errors.invalid_param(f"Only an approved return can be closed; this one is {status}")
        new = "MERCHANT_MARKED_COMPLETED"
    else:
        raise errors.bad_enum("update_event", RETURN_EVENTS, event)
    now = iso(timezone.now())
    if merchant_return_id:
        ret.data["merchant_return_id"] = merchant_return_id
    if notes:
        ret.data["notes"] = notes
    ret.data["status"] = new
    ret.data["last_updated"] = now
    ret.data.setdefault("history", []).append({"status": new, "at": now, "event": event})
    ret.save(update_fields=["data", "updated"])
    order = Node.objects.get(pk=Node.pk_from_gid(ret.parent_id))
    touch(order)
    save(order)
    return ret


@route("POST", f"{{order:{ORDER}}}/returns", perms=WRITE_PERMS, idempotency="required", removed_in=REMOVED_IN,
       params=(P("items", "list<map>", required=True), P("merchant_return_id", required=True), P("return_message"),
               P("update", "map")))
def create_seller_return(ctx):
    """A return the seller opens (already approved), SDK v20 shape."""
    gate(ctx)
    a = ctx.args
    ret = create_return(ctx.node, items=a["items"], status="APPROVED", message=a.get("return_message") or "",
                        merchant_return_id=a["merchant_return_id"], initiator="merchant")
    return {"id": ret.gid}


@route("POST", f"{{ret:{RETURN}}}/update_return", perms=WRITE_PERMS, idempotency="required",
       removed_in=REMOVED_IN, params=(P("update_event", "enum", enum=RETURN_EVENTS, required=True),
                                      P("merchant_return_id"), P("notes"), P("return_shipping_labels", "list<map>")))
def update_return_route(ctx):
    gate(ctx)
    order = Node.objects.filter(pk=Node.pk_from_gid(ctx.node.parent_id) or 0, type=ORDER).first()
    if order is None:
        raise errors.unsupported("POST", ctx.node.gid)
    update_return(ctx.node, event=ctx.args["update_event"], merchant_return_id=ctx.args.get("merchant_return_id") or "",
                  notes=ctx.args.get("notes") or "")
    return Reply({"success": True})
