"""Forms of the Payments pages: the period shown, and a report to build."""

from __future__ import annotations

from datetime import date

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from finance.models import Report

MAX_DAYS = 3 * 366


def default_period() -> tuple[date, date]:
    """The last twelve months (this one and the eleven before it), to today."""
    today = timezone.localdate()
    months = today.year * 12 + today.month - 1 - 11
    return date(months // 12, months % 12 + 1, 1), today


class PeriodForm(forms.Form):
    start = forms.DateField(label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self):
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if start and end and start > end:
            self.add_error("end", _("The end is before the start."))
        elif start and end and (end - start).days > MAX_DAYS:
            self.add_error("start", _("Choose at most three years."))
        return data

    def period(self) -> tuple[date, date]:
        first, last = default_period()
        if not self.is_bound or not self.is_valid():
            return first, last
        return self.cleaned_data.get("start") or first, self.cleaned_data.get("end") or last


class ReportForm(PeriodForm):
    kind = forms.ChoiceField(label=_("Report"), choices=Report.Kind.choices)
    start = forms.DateField(label=_("From"), widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label=_("To"), widget=forms.DateInput(attrs={"type": "date"}))

    def values(self) -> dict:
        return {"kind": self.cleaned_data["kind"], "start": self.cleaned_data["start"], "end": self.cleaned_data["end"]}
