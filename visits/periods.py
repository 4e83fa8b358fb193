"""Periods the figures and the rota are counted in: a calendar quarter ("2026-Q4") or a year
("2026"), with the part of one that has happened so far."""

import dataclasses
import datetime
import re
from dataclasses import dataclass

from django.utils.formats import date_format
from django.utils.translation import gettext

ONE_DAY = datetime.timedelta(days=1)


@dataclass(frozen=True)
class Period:
    start: datetime.date
    end: datetime.date  # inclusive
    key: str  # "2026-Q4" or "2026"

    @classmethod
    def quarter(cls, year: int, number: int) -> "Period":
        start = datetime.date(year, 3 * (number - 1) + 1, 1)
        end = (start.replace(day=28) + datetime.timedelta(days=4 + 62)).replace(day=1)
        end = end - datetime.timedelta(days=1)
        return cls(start, end, f"{year}-Q{number}")

    @classmethod
    def year(cls, year: int) -> "Period":
        return cls(datetime.date(year, 1, 1), datetime.date(year, 12, 31), str(year))

    @property
    def label(self) -> str:
        """ "October to December 2026" or "2026", in the reader's language: made when read, never
        kept (the summaries are kept for readers of both languages). The whole quarter's months,
        even for the part of it so far."""
        if self.is_year:
            return self.key
        last_month = self.start.replace(month=self.start.month + 2)
        return gettext("%(first)s to %(last)s") % {
            "first": date_format(self.start, "F"),
            "last": date_format(last_month, "F Y"),
        }

    @classmethod
    def parse(cls, key: str) -> "Period":
        """ "2026-Q4" or "2026"; ValueError for anything else."""
        match = re.fullmatch(r"(\d{4})(?:-Q([1-4]))?", key or "")
        if not match or not 2000 <= int(match.group(1)) <= 2100:
            raise ValueError(f"{key!r} is not a quarter like 2026-Q4 or a year like 2026")
        year = int(match.group(1))
        return cls.quarter(year, int(match.group(2))) if match.group(2) else cls.year(year)

    @classmethod
    def containing(cls, day: datetime.date) -> "Period":
        return cls.quarter(day.year, (day.month - 1) // 3 + 1)

    @property
    def is_year(self) -> bool:
        return "Q" not in self.key

    def previous(self) -> "Period":
        if self.is_year:
            return Period.year(self.start.year - 1)
        day = self.start - datetime.timedelta(days=1)
        return Period.containing(day)

    def quarters(self) -> list["Period"]:
        return [Period.quarter(self.start.year, n) for n in range(1, 5)] if self.is_year else [self]

    def so_far(self, today: datetime.date) -> "Period":
        """The part of the period up to `today` (all of it once it has ended; an empty window,
        ending the day before it starts, for a period still to come)."""
        return dataclasses.replace(self, end=max(min(self.end, today), self.start - ONE_DAY))

    def same_part(self, days: int) -> "Period":
        """The first `days` days of this period (for comparing a part-period like with like)."""
        return dataclasses.replace(self, end=min(self.end, self.start + ONE_DAY * (days - 1)))
