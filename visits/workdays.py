"""Working days for response deadlines: weekends and bank holidays in England and Wales excluded.

The holidays come from the maintained `holidays` package, never a hand-typed list.
"""

import datetime
from functools import lru_cache

import holidays
from django.utils import timezone


@lru_cache(maxsize=32)
def _bank_holidays(year: int) -> frozenset[datetime.date]:
    # England and Wales share their bank holidays (Wales has no extra ones).
    return frozenset(holidays.country_holidays("GB", subdiv="ENG", years=year))


def monday_of(day: datetime.date) -> datetime.date:
    """The Monday of the day's week: rota slots, weekly figures and visits meet on it."""
    return day - datetime.timedelta(days=day.weekday())


def is_working_day(day: datetime.date) -> bool:
    return day.weekday() < 5 and day not in _bank_holidays(day.year)


def add_working_days(start: datetime.date, days: int) -> datetime.date:
    """The date `days` working days after `start` (start itself does not count)."""
    day = start
    remaining = days
    while remaining > 0:
        day += datetime.timedelta(days=1)
        if is_working_day(day):
            remaining -= 1
    return day


def working_days_between(start: datetime.date, end: datetime.date) -> int:
    """Working days after `start` up to and including `end` (negative if end is earlier)."""
    if end < start:
        return -working_days_between(end, start)
    return sum(
        1
        for n in range(1, (end - start).days + 1)
        if is_working_day(start + datetime.timedelta(days=n))
    )


def response_time(
    referred_at: datetime.datetime | None, responded_at: datetime.datetime | None
) -> tuple[datetime.date | None, int | None]:
    """(local day of the response, working days from the local day of referral to it), or
    (None, None) until an issue is both referred and answered."""

    if referred_at is None or responded_at is None:
        return None, None
    answered_on = timezone.localdate(responded_at)
    return answered_on, working_days_between(timezone.localdate(referred_at), answered_on)
