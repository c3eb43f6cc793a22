"""Working days in the Netherlands: weekdays that are not public holidays."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from functools import lru_cache

import holidays


@lru_cache(maxsize=16)
def _holidays(years: range) -> holidays.HolidayBase:
    """The Dutch public holidays of `years`: building the table takes tens of
    milliseconds and its answer never changes."""
    return holidays.country_holidays("NL", years=years)


def is_working_day(day: date) -> bool:
    return day.weekday() < 5 and day not in _holidays(range(day.year, day.year + 1))


def add_working_days(start: datetime, days: int) -> datetime:
    """The same time of day, `days` working days after `start`.

    Started on a weekend or a holiday, the count begins at the next working day,
    as a person would read "within three working days".
    """
    if days < 0:
        raise ValueError("days must not be negative")
    off = _holidays(range(start.year, start.year + 2 + days // 200))
    moment = start
    left = days
    while left:
        moment += timedelta(days=1)
        if moment.weekday() < 5 and moment.date() not in off:
            left -= 1
    return moment
