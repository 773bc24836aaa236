"""kernel.dates: one date and one date-time format per language (portal/formats/), and ages."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from django.utils import formats, translation

from kernel.dates import ago, format_date, format_datetime

MOMENT = datetime(2026, 10, 3, 16, 5, tzinfo=UTC)


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_each_language_has_one_date_and_one_datetime_format(language):
    with translation.override(language):
        assert formats.get_format("SHORT_DATE_FORMAT") == formats.get_format("DATE_FORMAT")
        assert formats.get_format("SHORT_DATETIME_FORMAT") == formats.get_format("DATETIME_FORMAT")


@pytest.mark.parametrize(("language", "moment", "day"), [
    ("en", "Oct 3, 2026, 4:05 PM UTC", "Oct 3, 2026"),
    ("zh-hans", "2026年10月3日 16:05 UTC", "2026年10月3日"),
])
def test_moments_and_days_read_the_same_everywhere(language, moment, day):
    with translation.override(language):
        assert format_datetime(MOMENT) == moment
        assert format_date(MOMENT) == day == format_date(date(2026, 10, 3))
        assert formats.date_format(MOMENT, "SHORT_DATETIME_FORMAT") == moment
    assert format_datetime(None) == format_date(None) == ""


def test_an_age_is_just_now_past_or_to_come():
    assert ago(MOMENT - timedelta(seconds=20), now=MOMENT) == "just now"
    assert ago(MOMENT + timedelta(seconds=20), now=MOMENT) == "just now"
    assert ago(MOMENT - timedelta(minutes=5), now=MOMENT) == "5\xa0minutes ago"
    assert ago(MOMENT + timedelta(hours=2), now=MOMENT) == "in 2\xa0hours"
    assert ago(MOMENT - timedelta(days=1, hours=3), now=MOMENT) == "1\xa0day, 3\xa0hours ago"
    assert ago(None) == ""
    with translation.override("zh-hans"):
        assert ago(MOMENT - timedelta(minutes=5), now=MOMENT) == "5\xa0分钟前"
