"""English: the one date and the one date-time format (see portal/formats/__init__.py)."""

DATE_FORMAT = "M j, Y"
DATETIME_FORMAT = "M j, Y, g:i A T"
TIME_FORMAT = "g:i A"
YEAR_MONTH_FORMAT = "M Y"
MONTH_DAY_FORMAT = "M j"
SHORT_DATE_FORMAT = DATE_FORMAT
SHORT_DATETIME_FORMAT = DATETIME_FORMAT
