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

from django.urls import path

from ..actions import buyer
from ..actions import orders as actions
from ..control import control

#: Above this many orders, `POST orders` answers their ids rather than their full states.
FULL_STATES_UP_TO = 20


@control("GET", "POST")
def orders_view(request, body):
    if request.method == "GET":
        return {"data": actions.list_orders(cms_id=request.GET.get("cms_id"),
                                            business_id=request.GET.get("business_id"),
                                            state=request.GET.get("state"))}
    count = body.get("count", 1)
    ids = buyer.place_orders(body, count)
    if count > FULL_STATES_UP_TO:
        return {"count": len(ids), "ids": ids}
    return {"count": len(ids), "data": [actions.order_state(order_id) for order_id in ids]}


@control("GET")
def order_view(request, body, order_id: str):
    return actions.order_state(order_id)


@control("POST")
def release_view(request, body, order_id: str):
    return actions.release_order(order_id)


@control("POST")
def buyer_cancel_view(request, body, order_id: str):
    return actions.buyer_cancel(order_id, items=body.get("items"), reason_description=body.get("reason_description"))


@control("POST")
def return_request_view(request, body, order_id: str):
    return actions.request_return(order_id, items=body.get("items") or [], message=body.get("message") or "")


@control("POST")
def meta_refund_view(request, body, order_id: str):
    return actions.meta_refund(order_id, reason_code=body.get("reason_code"), reason_text=body.get("reason_text"),
                               items=body.get("items"), shipping=body.get("shipping"))


@control("POST")
def removed_view(request, body):
    """`{"removed": true}`: every order call answers code 12 on every version."""
    return actions.set_orders_removed(bool(body.get("removed", True)))


urlpatterns = [
    path("orders", orders_view),
    path("orders/removed", removed_view),
    path("orders/<str:order_id>", order_view),
    path("orders/<str:order_id>/release", release_view),
    path("orders/<str:order_id>/buyer_cancel", buyer_cancel_view),
    path("orders/<str:order_id>/return_request", return_request_view),
    path("orders/<str:order_id>/meta_refund", meta_refund_view),
]
