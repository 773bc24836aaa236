"""The console's finance panel: Meta's payments side as an actor (pay out now, open a chargeback,
win or lose it), through the same control actions as `_control/finance...`
(meta_sandbox/actions/finance.py). Registered in console.py (context), urls.py and console.html."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.admin.views.decorators import staff_member_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from . import money
from .actions import ControlError
from .actions import finance as actions
from .endpoints import finance as ledger
from .models import Node

PAYOUT_ROWS = 10
CONTROL_ERRORS = (ControlError, ValueError, LookupError)


def finance_context(request: HttpRequest) -> dict:
    """What the panel shows, read as stored (the page itself changes nothing)."""
    names = {n.gid: n.data.get("name") or n.gid for n in Node.objects.of_type("business")}
    accounts = []
    for cms in Node.objects.of_type("commerce_merchant_settings").order_by("pk"):
        txns = Node.objects.of_type(ledger.TRANSACTION).filter(parent_id=cms.gid)
        accounts.append({"id": cms.gid, "business": names.get(cms.business_id, cms.business_id),
                         "transactions": txns.count(), "pending": txns.filter(data__status="PENDING").count()})
    payouts = [{"ref": p.key, "status": p.data["status"], "cms_id": p.parent_id,
                "amount": money.decimal_text(p.data["amount"], p.data["currency"]), "currency": p.data["currency"]}
               for p in Node.objects.of_type(ledger.PAYOUT).order_by("-pk")[:PAYOUT_ROWS]]
    chargebacks = [{"id": c.gid, "order_id": c.parent_id, "reason": c.data.get("reason") or "",
                    "amount": money.decimal_text(c.data["amount"], c.data["currency"]), "currency": c.data["currency"]}
                   for c in Node.objects.of_type(ledger.CHARGEBACK).filter(data__status="OPEN").order_by("-pk")]
    return {"finance_accounts": accounts, "finance_payouts": payouts, "finance_chargebacks": chargebacks}


def _back():
    return redirect(reverse("sandbox:console") + "#finance")


@staff_member_required
@require_POST
def pay_out_now(request: HttpRequest) -> HttpResponse:
    cms_id = request.POST.get("cms_id", "")
    try:
        made = actions.pay_out_now(cms_id)["payouts"]
    except CONTROL_ERRORS as exc:
        messages.error(request, _("No payout: %(error)s") % {"error": str(exc)})
        return _back()
    if made:
        messages.success(request, _("Paid out: %(payouts)s.") % {"payouts": ", ".join(
            f"{p['payout_reference_id']} {p['amount']} {p['currency']}" for p in made)})
    else:
        messages.success(request, _("Nothing to pay out for %(id)s: no positive pending balance.") % {"id": cms_id})
    return _back()


def _minor(text: str, order_id: str) -> int | None:
    text = (text or "").strip()
    if not text:
        return None
    order = Node.objects.filter(pk=Node.pk_from_gid(order_id) or 0, type="commerce_order").first()
    if order is None:
        raise LookupError(f"no order {order_id}")
    return money.to_minor(text, order.data["currency"])


@staff_member_required
@require_POST
def open_chargeback(request: HttpRequest) -> HttpResponse:
    order_id = (request.POST.get("order_id") or "").strip()
    try:
        row = actions.open_chargeback(order_id, amount_minor=_minor(request.POST.get("amount", ""), order_id),
                                      reason=request.POST.get("reason") or "")
    except CONTROL_ERRORS as exc:
        messages.error(request, _("No chargeback: %(error)s") % {"error": str(exc)})
    else:
        messages.success(request, _("Chargeback of %(amount)s %(currency)s opened on order %(id)s.") % {
            "amount": row["amount"], "currency": row["currency"], "id": order_id})
    return _back()


@staff_member_required
@require_POST
def resolve_chargeback(request: HttpRequest, order_id: str) -> HttpResponse:
    won = request.POST.get("outcome") == "won"
    try:
        actions.resolve_chargeback(order_id, won=won)
    except CONTROL_ERRORS as exc:
        messages.error(request, _("Order %(id)s: %(error)s") % {"id": order_id, "error": str(exc)})
    else:
        messages.success(request, (_("Order %(id)s: the seller won the chargeback; it is reversed.") if won else
                                   _("Order %(id)s: the seller lost the chargeback.")) % {"id": order_id})
    return _back()
