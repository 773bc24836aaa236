"""Acknowledging orders, one at a time or in bulk (META_API §3.7)."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import connection
from django.utils import timezone

from ... import errors
from ...models import Node
from ...params import P
from ...router import route
from .common import (
    ACK_INVALID_ORDER,
    ACK_MAX,
    ACK_WRONG_STATE,
    ORDER,
    REMOVED_IN,
    WRITE_PERMS,
    cms_for,
    gate,
    iso,
    save,
    touch,
)

# --- acknowledge ----------------------------------------------------------------------------------


class AckError(Exception):
    def __init__(self, code: int, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


def references_in_use(cms_gid: str, references: Iterable[str]) -> dict[str, int]:
    """{merchant_order_reference: order pk} among the merchant's orders. Looked up through the
    (type, key) index only: the parent is checked here, so the planner never walks every order
    of the merchant."""
    wanted = [r for r in set(references) if r]
    rows = Node.objects.filter(type=ORDER, key__in=wanted).values_list("key", "pk", "parent_id")
    return {key: pk for key, pk, parent in rows if parent == cms_gid}


def acknowledge(order: Node, reference: str | None, key: str, *, in_use: dict[str, int] | None = None,
                changed: dict[int, Node] | None = None) -> dict:
    """Move one CREATED order to IN_PROGRESS. Raises AckError for a per-order failure.
    `in_use` is `references_in_use()` for a bulk call (kept up to date here); with `changed`
    (a bulk call), the order is collected there and the caller saves them all at once."""
    state = order.data["state"]
    reference = (reference or "").strip()
    current = order.data.get("merchant_order_id") or ""
    if state == "FB_PROCESSING":
        raise AckError(ACK_WRONG_STATE, "Order is still being processed by Facebook and cannot be acknowledged yet")
    if state != "CREATED":
        # Already acknowledged: harmless with the same reference; the reference never changes.
        if not order.data.get("acks") and state == "COMPLETED":
            raise AckError(ACK_WRONG_STATE, "Order was cancelled before it was acknowledged")
        if reference and current and reference != current:
            raise AckError(ACK_WRONG_STATE, "Order was already acknowledged with another merchant_order_reference")
        order.data.setdefault("acks", []).append({"key": key, "reference": reference, "transition": False,
                                                  "at": iso(timezone.now())})
        _save(order, changed)
        return {"id": order.gid, "state": state}
    if reference:
        if len(reference) > 255:
            raise AckError(100, "merchant_order_reference is too long")
        if in_use is None:
            in_use = references_in_use(order.parent_id, [reference])
        if in_use.get(reference, order.pk) != order.pk:
            raise AckError(100, "merchant_order_reference is already used by another order")
        order.data["merchant_order_id"] = reference
        order.key = reference
        in_use[reference] = order.pk
    order.data["state"] = "IN_PROGRESS"
    order.data.setdefault("acks", []).append({"key": key, "reference": reference, "transition": True,
                                              "at": iso(timezone.now())})
    touch(order)
    _save(order, changed)
    return {"id": order.gid, "state": "IN_PROGRESS"}


def _save(order: Node, changed: dict[int, Node] | None) -> None:
    if changed is None:
        save(order)
    else:
        changed[order.pk] = order


def save_all(orders: Iterable[Node]) -> None:
    """Write the orders a bulk acknowledgement changed (`data`, `key`, `updated`: what `save()`
    writes) as one batch of single-row UPDATEs (`executemany`), in the handler's transaction:
    the same as saving each in turn, without building a query per order. (Django's
    `bulk_update` writes one CASE per row and field and costs more than 100 single saves.)"""
    orders = list(orders)
    if not orders:
        return
    meta = Node._meta
    qn = connection.ops.quote_name
    data, updated = meta.get_field("data"), meta.get_field("updated")
    now = updated.get_db_prep_save(timezone.now(), connection)  # what auto_now writes on save()
    sql = (f"UPDATE {qn(meta.db_table)} SET {qn(data.column)} = %s, {qn(meta.get_field('key').column)} = %s, "
           f"{qn(updated.column)} = %s WHERE {qn(meta.pk.column)} = %s")
    with connection.cursor() as cursor:
        cursor.executemany(sql, [(data.get_db_prep_save(order.data, connection), order.key, now, order.pk)
                                 for order in orders])


@route("POST", f"{{order:{ORDER}}}/acknowledge_order", perms=WRITE_PERMS, idempotency="required",
       removed_in=REMOVED_IN, params=(P("merchant_order_reference"), P("return_error_orders", "bool")))
def acknowledge_order(ctx):
    gate(ctx)
    try:
        return acknowledge(ctx.node, ctx.args.get("merchant_order_reference"), ctx.args["idempotency_key"])
    except AckError as exc:
        raise errors.GraphError(f"(#{exc.code}) {exc.message}", code=exc.code)


@route("POST", "{node:commerce_merchant_settings,page}/acknowledge_orders", perms=WRITE_PERMS,
       idempotency="required", removed_in=REMOVED_IN, params=(P("orders", "list<map>", required=True),))
def acknowledge_orders(ctx):
    gate(ctx)
    cms = cms_for(ctx.node)
    requested = ctx.args["orders"]
    if not requested:
        raise errors.invalid_param("orders must name at least one order",
                                   error_data={"blame_field_specs": [["orders"]]})
    if len(requested) > ACK_MAX:
        raise errors.invalid_param(f"orders can hold at most {ACK_MAX} orders per call (got {len(requested)})",
                                   error_data={"blame_field_specs": [["orders"]]})
    pks = [Node.pk_from_gid(str(o.get("id", ""))) for o in requested]
    found = {n.gid: n for n in Node.objects.filter(pk__in=[pk for pk in pks if pk], type=ORDER, deleted=False,
                                                   parent_id=cms.gid)}
    in_use = references_in_use(cms.gid, [str(o.get("merchant_order_reference") or "").strip() for o in requested])
    results = []
    changed: dict[int, Node] = {}
    for entry in requested:
        gid = str(entry.get("id", ""))
        order = found.get(gid)
        if order is None:
            results.append({"id": gid, "error": {"error_code": ACK_INVALID_ORDER, "error_message": "Invalid Order ID"}})
            continue
        try:
            results.append(acknowledge(order, entry.get("merchant_order_reference"), ctx.args["idempotency_key"],
                                       in_use=in_use, changed=changed))
        except AckError as exc:
            results.append({"id": gid, "error": {"error_code": exc.code, "error_message": exc.message}})
    save_all(changed.values())
    return {"orders": results}
