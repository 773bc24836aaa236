"""One date and time format per language across the portal: every seller template shows a
moment with the project's formats (portal/formats/: `|date:"DATETIME_FORMAT"`, `"DATE_FORMAT"`,
`"YEAR_MONTH_FORMAT"`, `"MONTH_DAY_FORMAT"`, `'c'` for a <time datetime>) and an age with
`{% load dates %}{{ value|ago }}`, never with its own pattern or another relative filter."""

from __future__ import annotations

import re
from pathlib import Path

from django.conf import settings

NAMED = {"DATE_FORMAT", "DATETIME_FORMAT", "SHORT_DATE_FORMAT", "SHORT_DATETIME_FORMAT", "YEAR_MONTH_FORMAT",
         "MONTH_DAY_FORMAT", "TIME_FORMAT", "c"}
#: A chart axis labels its ticks with the month's or the weekday's short name, not a date.
AXIS_TICKS = {"M", "D"}
DATE_FILTER = re.compile(r"""\|date:["']([^"']*)["']""")
OTHER_RELATIVE = re.compile(r"\|(naturaltime|naturalday|timesince|timeuntil)\b")


def test_templates_show_dates_with_the_projects_formats_and_ages_with_ago():
    found = []
    for path in sorted((Path(settings.BASE_DIR) / "templates").rglob("*.html")):
        text = path.read_text(encoding="utf-8")
        name = path.relative_to(settings.BASE_DIR)
        found += [f"{name}: |date:\"{fmt}\" (use a named format)" for fmt in DATE_FILTER.findall(text)
                  if fmt not in NAMED | AXIS_TICKS]
        found += [f"{name}: |{f} (use |ago from {{% load dates %}})" for f in OTHER_RELATIVE.findall(text)]
    assert not found, "\n".join(found)
