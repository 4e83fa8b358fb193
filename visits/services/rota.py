"""The quarter's rota: periods, availability, generation, hand changes, publishing, swaps and
the end of each slot. The solver itself is `visits.rota_solver` on `visits.scheduling` (no
ORM); this module turns the database into its plain data and its plan back into rows."""

from __future__ import annotations

import datetime
import hashlib
import json
import secrets
from collections import Counter, defaultdict
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Case, Count, F, IntegerField, Prefetch, Q, Value, When
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext, gettext_lazy, ngettext

from visits import notifications, permissions, rota_solver, scheduling
from visits.errors import ConflictError, DomainError, NotFound, NotPermitted
from visits.models import (
    Availability,
    CalendarFeed,
    Conflict,
    Membership,
    RotaPeriod,
    RotaSlot,
    SwapRequest,
    TimeBand,
    VisitorStatus,
)
from visits.models.people import VISITING_ROLES
from visits.periods import Period
from visits.rota_notices import SlotChange, SlotNotice
from visits.services import audit, revisions, tokens, volunteers
from visits.workdays import monday_of

ROSTERED_STATUSES = (VisitorStatus.ACTIVE, VisitorStatus.TRAINEE)
MAX_VISITS_PER_MONTH = 8
MAX_VISITS_PER_PERIOD = 26  # two a week for a quarter: more is surely a typing slip
# Nights a year a visitor may offer (the scheme asks one of each who does nights).
MAX_NIGHTS_A_YEAR = 4
# Breaches a visitor may be told about another person: whether they are a trainee is on the
# list of people every visiting member sees.
SHOWN_TO_ALL = {"trainee_unmentored"}


def quarter_of(day: datetime.date) -> tuple[datetime.date, datetime.date, str]:
    """The rota period for the calendar quarter of `day` (the summaries' quarter): the weeks
    whose Monday falls inside it. Returns (first Monday, last Sunday, name)."""
    quarter = Period.containing(day)
    first_monday = monday_of(quarter.start + datetime.timedelta(days=6))
    last_sunday = monday_of(quarter.end) + datetime.timedelta(days=6)
    return first_monday, last_sunday, quarter.label


def weeks_of(period: RotaPeriod) -> list[datetime.date]:
    weeks, week = [], period.starts_on
    while week <= period.ends_on:
        weeks.append(week)
        week += datetime.timedelta(weeks=1)
    return weeks


def _require_manager(actor, scheme_id) -> None:
    if not permissions.can_manage_scheme(actor, scheme_id):
        raise NotPermitted(
            gettext("Only the scheme manager can change the rota."), code="role_not_allowed"
        )


# --- Periods and availability -------------------------------------------------------------------


def open_period(
    *, actor, scheme, starts_on: datetime.date, availability_closes_on: datetime.date
) -> RotaPeriod:
    """Open the quarter that `starts_on` falls in, collecting availability until the date set."""
    _require_manager(actor, scheme.pk)
    first, last, name = quarter_of(starts_on)
    if availability_closes_on >= first:
        raise DomainError(
            gettext("Availability must close before the rota starts on %(day)s.")
            % {"day": date_format(first, "j F Y")},
            code="closes_too_late",
            field="availability_closes_on",
        )
    if RotaPeriod.objects.filter(scheme=scheme, starts_on=first).exists():
        raise ConflictError(
            gettext("%(name)s already has a rota period.") % {"name": name}, code="period_exists"
        )
    period = RotaPeriod.objects.create(
        scheme=scheme,
        name=name,
        starts_on=first,
        ends_on=last,
        availability_closes_on=availability_closes_on,
        seed=secrets.randbelow(10_000),
    )
    audit.record(actor=actor, action="rota.period_opened", obj=period, scheme=scheme)
    return period


def rostered_members(scheme_id: int):
    """Who the rota is for: active and trainee visitors and coordinators, until they leave
    (whose vetting or appointment lapses stays listed: `volunteers.barred_weeks` says when)."""
    return (
        Membership.objects.current()
        .filter(scheme_id=scheme_id, role__in=VISITING_ROLES, status__in=ROSTERED_STATUSES)
        .select_related("user", "scheme")
        .order_by("user__last_name", "user__first_name")
    )


@dataclass
class AvailabilityInput:
    unavailable_weeks: list[datetime.date]
    preferred_days: list[int]
    preferred_bands: list[str]
    nights_ok: bool
    max_visits_per_month: int
    max_visits_per_period: int | None = None  # None: only the monthly maximum
    nights_a_year: int = 1  # at most, for a visitor who does nights (the promise: one)


def set_availability(
    *,
    actor,
    period: RotaPeriod,
    user,
    data: AvailabilityInput,
    expected_revision: int | None = None,
) -> Availability:
    """A visitor gives their own availability until it closes; the manager anyone's, any time
    before publishing. `expected_revision` is the one read (0: none given yet)."""
    manager = permissions.can_manage_scheme(actor, period.scheme_id)
    if actor.pk != user.pk and not manager:
        raise NotPermitted(
            gettext("You can only give your own availability."), code="role_not_allowed"
        )
    if not rostered_members(period.scheme_id).filter(user=user).exists():
        raise DomainError(
            gettext("Only active visitors and trainees go on the rota."),
            code="not_on_rota",
            field="user",
        )
    if period.status in (RotaPeriod.Status.PUBLISHED, RotaPeriod.Status.CLOSED):
        raise ConflictError(
            gettext("The rota is published. Offer a slot for a swap instead."),
            code="rota_published",
        )
    if not manager and timezone.localdate() > period.availability_closes_on:
        raise ConflictError(
            gettext("Availability closed on %(day)s. Ask your scheme manager to change it for you.")
            % {"day": date_format(period.availability_closes_on, "j F")},
            code="availability_closed",
        )
    weeks = set(weeks_of(period))
    if not set(data.unavailable_weeks) <= weeks:
        raise DomainError(
            gettext("Choose weeks from this rota period."),
            code="week_not_in_period",
            field="unavailable_weeks",
        )
    if not set(data.preferred_days) <= set(range(7)):
        raise DomainError(
            gettext("Choose days of the week."), code="bad_day", field="preferred_days"
        )
    if not set(data.preferred_bands) <= set(TimeBand.values):
        raise DomainError(
            gettext("Choose listed time bands."), code="bad_band", field="preferred_bands"
        )
    if not 0 <= data.max_visits_per_month <= MAX_VISITS_PER_MONTH:
        raise DomainError(
            gettext("Give a number from 0 to %(most)s.") % {"most": MAX_VISITS_PER_MONTH},
            code="bad_maximum",
            field="max_visits_per_month",
        )
    if data.max_visits_per_period is not None and not (
        0 <= data.max_visits_per_period <= MAX_VISITS_PER_PERIOD
    ):
        raise DomainError(
            gettext("Give a number from 0 to %(most)d, or leave it empty.")
            % {"most": MAX_VISITS_PER_PERIOD},
            code="bad_period_maximum",
            field="max_visits_per_period",
        )
    if not 1 <= data.nights_a_year <= MAX_NIGHTS_A_YEAR:
        raise DomainError(
            gettext("Give a number of night visits a year from 1 to %(most)d.")
            % {"most": MAX_NIGHTS_A_YEAR},
            code="bad_nights_a_year",
            field="nights_a_year",
        )
    with transaction.atomic():
        availability = Availability.objects.select_for_update().filter(
            period=period, user=user
        ).first() or Availability(period=period, user=user, revision=0)
        revisions.check(availability, expected_revision)
        availability.unavailable_weeks = sorted(w.isoformat() for w in set(data.unavailable_weeks))
        availability.preferred_days = sorted(set(data.preferred_days))
        availability.preferred_bands = [b for b in TimeBand.values if b in data.preferred_bands]
        availability.nights_ok = data.nights_ok
        availability.max_visits_per_month = data.max_visits_per_month
        availability.max_visits_per_period = data.max_visits_per_period
        availability.nights_a_year = data.nights_a_year
        availability.entered_by = actor
        availability.revision += 1
        availability.save()
        audit.record(
            actor=actor,
            action="rota.availability_set",
            obj=availability,
            scheme=period.scheme,
            detail={"for": user.pk},
        )
    return availability


# --- From the database to the solver and back ---------------------------------------------------


def build_problem(
    period: RotaPeriod, slots: list[RotaSlot] | None = None, members=None, given=None
) -> scheduling.Problem:
    """The period as the solver's plain data: who can go when, past pairs and nights.
    Pass the members and their availability ({user id: Availability}) if already loaded."""
    if members is None:
        members = list(rostered_members(period.scheme_id))
    if given is None:
        given = {a.user_id: a for a in period.availability.all()}
    conflicts: dict[int, set[int]] = {}
    for user_id, suite_id in Conflict.objects.filter(
        membership__scheme_id=period.scheme_id
    ).values_list("membership__user_id", "suite_id"):
        conflicts.setdefault(user_id, set()).add(suite_id)
    year_before = period.starts_on - datetime.timedelta(days=365)
    earlier = (
        RotaSlot.objects.filter(
            period__scheme_id=period.scheme_id,
            week_starts_on__gte=year_before,
            week_starts_on__lt=period.starts_on,
        )
        .exclude(status=RotaSlot.Status.CANCELLED)
        .prefetch_related("visitors")
    )
    past_pairs: dict[frozenset, int] = {}
    nights_done: Counter = Counter()  # night visits in the year before the period
    for slot in earlier:
        ids = [u.pk for u in slot.visitors.all()]
        if len(ids) == 2:
            past_pairs[frozenset(ids)] = past_pairs.get(frozenset(ids), 0) + 1
        if slot.time_band == TimeBand.NIGHT:
            nights_done.update(ids)
    people = []
    weeks = weeks_of(period)
    for m in members:
        # Weeks their vetting or appointment does not cover (or after they leave) are not
        # theirs to visit; someone covered in none of the period is left out altogether.
        barred = volunteers.barred_weeks(m, weeks)
        if weeks and barred >= set(weeks):
            continue
        a = given.get(m.user_id)
        nights_ok = bool(a and a.nights_ok)
        people.append(
            scheduling.Person(
                id=m.user_id,
                trainee=m.status == VisitorStatus.TRAINEE,
                conflicts=frozenset(conflicts.get(m.user_id, ())),
                unavailable_weeks=barred
                | frozenset(
                    datetime.date.fromisoformat(w) for w in (a.unavailable_weeks if a else [])
                ),
                # Nobody answered for: assume the scheme's usual load, no nights.
                max_per_month=a.max_visits_per_month if a else 2,
                max_per_quarter=a.max_visits_per_period if a else None,
                nights_ok=nights_ok,
                nights_promised=a.nights_a_year if a else 1,
                preferred_bands=frozenset(a.preferred_bands if a else ()),
                needs_night=nights_ok and not nights_done[m.user_id],
                nights_past_year=nights_done[m.user_id],
            )
        )
    if slots is None:
        slots = list(period.slots.all())
    return scheduling.Problem(
        people=people,
        slots=[
            scheduling.Slot(key=s.pk, suite=s.suite_id, week=s.week_starts_on, band=s.time_band)
            for s in slots
            if s.status != RotaSlot.Status.CANCELLED
        ],
        past_pairs=past_pairs,
        seed=period.seed,
    )


def generate(*, actor, period: RotaPeriod) -> scheduling.Figures:
    """Make (or remake) the draft rota: a slot per suite per week (more if the suite is visited
    more often), filled by the solver. Hand changes to a previous draft are replaced."""
    _require_manager(actor, period.scheme_id)
    with transaction.atomic():
        period = RotaPeriod.objects.select_for_update().get(pk=period.pk)
        if period.status not in (RotaPeriod.Status.COLLECTING, RotaPeriod.Status.DRAFT):
            raise ConflictError(
                gettext("The rota is published; change slots by hand instead."),
                code="rota_published",
            )
        period.slots.all().delete()
        suites = period.scheme.suites.filter(active=True).order_by("name")
        slots = RotaSlot.objects.bulk_create(
            RotaSlot(period=period, suite=suite, week_starts_on=week, time_band="")
            for week in weeks_of(period)
            for suite in suites
            for _n in range(suite.visits_per_week)
        )
        problem = build_problem(period, slots)
        # Keys that do not depend on row ids, so the same seed gives the same rota again.
        keyed, seen = {}, {}
        for slot in slots:
            place = (slot.suite_id, slot.week_starts_on)
            seen[place] = seen.get(place, -1) + 1
            keyed[f"{slot.week_starts_on}/{slot.suite_id:06d}/{seen[place]}"] = slot
        problem.slots = [
            scheduling.Slot(key=key, suite=slot.suite_id, week=slot.week_starts_on)
            for key, slot in keyed.items()
        ]
        plan = rota_solver.solve(problem, time_limit=settings.ICV_ROTA_TIME_LIMIT_SECONDS)
        memberships = RotaSlot.visitors.through
        links = []
        for key, slot in keyed.items():
            slot.time_band = plan.bands[key]
            slot.unfilled_reason = plan.unfilled.get(key, "")
            links += [memberships(rotaslot_id=slot.pk, user_id=u) for u in plan.pairs.get(key, ())]
        RotaSlot.objects.bulk_update(slots, ["time_band", "unfilled_reason"])
        memberships.objects.bulk_create(links)
        period.status = RotaPeriod.Status.DRAFT
        period.save(update_fields=["status"])
        figures = rota_solver.figures(problem, plan)
        audit.record(
            actor=actor,
            action="rota.generated",
            obj=period,
            scheme=period.scheme,
            detail={
                "filled": figures.filled,
                "slots": figures.slots,
                "most_fillable": figures.most_fillable,
                "method": plan.method,
            },
        )
    return figures


class PeriodRules:
    """A period's rota as the solver sees it, loaded once (a fixed handful of queries), so any
    number of proposed changes can be checked against it: hand changes, swaps, offers."""

    def __init__(self, period: RotaPeriod):
        slots = list(
            period.slots.exclude(status=RotaSlot.Status.CANCELLED).prefetch_related("visitors")
        )
        members = list(rostered_members(period.scheme_id))
        self.pairs = {s.pk: [u.pk for u in s.visitors.all()] for s in slots}
        self.problem = build_problem(period, slots, members=members)
        self.names = {m.user_id: m.user.get_full_name() for m in members}

    def breaches(
        self, changes: dict[int, list[int]], *, viewer: int | None = None
    ) -> dict[int, list[str]]:
        """The rules each changed slot would break, with every other slot as it stands.

        Told to a visitor (`viewer`, taking an offer) rather than the manager, someone else's
        breach is not spelt out: their availability, conflicts and other slots are theirs and
        the manager's to see."""
        pairs = self.pairs | changes
        return {
            key: list(
                dict.fromkeys(
                    self._message(b, viewer)
                    for b in scheduling.breaches_of(self.problem, pairs, key)
                )
            )
            for key in changes
        }

    def _message(self, breach: scheduling.Breach, viewer: int | None) -> str:
        if viewer is None or breach.person in (None, viewer) or breach.rule in SHOWN_TO_ALL:
            return breach.message(self.names)
        return gettext(
            "The other visitor on this slot cannot make this visit as the rota stands. "
            "Ask your scheme manager."
        )


@dataclass(frozen=True)
class QualityRow:
    """A line of the "How good is this rota?" panel. `rule`: a hard rule, which `broken`
    says whether the rota breaks; otherwise an aim, where `broken` flags a shortfall."""

    label: str
    value: str
    rule: bool
    broken: bool


# The hard rules the solver never breaks and a hand change can: (Figures attribute, label).
# A rule whose attribute the figures do not have (yet) has no row rather than a made-up one.
# How the solver came by its plan (`Plan.method`), said to the manager.
SOLVER_METHODS = {
    "optimal": gettext_lazy("the best plan there is, proved by the solver"),
    "feasible within time limit": gettext_lazy(
        "the best plan the solver found in its time; the figures below say how far from the "
        "best it can be"
    ),
    "greedy fallback": gettext_lazy(
        "the quick method's plan: the solver found none better in its time"
    ),
}


def generated_message(figures) -> str:
    """What the manager is told when a draft rota is made."""
    return gettext(
        "Draft rota made: %(filled)d of %(slots)d slots filled (at most %(most)d can be filled "
        "together); %(method)s. Review it, change what you need, then publish."
    ) % {
        "filled": figures.filled,
        "slots": figures.slots,
        "most": figures.most_fillable,
        "method": SOLVER_METHODS.get(figures.method, figures.method),
    }


# One row for each hard rule `scheduling.Figures` counts (a test checks none is left out).
HARD_RULE_ROWS = (
    ("not_a_pair", gettext_lazy("Every visit has two different visitors from the rota")),
    ("twice_in_a_week", gettext_lazy("Nobody twice in one week")),
    ("conflicts", gettext_lazy("Nobody at a suite they have a conflict with")),
    ("trainees_without_mentor", gettext_lazy("No trainee without an experienced partner")),
    ("unavailable_week", gettext_lazy("Nobody in a week they cannot do")),
    ("over_monthly_maximum", gettext_lazy("Nobody over their monthly maximum")),
    ("over_quarter_maximum", gettext_lazy("Nobody over their quarterly maximum")),
    ("no_nights", gettext_lazy("Nobody on a night who does not do nights")),
    ("over_night_promise", gettext_lazy("Nobody given more nights than they agreed to")),
)


def quality_rows(figures) -> list[QualityRow]:
    """The quality panel, from `rota_solver.figures` of the rota as it stands (hand changes
    included): the aims, then a row for every hard rule the figures count."""
    fillable = figures.most_fillable
    filled = gettext("%(filled)d of %(slots)d") % {"filled": figures.filled, "slots": figures.slots}
    filled += " " + gettext("(at most %(n)d can be filled together)") % {"n": fillable}
    rows = [
        QualityRow(
            gettext("Slots with a pair"),
            filled,
            rule=False,
            broken=figures.filled < fillable,
        ),
        QualityRow(
            gettext("Largest gap from a fair share"),
            gettext("%(n)s visits") % {"n": f"{figures.largest_fair_deviation:.1f}"},
            rule=False,
            broken=figures.largest_fair_deviation > 1,
        ),
        QualityRow(
            gettext("Pairs repeated"), str(figures.repeated_pairs), rule=False, broken=False
        ),
        QualityRow(
            gettext("Willing visitors without a night"),
            str(figures.willing_without_night),
            rule=False,
            broken=False,
        ),
    ]
    for attribute, label in HARD_RULE_ROWS:
        count = getattr(figures, attribute)
        value = (
            ngettext("Broken once", "Broken %(n)d times", count) % {"n": count}
            if count
            else gettext("Holds")
        )
        rows.append(QualityRow(str(label), value, rule=True, broken=bool(count)))
    return rows


def slot_breaches(slot: RotaSlot, visitor_ids: list[int]) -> list[str]:
    """What would break if this slot had these visitors, given the rest of the period."""
    return PeriodRules(slot.period).breaches({slot.pk: visitor_ids})[slot.pk]


def assign(
    *,
    actor,
    slot: RotaSlot,
    visitor_ids: list[int],
    accept_warnings: bool = False,
    expected_revision: int | None = None,
) -> list:
    """Put these visitors on the slot by hand. Broken rules come back as warnings; the change
    is kept only when the manager accepts them. Returns the warnings accepted. On a published
    rota nobody is e-mailed yet: the manager publishes the changes (`publish`)."""
    _require_manager(actor, slot.period.scheme_id)
    visitor_ids = list(dict.fromkeys(int(v) for v in visitor_ids if v))
    if len(visitor_ids) > 2:
        raise DomainError(
            gettext("A slot has two visitors."), code="too_many_visitors", field="visitors"
        )
    members = list(rostered_members(slot.period.scheme_id).filter(user_id__in=visitor_ids))
    if not set(visitor_ids) <= {m.user_id for m in members}:
        raise DomainError(
            gettext("Choose visitors who are on this scheme's rota."),
            code="not_on_rota",
            field="visitors",
        )
    volunteers.refuse_barred(members, *volunteers.week_of(slot.week_starts_on), field="visitors")
    with transaction.atomic():
        locked = revisions.lock(slot, expected_revision)
        warnings = slot_breaches(slot, visitor_ids)
        if warnings and not accept_warnings:
            raise RotaWarning(warnings)
        before = set(slot.visitors.values_list("pk", flat=True))
        slot.visitors.set(visitor_ids)
        slot.unfilled_reason = "" if len(visitor_ids) == 2 else slot.unfilled_reason
        slot.planned_for = None if before != set(visitor_ids) else slot.planned_for
        slot.revision = locked.revision + 1
        slot.save(update_fields=["unfilled_reason", "planned_for", "revision"])
        audit.record(
            actor=actor,
            action="rota.slot_changed",
            obj=slot,
            scheme=slot.period.scheme,
            detail={"before": sorted(before), "after": sorted(visitor_ids), "warnings": warnings},
        )
    return warnings


class RotaWarning(DomainError):
    """A hand change breaks rota rules; the manager may accept it knowingly."""

    status = 409

    def __init__(self, warnings: list[str]):
        super().__init__(" ".join(warnings), code="rota_rule_broken", field="visitors")
        self.warnings = warnings


def move_pair(
    *,
    actor,
    slot: RotaSlot,
    target: RotaSlot,
    accept_warnings: bool = False,
    expected_revision: int | None = None,
) -> list:
    """Swap the pairs of two slots of the same period (a pair moves to another suite or
    week). Broken rules come back as warnings, as for `assign`; `expected_revision` is
    `slot`'s."""
    _require_manager(actor, slot.period.scheme_id)
    if target.period_id != slot.period_id or target.pk == slot.pk:
        raise DomainError(
            gettext("Choose another slot of the same rota."), code="bad_target", field="target"
        )
    with transaction.atomic():
        revisions.lock(slot, expected_revision)
        revisions.lock(target, None)
        here = list(slot.visitors.values_list("pk", flat=True))
        there = list(target.visitors.values_list("pk", flat=True))
        # Each pair must be able to visit in the week it moves to.
        for ids, week in ((there, slot.week_starts_on), (here, target.week_starts_on)):
            volunteers.refuse_barred(
                Membership.objects.filter(
                    scheme_id=slot.period.scheme_id, role__in=VISITING_ROLES, user_id__in=ids
                ).select_related("user"),
                *volunteers.week_of(week),
                field="target",
            )
        found = PeriodRules(slot.period).breaches({slot.pk: there, target.pk: here})
        warnings = [
            gettext("%(place)s: %(message)s") % {"place": place, "message": message}
            for place, key in ((gettext("Here"), slot.pk), (gettext("There"), target.pk))
            for message in found[key]
        ]
        if warnings and not accept_warnings:
            raise RotaWarning(warnings)
        slot.visitors.set(there)
        target.visitors.set(here)
        RotaSlot.objects.filter(pk__in=[slot.pk, target.pk]).update(
            planned_for=None, revision=F("revision") + 1
        )
        audit.record(
            actor=actor,
            action="rota.pair_moved",
            obj=slot,
            scheme=slot.period.scheme,
            detail={"to_slot": target.pk, "warnings": warnings},
        )
    return warnings


# --- Publishing: what each person is told --------------------------------------------------------


@dataclass(frozen=True)
class Telling:
    """What one visitor will be e-mailed: their slots as they will stand, and (publishing
    again) what changed for them."""

    user: object
    slots: tuple[SlotNotice, ...]
    changes: tuple[SlotChange, ...]


@dataclass(frozen=True)
class PublishPreview:
    """Publishing, before it happens: who is told what (visitors and managers, never the
    force), and what the manager should know first. `fingerprint` changes whenever what would
    be sent changes, so a confirmation given for one list cannot send another."""

    period: RotaPeriod
    first: bool
    visitors: list[Telling]
    untouched: int  # visitors on the rota whose slots did not change (told nothing)
    managers: list
    empty_slots: list[RotaSlot]
    availability_open: bool
    without_availability: int
    told: dict
    fingerprint: str

    @property
    def nothing_to_send(self) -> bool:
        return not self.first and not self.visitors


def _as_told(slots: list[RotaSlot]) -> dict:
    """The slots as visitors are told them, keyed by slot id (a JSON object's keys are text)."""
    return {
        str(s.pk): {
            "suite": s.suite.name,
            "week": s.week_starts_on.isoformat(),
            "band": s.time_band,
            "visitors": sorted(u.pk for u in s.visitors.all()),
        }
        for s in slots
        if s.status != RotaSlot.Status.CANCELLED
    }


def _notices(told: dict, names: dict[int, str]) -> dict[int, dict[int, SlotNotice]]:
    """{visitor id: {slot id: notice}} from a `told` mapping."""
    mine: dict[int, dict[int, SlotNotice]] = {}
    for key, entry in told.items():
        for person in entry["visitors"]:
            mine.setdefault(person, {})[int(key)] = SlotNotice(
                slot_id=int(key),
                suite=entry["suite"],
                week=datetime.date.fromisoformat(entry["week"]),
                band=entry["band"],
                partners=tuple(names.get(p, "?") for p in entry["visitors"] if p != person),
            )
    return mine


def _changes(before: dict[int, SlotNotice], now: dict[int, SlotNotice]) -> list[SlotChange]:
    """One visitor's changes. A slot lost and another gained read as a move (paired in week
    order), as when the manager swaps two slots' pairs."""
    changes = [
        SlotChange(
            "partner" if before[k].partners != now[k].partners else "moved", now[k], before[k]
        )
        for k in sorted(before.keys() & now.keys(), key=lambda k: now[k].week)
        if before[k] != now[k]
    ]
    lost = sorted((before[k] for k in before.keys() - now.keys()), key=lambda n: n.week)
    gained = sorted((now[k] for k in now.keys() - before.keys()), key=lambda n: n.week)
    for old, new in zip(lost, gained, strict=False):
        changes.append(SlotChange("moved", new, old))
    changes += [SlotChange("removed", before=old) for old in lost[len(gained) :]]
    changes += [SlotChange("added", now=new) for new in gained[len(lost) :]]
    return sorted(changes, key=lambda c: (c.now or c.before).week)


def publish_preview(period: RotaPeriod) -> PublishPreview:
    """Who publishing `period` now would tell what. The first time: every visitor on it their
    slots. After that: only the visitors whose slots changed since they were last told, with
    the changes. A fixed handful of queries, however many slots."""
    slots = list(
        period.slots.select_related("suite")
        .prefetch_related("visitors")
        .order_by("week_starts_on", "suite__name", "pk")
    )
    first = period.status != RotaPeriod.Status.PUBLISHED
    told_now = _as_told(slots)
    told_before = {} if first else period.told
    ids = {p for told in (told_now, told_before) for e in told.values() for p in e["visitors"]}
    users = {u.pk: u for u in get_user_model().objects.filter(pk__in=ids)}
    names = {pk: u.get_full_name() for pk, u in users.items()}
    before, now = _notices(told_before, names), _notices(told_now, names)
    visitors = []
    members = set(rostered_members(period.scheme_id).values_list("user_id", flat=True))
    for person in sorted(before.keys() | now.keys(), key=lambda p: names.get(p, "")):
        mine = tuple(sorted(now.get(person, {}).values(), key=lambda n: (n.week, n.suite)))
        changes = () if first else tuple(_changes(before.get(person, {}), now.get(person, {})))
        # Only those still on the rota are told: a visitor who has left learns nothing more.
        if (first or changes) and person in users and person in members:
            visitors.append(Telling(user=users[person], slots=mine, changes=changes))
    given = set(period.availability.values_list("user_id", flat=True))
    fingerprint = hashlib.sha256(
        json.dumps([first, told_now, told_before], sort_keys=True).encode()
    ).hexdigest()[:16]
    return PublishPreview(
        period=period,
        first=first,
        visitors=visitors,
        untouched=len(now.keys() - {t.user.pk for t in visitors}),
        managers=notifications.managers_of(period.scheme_id),
        empty_slots=[
            s for s in slots if s.status == RotaSlot.Status.PLANNED and len(s.visitors.all()) < 2
        ],
        availability_open=timezone.localdate() <= period.availability_closes_on,
        without_availability=len(set(members) - given),
        told=told_now,
        fingerprint=fingerprint,
    )


def publish(
    *, actor, period: RotaPeriod, confirmed: str | None = None, notify: bool = True
) -> RotaPeriod:
    """Publish the draft, or publish again after changes, telling exactly those in
    `publish_preview` (queued e-mails). `confirmed` is the fingerprint of the preview the
    manager saw: if the rota changed since, nothing is sent (ConflictError)."""
    _require_manager(actor, period.scheme_id)
    with transaction.atomic():
        period = RotaPeriod.objects.select_for_update().get(pk=period.pk)
        if period.status not in (RotaPeriod.Status.DRAFT, RotaPeriod.Status.PUBLISHED):
            raise ConflictError(gettext("Only a draft rota can be published."), code="not_a_draft")
        preview = publish_preview(period)
        if confirmed is not None and confirmed != preview.fingerprint:
            raise ConflictError(
                gettext(
                    "The rota changed after you opened the confirmation. Check the list again "
                    "before publishing."
                ),
                code="rota_changed",
            )
        if preview.nothing_to_send:
            raise ConflictError(
                gettext("Nothing has changed since the rota was published: nobody needs telling."),
                code="nothing_changed",
            )
        period.told = preview.told
        fields = ["told"]
        if preview.first:
            period.status = RotaPeriod.Status.PUBLISHED
            period.published_at = timezone.now()
            fields += ["status", "published_at"]
        period.save(update_fields=fields)
        audit.record(
            actor=actor,
            action="rota.published" if preview.first else "rota.republished",
            obj=period,
            scheme=period.scheme,
            detail={"told": sorted(t.user.pk for t in preview.visitors)},
        )
        if notify:
            notifications.queue_rota_publishing(preview)
    return period


def _tell_swap(slot: RotaSlot) -> None:
    """A swap is told at once (to the people concerned): record it as told, so publishing
    again does not repeat it."""
    period = RotaPeriod.objects.select_for_update().get(pk=slot.period_id)
    entry = period.told.get(str(slot.pk))
    if entry is not None:
        entry["visitors"] = sorted(slot.visitors.values_list("pk", flat=True))
        period.save(update_fields=["told"])


def _notify_later(kind: str, *args) -> None:
    """Queue the e-mails in the caller's transaction; the worker sends them after it commits."""
    notifications.queue_rota_message(kind, *args)


# --- The pair's own arrangements, swaps and the end of a slot ----------------------------------


def set_planned_time(
    *,
    actor,
    slot: RotaSlot,
    when: datetime.datetime | None,
    expected_revision: int | None = None,
) -> RotaSlot:
    """The pair's private arrangement. Only the pair (and the manager) ever see it."""
    if not permissions.can_plan_slot(actor, slot):
        raise NotPermitted(
            gettext("Only the pair can arrange their visit."), code="role_not_allowed"
        )
    if when is not None:
        day = timezone.localdate(when)
        if not slot.week_starts_on <= day <= slot.week_starts_on + datetime.timedelta(days=6):
            raise DomainError(
                gettext("Choose a time in the week of %(day)s.")
                % {"day": date_format(slot.week_starts_on, "j F")},
                code="outside_week",
                field="planned_for",
            )
    with transaction.atomic():
        locked = revisions.lock(slot, expected_revision)
        slot.planned_for = when
        slot.revision = locked.revision + 1
        slot.save(update_fields=["planned_for", "revision"])
        audit.record(actor=actor, action="rota.time_planned", obj=slot, scheme=slot.period.scheme)
    return slot


def _open_for_change(slot: RotaSlot) -> None:
    if slot.period.status != RotaPeriod.Status.PUBLISHED or slot.status != RotaSlot.Status.PLANNED:
        raise ConflictError(gettext("This slot can no longer be swapped."), code="slot_not_open")
    if slot.week_starts_on + datetime.timedelta(days=6) < timezone.localdate():
        raise ConflictError(gettext("This slot's week is over."), code="slot_in_past")


def offer(*, actor, slot: RotaSlot, note: str = "") -> SwapRequest:
    """Offer one's place for someone else to take. The offerer stays on the slot until then."""
    if not slot.visitors.filter(pk=actor.pk).exists():
        raise NotPermitted(gettext("You can only offer your own slot."), code="not_your_slot")
    _open_for_change(slot)
    with transaction.atomic():
        if slot.swap_requests.filter(offered_by=actor, status=SwapRequest.Status.OPEN).exists():
            raise ConflictError(
                gettext("You have already offered this slot."), code="already_offered"
            )
        swap = SwapRequest.objects.create(slot=slot, offered_by=actor, note=note.strip()[:200])
        audit.record(actor=actor, action="rota.swap_offered", obj=swap, scheme=slot.period.scheme)
        _notify_later("offered", swap.pk)
    return swap


def withdraw(*, actor, swap: SwapRequest) -> SwapRequest:
    if swap.offered_by_id != actor.pk:
        raise NotPermitted(
            gettext("Only the visitor who offered it can withdraw it."), code="not_yours"
        )
    if swap.status != SwapRequest.Status.OPEN:
        raise ConflictError(gettext("This offer is no longer open."), code="swap_closed")
    swap.status = SwapRequest.Status.WITHDRAWN
    swap.resolved_at = timezone.now()
    swap.save(update_fields=["status", "resolved_at"])
    audit.record(
        actor=actor, action="rota.swap_withdrawn", obj=swap, scheme=swap.slot.period.scheme
    )
    return swap


def can_take(swap: SwapRequest, user, rules: PeriodRules | None = None) -> list[str]:
    """Why this user cannot take the offered place ([] when they can). Pass the period's
    rules when checking many offers of one period."""
    if swap.status != SwapRequest.Status.OPEN:
        return [gettext("This offer is no longer open.")]
    rules = rules or PeriodRules(swap.slot.period)
    on_slot = rules.pairs.get(swap.slot_id, [])
    if user.pk in on_slot:
        return [gettext("You are already on this slot.")]
    if user.pk not in rules.names:
        return [gettext("Only active visitors can take a slot.")]
    bar = _bar_for(user, swap.slot)
    if bar is not None:
        return [bar.message]
    partners = [pid for pid in on_slot if pid != swap.offered_by_id]
    return rules.breaches({swap.slot_id: [*partners, user.pk]}, viewer=user.pk)[swap.slot_id]


def _bar_for(user, slot: RotaSlot):
    """Why the user may not visit in the slot's week (vetting, appointment, leaving), or None.
    Their memberships are loaded once per request (permissions.memberships_of)."""
    for m in permissions.memberships_of(user):
        if m.scheme_id == slot.period.scheme_id and m.role in VISITING_ROLES:
            m.user = user
            return m.visiting_bar(*volunteers.week_of(slot.week_starts_on))
    return None


def take(*, actor, swap: SwapRequest) -> SwapRequest:
    """Take an offered place, if every rota rule still holds with the taker in it, and the
    taker's vetting and appointment cover the slot's week (a DomainError with its code)."""
    with transaction.atomic():
        swap = (
            SwapRequest.objects.select_for_update().select_related("slot__period").get(pk=swap.pk)
        )
        _open_for_change(swap.slot)
        bar = _bar_for(actor, swap.slot)
        if bar is not None:
            raise DomainError(bar.message, code=bar.code)
        reasons = can_take(swap, actor)
        if reasons:
            raise ConflictError(" ".join(reasons), code="cannot_take")
        slot = swap.slot
        slot.visitors.remove(swap.offered_by_id)
        slot.visitors.add(actor)
        slot.planned_for = None  # the new pair arrange it afresh
        slot.uncovered_alert_at = None
        slot.revision = F("revision") + 1
        slot.save(update_fields=["planned_for", "uncovered_alert_at", "revision"])
        swap.status = SwapRequest.Status.TAKEN
        swap.taken_by = actor
        swap.resolved_at = timezone.now()
        swap.save(update_fields=["status", "taken_by", "resolved_at"])
        audit.record(actor=actor, action="rota.swap_taken", obj=swap, scheme=slot.period.scheme)
        _notify_later("taken", swap.pk)
        _tell_swap(slot)
    return swap


def open_offers_for(user):
    """Open offers in the user's schemes, each with why the user cannot take it ([] if they
    can); each period's rules are loaded once."""
    offers = (
        permissions.scope_swaps(SwapRequest.objects.all(), user)
        .filter(
            status=SwapRequest.Status.OPEN,
            slot__status=RotaSlot.Status.PLANNED,
            slot__week_starts_on__gte=monday_of(timezone.localdate()),
        )
        .exclude(offered_by=user)
        .select_related("slot__suite", "slot__period", "offered_by")
        .order_by("slot__week_starts_on")
    )
    rules: dict[int, PeriodRules] = {}
    result = []
    for swap in offers:
        period = swap.slot.period
        if period.pk not in rules:
            rules[period.pk] = PeriodRules(period)
        result.append((swap, can_take(swap, user, rules[period.pk])))
    return result


def rostered_members_of(user):
    return [
        m
        for m in permissions.memberships_of(user)
        if m.role in VISITING_ROLES and m.status in ROSTERED_STATUSES
    ]


def end_slot(
    *, actor, slot: RotaSlot, status: str, expected_revision: int | None = None
) -> RotaSlot:
    """The manager marks a slot missed or cancelled (done comes from the visit itself)."""
    _require_manager(actor, slot.period.scheme_id)
    if status not in (RotaSlot.Status.MISSED, RotaSlot.Status.CANCELLED, RotaSlot.Status.PLANNED):
        raise DomainError(
            gettext("Choose missed, cancelled or planned."), code="bad_status", field="status"
        )
    with transaction.atomic():
        locked = revisions.lock(slot, expected_revision)
        if locked.status == RotaSlot.Status.DONE:
            raise ConflictError(gettext("A visit was recorded for this slot."), code="slot_done")
        slot.status = status
        slot.revision = locked.revision + 1
        slot.save(update_fields=["status", "revision"])
        audit.record(actor=actor, action=f"rota.slot_{status}", obj=slot, scheme=slot.period.scheme)
    return slot


def period_overview(period: RotaPeriod) -> dict:
    """What the manager's page of a period shows: the grid of suites by week, each suite's slots
    by status, the quality figures and a row for each hard rule (with hand changes), who has
    not given their availability, each visitor's load, and what publishing again would tell."""
    slots = list(period.slots.select_related("suite").prefetch_related("visitors", "swap_requests"))
    suites = list(period.scheme.suites.filter(active=True).order_by("name"))
    weeks = weeks_of(period)
    grid = defaultdict(list)
    completion = defaultdict(Counter)
    for slot in slots:
        grid[(slot.suite_id, slot.week_starts_on)].append(slot)
        slot.offered = any(s.status == SwapRequest.Status.OPEN for s in slot.swap_requests.all())
        completion[slot.suite_id][slot.status] += 1
    rows = [
        {
            "week": week,
            "cells": [grid.get((suite.pk, week), []) for suite in suites],
        }
        for week in weeks
    ]
    for suite in suites:
        counts = completion[suite.pk]
        suite.completion = {status: counts[status] for status in RotaSlot.Status.values} | {
            "total": sum(counts.values())
        }
    members = list(rostered_members(period.scheme_id))
    given = {a.user_id: a for a in period.availability.all()}
    figures = None
    if slots:
        problem = build_problem(period, slots, members=members, given=given)
        plan = scheduling.Plan(
            pairs={
                s.pk: tuple(u.pk for u in s.visitors.all())
                for s in slots
                if len(s.visitors.all()) == 2 and s.status != RotaSlot.Status.CANCELLED
            },
            bands={s.pk: s.time_band for s in slots},
            unfilled={},
        )
        figures = rota_solver.figures(problem, plan)
        load = Counter(pid for pair in plan.pairs.values() for pid in pair)
        for m in members:
            m.load = load[m.user_id]
    for m in members:
        m.availability = given.get(m.user_id)
    quality = quality_rows(figures) if figures else []
    return {
        "period": period,
        "suites": suites,
        "rows": rows,
        "figures": figures,
        "quality": quality,
        "rules_broken": sum(1 for row in quality if row.rule and row.broken),
        # Hand changes to a published rota wait until the manager publishes them.
        "waiting": (
            publish_preview(period).visitors if period.status == RotaPeriod.Status.PUBLISHED else []
        ),
        "members": members,
        "missing": [m for m in members if m.user_id not in given],
        "empty": sum(1 for s in slots if len(s.visitors.all()) < 2),
    }


# --- Daily jobs (send_rota_reminders) -----------------------------------------------------------


def mark_missed(today: datetime.date, grace_days: int = 7) -> int:
    """Planned slots whose week ended more than `grace_days` ago with no visit are missed."""
    cutoff = today - datetime.timedelta(days=6 + grace_days)
    return RotaSlot.objects.filter(
        status=RotaSlot.Status.PLANNED,
        week_starts_on__lt=cutoff,
        visit__isnull=True,
        period__status__in=[RotaPeriod.Status.PUBLISHED, RotaPeriod.Status.CLOSED],
    ).update(status=RotaSlot.Status.MISSED)


def _published_planned():
    return RotaSlot.objects.filter(
        period__status=RotaPeriod.Status.PUBLISHED, status=RotaSlot.Status.PLANNED
    )


def due_reminders(today: datetime.date, days_ahead: int = 4):
    """Slots starting within `days_ahead` days whose visitors have not been reminded."""
    return _published_planned().filter(
        week_starts_on__gte=today,
        week_starts_on__lte=today + datetime.timedelta(days=days_ahead),
        reminded_at__isnull=True,
    )


def uncovered(today: datetime.date, days_ahead: int = 7):
    """Slots within a week that lack a pair or hang on an open offer, not yet alerted."""
    return (
        _published_planned()
        .filter(
            week_starts_on__gte=monday_of(today),
            week_starts_on__lte=today + datetime.timedelta(days=days_ahead),
            uncovered_alert_at__isnull=True,
        )
        .annotate(
            people=Count("visitors", distinct=True),
            offers=Count(
                "swap_requests",
                filter=Q(swap_requests__status=SwapRequest.Status.OPEN),
                distinct=True,
            ),
        )
        .filter(Q(people__lt=2) | Q(offers__gt=0))
    )


def feed_for(*, actor, membership: Membership, renew: bool = False) -> CalendarFeed:
    """The visitor's secret calendar address; renewing revokes the old one."""
    if membership.user_id != actor.pk:
        raise NotPermitted(gettext("Calendar feeds are personal."), code="not_yours")
    with transaction.atomic():
        current = membership.calendar_feeds.filter(revoked_at__isnull=True).first()
        if current and not renew:
            return current
        membership.calendar_feeds.filter(revoked_at__isnull=True).update(revoked_at=timezone.now())
        feed = CalendarFeed.objects.create(membership=membership, token=secrets.token_urlsafe(32))
        audit.record(actor=actor, action="rota.feed_renewed", obj=feed, scheme=membership.scheme)
    return feed


def slots_for_visitor(user, scheme_id: int | None = None):
    """The visitor's own published slots, newest period first."""
    qs = (
        RotaSlot.objects.filter(
            visitors=user,
            period__status__in=[RotaPeriod.Status.PUBLISHED, RotaPeriod.Status.CLOSED],
        )
        .select_related("suite", "period")
        .prefetch_related(
            Prefetch("visitors"),
            Prefetch(
                "swap_requests",
                queryset=SwapRequest.objects.filter(status=SwapRequest.Status.OPEN),
                to_attr="open_offers",
            ),
        )
        .order_by("week_starts_on")
    )
    if scheme_id:
        qs = qs.filter(period__scheme_id=scheme_id)
    return qs


# A custody visit takes an hour or two (detainees seen, cells and records checked); the agreed
# time blocks two hours in the pair's calendars, enough not to be double-booked over it.
VISIT_LENGTH = datetime.timedelta(hours=2)


@dataclass(frozen=True)
class FeedEvent:
    """One slot in a visitor's calendar feed: the week as an all-day event until the pair
    agree a day and time (`starts_at`), then that time. Only the person's own slots, so the
    agreed time reaches the pair's feeds and nobody else's."""

    slot_id: int
    suite: str
    week: datetime.date
    starts_at: datetime.datetime | None

    @property
    def ends_at(self) -> datetime.datetime | None:
        return self.starts_at + VISIT_LENGTH if self.starts_at else None


@dataclass(frozen=True)
class Feed:
    """What a secret calendar address shows: whose it is and their events."""

    scheme_name: str
    events: list[FeedEvent]


def calendar_feed(token: str) -> Feed:
    """The feed at a secret address, or NotFound: a revoked address, a deactivated account,
    or someone no longer on the rota (who has left, or changed role) reads nothing."""
    feed = (
        CalendarFeed.objects.select_related("membership__user", "membership__scheme")
        .filter(token=token, revoked_at__isnull=True)
        .first()
        if tokens.is_secret_shaped(token)
        else None
    )
    membership = feed.membership if feed else None
    if (
        membership is None
        or not membership.user.is_active
        or membership not in rostered_members(membership.scheme_id)
    ):
        raise NotFound(gettext("No calendar at this address."), code="no_feed")
    return Feed(scheme_name=membership.scheme.name, events=feed_events(membership))


def feed_events(membership: Membership) -> list[FeedEvent]:
    """The calendar feed of a rostered member: their own published slots, cancelled ones
    left out."""
    slots = (
        RotaSlot.objects.filter(
            visitors=membership.user_id,
            period__scheme_id=membership.scheme_id,
            period__status__in=[RotaPeriod.Status.PUBLISHED, RotaPeriod.Status.CLOSED],
        )
        .exclude(status=RotaSlot.Status.CANCELLED)
        .select_related("suite")
        .order_by("week_starts_on", "pk")
    )
    return [
        FeedEvent(
            slot_id=slot.pk,
            suite=slot.suite.name,
            week=slot.week_starts_on,
            starts_at=slot.planned_for,
        )
        for slot in slots
    ]


# --- Starting a visit (the start form's first guess) ------------------------------------------

USUAL_PARTNERS_DAYS = 365


@dataclass(frozen=True)
class RotaGuess:
    """The visitor's rota slot the start form is filled from."""

    slot_id: int
    suite_id: int
    suite_name: str
    week_starts_on: datetime.date
    planned_for: datetime.datetime | None
    partner_ids: tuple[int, ...]


@dataclass(frozen=True)
class RecordingStart:
    """The start form's first guess, from the visitor's rota slot this week (if any): the
    suite, the slot's partners and an arrival time; and everyone they may visit with, in the
    order they are likely to pick (the slot's partners, then the usual ones, then by name)."""

    partners: object  # the User queryset given, ordered
    slot: RotaGuess | None
    suite: int | None
    co_visitors: list[int]
    arrived_at: datetime.datetime


def _slot_this_week(user, suites, today) -> RotaGuess | None:
    """The user's planned slot of this week at one of `suites`, the one planned for today
    first: one query (a row per visitor of each slot)."""
    rows = (
        RotaSlot.visitors.through.objects.filter(
            rotaslot__visitors=user,
            rotaslot__status=RotaSlot.Status.PLANNED,
            rotaslot__visit__isnull=True,
            rotaslot__week_starts_on=monday_of(today),
            rotaslot__period__status=RotaPeriod.Status.PUBLISHED,
            rotaslot__suite__in=suites,
        )
        .values_list(
            "rotaslot_id",
            "rotaslot__suite_id",
            "rotaslot__suite__name",
            "rotaslot__planned_for",
            "user_id",
        )
        .order_by("rotaslot__planned_for", "rotaslot_id", "user_id")
    )
    slots: dict[int, list] = {}
    for slot_id, suite_id, suite_name, planned_for, visitor_id in rows:
        slots.setdefault(slot_id, [suite_id, suite_name, planned_for, []])[3].append(visitor_id)
    if not slots:
        return None

    def planned_today(item) -> bool:
        planned_for = item[1][2]
        return planned_for is not None and timezone.localdate(planned_for) == today

    slot_id, (suite_id, suite_name, planned_for, visitor_ids) = next(
        (item for item in slots.items() if planned_today(item)), next(iter(slots.items()))
    )
    return RotaGuess(
        slot_id=slot_id,
        suite_id=suite_id,
        suite_name=suite_name,
        week_starts_on=monday_of(today),
        planned_for=planned_for,
        partner_ids=tuple(pk for pk in visitor_ids if pk != user.pk),
    )


def recording_start(user, *, suites, partners, now=None) -> RecordingStart:
    """Read from `user`'s own published slot of this week at one of `suites`; `partners` (who
    they may visit with, as permissions.recording_choices gives) comes back ordered. Only the
    visitor's own pages ask this: the force never learns the rota from it."""
    now = timezone.localtime(now).replace(second=0, microsecond=0)
    slot = _slot_this_week(user, suites, now.date())
    partner_ids = list(slot.partner_ids) if slot else []
    # `visits` is the partner's visits (Visit.visitors): those this user was on too, lately.
    shared_with_user = Q(
        visits__visitors=user,
        visits__arrived_at__gte=now - datetime.timedelta(days=USUAL_PARTNERS_DAYS),
    )
    ordered = partners.annotate(
        on_rota_slot=Case(
            When(pk__in=partner_ids, then=Value(1)), default=Value(0), output_field=IntegerField()
        ),
        visits_together=Count("visits", filter=shared_with_user, distinct=True),
    ).order_by("-on_rota_slot", "-visits_together", "first_name", "last_name", "pk")
    arrived_at = now
    if slot and slot.planned_for and timezone.localdate(slot.planned_for) == now.date():
        # Recorded after the visit as often as during it: the planned time, once it has come.
        arrived_at = min(now, timezone.localtime(slot.planned_for))
    return RecordingStart(
        partners=ordered,
        slot=slot,
        suite=slot.suite_id if slot else None,
        # A partner who may no longer record with the user is not among the choices, and so
        # is simply not ticked.
        co_visitors=partner_ids,
        arrived_at=arrived_at,
    )
