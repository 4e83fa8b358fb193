"""What a visitor is told of their rota slots when a rota is published (issue 19): the data
the publishing service decides (visits.services.rota.publish_preview), keeps in the e-mail's
params, and the e-mail renders when it is sent (visits.mail_messages). Below both, so neither
imports the other."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.utils.formats import date_format
from django.utils.translation import gettext

from visits.models import TimeBand


@dataclass(frozen=True)
class SlotNotice:
    """One slot as a visitor is told it: the suite, the week, the suggested time band and the
    partner. Never a planned day or time (the pair's own)."""

    slot_id: int
    suite: str
    week: datetime.date
    band: str
    partners: tuple[str, ...]

    def line(self) -> str:
        band = str(TimeBand(self.band).label) if self.band in TimeBand.values else ""
        partners = (
            gettext(" and ").join(self.partners) if self.partners else gettext("no partner yet")
        )
        return gettext("%(suite)s, week beginning %(week)s (%(band)s), with %(partners)s") % {
            "suite": self.suite,
            "week": date_format(self.week, "l j F Y"),
            "band": band or gettext("any time"),
            "partners": partners,
        }

    def as_params(self) -> dict:
        return {
            "slot_id": self.slot_id,
            "suite": self.suite,
            "week": self.week.isoformat(),
            "band": self.band,
            "partners": list(self.partners),
        }

    @classmethod
    def from_params(cls, data: dict) -> SlotNotice:
        return cls(
            slot_id=data["slot_id"],
            suite=data["suite"],
            week=datetime.date.fromisoformat(data["week"]),
            band=data["band"],
            partners=tuple(data["partners"]),
        )


@dataclass(frozen=True)
class SlotChange:
    """A change to one visitor's slots since they were last told: `added`, `removed`, `moved`
    (from `before` to `now`) or `partner` (the same slot with someone else)."""

    kind: str
    now: SlotNotice | None = None
    before: SlotNotice | None = None

    def line(self) -> str:
        if self.kind == "added":
            return gettext("Added: %(slot)s") % {"slot": self.now.line()}
        if self.kind == "removed":
            return gettext("Removed: %(slot)s") % {"slot": self.before.line()}
        if self.kind == "moved":
            return gettext("Moved: %(before)s is now %(now)s") % {
                "before": self.before.line(),
                "now": self.now.line(),
            }
        was = " and ".join(self.before.partners) or gettext("nobody")
        return gettext("New partner: %(slot)s (was %(was)s)") % {
            "slot": self.now.line(),
            "was": was,
        }

    def as_params(self) -> dict:
        return {
            "kind": self.kind,
            "now": self.now.as_params() if self.now else None,
            "before": self.before.as_params() if self.before else None,
        }

    @classmethod
    def from_params(cls, data: dict) -> SlotChange:
        return cls(
            kind=data["kind"],
            now=SlotNotice.from_params(data["now"]) if data["now"] else None,
            before=SlotNotice.from_params(data["before"]) if data["before"] else None,
        )
