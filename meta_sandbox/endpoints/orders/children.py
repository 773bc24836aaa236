"""The nodes under an order (shipments, payments, cancellations, refunds, returns) and their read edges."""

from __future__ import annotations

from datetime import UTC, datetime

from ...models import Node
from ...params import P
from ...router import Computed, Value, edge, node_type
from .common import (
    CANCELLATION,
    ORDER,
    PAYMENT,
    READ_PERMS,
    REFUND,
    RETURN,
    RETURN_STATUSES,
    SHIPMENT,
    _flagged,
    _gated,
    amount,
    amount_str,
    children,
)

# Shipments and their payments.
node_type(SHIPMENT, label="CommerceOrderShipment", perms=READ_PERMS, addressable=False,
          default_fields=("id",), fields={
              "external_shipment_id": Value(),
              "tracking_info": Value(),
              "shipment_date": Value(),
              "fulfillment": Value(),
              "shipping_method_name": Computed(lambda ctx, n: (n.data.get("tracking_info") or {}).get(
                  "shipping_method_name")),
          })


def _simple_items(node: Node, fields=("id", "retailer_id", "product_id", "quantity")) -> list[dict]:
    return [{k: item[k] for k in (*fields, "promotion_allocations") if k in item} for item in node.data["items"]]


for _type in (SHIPMENT, CANCELLATION):
    edge(_type, "items", paged=False, item_label="CommerceOrderItem",
         item_fields=("id", "retailer_id", "product_id", "quantity", "promotion_allocations"),
         perms=READ_PERMS)(lambda ctx, node, args: _simple_items(node))


@edge(ORDER, "shipments", item_label="CommerceOrderShipment", perms=READ_PERMS)
@_flagged("has_shipments")
def order_shipments(ctx, order, args):
    return children(SHIPMENT, order)


node_type(PAYMENT, label="CommerceOrderPayment", perms=READ_PERMS, addressable=False,
          default_fields=("id", "total_amount"), fields={
              "total_amount": Computed(lambda ctx, n: amount(n.data["total"], n.data["currency"])),
              "shipment_id": Value(),
              "created": Value(),
          })


@edge(PAYMENT, "items", paged=False, item_label="CommerceOrderPaymentItem",
      item_fields=("id", "quantity", "promotion_allocations"), perms=READ_PERMS)
def payment_items(ctx, node, args):
    return [dict(item) for item in node.data["items"]]


@edge(ORDER, "payments", item_label="CommerceOrderPayment", perms=READ_PERMS)
@_flagged("has_shipments")
def order_payments(ctx, order, args):
    return children(PAYMENT, order)


# Cancellations.
node_type(CANCELLATION, label="CommerceOrderCancellation", perms=READ_PERMS, addressable=False,
          default_fields=("id", "cancel_reason"), fields={
              "cancel_reason": Value(),
              "restock_items": Value(default=False),
              "created": Value(),
              "initiator": Value(),
          })


@edge(ORDER, "cancellations", item_label="CommerceOrderCancellation", perms=READ_PERMS)
@_flagged("has_cancellations")
def order_cancellations(ctx, order, args):
    return children(CANCELLATION, order)


# Refunds.
def _refund_amount(ctx, node: Node) -> dict:
    d, cur = node.data, node.data["currency"]
    return {"subtotal": amount_str(d["subtotal"], cur), "shipping": amount_str(d["shipping"], cur),
            "tax": amount_str(d["tax"], cur), "deductions": amount_str(d["deductions"], cur),
            "total": amount_str(d["total"], cur), "amount": amount_str(d["total"], cur), "currency": cur}


def _refund_deductions(ctx, node: Node):
    cur = node.data["currency"]
    return [{"deduction_type": d["deduction_type"], "deduction_amount": amount(d["amount"], cur)}
            for d in node.data.get("deduction_list", [])]


node_type(REFUND, label="CommerceOrderRefund", perms=READ_PERMS, addressable=False,
          default_fields=("id", "refund_amount"), fields={
              "refund_reason": Computed(lambda ctx, n: {k: v for k, v in (("reason_code", n.data["reason_code"]),
                                                                           ("reason_text", n.data.get("reason_text")))
                                                        if v}),
              "refund_amount": Computed(_refund_amount),
              "deductions": Computed(_refund_deductions),
              "return_id": Computed(lambda ctx, n: n.data.get("return_id") or None),
              "buyer_refund_amount": Computed(lambda ctx, n: amount(n.data["buyer"], n.data["currency"])),
              "facebook_refund_amount": Computed(lambda ctx, n: amount(n.data["meta"], n.data["currency"])),
              "created": Value(),
          })


@edge(REFUND, "items", paged=False, item_label="CommerceOrderRefundItem",
      item_fields=("id", "product_id", "retailer_id", "refund_subtotal", "refund_tax", "quantity"), perms=READ_PERMS)
def refund_items(ctx, node, args):
    cur = node.data["currency"]
    return [{"id": i["id"], "product_id": i["product_id"], "retailer_id": i["retailer_id"],
             "refund_subtotal": amount(i["subtotal"], cur), "refund_tax": amount(i["tax"], cur),
             "quantity": i["quantity"]} for i in node.data["items"]]


@edge(ORDER, "refunds", item_label="CommerceOrderRefund", perms=READ_PERMS)
@_flagged("has_refunds")
def order_refunds(ctx, order, args):
    return children(REFUND, order)


# Returns, as Meta's Returns API documents the return node (developers.facebook.com/documentation/
# ads-commerce/commerce-platform/order-management/returns-api): `return_status` (the default field;
# there is no `status`), `return_message`, `merchant_return_id`, `item_return_quantities` and
# `item_return_reasons` as [{key: item id, value}], `items` (the subset of the order's items) and
# `order`. Fields Meta does not list there (status, order_id, created, notes) are not served.
def _keyed(name: str):
    return lambda ctx, n: [{"key": item["id"], "value": item[name]} for item in n.data["items"]
                           if item.get(name) not in (None, "")]


node_type(RETURN, label="CommerceReturn", perms=READ_PERMS, default_fields=("id", "return_status"), fields={
    "return_status": Computed(_gated(lambda ctx, n: n.data["status"])),
    "merchant_return_id": Computed(lambda ctx, n: n.data.get("merchant_return_id") or None),
    "return_message": Value(),
    "item_return_quantities": Computed(_gated(_keyed("quantity"))),
    "item_return_reasons": Computed(_gated(_keyed("reason"))),
    "order": Computed(_gated(lambda ctx, n: {"id": n.parent_id})),
})


def _returned_order_items(ctx, node, args):
    """The order's items the return is about, as order items (their own quantity is the line's;
    how many units come back is in `item_return_quantities`)."""
    order = Node.objects.filter(pk=Node.pk_from_gid(node.parent_id) or 0).first()
    lines = {line["id"]: line for line in (order.data.get("items", []) if order else [])}
    out = []
    for item in node.data["items"]:
        line = lines.get(item["id"], item)
        out.append({k: line[k] for k in ("id", "retailer_id", "product_id", "product_name", "quantity") if k in line})
    return out


edge(RETURN, "items", paged=False, item_label="CommerceOrderItem",
     item_fields=("id", "retailer_id", "product_id", "product_name", "quantity"),
     perms=READ_PERMS)(_gated(_returned_order_items))


RETURN_LIST_PARAMS = (P("statuses", "list<enum>", enum=RETURN_STATUSES), P("merchant_return_id"))


def _filter_returns(qs, args):
    if args.get("statuses"):
        qs = qs.filter(data__status__in=args["statuses"])
    if args.get("merchant_return_id"):
        qs = qs.filter(data__merchant_return_id=args["merchant_return_id"])
    return qs


@edge(ORDER, "returns", item_label="CommerceReturn", perms=READ_PERMS, params=RETURN_LIST_PARAMS)
@_flagged("has_returns")
def order_returns(ctx, order, args):
    return _filter_returns(children(RETURN, order), args)


@edge("commerce_merchant_settings", "returns", item_label="CommerceReturn", perms=READ_PERMS, params=(
    *RETURN_LIST_PARAMS, P("start_time_created", "datetime"), P("end_time_created", "datetime"),
))
@_gated
def cms_returns(ctx, cms, args):
    order_ids = Node.objects.of_type(ORDER).filter(parent_id=cms.gid).values_list("pk", flat=True)
    qs = Node.objects.of_type(RETURN).filter(business_id=cms.business_id)
    qs = qs.filter(parent_id__in=[str(Node(pk=pk).gid) for pk in order_ids.filter(data__has_returns=True)])
    if args.get("start_time_created"):
        qs = qs.filter(created__gte=datetime.fromtimestamp(args["start_time_created"], tz=UTC))
    if args.get("end_time_created"):
        qs = qs.filter(created__lte=datetime.fromtimestamp(args["end_time_created"], tz=UTC))
    return _filter_returns(qs, args)
