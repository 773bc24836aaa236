"""Forms of the Payments pages: the period shown, and a report to build."""

from __future__ import annotations

from datetime import date, timedelta

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


#: dates a period may take: the order era's finance data is from 2019 on; nothing past 2100
EARLIEST, LATEST = date(2015, 1, 1), date(2100, 12, 31)


class PeriodForm(forms.Form):
    start = forms.DateField(label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self):
        data = super().clean()
        for name in ("start", "end"):
            value = data.get(name)
            if value is not None and not EARLIEST <= value <= LATEST:
                self.add_error(name, _("Choose a date from %(a)s to %(b)s.") % {"a": EARLIEST.isoformat(),
                                                                                 "b": LATEST.isoformat()})
                data.pop(name, None)
        if self.errors:
            return data
        first, last = default_period()
        start, end = data.get("start") or first, data.get("end") or last
        if start > end:
            self.add_error("end", _("The end is before the start."))
        elif (end - start).days > MAX_DAYS:
            self.add_error("start", _("Choose at most three years."))
        return data

    def period(self) -> tuple[date, date]:
        """The period asked for (the defaults filling what is left out), or the default period
        when the form has errors (the page shows them)."""
        first, last = default_period()
        if not self.is_bound or not self.is_valid():
            return first, last
        return self.cleaned_data.get("start") or first, self.cleaned_data.get("end") or last


class ReportForm(PeriodForm):
    """A report of a month (the month field) or of a chosen period (from, to)."""

    kind = forms.ChoiceField(label=_("Report"), choices=Report.Kind.choices)
    month = forms.CharField(label=_("Month"), required=False, max_length=7,
                            widget=forms.TextInput(attrs={"type": "month", "placeholder": "2026-11"}),
                            help_text=_("A whole month, or leave it empty and choose the dates."))
    field_order = ["kind", "month", "start", "end"]

    def clean(self):
        month = (self.data.get("month") or "").strip()
        if month:
            try:
                year, number = (int(part) for part in month.split("-"))
                first = date(year, number, 1)
            except (ValueError, TypeError):
                self.add_error("month", _("A month like 2026-11."))
                return self.cleaned_data
            following = date(year + (number == 12), number % 12 + 1, 1)
            self.cleaned_data["start"], self.cleaned_data["end"] = first, following - timedelta(days=1)
            for name in ("start", "end"):
                self.errors.pop(name, None)
        data = super().clean()
        if not data.get("start") and "start" not in self.errors:
            self.add_error("start", _("Choose a month or the dates."))
        return data

    def values(self) -> dict:
        return {"kind": self.cleaned_data["kind"], "start": self.cleaned_data["start"], "end": self.cleaned_data["end"]}
