"""The portal's date and time formats, one per kind of value and language (settings.FORMAT_MODULE_PATH).

Django looks here before its own locale formats. Each language has exactly one way to show a
date and one to show a date with its time: the SHORT_ names are the same strings, so a template
or `django.utils.formats.date_format` call that asks for either shows the same thing. Times
carry their zone ("T"), because pages render in the site's time zone, not the seller's.

Kinds, and how to show them (`kernel.dates` has the Python side and the relative `ago`):
- a date-time: `{{ value|date:"DATETIME_FORMAT" }}`          Oct 3, 2026, 4:05 PM UTC · 2026年10月3日 16:05 UTC
- a date: `{{ value|date:"DATE_FORMAT" }}`                    Oct 3, 2026 · 2026年10月3日
- a month (chart rows): `{{ value|date:"YEAR_MONTH_FORMAT" }}`  Oct 2026 · 2026年10月
- a day in a chart axis: `{{ value|date:"MONTH_DAY_FORMAT" }}`  Oct 3 · 10月3日
- an age ("5 minutes ago", "in 2 hours"): `{% load dates %}{{ value|ago }}`
"""
