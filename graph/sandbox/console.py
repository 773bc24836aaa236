"""The staff console at /graph-sandbox/console/: state, faults, switches, webhooks and the
request journal. Staff only (Django's staff login); secrets are masked everywhere."""

from __future__ import annotations

import json

from django.contrib import messages
from django.contrib.admin.views.decorators import staff_member_required
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from . import services, webhooks
from .config import get_config, update_config
from .control import journal_rows, state_dict
from .forms import FaultForm, JournalFilterForm, SwitchesForm
from .journal import mask
from .models import Fault, WebhookEvent

JOURNAL_ROWS = 100


@staff_member_required
def console(request: HttpRequest) -> HttpResponse:
    config = get_config()
    journal_form = JournalFilterForm(request.GET or None)
    filters = journal_form.cleaned_data if journal_form.is_valid() else {}
    rows = journal_rows(path=filters.get("path") or None, method=filters.get("method") or None,
                        status=filters.get("status") or None, fault=filters.get("fault") or None,
                        limit=JOURNAL_ROWS)
    journal = [{**row.as_dict(), "params_json": json.dumps(row.params, indent=1, ensure_ascii=False)}
               for row in rows]
    events = list(WebhookEvent.objects.order_by("-pk").prefetch_related("attempt_set")[:20])
    return render(request, "sandbox/console.html", {
        "state": state_dict(),
        "faults": Fault.objects.order_by("pk"),
        "fault_form": FaultForm(),
        "switches_form": SwitchesForm(initial=SwitchesForm.initial_from(config)),
        "journal_form": journal_form,
        "journal": journal,
        "events": [{"event": e, "payload": json.dumps(mask(json.loads(e.body)), indent=1),
                    "attempts": list(e.attempt_set.all())} for e in events],
        "callback_url": webhooks.default_callback_url(),
        "bad_states": services.BAD_STATES,
    })


@staff_member_required
@require_POST
def add_fault(request: HttpRequest) -> HttpResponse:
    form = FaultForm(request.POST)
    if form.is_valid():
        Fault.objects.create(**form.fault)
        messages.success(request, _("Fault armed."))
    else:
        errors = "; ".join(str(e) for errs in form.errors.values() for e in errs)
        messages.error(request, _("The fault was not armed: %(errors)s") % {"errors": errors})
    return redirect("sandbox:console")


@staff_member_required
@require_POST
def clear_faults(request: HttpRequest) -> HttpResponse:
    fault_id = request.POST.get("fault_id")
    qs = Fault.objects.filter(pk=fault_id) if fault_id and fault_id.isdigit() else Fault.objects.all()
    qs.delete()
    messages.success(request, _("Faults cleared."))
    return redirect("sandbox:console")


@staff_member_required
@require_POST
def switches(request: HttpRequest) -> HttpResponse:
    form = SwitchesForm(request.POST)
    if form.is_valid():
        update_config(form.as_patch())
        messages.success(request, _("Switches saved."))
    else:
        errors = "; ".join(str(e) for errs in form.errors.values() for e in errs)
        messages.error(request, _("The switches were not saved: %(errors)s") % {"errors": errors})
    return redirect("sandbox:console")


@staff_member_required
@require_POST
def business_state(request: HttpRequest) -> HttpResponse:
    try:
        with transaction.atomic():
            services.set_business_state(request.POST.get("business_id", ""), request.POST.get("state", ""),
                                        scope=request.POST.get("scope") or None)
        messages.success(request, _("Business state changed."))
    except (LookupError, ValueError) as exc:
        messages.error(request, str(exc))
    return redirect("sandbox:console")


@staff_member_required
@require_POST
def flush_webhooks(request: HttpRequest) -> HttpResponse:
    result = webhooks.deliver_pending()
    messages.success(request, _("Webhooks delivered: %(delivered)s, failed: %(failed)s.") % result)
    return redirect("sandbox:console")
