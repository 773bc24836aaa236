"""`{% load dates %}` … `{{ run.started_at|ago }}`: an age, the one way templates show one.

Absolute dates use Django's `date` filter with the project's formats (portal/formats/):
`{{ value|date:"DATETIME_FORMAT" }}` or `{{ value|date:"DATE_FORMAT" }}`.
"""

from __future__ import annotations

from django import template

from kernel import dates

register = template.Library()


@register.filter(name="ago")
def ago(value) -> str:
    """"just now", "5 minutes ago", "in 5 minutes" (kernel.dates.ago)."""
    return dates.ago(value)
