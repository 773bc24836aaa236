"""Control calls for orders (`/graph-sandbox/_control/orders...`): the buyer and Meta as actors.

- `POST orders`: a buyer places orders (items by retailer id, quantities, prices, channel,
  shipping option, tax rate, and every discount type; `count` places many at once).
- `GET orders?cms_id=&state=`: the orders of a merchant (ids and states).
- `GET orders/<id>`: an order's full state (totals, items, shipments, payments, cancellations,
  refunds, returns, acknowledgements) for tests to assert exact figures.
- `POST orders/<id>/release`: Meta's checks end, FB_PROCESSING → CREATED.
- `POST orders/<id>/buyer_cancel`: the buyer cancels (all or some unshipped items).
- `POST orders/<id>/return_request`: the buyer asks to return shipped items.
- `POST orders/<id>/meta_refund`: Meta refunds the buyer (support case, dispute):
  reason FACEBOOK_INITIATED unless told otherwise.
- `POST orders/removed`: `{"removed": true}` plays the world after 2026-10-27, where every
  order call answers code 12 on every version.

The spec of `POST orders` is in meta_sandbox/actions/buyer.py.
"""

from __future__ import annotations

from django.db import transaction
from django.urls import path

from .. import errors
from ..actions.buyer import place_orders
from ..control import ControlError, control
from ..endpoints.orders.cancellations import cancel
from ..endpoints.orders.common import ORDER, set_removed
from ..endpoints.orders.listing import release
from ..endpoints.orders.refunds import refund
from ..endpoints.orders.returns import create_return
from ..endpoints.orders.state import find_orders, state_of
from ..models import Node


def _cms(body: dict) -> Node:
    cms_id, business_id = body.get("cms_id"), body.get("business_id")
    qs = Node.objects.of_type("commerce_merchant_settings")
    if cms_id:
        cms = qs.filter(pk=Node.pk_from_gid(str(cms_id)) or 0).first()
    elif business_id:
        cms = qs.filter(business_id=str(business_id)).order_by("pk").first()
    else:
        raise ControlError("cms_id (or business_id) is required")
    if cms is None:
        raise ControlError(f"no commerce merchant settings {cms_id or business_id}", 404)
    return cms


def _order(order_id: str) -> Node:
    order = Node.objects.of_type(ORDER).filter(pk=Node.pk_from_gid(order_id) or 0).first()
    if order is None:
        raise ControlError(f"no order {order_id}", 404)
    return order


def _lock(order: Node) -> Node:
    return Node.objects.select_for_update().get(pk=order.pk)


def _graph_errors(fn):
    """Meta's refusals (a GraphError from the order rules) answer 400 with Meta's message."""

    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except errors.GraphError as exc:
            raise ControlError(exc.message)

    return wrapper


# --- views ----------------------------------------------------------------------------------------


@control("GET", "POST")
def orders_view(request, body):
    if request.method == "GET":
        qs = find_orders(cms_id=request.GET.get("cms_id"), business_id=request.GET.get("business_id"),
                           state=request.GET.get("state"))
        return {"data": [{"id": n.gid, "state": n.data["state"], "merchant_order_id": n.data.get("merchant_order_id")}
                         for n in qs]}
    count = body.get("count", 1)
    if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= 100_000:
        raise ControlError("count must be an integer between 1 and 100000")
    with transaction.atomic():
        cms = _cms(body)
        placed = place_orders(cms, body, count)
        if count > 20:
            return {"count": len(placed), "ids": [n.gid for n in placed]}
        return {"count": len(placed), "data": [state_of(n) for n in placed]}


@control("GET")
def order_view(request, body, order_id: str):
    return state_of(_order(order_id))


@control("POST")
@_graph_errors
def release_view(request, body, order_id: str):
    with transaction.atomic():
        order = _lock(_order(order_id))
        try:
            release(order)
        except ValueError as exc:
            raise ControlError(str(exc))
        return state_of(order)


@control("POST")
@_graph_errors
def buyer_cancel_view(request, body, order_id: str):
    with transaction.atomic():
        order = _lock(_order(order_id))
        if order.data["state"] == "COMPLETED":
            raise ControlError("a completed order cannot be cancelled by the buyer")
        reason = {"reason_code": "CUSTOMER_REQUESTED",
                  "reason_description": body.get("reason_description") or "Buyer cancelled the order"}
        node = cancel(order, items=body.get("items"), reason=reason, restock=True, initiator="buyer")
        return {"cancellation_id": node.gid, **state_of(order)}


@control("POST")
@_graph_errors
def return_request_view(request, body, order_id: str):
    with transaction.atomic():
        order = _lock(_order(order_id))
        ret = create_return(order, items=body.get("items") or [], status="REQUESTED",
                              message=body.get("message") or "", initiator="buyer")
        return {"return_id": ret.gid, **state_of(order)}


@control("POST")
@_graph_errors
def meta_refund_view(request, body, order_id: str):
    with transaction.atomic():
        order = _lock(_order(order_id))
        node = refund(order, reason_code=body.get("reason_code") or "FACEBOOK_INITIATED",
                        reason_text=body.get("reason_text") or "Refunded by Meta support",
                        items=body.get("items"), shipping=body.get("shipping"))
        return {"refund_id": node.gid, **state_of(order)}


@control("POST")
def removed_view(request, body):
    """`{"removed": true}`: every order call answers code 12 on every version."""
    with transaction.atomic():
        return set_removed(bool(body.get("removed", True)))


urlpatterns = [
    path("orders", orders_view),
    path("orders/removed", removed_view),
    path("orders/<str:order_id>", order_view),
    path("orders/<str:order_id>/release", release_view),
    path("orders/<str:order_id>/buyer_cancel", buyer_cancel_view),
    path("orders/<str:order_id>/return_request", return_request_view),
    path("orders/<str:order_id>/meta_refund", meta_refund_view),
]
