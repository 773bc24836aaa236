"""Seller actions on an order page. Each is two steps: the form, then a review that shows the
money involved and asks to confirm; only the confirmation records the change (with the form's
submission token, so a double submit makes one change) and queues its push to Meta."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kernel.money import Money
from orders import ingest, services, states
from orders.errors import ActionError
from orders.forms import CancelForm, RefundForm, ReturnDecisionForm, ShipForm, TrackingForm
from orders.models import MetaPush, Order, Return, ReturnDecision, Shipment
from orders.money import plan_cancel, refund_amounts_for_units, refund_preview
from orders.views import order_for_page
from shops.tenancy import get_for_shop, shop_view


def _back(order: Order):
    return redirect("orders:detail", shop_id=order.shop_id, order_id=order.pk)


def _apply_error(form, exc: ActionError) -> None:
    """Show the service's refusal where the seller acts: at its field when the page shows that
    field, otherwise at the top of the form."""
    field = exc.field if exc.field in form.fields and not form.fields[exc.field].widget.is_hidden else None
    form.add_error(field, exc.message)


def _blocked(order: Order, action: str) -> str:
    try:
        states.require(order, action)
    except states.IllegalTransition as exc:
        return str(exc)
    return ""


def _step(request) -> str:
    if request.method != "POST":
        return "edit"
    if "confirm" in request.POST:
        return "confirm"
    if "edit" in request.POST:
        return "edit"
    return "review"


def _page(request, template: str, order: Order, form, **context):
    return render(request, template, {"shop": order.shop, "order": order, "form": form, **context})


@shop_view
def ship(request, shop, order_id: int):
    order = order_for_page(shop, order_id)
    blocked = _blocked(order, "ship")
    form = ShipForm(request.POST if request.method == "POST" else None, order=order)
    step = _step(request)
    if blocked or step == "edit" or not form.is_valid():
        return _page(request, "orders/ship.html", order, form, blocked=blocked, step="edit")
    quantities = form.quantities()
    lines = [(item, quantities[item.pk]) for item in form.items if quantities.get(item.pk)]
    if not lines:
        form.add_error(None, _("Choose at least one unit to ship."))
        return _page(request, "orders/ship.html", order, form, step="edit")
    value = Money(sum(item.price_per_unit_minor * k for item, k in lines), order.currency)
    if step == "review":
        return _page(request, "orders/ship.html", order, form, step="review", lines=lines, value=value)
    data = form.cleaned_data
    try:
        services.ship(shop, order.pk, actor=request.user, quantities=quantities, carrier=data["carrier"],
                      tracking_number=data["tracking_number"], shipping_method=data["shipping_method"],
                      submission=data["submission"])
    except ActionError as exc:
        _apply_error(form, exc)
        return _page(request, "orders/ship.html", order, form, step="edit")
    messages.success(request, _("Shipment recorded; it is being sent to Meta."))
    return _back(order)


@shop_view
def tracking(request, shop, order_id: int, shipment_id: int):
    order = order_for_page(shop, order_id)
    shipment = _shipment(order, shipment_id)
    initial = {"carrier": shipment.carrier, "tracking_number": shipment.tracking_number}
    form = TrackingForm(request.POST if request.method == "POST" else None, order=order, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.update_tracking(shop, order.pk, shipment.pk, actor=request.user, carrier=data["carrier"],
                                     tracking_number=data["tracking_number"], submission=data["submission"])
        except ActionError as exc:
            _apply_error(form, exc)
        else:
            messages.success(request, _("Tracking updated; it is being sent to Meta."))
            return _back(order)
    return _page(request, "orders/tracking.html", order, form, shipment=shipment)


def _shipment(order: Order, shipment_id: int) -> Shipment:
    for shipment in order.shipments.all():
        if shipment.pk == shipment_id:
            return shipment
    raise Http404("No such shipment")


@shop_view
def cancel(request, shop, order_id: int):
    order = order_for_page(shop, order_id)
    blocked = _blocked(order, "cancel")
    form = CancelForm(request.POST if request.method == "POST" else None, order=order)
    step = _step(request)
    if blocked or step == "edit" or not form.is_valid():
        return _page(request, "orders/cancel.html", order, form, blocked=blocked, step="edit")
    quantities = form.quantities()
    lines = [(item, quantities[item.pk]) for item in form.items if quantities.get(item.pk)]
    if not lines:
        form.add_error(None, _("Choose at least one unit to cancel."))
        return _page(request, "orders/cancel.html", order, form, step="edit")
    if step == "review":
        return _page(request, "orders/cancel.html", order, form, step="review", lines=lines,
                     cancel=plan_cancel(order, form.items, quantities))
    data = form.cleaned_data
    try:
        services.cancel(shop, order.pk, actor=request.user, quantities=quantities, reason_code=data["reason_code"],
                        description=data["description"], restock=data["restock"], submission=data["submission"])
    except ActionError as exc:
        _apply_error(form, exc)
        return _page(request, "orders/cancel.html", order, form, step="edit")
    messages.success(request, _("Cancellation recorded; it is being sent to Meta."))
    return _back(order)


@shop_view
def refund(request, shop, order_id: int):
    order = order_for_page(shop, order_id)
    blocked = _blocked(order, "refund")
    ret = None
    return_id = request.POST.get("return_id") or request.GET.get("return")
    initial = {}
    if return_id:
        ret = next((r for r in order.returns.all() if str(r.pk) == str(return_id)), None)
        if ret is None:
            raise Http404("No such return")
        initial = _return_initial(order, ret)
    form = RefundForm(request.POST if request.method == "POST" else None, order=order, initial=initial)
    step = _step(request)
    context = {"blocked": blocked, "ret": ret}
    if blocked or step == "edit" or not form.is_valid():
        return _page(request, "orders/refund.html", order, form, step="edit", **context)
    kwargs = form.action_kwargs()
    try:
        plan = services.preview_refund(order, **kwargs)
    except ActionError as exc:
        _apply_error(form, exc)
        return _page(request, "orders/refund.html", order, form, step="edit", **context)
    if step == "review":
        return _page(request, "orders/refund.html", order, form, step="review", plan=plan,
                     preview=refund_preview(order, plan), **context)
    data = form.cleaned_data
    try:
        services.refund(shop, order.pk, actor=request.user, reason_code=data["reason_code"], reason_text=data["reason_text"],
                        return_id=ret.pk if ret else None, submission=data["submission"], **kwargs)
    except ActionError as exc:
        _apply_error(form, exc)
        return _page(request, "orders/refund.html", order, form, step="edit", **context)
    messages.success(request, _("Refund recorded; it is being sent to Meta."))
    return _back(order)


def _return_initial(order: Order, ret: Return) -> dict:
    """Refund a received return: its units (or their value, for orders refunded by amount)."""
    initial = {"return_id": ret.pk, "reason_code": "REFUND_FOR_RETURN"}
    if order.has_order_level_offers:
        initial["mode"] = "amount"
        lines = list(ret.items.select_related("item"))
        # Cumulative shares: refunding the units of several returns one after another adds up to
        # exactly what was paid for the line (never a cent short).
        # (already within what each line has left to refund)
        amounts = refund_amounts_for_units(order, {line.item_id: line.quantity for line in lines})
        for line in lines:
            initial[f"amount_{line.item_id}"] = Money(amounts.get(line.item_id, 0), order.currency).to_decimal_str()
    else:
        initial["mode"] = "quantity"
        for line in ret.items.all():
            initial[f"item_{line.item_id}"] = line.quantity
    return initial


DECISIONS = {"approve": ReturnDecision.Event.ACCEPT, "decline": ReturnDecision.Event.DISAPPROVE,
             "close": ReturnDecision.Event.CLOSE}


@shop_view
def return_decision(request, shop, order_id: int, return_id: int, decision: str):
    if decision not in DECISIONS:
        raise Http404("No such decision")
    order = order_for_page(shop, order_id)
    ret = next((r for r in order.returns.all() if r.pk == return_id), None)
    if ret is None:
        raise Http404("No such return")
    form = ReturnDecisionForm(request.POST if request.method == "POST" else None, order=order,
                              initial={"merchant_return_id": ret.merchant_return_id})
    blocked = _blocked(order, "return")
    if request.method == "POST" and not blocked and form.is_valid():
        data = form.cleaned_data
        try:
            services.decide_return(shop, order.pk, ret.pk, actor=request.user, event=DECISIONS[decision],
                                   merchant_return_id=data["merchant_return_id"], notes=data["notes"],
                                   submission=data["submission"])
        except ActionError as exc:
            _apply_error(form, exc)
        else:
            messages.success(request, _("Decision recorded; it is being sent to Meta."))
            return _back(order)
    return _page(request, "orders/return_decision.html", order, form, ret=ret, decision=decision,
                 blocked=blocked)


@require_POST
@shop_view
def retry(request, shop, order_id: int, push_id: int):
    order = get_for_shop(Order, shop, pk=order_id)
    get_for_shop(MetaPush, shop, pk=push_id, order=order)
    services.retry_push(shop, order.pk, push_id, actor=request.user)
    messages.success(request, _("Sending the change to Meta again."))
    return _back(order)


@require_POST
@shop_view
def discard(request, shop, order_id: int, push_id: int):
    order = get_for_shop(Order, shop, pk=order_id)
    get_for_shop(MetaPush, shop, pk=push_id, order=order)
    try:
        services.discard_push(shop, order.pk, push_id, actor=request.user)
    except ActionError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The change was discarded."))
    return _back(order)


@require_POST
@shop_view
def retry_acknowledgements(request, shop):
    n = ingest.retry_failed_acks(shop)
    messages.success(request, _("%(n)d order(s) will be acknowledged at the next check.") % {"n": n})
    return redirect("orders:index", shop_id=shop.pk)
