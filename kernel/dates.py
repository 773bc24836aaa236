"""Dates and times as sellers read them: the one home for showing a moment.

Absolute values use the formats of portal/formats/ (one date and one date-time format per
language); Python code that writes a date into a sentence calls `format_datetime` or
`format_date`, templates use `|date:"DATETIME_FORMAT"` / `|date:"DATE_FORMAT"`. An age ("5
minutes ago", "in 3 minutes") is `ago`, in Python and as the `{% load dates %}` filter.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from django.utils import timezone
from django.utils.formats import date_format
from django.utils.timesince import timesince, timeuntil
from django.utils.translation import gettext as _

#: Closer to now than this, an age is "just now" (either way).
JUST_NOW = timedelta(minutes=1)


def format_datetime(value: datetime | None) -> str:
    """A moment in the active language's one date-time format, in the current time zone."""
    if value is None:
        return ""
    if timezone.is_aware(value):
        value = timezone.localtime(value)
    return date_format(value, "DATETIME_FORMAT")


def format_date(value: date | datetime | None) -> str:
    """A day in the active language's one date format."""
    if value is None:
        return ""
    if isinstance(value, datetime) and timezone.is_aware(value):
        value = timezone.localtime(value)
    return date_format(value, "DATE_FORMAT")


def ago(value: datetime | None, now: datetime | None = None) -> str:
    """"just now", "5 minutes ago" or, for a moment still to come, "in 5 minutes" (translated)."""
    if not value:
        return ""
    now = now or timezone.now()
    if abs(now - value) < JUST_NOW:
        return _("just now")
    if value > now:
        return _("in %(when)s") % {"when": timeuntil(value, now)}
    return _("%(when)s ago") % {"when": timesince(value, now)}
