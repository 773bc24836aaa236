"""Forms of the staff console."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from .faults import validate as validate_fault
from .models import Fault

METHODS = [("*", _("any")), ("GET", "GET"), ("POST", "POST"), ("DELETE", "DELETE")]


class FaultForm(forms.Form):
    method = forms.ChoiceField(label=_("Method"), choices=METHODS, initial="*")
    path = forms.CharField(label=_("Path (glob, without version)"), max_length=255,
                           help_text=_("For example me, */items_batch or *"))
    kind = forms.ChoiceField(label=_("Fault"), choices=Fault.Kind.choices)
    count = forms.IntegerField(label=_("For the next N calls"), min_value=1, required=False, initial=1,
                               help_text=_("Leave empty to keep it until cleared."))
    probability = forms.FloatField(label=_("Probability (0 to 1)"), min_value=0, max_value=1, required=False)
    code = forms.IntegerField(label=_("Error code"), required=False, help_text=_("error and throttle"))
    error_subcode = forms.IntegerField(label=_("Error subcode"), required=False)
    http_status = forms.IntegerField(label=_("HTTP status"), min_value=100, max_value=599, required=False)
    is_transient = forms.BooleanField(label=_("Transient"), required=False)
    message = forms.CharField(label=_("Message"), max_length=300, required=False)
    ms = forms.IntegerField(label=_("Latency (ms)"), min_value=0, required=False)
    seconds = forms.FloatField(label=_("Hang (seconds)"), min_value=0, required=False)
    then = forms.ChoiceField(label=_("After apply, then"), required=False,
                             choices=[("", "—"), ("hang", _("hang")), ("drop", _("drop the connection"))])
    estimated_time_to_regain_access = forms.IntegerField(label=_("Minutes to regain access"), min_value=0,
                                                         required=False)

    def clean(self):
        data = super().clean()
        raw = {k: v for k, v in data.items() if v not in (None, "", False)}
        if not self.errors:
            raw.setdefault("count", None)
            self.definition = raw  # what the faults control action arms
            try:
                self.fault = validate_fault(raw)
            except ValueError as exc:
                raise forms.ValidationError(str(exc))
        return data


class JournalFilterForm(forms.Form):
    path = forms.CharField(label=_("Path (glob)"), required=False)
    method = forms.ChoiceField(label=_("Method"), required=False, choices=[("", _("any")), *METHODS[1:]])
    status = forms.CharField(label=_("HTTP status"), required=False, max_length=4)
    fault = forms.ChoiceField(label=_("Fault"), required=False, choices=[("", _("any")), *Fault.Kind.choices])

    def clean_status(self):
        status = self.cleaned_data["status"].strip()
        if status and status != "none" and not status.isdigit():
            raise forms.ValidationError(_("A number, or none for calls without an answer."))
        return status


class SwitchesForm(forms.Form):
    require_appsecret_proof = forms.BooleanField(label=_("Require appsecret_proof"), required=False)
    window_seconds = forms.IntegerField(label=_("Usage window (seconds)"), min_value=1)
    app_calls = forms.IntegerField(label=_("App call budget per window"), min_value=1)
    catalog_management = forms.IntegerField(label=_("catalog_management calls per business"), min_value=1)
    catalog_batch = forms.IntegerField(label=_("catalog_batch calls per business"), min_value=1)
    decline_scopes = forms.CharField(label=_("Scopes the consent page declines"), required=False,
                                     help_text=_("Comma separated, e.g. catalog_management"))
    auto_deliver = forms.BooleanField(label=_("Deliver webhooks automatically"), required=False)

    @classmethod
    def initial_from(cls, config: dict) -> dict:
        usage = config["usage"]
        return {"require_appsecret_proof": config["require_appsecret_proof"],
                "window_seconds": usage["window_seconds"], "app_calls": usage["app_calls"],
                "catalog_management": usage["buc_calls"]["catalog_management"],
                "catalog_batch": usage["buc_calls"]["catalog_batch"],
                "decline_scopes": ", ".join(config["dialog"]["decline_scopes"]),
                "auto_deliver": config["webhooks"]["auto_deliver"]}

    def clean_decline_scopes(self) -> list[str]:
        from .auth import KNOWN_SCOPES

        scopes = [s.strip() for s in self.cleaned_data["decline_scopes"].split(",") if s.strip()]
        unknown = [s for s in scopes if s not in KNOWN_SCOPES]
        if unknown:
            raise forms.ValidationError(_("Unknown permission: %(scopes)s") % {"scopes": ", ".join(unknown)})
        return scopes

    def as_patch(self) -> dict:
        d = self.cleaned_data
        return {"require_appsecret_proof": d["require_appsecret_proof"],
                "usage": {"window_seconds": d["window_seconds"], "app_calls": d["app_calls"],
                          "buc_calls": {"catalog_management": d["catalog_management"],
                                        "catalog_batch": d["catalog_batch"]}},
                "dialog": {"decline_scopes": d["decline_scopes"]},
                "webhooks": {"auto_deliver": d["auto_deliver"]}}
