"""Seller actions on an order: ship, update tracking, cancel, refund, decide on returns.

Every action, in one transaction with the order row locked:
1. replays a double submission (the form's `submission` token is stored on the record);
2. checks the order's state (orders.states) and the remaining quantities and money
   (never ship more than ordered minus cancelled, never refund more than was paid);
3. writes the local record, its timeline event, a `MetaPush` holding the exact request and
   its idempotency key, and the audit row naming who acted (`actor`: a user, or None for the
   system; shops.audit);
4. on commit, queues the push task (orders.push), which sends it to Meta.
"""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from django_q.tasks import async_task

from catalog.services import move_stock
from orders import states
from orders.errors import ActionError
from orders.locks import lock_items, lock_order
from orders.meta import amount_param
from orders.models import (
    Cancellation,
    CancellationItem,
    MetaPush,
    Order,
    OrderEvent,
    Refund,
    RefundItem,
    Return,
    ReturnDecision,
    Shipment,
    ShipmentItem,
    SyncState,
    TrackingUpdate,
)
from orders.money import RefundPlan, plan_refund
from orders.totals import recount
from shops import audit

__all__ = ["ActionError", "cancel", "decide_return", "refund", "retry_push", "ship", "update_tracking"]


def _guard(order: Order, action: str) -> None:
    try:
        states.require(order, action)
    except states.IllegalTransition as exc:
        raise ActionError(str(exc)) from None


def _push(order: Order, kind: str, path: str, params: dict) -> MetaPush | None:
    """The outbox row for a Meta order (website orders are recorded here only)."""
    if not order.is_meta:
        return None
    push = MetaPush.objects.create(shop_id=order.shop_id, order=order, kind=kind, path=path, params=params)
    transaction.on_commit(lambda: async_task("orders.tasks.push", push.pk, group="orders.push"))
    return push


def _items_param(lines) -> list[dict]:
    return [{"item_id": item.meta_item_id, "quantity": quantity} for item, quantity in lines]


def _pick(items, quantities: dict[int, int], *, limit, what: str) -> list:
    """[(item, quantity)] for the quantities asked, each within `limit(item)`."""
    lines = []
    for item in items:
        k = quantities.get(item.pk, 0)
        if k < 0:
            raise ActionError(_("Quantities cannot be negative."), f"item_{item.pk}")
        if not k:
            continue
        if k > limit(item):
            raise ActionError(_("Only %(n)d unit(s) of %(title)s can be %(what)s.") % {
                "n": limit(item), "title": item.title, "what": what}, f"item_{item.pk}")
        lines.append((item, k))
    if not lines:
        raise ActionError(_("Choose at least one unit."))
    return lines


def _existing(model, order_field: str, order_or_parent, submission: str):
    if not submission:
        return None
    return model.objects.filter(**{order_field: order_or_parent, "submission": submission}).first()


# --- ship -----------------------------------------------------------------------------------------


@transaction.atomic
def ship(shop, order_id: int, *, quantities: dict[int, int], carrier: str, tracking_number: str,
         shipping_method: str = "", submission: str = "", actor=None) -> Shipment:
    order = lock_order(order_id, shop=shop)
    if (done := _existing(Shipment, "order", order, submission)) is not None:
        return done
    _guard(order, "ship")
    items = lock_items(order)
    lines = _pick(items, quantities, limit=lambda item: item.to_ship, what=_("shipped"))
    shipment = Shipment.objects.create(order=order, carrier=carrier, tracking_number=tracking_number,
                                       shipping_method=shipping_method, submission=submission)
    ShipmentItem.objects.bulk_create([ShipmentItem(shipment=shipment, item=item, quantity=k) for item, k in lines])
    tracking = {"carrier": carrier, "tracking_number": tracking_number}
    if shipping_method:
        tracking["shipping_method_name"] = shipping_method
    shipment.push = _push(order, MetaPush.Kind.SHIP, f"{order.meta_order_id}/shipments", {
        "items": _items_param(lines), "tracking_info": tracking, "external_shipment_id": shipment.external_id})
    shipment.save(update_fields=["push"])
    OrderEvent.objects.create(order=order, kind=OrderEvent.Kind.SHIPPED, push=shipment.push,
                              message=f"Shipped {sum(k for _, k in lines)} unit(s) with {carrier} {tracking_number}",
                              params={"carrier": carrier, "tracking": tracking_number,
                                      "units": sum(k for _, k in lines)})
    audit.record(order.shop_id, actor, "order.ship", target=order, summary=f"{order.reference}: shipped",
                 changes={"units": {item.pk: k for item, k in lines}, "carrier": carrier,
                          "tracking_number": tracking_number})
    recount(order)
    return shipment


@transaction.atomic
def update_tracking(shop, order_id: int, shipment_id: int, *, carrier: str, tracking_number: str,
                    submission: str = "", actor=None) -> TrackingUpdate:
    order = lock_order(order_id, shop=shop)
    shipment = Shipment.objects.get(order=order, pk=shipment_id)
    if (done := _existing(TrackingUpdate, "shipment", shipment, submission)) is not None:
        return done
    if shipment.push is not None and shipment.push.state == SyncState.FAILED:
        raise ActionError(_("This shipment did not reach Meta; retry it before changing its tracking."))
    update = TrackingUpdate.objects.create(shipment=shipment, carrier=carrier, tracking_number=tracking_number,
                                           submission=submission)
    shipment.carrier, shipment.tracking_number = carrier, tracking_number
    shipment.save(update_fields=["carrier", "tracking_number"])
    update.push = _push(order, MetaPush.Kind.TRACKING, f"{order.meta_order_id}/update_shipment", {
        "external_shipment_id": shipment.external_id,
        "tracking_info": {"carrier": carrier, "tracking_number": tracking_number}})
    update.save(update_fields=["push"])
    OrderEvent.objects.create(order=order, kind=OrderEvent.Kind.TRACKING, push=update.push,
                              message=f"Tracking changed to {carrier} {tracking_number}",
                              params={"carrier": carrier, "tracking": tracking_number})
    audit.record(order.shop_id, actor, "order.tracking", target=order, summary=f"{order.reference}: tracking",
                 changes={"shipment": shipment.pk, "carrier": carrier, "tracking_number": tracking_number})
    return update


# --- cancel ---------------------------------------------------------------------------------------


@transaction.atomic
def cancel(shop, order_id: int, *, quantities: dict[int, int], reason_code: str, description: str = "",
           restock: bool = True, submission: str = "", actor=None) -> Cancellation:
    order = lock_order(order_id, shop=shop)
    if (done := _existing(Cancellation, "order", order, submission)) is not None:
        return done
    _guard(order, "cancel")
    items = lock_items(order)
    lines = _pick(items, quantities, limit=lambda item: item.to_ship, what=_("cancelled"))
    cancellation = Cancellation.objects.create(order=order, reason_code=reason_code, reason_description=description,
                                               restock=restock, submission=submission)
    CancellationItem.objects.bulk_create([CancellationItem(cancellation=cancellation, item=item, quantity=k)
                                          for item, k in lines])
    reason = {"reason_code": reason_code}
    if description:
        reason["reason_description"] = description
    cancellation.push = _push(order, MetaPush.Kind.CANCEL, f"{order.meta_order_id}/cancellations", {
        "cancel_reason": reason, "restock_items": restock, "items": _items_param(lines)})
    cancellation.save(update_fields=["push"])
    units = sum(k for _, k in lines)
    OrderEvent.objects.create(order=order, kind=OrderEvent.Kind.CANCELLED, push=cancellation.push,
                              message=f"Cancelled {units} unit(s) ({reason_code})",
                              params={"reason": reason_code, "units": units, "restock": restock})
    audit.record(order.shop_id, actor, "order.cancel", target=order, summary=f"{order.reference}: cancelled",
                 changes={"units": {item.pk: k for item, k in lines}, "reason_code": reason_code, "restock": restock})
    if restock and order.stock_taken:
        _restock(order, lines, +1)
    recount(order)
    return cancellation


def _restock(order: Order, lines, sign: int) -> None:
    deltas: dict[int, int] = {}
    for item, k in lines:
        if item.product_id:
            deltas[item.product_id] = deltas.get(item.product_id, 0) + sign * k
    reason = f"order {order.reference}: " + ("stock put back" if sign > 0 else "stock taken again")
    if move_stock(order.shop, deltas, reason=reason):
        OrderEvent.objects.create(order=order, kind=OrderEvent.Kind.STOCK,
                                  message="Stock put back" if sign > 0 else "Stock taken again",
                                  params={"units": sum(k for _, k in lines) * sign})


# --- refund ---------------------------------------------------------------------------------------


def preview_refund(order: Order, **kwargs) -> RefundPlan:
    """The refund's money without recording anything (the confirmation step)."""
    return plan_refund(order, list(order.items.all()), **kwargs)


@transaction.atomic
def refund(shop, order_id: int, *, quantities: dict[int, int] | None = None, amounts: dict[int, int] | None = None,
           shipping_minor: int = 0, deduction_minor: int = 0, reason_code: str, reason_text: str = "",
           return_id: int | None = None, submission: str = "", actor=None) -> Refund:
    order = lock_order(order_id, shop=shop)
    if (done := _existing(Refund, "order", order, submission)) is not None:
        return done
    _guard(order, "refund")
    ret = None
    if return_id is not None:
        ret = Return.objects.get(order=order, pk=return_id)
        if not ret.is_open:
            raise ActionError(_("This return is closed; it cannot be refunded again."))
    items = lock_items(order)
    plan = plan_refund(order, items, quantities=quantities, amounts=amounts, shipping_minor=shipping_minor,
                       deduction_minor=deduction_minor)
    record = Refund.objects.create(
        order=order, reason_code=reason_code, reason_text=reason_text, by_amount=plan.by_amount, ret=ret,
        subtotal_minor=plan.subtotal_minor, shipping_minor=plan.shipping_minor, tax_minor=plan.tax_minor,
        deduction_minor=plan.deduction_minor, total_minor=plan.total_minor, meta_part_minor=plan.meta_minor,
        submission=submission)
    RefundItem.objects.bulk_create([RefundItem(refund=record, item=line.item, quantity=line.quantity,
                                               amount_minor=line.amount_minor, tax_minor=line.tax_minor)
                                    for line in plan.lines])
    params: dict = {"reason_code": reason_code, "items": [
        {"item_id": line.item.meta_item_id, "item_refund_amount": amount_param(line.amount_minor, order.currency)}
        if plan.by_amount or line.by_amount else {"item_id": line.item.meta_item_id, "item_refund_quantity": line.quantity}
        for line in plan.lines]}
    if reason_text:
        params["reason_text"] = reason_text
    if plan.shipping_minor:
        params["shipping"] = {"shipping_refund": amount_param(plan.shipping_minor, order.currency)}
    if plan.deduction_minor:
        params["deductions"] = [{"deduction_type": "RETURN_SHIPPING",
                                 "deduction_amount": amount_param(plan.deduction_minor, order.currency)}]
    if ret is not None and ret.meta_return_id:
        params["return_id"] = ret.meta_return_id
    record.push = _push(order, MetaPush.Kind.REFUND, f"{order.meta_order_id}/refunds", params)
    record.save(update_fields=["push"])
    OrderEvent.objects.create(order=order, kind=OrderEvent.Kind.REFUNDED, push=record.push,
                              message=f"Refund of {plan.total} ({reason_code})",
                              params={"reason": reason_code, "total_minor": plan.total_minor})
    audit.record(order.shop_id, actor, "order.refund", target=order, summary=f"{order.reference}: refund {plan.total}",
                 changes={"total_minor": plan.total_minor, "reason_code": reason_code,
                          "lines": {line.item.pk: line.amount_minor for line in plan.lines},
                          "shipping_minor": plan.shipping_minor})
    recount(order)
    return record


# --- returns --------------------------------------------------------------------------------------


@transaction.atomic
def decide_return(shop, order_id: int, return_id: int, *, event: str, merchant_return_id: str = "",
                  notes: str = "", submission: str = "", actor=None) -> ReturnDecision:
    """Approve (with our return id), decline or close a return."""
    order = lock_order(order_id, shop=shop)
    ret = Return.objects.select_for_update().get(order=order, pk=return_id)
    if (done := _existing(ReturnDecision, "ret", ret, submission)) is not None:
        return done
    _guard(order, "return")
    pending = ret.decisions.filter(push__state=SyncState.PENDING).exists()
    allowed = {
        ReturnDecision.Event.ACCEPT: (Return.Status.REQUESTED,),
        ReturnDecision.Event.DISAPPROVE: (Return.Status.REQUESTED,),
        ReturnDecision.Event.CLOSE: (Return.Status.APPROVED, Return.Status.REFUNDED),
    }[event]
    if ret.status not in allowed or pending:
        raise ActionError(_("This return is %(status)s; that decision is not possible now.") % {
            "status": ret.get_status_display()})
    if not ret.meta_return_id and order.is_meta:
        raise ActionError(_("Meta has not reported this return yet."))
    params: dict = {"update_event": event}
    if event == ReturnDecision.Event.ACCEPT:
        merchant_return_id = merchant_return_id or ret.merchant_return_id or f"R-{order.reference}-{ret.pk}"
        ret.merchant_return_id = merchant_return_id
        ret.save(update_fields=["merchant_return_id", "updated_at"])
        params["merchant_return_id"] = merchant_return_id
    if notes:
        params["notes"] = notes
    try:
        with transaction.atomic():
            decision = ReturnDecision.objects.create(ret=ret, event=event, notes=notes, submission=submission)
    except IntegrityError:
        return ReturnDecision.objects.get(ret=ret, submission=submission)
    decision.push = _push(order, MetaPush.Kind.RETURN, f"{ret.meta_return_id}/update_return", params)
    decision.save(update_fields=["push"])
    if decision.push is None:  # website order: the decision applies at once
        ret.status = RETURN_RESULT[event]
        ret.save(update_fields=["status", "updated_at"])
    OrderEvent.objects.create(order=order, kind=OrderEvent.Kind.RETURN_UPDATED, push=decision.push,
                              message=f"Return {ret.meta_return_id or ret.pk}: {event}",
                              params={"event": event, "return": ret.pk})
    audit.record(order.shop_id, actor, "order.return", target=order, summary=f"{order.reference}: return {event}",
                 changes={"return": ret.pk, "event": event, "merchant_return_id": merchant_return_id})
    recount(order)
    return decision


RETURN_RESULT = {
    ReturnDecision.Event.ACCEPT: Return.Status.APPROVED,
    ReturnDecision.Event.DISAPPROVE: Return.Status.DISAPPROVED,
    ReturnDecision.Event.CLOSE: Return.Status.MERCHANT_MARKED_COMPLETED,
}


# --- failed pushes -------------------------------------------------------------------------------


@transaction.atomic
def retry_push(shop, order_id: int, push_id: int, *, actor=None) -> MetaPush:
    """The Retry button: the same request and key again (Meta applied nothing, or replays)."""
    order = lock_order(order_id, shop=shop)
    push = MetaPush.objects.select_for_update().get(order=order, pk=push_id)
    if push.state != SyncState.FAILED:
        return push
    push.state, push.next_attempt_at, push.attempts = SyncState.PENDING, None, 0
    push.save(update_fields=["state", "next_attempt_at", "attempts"])
    transaction.on_commit(lambda: async_task("orders.tasks.push", push.pk, group="orders.push"))
    audit.record(order.shop_id, actor, "order.retry", target=order, summary=f"{order.reference}: sent again",
                 changes={"push": push.pk, "kind": push.kind})
    recount(order)
    return push


@transaction.atomic
def discard_push(shop, order_id: int, push_id: int, *, actor=None) -> None:
    """Give up a failed change: its local record goes away (units become available again)."""
    order = lock_order(order_id, shop=shop)
    push = MetaPush.objects.select_for_update().get(order=order, pk=push_id)
    if push.state != SyncState.FAILED:
        raise ActionError(_("Only a change that failed can be discarded."))
    if push.kind == MetaPush.Kind.CANCEL:
        cancellation = Cancellation.objects.filter(push=push).first()
        if cancellation is not None:
            if cancellation.restock and order.stock_taken:
                _restock(order, [(ci.item, ci.quantity) for ci in cancellation.items.select_related("item")], -1)
            cancellation.delete()
    for model in (Shipment, Refund, TrackingUpdate, ReturnDecision):
        model.objects.filter(push=push).delete()
    OrderEvent.objects.create(order=order, kind=OrderEvent.Kind.NOTE, message="A change that failed was discarded",
                              params={"kind": push.kind})
    audit.record(order.shop_id, actor, "order.discard", target=order, summary=f"{order.reference}: change discarded",
                 changes={"push": push.pk, "kind": push.kind})
    push.delete()
    recount(order)
