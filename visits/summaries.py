"""The figures of a period for the PCC: computed once, rendered by the page, the PDF, the CSV,
the API and the national return.

`summarise(scheme, period, suite_ids)` makes a fixed number of aggregate queries (each covers
the period and the one before it at once, for the trend), whatever the number of visits.
`visible_summary(viewer, scope)` is the read model the doors render: the force custody lead's
summary holds nothing of when visits happen or are planned (no planned counts, no weeks, no
days, no times of day), which would tell them when the next visit is due.

"Planned" counts only the slots of published rotas in weeks that have begun: a draft is not a
plan yet, and comparing what was made so far with what was planned so far is the fair measure.
"""

import dataclasses
import datetime
import re
import statistics
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Avg, Case, CharField, Count, Max, Q, Sum, Value, When
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone
from django.utils.translation import gettext

from visits import permissions
from visits.errors import NotFound, NotPermitted
from visits.models import (
    CustodySuite,
    DetaineeRecord,
    Issue,
    IssueCategory,
    Membership,
    RotaPeriod,
    RotaSlot,
    Scheme,
    Visit,
)
from visits.rules import NOT_VISITED_LABELS
from visits.services import audit
from visits.workdays import monday_of, working_days_between

BANDS = ["Weekday daytime", "Evening", "Weekend", "Night"]
RESPONSE_BINS = ["Up to 5 working days", "6 to 10", "11 to 20", "Over 20"]
DAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]


@dataclass(frozen=True)
class Period:
    start: datetime.date
    end: datetime.date  # inclusive
    label: str
    key: str  # "2026-Q4" or "2026"

    @classmethod
    def quarter(cls, year: int, number: int) -> "Period":
        start = datetime.date(year, 3 * (number - 1) + 1, 1)
        end = (start.replace(day=28) + datetime.timedelta(days=4 + 62)).replace(day=1)
        end = end - datetime.timedelta(days=1)
        months = f"{start:%B} to {end:%B %Y}"
        return cls(start, end, months, f"{year}-Q{number}")

    @classmethod
    def year(cls, year: int) -> "Period":
        return cls(datetime.date(year, 1, 1), datetime.date(year, 12, 31), str(year), str(year))

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

    def weeks_until(self, today: datetime.date) -> int:
        """Whole weeks of the period that have passed by `today` (all of them once it ends)."""
        last = min(self.end, today)
        return max(0, round(((last - self.start).days + 1) / 7))


@dataclass
class Figures:
    """Every figure of one period (for a scheme or some of its suites)."""

    visits_target: int = 0
    # Slots of published rotas in weeks begun; 0 when no rota was planned. The figures below
    # marked "pattern" are None in a summary for a reader who may not learn when visits happen.
    visits_planned: int | None = 0  # pattern
    visits_made: int = 0
    visits_abandoned: int = 0
    visits_unsatisfactory: int = 0
    tact_visits: int = 0
    delays: int = 0
    delay_average: float = 0.0
    delay_longest: int = 0
    delay_reasons: list[tuple[str, int]] = field(default_factory=list)
    by_day: list[int] | None = field(default_factory=lambda: [0] * 7)  # pattern
    by_band: dict[str, int] | None = field(  # pattern
        default_factory=lambda: dict.fromkeys(BANDS, 0)
    )
    in_custody: int = 0
    offered: int = 0
    visited: int = 0
    observed_only: int = 0
    declined: int = 0
    not_visited: dict[str, int] = field(default_factory=dict)
    under_18: int = 0
    detainees_recorded: int = 0
    appropriate_adult_needed: int = 0
    appropriate_adult_present: int = 0
    interpreter_needed: int = 0
    interpreter_used: int = 0
    mental_health: int = 0
    issues_raised: int = 0
    issues_resolved_on_visit: int = 0
    issues_referred: int = 0
    issues_by_category: dict[str, dict[str, int]] = field(default_factory=dict)
    issues_open_at_end: int = 0
    response_median_days: float | None = None
    responses_overdue: int = 0
    volunteers_active: int = 0
    volunteers_joined: int = 0
    volunteers_left: int = 0
    hours_volunteered: float = 0.0
    # Monday of each week (ISO date) -> [made, planned]
    by_week: dict[str, list[int]] | None = field(default_factory=dict)  # pattern
    issues_by_status: dict[str, int] = field(default_factory=dict)
    # working days to the force's first response, grouped; "not yet" for those still waiting
    response_times: dict[str, int] = field(
        default_factory=lambda: dict.fromkeys(RESPONSE_BINS + ["Not yet"], 0)
    )

    PATTERN = ("visits_planned", "by_day", "by_band", "by_week")

    def without_pattern(self) -> None:
        """Forget when visits happened and were planned (see the module's docstring)."""
        for name in self.PATTERN:
            setattr(self, name, None)

    def given(self) -> dict:
        """Every figure this reader is given, by name (the pattern's are left out when not)."""
        return {
            k: v
            for k, v in dataclasses.asdict(self).items()
            if v is not None or k not in self.PATTERN
        }

    @property
    def not_visited_total(self) -> int:
        return sum(self.not_visited.values())

    @property
    def resolved_on_visit_share(self) -> int:
        return (
            round(100 * self.issues_resolved_on_visit / self.issues_raised)
            if (self.issues_raised)
            else 0
        )

    def weekly(self) -> list[tuple[str, int]]:
        """Visits made each week (each month, when there are more than 16 weeks), labelled
        with the rota's plan when there is one."""
        if self.by_week is None:
            return []
        planned = any(plan for _made, plan in self.by_week.values())
        groups: dict[str, list[int]] = {}
        monthly = len(self.by_week) > 16
        for monday, (made, plan) in self.by_week.items():
            day = datetime.date.fromisoformat(monday)
            label = f"{day:%b %Y}" if monthly else f"w/c {day:%d %b}"
            totals = groups.setdefault(label, [0, 0])
            totals[0] += made
            totals[1] += plan
        return [
            (label + (f" (planned {plan})" if planned else ""), made)
            for label, (made, plan) in groups.items()
        ]

    @property
    def completion(self) -> int:
        base = self.visits_planned or self.visits_target
        return round(100 * self.visits_made / base) if base else 0


@dataclass
class SuiteRow:
    name: str
    visits_made: int
    visits_abandoned: int
    in_custody: int
    visited: int
    issues_raised: int
    previous_made: int


@dataclass
class Summary:
    scheme: Scheme
    period: Period
    previous_period: Period
    suite_names: list[str]
    current: Figures
    previous: Figures
    suites: list[SuiteRow]
    good_practice: list[str]
    issues_with_responses: list[dict]

    def sentences(self) -> list[str]:
        """The headline in words, as a PCC would publish it."""
        c, p = self.current, self.previous
        base = c.visits_planned or c.visits_target
        basis = "planned" if c.visits_planned else "expected (each suite weekly)"
        lines = [
            f"{c.visits_made} of {base} {basis} visits were made ({c.completion}%), "
            f"{_trend(c.visits_made, p.visits_made)}.",
            f"{c.visits_abandoned} visit{'s were' if c.visits_abandoned != 1 else ' was'} "
            "abandoned.",
            f"{c.in_custody} people were in custody at the time of visits; {c.visited} were "
            f"visited, {c.declined} declined and {c.not_visited_total} could not be seen.",
            f"Visitors were kept waiting on {c.delays} visit{'s' if c.delays != 1 else ''}"
            + (
                f", for {c.delay_average:.0f} minutes on average and {c.delay_longest} at most."
                if c.delays
                else "."
            ),
            f"{c.issues_raised} issue{'s were' if c.issues_raised != 1 else ' was'} raised, "
            f"{c.resolved_on_visit_share}% resolved during the visit; {c.issues_referred} were "
            f"referred to the force; {c.issues_open_at_end} were open at the end of the period.",
        ]
        if c.response_median_days is not None:
            lines.append(
                f"The force answered referred issues in a median of "
                f"{c.response_median_days:g} working days; {c.responses_overdue} "
                f"response{'s are' if c.responses_overdue != 1 else ' is'} overdue."
            )
        return lines


def _trend(now: int, before: int) -> str:
    if now == before:
        return f"the same as the {before} of the period before"
    return f"{'up' if now > before else 'down'} from {before}"


def _period_case(current: Period, previous: Period, field_name: str):
    return Case(
        When(
            **{f"{field_name}__gte": current.start, f"{field_name}__lte": current.end},
            then=Value("cur"),
        ),
        default=Value("prev"),
        output_field=CharField(),
    )


def _band(moment: datetime.datetime) -> str:
    local = timezone.localtime(moment)
    if local.hour >= 22 or local.hour < 6:
        return "Night"
    if local.weekday() >= 5:
        return "Weekend"
    return "Evening" if local.hour >= 18 else "Weekday daytime"


def summarise(
    scheme: Scheme,
    period: Period,
    suite_ids: list[int] | None = None,
    *,
    suites=None,
    with_pattern: bool = True,
    with_internal_notes: bool = True,
) -> Summary:
    """Every figure for `period` and the period before it, for the scheme or some suites
    (given by id, or as the suite objects themselves to save a query). Without the pattern
    of when visits happen and are planned if `with_pattern` is false (Figures.PATTERN), and
    without the scheme's words on how each referred issue ended if `with_internal_notes` is."""
    previous = period.previous()
    cur, prev = Q(visit_date__gte=period.start), Q(visit_date__lt=period.start)
    if suites is None:
        suites = scheme.suites.filter(active=True).order_by("name")
        if suite_ids is not None:
            suites = suites.filter(pk__in=suite_ids)
        suites = list(suites)  # 1, unless the suites are given
    suite_pks = [s.pk for s in suites]
    visits = Visit.objects.filter(
        scheme=scheme,
        status=Visit.Status.SUBMITTED,
        suite_id__in=suite_pks,
        visit_date__gte=previous.start,
        visit_date__lte=period.end,
    )
    made = ~Q(outcome=Visit.Outcome.ABANDONED)
    number_fields = [
        "in_custody",
        "offered",
        "visited",
        "observed_only",
        "declined",
        "under_18",
        *NOT_VISITED_LABELS,
    ]

    def visit_aggregates(when: Q, tag: str) -> dict:
        aggregates = {
            f"{tag}made": Count("pk", filter=when & made),
            f"{tag}abandoned": Count("pk", filter=when & Q(outcome=Visit.Outcome.ABANDONED)),
            f"{tag}unsatisfactory": Count(
                "pk", filter=when & Q(outcome=Visit.Outcome.UNSATISFACTORY)
            ),
            f"{tag}tact": Count("pk", filter=when & Q(involves_tact=True)),
            f"{tag}delays": Count("pk", filter=when & Q(delay_minutes__gt=0)),
            f"{tag}delay_avg": Avg("delay_minutes", filter=when & Q(delay_minutes__gt=0)),
            f"{tag}delay_max": Max("delay_minutes", filter=when),
        }
        for name in number_fields:
            aggregates[f"{tag}{name}"] = Sum(name, filter=when)
        return aggregates

    totals = visits.aggregate(**visit_aggregates(cur, "c_"), **visit_aggregates(prev, "p_"))  # 2
    figures = {"c_": Figures(), "p_": Figures()}
    today = timezone.localdate()
    weeks = {"c_": period.weeks_until(today), "p_": previous.weeks_until(today)}
    target = sum(s.visits_per_week for s in suites)
    for tag, f in figures.items():
        f.visits_target = target * weeks[tag]
        f.visits_made = totals[f"{tag}made"]
        f.visits_abandoned = totals[f"{tag}abandoned"]
        f.visits_unsatisfactory = totals[f"{tag}unsatisfactory"]
        f.tact_visits = totals[f"{tag}tact"]
        f.delays = totals[f"{tag}delays"]
        f.delay_average = float(totals[f"{tag}delay_avg"] or 0)
        f.delay_longest = totals[f"{tag}delay_max"] or 0
        for name in ["in_custody", "offered", "visited", "observed_only", "declined", "under_18"]:
            setattr(f, name, totals[f"{tag}{name}"] or 0)
        f.not_visited = {
            label.capitalize(): totals[f"{tag}{name}"] or 0
            for name, label in NOT_VISITED_LABELS.items()
        }

    # Per suite, this period and made last period.
    per_suite = {
        row["suite_id"]: row
        for row in visits.values("suite_id").annotate(  # 3
            made_c=Count("pk", filter=cur & made),
            abandoned_c=Count("pk", filter=cur & Q(outcome=Visit.Outcome.ABANDONED)),
            in_custody_c=Sum("in_custody", filter=cur),
            visited_c=Sum("visited", filter=cur),
            made_p=Count("pk", filter=prev & made),
        )
    }

    # Coverage by day and time band, and hours volunteered: one row per visit, two columns.
    rows = (
        visits.filter(made)
        .annotate(people=Count("visit_visitors"))
        .values_list(  # 4
            "visit_date", "arrived_at", "departed_at", "people"
        )
    )
    for visit_date, arrived, departed, people in rows:
        f = figures["c_" if visit_date >= period.start else "p_"]
        f.by_day[timezone.localtime(arrived).weekday()] += 1
        f.by_week.setdefault(monday_of(visit_date).isoformat(), [0, 0])[0] += 1
        f.by_band[_band(arrived)] += 1
        if departed:
            f.hours_volunteered += (departed - arrived).total_seconds() / 3600 * people

    reasons = (
        visits.filter(delay_minutes__gt=0)  # 5
        .annotate(p=_period_case(period, previous, "visit_date"))
        .values("p", "delay_reason")
        .annotate(n=Count("pk"))
        .order_by("-n")
    )
    for row in reasons:
        figures["c_" if row["p"] == "cur" else "p_"].delay_reasons.append(
            (row["delay_reason"] or "Not recorded", row["n"])
        )

    detainees = DetaineeRecord.objects.filter(visit__in=visits)
    flags = [
        "appropriate_adult_needed",
        "appropriate_adult_present",
        "interpreter_needed",
        "interpreter_used",
        "mental_health_concern",
    ]
    periods = (
        ("c_", Q(visit__visit_date__gte=period.start)),
        ("p_", Q(visit__visit_date__lt=period.start)),
    )
    d_totals = detainees.aggregate(  # 6
        **{
            f"{tag}{name}": Count("pk", filter=when & Q(**{name: True}))
            for tag, when in periods
            for name in flags
        },
        **{f"{tag}recorded": Count("pk", filter=when) for tag, when in periods},
    )
    for tag, f in figures.items():
        f.detainees_recorded = d_totals[f"{tag}recorded"]
        f.appropriate_adult_needed = d_totals[f"{tag}appropriate_adult_needed"]
        f.appropriate_adult_present = d_totals[f"{tag}appropriate_adult_present"]
        f.interpreter_needed = d_totals[f"{tag}interpreter_needed"]
        f.interpreter_used = d_totals[f"{tag}interpreter_used"]
        f.mental_health = d_totals[f"{tag}mental_health_concern"]

    # Issues by period raised, category, suite and status, with how many were open at the end
    # of each period, counted in the database: one grouped query however many issues.
    issues = Issue.objects.reported().filter(scheme=scheme, suite_id__in=suite_pks)
    # An issue raised on a visit belongs to the visit's date; any other to the day it was made.
    issues = issues.annotate(raised_on=Coalesce("visit__visit_date", TruncDate("created_at")))
    end_c = timezone.make_aware(
        datetime.datetime.combine(period.end + datetime.timedelta(days=1), datetime.time())
    )
    end_p = timezone.make_aware(datetime.datetime.combine(period.start, datetime.time()))
    start_p = timezone.make_aware(datetime.datetime.combine(previous.start, datetime.time()))
    # Issues resolved during the visit were never open.
    can_be_open = ~Q(status=Issue.Status.RESOLVED_ON_VISIT)
    per_category = (
        issues.filter(raised_on__lte=period.end)
        .annotate(
            p=Case(  # 7
                When(raised_on__gte=period.start, then=Value("cur")),
                When(raised_on__gte=previous.start, then=Value("prev")),
                default=Value("older"),
                output_field=CharField(),
            )
        )
        .values("p", "category", "suite_id", "status")
        .annotate(
            total=Count("pk"),
            resolved=Count("pk", filter=Q(status=Issue.Status.RESOLVED_ON_VISIT)),
            referred=Count("pk", filter=Q(referred_at__isnull=False)),
            still_open=Count("pk", filter=~Q(status__in=Issue.CLOSED_STATUSES)),
            open_c=Count(
                "pk", filter=can_be_open & (Q(closed_at__isnull=True) | Q(closed_at__gte=end_c))
            ),
            open_p=Count(
                "pk",
                filter=can_be_open
                & Q(raised_on__lt=period.start)
                & (Q(closed_at__isnull=True) | Q(closed_at__gte=end_p)),
            ),
        )
    )
    labels = dict(IssueCategory.choices)
    issues_per_suite: dict[int, int] = defaultdict(int)
    for row in per_category:
        figures["c_"].issues_open_at_end += row["open_c"]
        figures["p_"].issues_open_at_end += row["open_p"]
        if row["p"] == "older":
            continue
        f = figures["c_" if row["p"] == "cur" else "p_"]
        f.issues_raised += row["total"]
        f.issues_resolved_on_visit += row["resolved"]
        f.issues_referred += row["referred"]
        counts = f.issues_by_category.setdefault(
            labels.get(row["category"], row["category"]),
            {"raised": 0, "resolved on the visit": 0, "referred": 0, "open now": 0},
        )
        counts["raised"] += row["total"]
        counts["resolved on the visit"] += row["resolved"]
        counts["referred"] += row["referred"]
        counts["open now"] += row["still_open"]
        statuses = f.issues_by_status
        label = dict(Issue.Status.choices)[row["status"]]
        statuses[label] = statuses.get(label, 0) + row["total"]
        if row["p"] == "cur":
            issues_per_suite[row["suite_id"]] += row["total"]

    # Response times, overdue responses and the referred issues with the force's answers:
    # one row per issue referred in either period.
    rows = (
        # Datetimes, not __date: SQLite would convert every row's date in Python.
        issues.filter(referred_at__gte=start_p, referred_at__lt=end_c)
        .order_by("suite__name", "created_at")
        .values_list(
            "referred_at",
            "responded_at",
            "due_on",
            "status",
            "category",
            "suite__name",
            "description",
            "outcome",
        )
    )  # 8
    waits = defaultdict(list)
    with_responses = []
    waiting = (Issue.Status.REFERRED, Issue.Status.ESCALATED)
    overdue_before = {"c_": min(today, period.end), "p_": min(today, previous.end)}
    status_labels = dict(Issue.Status.choices)
    for (
        referred_at,
        responded_at,
        due_on,
        status,
        category,
        suite_name,
        description,
        outcome,
    ) in rows:
        tag = "c_" if referred_at >= end_p else "p_"
        f = figures[tag]
        if responded_at:
            days = working_days_between(
                timezone.localdate(referred_at), timezone.localdate(responded_at)
            )
            waits[tag].append(days)
            f.response_times[
                RESPONSE_BINS[0 if days <= 5 else 1 if days <= 10 else 2 if days <= 20 else 3]
            ] += 1
        else:
            f.response_times["Not yet"] += 1
            if status in waiting and due_on and due_on < overdue_before[tag]:
                f.responses_overdue += 1
        if tag == "c_" and len(with_responses) < 40:
            with_responses.append(
                {
                    "category": labels.get(category, category),
                    "suite": suite_name,
                    "description": description,
                    "status": status_labels[status],
                    "outcome": outcome if with_internal_notes else "",
                }
            )
    for tag, values in waits.items():
        figures[tag].response_median_days = statistics.median(values)

    slots = (
        RotaSlot.objects.filter(  # 9
            suite_id__in=suite_pks,
            period__status__in=[RotaPeriod.Status.PUBLISHED, RotaPeriod.Status.CLOSED],
            week_starts_on__gte=previous.start,
            week_starts_on__lte=min(period.end, today),
        )
        .exclude(status=RotaSlot.Status.CANCELLED)
        .values("week_starts_on")
        .annotate(n=Count("pk"))
    )
    for row in slots if with_pattern else []:
        tag = "c_" if row["week_starts_on"] >= period.start else "p_"
        figures[tag].visits_planned += row["n"]
        figures[tag].by_week.setdefault(row["week_starts_on"].isoformat(), [0, 0])[1] += row["n"]
    for f in figures.values():
        f.by_week = dict(sorted(f.by_week.items()))
        if not with_pattern:
            f.without_pattern()

    people = (
        Membership.objects.visiting()
        .filter(scheme=scheme)
        .aggregate(
            **{  # 10
                f"{tag}active": Count(
                    "pk", filter=Q(appointed_on__lte=p.end) | Q(appointed_on=None)
                )
                for tag, p in (("c_", period), ("p_", previous))
            },
            **{
                f"{tag}joined": Count(
                    "pk", filter=Q(appointed_on__gte=p.start, appointed_on__lte=p.end)
                )
                for tag, p in (("c_", period), ("p_", previous))
            },
        )
    )
    for tag, f in figures.items():
        f.volunteers_active = people[f"{tag}active"]
        f.volunteers_joined = people[f"{tag}joined"]

    good_practice = list(  # 11
        visits.filter(cur, involves_tact=False)  # a TACT report is the manager's alone
        .exclude(good_practice="")
        .order_by("-visit_date")
        .values_list("good_practice", flat=True)[:12]
    )
    return Summary(
        scheme=scheme,
        period=period,
        previous_period=previous,
        suite_names=[s.name for s in suites],
        current=figures["c_"],
        previous=figures["p_"],
        suites=[
            SuiteRow(
                s.name,
                per_suite.get(s.pk, {}).get("made_c", 0),
                per_suite.get(s.pk, {}).get("abandoned_c", 0),
                per_suite.get(s.pk, {}).get("in_custody_c") or 0,
                per_suite.get(s.pk, {}).get("visited_c") or 0,
                issues_per_suite[s.pk],
                per_suite.get(s.pk, {}).get("made_p", 0),
            )
            for s in suites
        ],
        good_practice=[re.sub(r"\s+", " ", text) for text in good_practice],
        issues_with_responses=with_responses,
    )


@dataclass(frozen=True)
class SummaryScope:
    scheme: Scheme
    period: Period
    suites: list  # the suites summarised: all the user may read, or the one chosen
    allowed: list  # every active suite the user may read in the scheme
    error: str | None  # a period that could not be read (this quarter is shown instead)


def summary_scope(user, params) -> SummaryScope:
    """The scheme, period and suites `params` ask for (?scheme=slug&period=2026-Q4&suite=id),
    within what the user may read. NotFound for a scheme without summaries for them."""
    schemes = {scheme.slug: scheme for scheme in permissions.summary_schemes(user)}
    if not schemes:
        raise NotFound(gettext("You have no summaries to read."), code="not_found")
    slug = params.get("scheme") or min(schemes, key=lambda key: schemes[key].name)
    if slug not in schemes:
        raise NotFound(gettext("There is no such scheme."), code="not_found", field="scheme")
    scheme = schemes[slug]
    try:
        period = Period.parse(params.get("period", ""))
        error = None
    except ValueError as exc:
        period = Period.containing(timezone.localdate())
        error = str(exc) if params.get("period") else None
    allowed = permissions.scope_summary_suites(
        CustodySuite.objects.filter(scheme=scheme, active=True), user
    )
    allowed = list(allowed.order_by("name"))
    chosen = [s for s in allowed if str(s.pk) == params.get("suite")]
    return SummaryScope(scheme, period, chosen or allowed, allowed, error)


def read_summary(viewer, scope: SummaryScope, *, form: str) -> Summary:
    """`visible_summary`, recorded in the audit trail as read by `viewer` in `form` (page,
    csv, pdf, api), whatever the door."""
    summary = visible_summary(viewer, scope)
    _record_read(viewer, summary, form)
    return summary


def read_national_return(viewer, scheme: Scheme, period: Period) -> Summary:
    """The whole scheme's figures for the national return, recorded as read. NotPermitted for
    anyone but the manager and the PCC reader."""
    if not permissions.can_download_national_return(viewer, scheme):
        raise NotPermitted(
            gettext("The national return is for the scheme manager and PCC reader."),
            code="role_not_allowed",
        )
    summary = summarise(scheme, period, None)
    _record_read(viewer, summary, "national_return")
    return summary


def _record_read(viewer, summary: Summary, form: str) -> None:
    audit.record(
        actor=viewer,
        action=f"summary.{form}",
        scheme=summary.scheme,
        detail={"period": summary.period.key, "suites": summary.suite_names},
    )


def visible_summary(viewer, scope: SummaryScope) -> Summary:
    """The summary of `scope` as `viewer` may read it: the one every door renders."""
    return summarise(
        scope.scheme,
        scope.period,
        suites=scope.suites,
        with_pattern=permissions.can_see_visit_pattern(viewer, scope.scheme),
        with_internal_notes=permissions.may(viewer, permissions.INTERNAL_NOTES, scope.scheme),
    )


# The national quarterly return: one row in this fixed order. Add new figures at the end only,
# so the national body's spreadsheets keep working.
NATIONAL_RETURN_COLUMNS = [
    "scheme",
    "period",
    "visits_made",
    "visits_abandoned",
    "visits_target",
    "delays",
    "delay_average",
    "delay_longest",
    "in_custody",
    "offered",
    "visited",
    "observed_only",
    "declined",
    "not_visited_total",
    "under_18",
    "appropriate_adult_needed",
    "interpreter_needed",
    "mental_health",
    "issues_raised",
    "issues_resolved_on_visit",
    "issues_referred",
    "issues_open_at_end",
    "response_median_days",
    "responses_overdue",
    "tact_visits",
    "volunteers_active",
    "volunteers_joined",
    "hours_volunteered",
]


def national_return_row(summary: Summary) -> list:
    """The scheme's figures for the period, in NATIONAL_RETURN_COLUMNS order."""
    c = summary.current
    values = {
        "scheme": summary.scheme.name,
        "period": summary.period.key,
        "not_visited_total": c.not_visited_total,
    }
    return [
        values[name] if name in values else getattr(c, name) for name in NATIONAL_RETURN_COLUMNS
    ]
