"""The staff console at /graph-sandbox/console/: state, faults, switches, webhooks and the
request journal. Staff only (Django's staff login); secrets are masked everywhere."""

from __future__ import annotations

import json

from django import forms
from django.contrib import messages
from django.contrib.admin.views.decorators import staff_member_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_POST

from . import services, webhooks
from .actions import ControlError, NotFound, buyer, faults, orders, world
from .actions import journal as journal_actions
from .actions import webhooks as webhooks_actions
from .console_finance import finance_context
from .endpoints.orders.common import ORDER, amount_str
from .endpoints.orders.common import switches as order_switches
from .forms import FaultForm, JournalFilterForm, SwitchesForm
from .journal import mask
from .models import Fault, Node, WebhookEvent

JOURNAL_ROWS = 100


@staff_member_required
def console(request: HttpRequest) -> HttpResponse:
    config = world.config()
    journal_form = JournalFilterForm(request.GET or None)
    filters = journal_form.cleaned_data if journal_form.is_valid() else {}
    rows = journal_actions.journal_rows(path=filters.get("path") or None, method=filters.get("method") or None,
                                        status=filters.get("status") or None, fault=filters.get("fault") or None,
                                        limit=JOURNAL_ROWS)
    journal = [{**row.as_dict(), "params_json": json.dumps(row.params, indent=1, ensure_ascii=False)}
               for row in rows]
    events = list(WebhookEvent.objects.order_by("-pk").prefetch_related("attempt_set")[:20])
    return render(request, "sandbox/console.html", {
        "state": world.state(),
        "faults": Fault.objects.order_by("pk"),
        "fault_form": FaultForm(),
        "switches_form": SwitchesForm(initial=SwitchesForm.initial_from(config)),
        "journal_form": journal_form,
        "journal": journal,
        "events": [{"event": e, "payload": json.dumps(mask(json.loads(e.body)), indent=1),
                    "attempts": list(e.attempt_set.all())} for e in events],
        "callback_url": webhooks.default_callback_url(),
        "bad_states": services.BAD_STATES,
        **orders_context(request),
        **finance_context(request),
    })


@staff_member_required
@require_POST
def add_fault(request: HttpRequest) -> HttpResponse:
    form = FaultForm(request.POST)
    if form.is_valid():
        faults.arm_fault(form.definition)
        messages.success(request, _("Fault armed."))
    else:
        errors = "; ".join(str(e) for errs in form.errors.values() for e in errs)
        messages.error(request, _("The fault was not armed: %(errors)s") % {"errors": errors})
    return redirect("sandbox:console")


@staff_member_required
@require_POST
def clear_faults(request: HttpRequest) -> HttpResponse:
    fault_id = request.POST.get("fault_id")
    if fault_id and fault_id.isdigit():
        try:
            faults.delete_fault(int(fault_id))
        except NotFound:
            pass  # already gone
    else:
        faults.clear_faults()
    messages.success(request, _("Faults cleared."))
    return redirect("sandbox:console")


@staff_member_required
@require_POST
def switches(request: HttpRequest) -> HttpResponse:
    form = SwitchesForm(request.POST)
    if form.is_valid():
        world.update_config(form.as_patch())
        messages.success(request, _("Switches saved."))
    else:
        errors = "; ".join(str(e) for errs in form.errors.values() for e in errs)
        messages.error(request, _("The switches were not saved: %(errors)s") % {"errors": errors})
    return redirect("sandbox:console")


@staff_member_required
@require_POST
def business_state(request: HttpRequest) -> HttpResponse:
    try:
        world.set_business_state(request.POST.get("business_id", ""), request.POST.get("state", ""),
                                 scope=request.POST.get("scope") or None)
        messages.success(request, _("Business state changed."))
    except (LookupError, ValueError) as exc:
        messages.error(request, str(exc))
    return redirect("sandbox:console")


@staff_member_required
@require_POST
def flush_webhooks(request: HttpRequest) -> HttpResponse:
    result = webhooks_actions.flush_webhooks()
    messages.success(request, _("Webhooks delivered: %(delivered)s, failed: %(failed)s.") % result)
    return redirect("sandbox:console")


# --- Orders: play the buyer and Meta -----------------------------------------------------------------
# Each view calls the control action behind the matching control call (meta_sandbox/actions/), so
# the console validates and changes the sandbox exactly as `_control/orders...` does.

ORDER_ROWS = 20
ORDER_LINES = 3
ORDER_DRAFT_KEY = "sandbox_console_order_draft"
DISCOUNTS = [
    ("none", _lazy("No discount")),
    ("item_amount", _lazy("Item-level amount off on line 1")),
    ("order_amount", _lazy("Order-level amount off (seller-funded)")),
    ("order_percent_meta", _lazy("Order-level percent off (Meta-funded)")),
    ("free_shipping", _lazy("Free shipping")),
    ("bxgy", _lazy("Buy X get Y on line 1 (percent off the free units, 100 if empty)")),
]


class PlaceOrderForm(forms.Form):
    """Renders the buyer's order form. The values go, unvalidated here, to the control call's own
    function, whose errors are shown as messages."""

    cms_id = forms.ChoiceField(label=_lazy("Merchant settings"))
    channel = forms.ChoiceField(label=_lazy("Channel"), choices=[(c, c) for c in buyer.CHANNELS],
                                initial="instagram")
    currency = forms.CharField(label=_lazy("Currency"), initial="USD", max_length=3)
    state = forms.ChoiceField(label=_lazy("Initial state"), initial="CREATED",
                              choices=[("CREATED", "CREATED"), ("FB_PROCESSING", "FB_PROCESSING")])
    shipping_price = forms.CharField(label=_lazy("Shipping price"), initial="5.00")
    tax_rate = forms.CharField(label=_lazy("Tax rate (%)"), initial="0")
    discount = forms.ChoiceField(label=_lazy("Discount"), choices=DISCOUNTS, initial="none")
    discount_value = forms.CharField(label=_lazy("Discount amount or percent"), required=False,
                                     help_text=_lazy("An amount such as 5.00, or a percentage such as 10."))

    def __init__(self, *args, merchants=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["cms_id"].choices = list(merchants)
        for n in range(1, ORDER_LINES + 1):
            self.fields[f"retailer_id_{n}"] = forms.CharField(
                label=_("Line %(n)s: retailer id") % {"n": n}, required=n == 1,
                widget=forms.TextInput(attrs={"list": "sbx-retailer-ids", "autocomplete": "off"}))
            self.fields[f"quantity_{n}"] = forms.CharField(label=_("Line %(n)s: quantity") % {"n": n},
                                                           required=False, initial="1" if n == 1 else "")
            self.fields[f"price_{n}"] = forms.CharField(label=_("Line %(n)s: unit price") % {"n": n},
                                                        required=False, initial="12.00" if n == 1 else "")

    def line_fields(self):
        return [[self[f"retailer_id_{n}"], self[f"quantity_{n}"], self[f"price_{n}"]]
                for n in range(1, ORDER_LINES + 1)]

    def header_fields(self):
        return [self[name] for name in ("cms_id", "channel", "currency", "state", "shipping_price", "tax_rate",
                                        "discount", "discount_value")]


def _merchant_choices() -> list[tuple[str, str]]:
    names = {n.gid: n.data.get("name") or n.gid for n in Node.objects.of_type("business")}
    return [(cms.gid, f"{names.get(cms.business_id, cms.business_id)} ({cms.gid})")
            for cms in Node.objects.of_type("commerce_merchant_settings").order_by("pk")]


def _retailer_ids(limit: int = 200) -> list[dict]:
    """Retailer ids of the products in the merchants' catalogs (for the form's datalist)."""
    catalogs: dict[str, str] = {}
    for cms in Node.objects.of_type("commerce_merchant_settings").order_by("pk"):
        for catalog_id in cms.data.get("catalog_ids", []):
            catalogs.setdefault(catalog_id, cms.gid)
    products = (Node.objects.of_type("product").filter(parent_id__in=list(catalogs))
                .order_by("-pk").only("key", "parent_id", "data")[:limit])
    return [{"retailer_id": p.key, "label": f"{p.data.get('name') or p.key} — {catalogs[p.parent_id]}"}
            for p in products if p.key]


def _order_rows() -> list[dict]:
    names = {n.gid: n.data.get("name") or n.gid for n in Node.objects.of_type("business")}
    rows = []
    for order in Node.objects.of_type(ORDER).order_by("-pk")[:ORDER_ROWS]:
        data = order.data
        shipped = sum(line.get("shipped", 0) for line in data.get("items", []))
        rows.append({"id": order.gid, "cms_id": order.parent_id, "business": names.get(order.business_id, ""),
                     "state": data.get("state"), "currency": data.get("currency"),
                     "total": amount_str(data["totals"]["total"], data["currency"]), "shipped": shipped})
    return rows


def orders_context(request: HttpRequest) -> dict:
    draft = request.session.pop(ORDER_DRAFT_KEY, None)
    merchants = _merchant_choices()
    form = PlaceOrderForm(initial=(draft or {}).get("data") or None, merchants=merchants)
    return {
        "order_form": form,
        "order_error": (draft or {}).get("error"),
        "order_rows": _order_rows(),
        "retailer_ids": _retailer_ids(),
        "orders_removed": bool(order_switches().get("removed")),
        "has_merchants": bool(merchants),
    }


#: What a control action raises when it refuses (the control API answers these with 400/404).
CONTROL_ERRORS = (ControlError, ValueError, LookupError)


def _int_or_raw(value: str):
    try:
        return int(value.strip())
    except ValueError:
        return value  # the control call refuses it with its own message


def order_spec(post) -> dict:
    """The body of `POST _control/orders` for the console's form."""
    items = []
    for n in range(1, ORDER_LINES + 1):
        retailer_id = (post.get(f"retailer_id_{n}") or "").strip()
        if not retailer_id and n > 1:
            continue
        quantity = (post.get(f"quantity_{n}") or "").strip()
        items.append({"retailer_id": retailer_id, "quantity": _int_or_raw(quantity) if quantity else 1,
                      "price": (post.get(f"price_{n}") or "").strip()})
    first = items[0]["retailer_id"] if items else ""
    value = (post.get("discount_value") or "").strip()
    discount = post.get("discount") or "none"
    discounts = {
        "none": [],
        "item_amount": [{"type": "item", "retailer_id": first, "amount_off": value}],
        "order_amount": [{"type": "order", "amount_off": value, "sponsor": "merchant"}],
        "order_percent_meta": [{"type": "order", "percent_off": value, "sponsor": "facebook"}],
        "free_shipping": [{"type": "free_shipping"}],
        "bxgy": [{"type": "bxgy", "retailer_id": first, "get_quantity": 1, "percent_off": value or "100"}],
    }.get(discount)
    if discounts is None:
        raise ControlError(_("Unknown discount choice: %(choice)s") % {"choice": discount})
    return {
        "cms_id": post.get("cms_id") or "", "channel": post.get("channel") or "",
        "currency": (post.get("currency") or "").strip(), "state": post.get("state") or "",
        "items": items,
        "shipping": {"name": "Standard", "reference_id": "standard",
                     "price": (post.get("shipping_price") or "").strip() or "0"},
        "tax_rate": (post.get("tax_rate") or "").strip() or "0",
        "discounts": discounts,
    }


def _back_to_orders():
    return redirect(reverse("sandbox:console") + "#orders")


@staff_member_required
@require_POST
def place_order(request: HttpRequest) -> HttpResponse:
    try:
        [order_id] = buyer.place_orders(order_spec(request.POST), 1)
    except CONTROL_ERRORS as exc:
        error = _("The order was not placed: %(error)s") % {"error": str(exc)}
        messages.error(request, error)
        data = {k: v for k, v in request.POST.items() if k != "csrfmiddlewaretoken"}
        request.session[ORDER_DRAFT_KEY] = {"data": data, "error": error}
        return _back_to_orders()
    placed = orders.order_state(order_id)
    messages.success(request, _("Order %(id)s placed (%(state)s, total %(total)s %(currency)s).") % {
        "id": placed["id"], "state": placed["state"], "total": placed["totals"]["total"],
        "currency": placed["currency"]})
    return _back_to_orders()


def _order_action(act, success: str):
    """A console view running `act(order_id)` (a control action on the order)."""

    @staff_member_required
    @require_POST
    def action(request: HttpRequest, order_id: str) -> HttpResponse:
        try:
            act(order_id)
        except CONTROL_ERRORS as exc:
            messages.error(request, _("Order %(id)s: %(error)s") % {"id": order_id, "error": str(exc)})
        else:
            messages.success(request, success % {"id": order_id})
        return _back_to_orders()

    return action


def _return_everything_shipped(order_id: str) -> dict:
    """The buyer returns every shipped unit that is not refunded yet."""
    lines = orders.order_state(order_id)["items"]
    items = [{"item_id": line["id"], "quantity": line["shipped"] - line.get("refunded_qty", 0)}
             for line in lines if line["shipped"] - line.get("refunded_qty", 0) > 0]
    if not items:
        raise ControlError(_("nothing shipped to return"))
    return orders.request_return(order_id, items=items)


def _meta_refunds_everything(order_id: str) -> dict:
    return orders.meta_refund(order_id, reason_code="FACEBOOK_INITIATED")


release_order = _order_action(orders.release_order, _lazy("Order %(id)s released: Meta's checks are over."))
buyer_cancel_order = _order_action(orders.buyer_cancel,
                                   _lazy("Order %(id)s: the buyer cancelled every unshipped item."))
return_request_order = _order_action(_return_everything_shipped,
                                     _lazy("Order %(id)s: the buyer asked to return every shipped item."))
meta_refund_order = _order_action(_meta_refunds_everything,
                                  _lazy("Order %(id)s: Meta refunded the buyer in full (FACEBOOK_INITIATED)."))


@staff_member_required
@require_POST
def orders_removed(request: HttpRequest) -> HttpResponse:
    removed = request.POST.get("removed") == "1"
    orders.set_orders_removed(removed)
    if removed:
        messages.success(request, _("The order API is now removed: every order call answers code 12."))
    else:
        messages.success(request, _("The order API is back (v21 to v25)."))
    return _back_to_orders()
