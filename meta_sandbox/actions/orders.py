"""The buyer and Meta as actors on placed orders (release, buyer cancellations, return requests,
Meta's refunds, the API's removal), plus looking orders up. Placing orders is in `buyer`."""

from __future__ import annotations

from contextlib import contextmanager

from django.db import transaction

from .. import errors
from ..endpoints.orders.cancellations import cancel
from ..endpoints.orders.common import ORDER, set_removed
from ..endpoints.orders.listing import register_app, release
from ..endpoints.orders.refunds import refund
from ..endpoints.orders.returns import create_return
from ..endpoints.orders.state import find_orders, state_of
from ..models import Node
from . import ControlError, not_found


@contextmanager
def _meta_refusals():
    """Meta's refusals (a GraphError from the order rules) become a ControlError with Meta's message."""
    try:
        yield
    except errors.GraphError as exc:
        raise ControlError(exc.message)


def _order(order_id: str) -> Node:
    order = Node.objects.of_type(ORDER).filter(pk=Node.pk_from_gid(str(order_id)) or 0).first()
    if order is None:
        raise not_found("order", order_id)
    return order


def _locked(order_id: str) -> Node:
    return Node.objects.select_for_update().get(pk=_order(order_id).pk)


def merchant(cms_id: str) -> Node:
    cms = Node.objects.of_type("commerce_merchant_settings").filter(pk=Node.pk_from_gid(str(cms_id)) or 0).first()
    if cms is None:
        raise not_found("commerce_merchant_settings", cms_id)
    return cms


def list_orders(*, cms_id: str | None = None, business_id: str | None = None, state: str | None = None) -> list[dict]:
    """The orders of a merchant or business (ids, states, merchant order ids), oldest first."""
    return [{"id": n.gid, "state": n.data["state"], "merchant_order_id": n.data.get("merchant_order_id")}
            for n in find_orders(cms_id=cms_id, business_id=business_id, state=state)]


def count_orders(cms_id: str, *, state: str | None = None) -> int:
    return find_orders(cms_id=cms_id, state=state).count()


def order_state(order_id: str) -> dict:
    """Everything about an order as the sandbox holds it (amounts as decimal strings)."""
    return state_of(_order(order_id))


def register_order_app(cms_id: str, app_id: str) -> None:
    """Released orders of this commerce account wait in CREATED for `app_id` from now on."""
    with transaction.atomic():
        register_app(merchant(cms_id), str(app_id))


def release_order(order_id: str) -> dict:
    """Meta's checks end: FB_PROCESSING → CREATED (IN_PROGRESS without an order management app)."""
    with _meta_refusals(), transaction.atomic():
        order = _locked(order_id)
        try:
            release(order)
        except ValueError as exc:
            raise ControlError(str(exc))
        return state_of(order)


def buyer_cancel(order_id: str, *, items: list[dict] | None = None, reason_description: str | None = None) -> dict:
    """The buyer cancels unshipped items (all of them without `items`)."""
    with _meta_refusals(), transaction.atomic():
        order = _locked(order_id)
        if order.data["state"] == "COMPLETED":
            raise ControlError("a completed order cannot be cancelled by the buyer")
        reason = {"reason_code": "CUSTOMER_REQUESTED",
                  "reason_description": reason_description or "Buyer cancelled the order"}
        node = cancel(order, items=items, reason=reason, restock=True, initiator="buyer")
        return {"cancellation_id": node.gid, **state_of(order)}


def request_return(order_id: str, *, items: list[dict], message: str = "") -> dict:
    """The buyer asks to return shipped items (`[{"item_id"|"retailer_id", "quantity"}]`)."""
    with _meta_refusals(), transaction.atomic():
        order = _locked(order_id)
        ret = create_return(order, items=items or [], status="REQUESTED", message=message or "", initiator="buyer")
        return {"return_id": ret.gid, **state_of(order)}


def meta_refund(order_id: str, *, reason_code: str | None = None, reason_text: str | None = None,
                items: list[dict] | None = None, shipping: dict | None = None) -> dict:
    """Meta refunds the buyer (support case, dispute): everything shipped unless `items` say
    otherwise; reason FACEBOOK_INITIATED unless told otherwise."""
    with _meta_refusals(), transaction.atomic():
        order = _locked(order_id)
        node = refund(order, reason_code=reason_code or "FACEBOOK_INITIATED",
                      reason_text=reason_text or "Refunded by Meta support", items=items, shipping=shipping)
        return {"refund_id": node.gid, **state_of(order)}


def set_orders_removed(removed: bool = True) -> dict:
    """On: every order call answers code 12 on every version (the world after 2026-10-27)."""
    with transaction.atomic():
        return set_removed(bool(removed))
