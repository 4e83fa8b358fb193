"""The figures of a period for the PCC: computed once, rendered by the page, the PDF, the CSV,
the API and the national return.

`summarise(scheme, period, suite_ids)` makes a fixed number of aggregate queries (each covers
the period and the one before it at once, for the trend), whatever the number of visits.
`visible_summary(viewer, scope)` is the read model the doors render: the force custody lead's
summary holds nothing of when visits happen or are planned (no planned counts, no weeks, no
days, no times of day), which would tell them when the next visit is due.

"Planned" counts only the slots of published rotas in weeks that have begun: a draft is not a
plan yet, and comparing what was made so far with what was planned so far is the fair measure.

The doors read the figures through `cached_summary`: computed once and kept until the scheme's
data change (see its docstring), because a year at national scale takes over 100 ms to count
and every reader and every door asks for the same figures again.
"""

import dataclasses
import datetime
import functools
import hashlib
import re
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.core.cache import cache
from django.db.models import (
    Case,
    CharField,
    Count,
    DurationField,
    ExpressionWrapper,
    F,
    IntegerField,
    Max,
    OuterRef,
    Q,
    Sum,
    Value,
    When,
)
from django.db.models.functions import ExtractHour
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext, gettext_noop, ngettext, override, pgettext
from django.utils.translation import gettext_lazy as _

from visits import permissions
from visits.errors import NotFound, NotPermitted
from visits.models import (
    NOT_VISITED_LABELS,
    NOT_VISITED_TITLES,
    NUMBER_LABELS,
    Answer,
    ChecklistTemplate,
    CustodySuite,
    DetaineeRecord,
    Issue,
    IssueCategory,
    Membership,
    Question,
    RotaPeriod,
    RotaSlot,
    Scheme,
    Visit,
    VisitorStatus,
)
from visits.models.bilingual import WELSH, pick, reading_welsh
from visits.models.issues import overdue_q, waiting_for_force_q
from visits.models.people import VISITING_ROLES
from visits.periods import ONE_DAY, Period
from visits.services import audit
from visits.workdays import monday_of

# The figures are kept in the cache for every reader, so their keys are in English (they are
# also keys of the CSV and the API); `shown` translates them when they are drawn for a person.
BANDS = [
    gettext_noop("Weekday daytime"),
    gettext_noop("Evening"),
    gettext_noop("Weekend"),
    gettext_noop("Night"),
]
RESPONSE_BINS = [
    gettext_noop("Up to 5 working days"),
    gettext_noop("6 to 10"),
    gettext_noop("11 to 20"),
    gettext_noop("Over 20"),
]
# What is counted of the issues of each category.
CATEGORY_COUNTS = (
    gettext_noop("raised"),
    gettext_noop("resolved on the visit"),
    gettext_noop("referred"),
    gettext_noop("open now"),
)
NOT_YET = gettext_noop("Not yet")
NOT_RECORDED = gettext_noop("Not recorded")
DAYS = [
    gettext_noop("Mon"),
    gettext_noop("Tue"),
    gettext_noop("Wed"),
    gettext_noop("Thu"),
    gettext_noop("Fri"),
    gettext_noop("Sat"),
    gettext_noop("Sun"),
]


def shown(key: str) -> str:
    """A figure's English key (a time band, a status, a category...) as the reader reads it."""
    if not key:
        return key
    not_visited = _not_visited_by_english_title().get(key)
    if not_visited:
        return str(NOT_VISITED_TITLES[not_visited])
    return gettext(key)


@functools.cache
def _not_visited_by_english_title() -> dict[str, str]:
    """The not-visited reasons' English titles (the figures' keys) -> their field names: the
    titles are capitalised labels, not messages of the catalogue themselves."""
    with override("en"):
        return {str(title): name for name, title in NOT_VISITED_TITLES.items()}


def english_labels(choices) -> dict[str, str]:
    """{value: label} of model choices in English: the figures' keys, whoever counts them."""
    with override("en"):
        return {value: str(label) for value, label in choices}


def mondays_between(start: datetime.date, end: datetime.date) -> int:
    """Rota weeks that begin (on a Monday) from `start` to `end`, inclusive: the weeks of a
    window that have started. A week belongs to the period its Monday falls in."""
    if end < start:
        return 0
    first = start + datetime.timedelta(days=(7 - start.weekday()) % 7)
    return (end - first).days // 7 + 1 if first <= end else 0


def percent(part: int, whole: int) -> int | None:
    """A whole-number percentage, None when there is nothing to divide by."""
    return round(100 * part / whole) if whole else None


SMALL_COUNT = 5
# Which of a report's figures (NUMBER_LABELS) the summaries total; every not-visited count too.
SUMMED_NUMBERS = frozenset(
    {"in_custody", "offered", "visited", "observed_only", "declined", "under_18"}
)


def suppressed(count: int) -> int | str:
    """A count as it may be published: under SMALL_COUNT becomes "fewer than 5", so nobody
    can be recognised (for public figures; signed-in readers get the count itself)."""
    return gettext("fewer than %(n)d") % {"n": SMALL_COUNT} if 0 < count < SMALL_COUNT else count


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
    # From the detainee records (those the visitors saw), and how often a need was met.
    seen_under_18: int = 0
    appropriate_adult_met: int = 0
    interpreter_met: int = 0
    issues_raised: int = 0
    issues_resolved_on_visit: int = 0
    issues_referred: int = 0
    issues_by_category: dict[str, dict[str, int]] = field(default_factory=dict)
    issues_open_at_end: int = 0
    response_median_days: float | None = None
    responses_overdue: int = 0
    responses_given: int = 0
    responses_in_time: int = 0  # answered by the due date
    referrals_overdue_now: int = 0
    volunteers_active: int = 0
    volunteers_joined: int = 0
    volunteers_left: int = 0
    hours_volunteered: float = 0.0
    # Monday of each week (ISO date) -> [made, planned]
    by_week: dict[str, list[int]] | None = field(default_factory=dict)  # pattern
    issues_by_status: dict[str, int] = field(default_factory=dict)
    # working days to the force's first response, grouped; "not yet" for those still waiting
    response_times: dict[str, int] = field(
        default_factory=lambda: dict.fromkeys([*RESPONSE_BINS, NOT_YET], 0)
    )

    PATTERN = ("visits_planned", "by_day", "by_band", "by_week")
    # The scheme's own volunteers: how many, who joined and who left are the scheme's business,
    # not the force's (a leaver in a small scheme is someone the custody staff know).
    VOLUNTEERS = ("volunteers_active", "volunteers_joined", "volunteers_left")
    WITHHELD = PATTERN + VOLUNTEERS

    def without_pattern(self) -> None:
        """Forget when visits happened and were planned (see the module's docstring), and the
        scheme's volunteers: what a reader outside the scheme (the force) is not given."""
        for name in self.WITHHELD:
            setattr(self, name, None)

    def given(self) -> dict:
        """Every figure this reader is given, by name (the pattern's are left out when not)."""
        return {
            k: v
            for k, v in dataclasses.asdict(self).items()
            if v is not None or k not in self.WITHHELD
        }

    def round_figures(self) -> None:
        """Round once, here, so every door shows the same number: means and medians to one
        decimal (hours too); percentages are whole numbers wherever they are computed."""
        self.delay_average = round(self.delay_average, 1)
        self.hours_volunteered = round(self.hours_volunteered, 1)
        if self.response_median_days is not None:
            self.response_median_days = round(float(self.response_median_days), 1)

    @property
    def responses_in_time_share(self) -> int | None:
        return percent(self.responses_in_time, self.responses_given)

    @property
    def appropriate_adult_met_share(self) -> int | None:
        return percent(self.appropriate_adult_met, self.appropriate_adult_needed)

    @property
    def interpreter_met_share(self) -> int | None:
        return percent(self.interpreter_met, self.interpreter_needed)

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
            if monthly:
                label = date_format(day, "M Y")
            else:
                label = pgettext("week commencing", "w/c %(day)s") % {
                    "day": date_format(day, "d M")
                }
            totals = groups.setdefault(label, [0, 0])
            totals[0] += made
            totals[1] += plan
        return [
            (
                gettext("%(label)s (planned %(n)d)") % {"label": label, "n": plan}
                if planned
                else label,
                made,
            )
            for label, (made, plan) in groups.items()
        ]

    @property
    def completion(self) -> int:
        base = self.visits_planned or self.visits_target
        return round(100 * self.visits_made / base) if base else 0

    def value(self, key: str):
        """A figure by its key in FIGURE_LABELS (a field or a derived property)."""
        return getattr(self, key)


# Every single-number figure: its stable key (the API's, the national return's) and the label
# a person reads on the page, in the PDF and in the CSV. Written once, here.
FIGURE_LABELS = {
    "visits_made": _("Visits made"),
    "visits_target": _("Visits expected (each suite weekly, weeks begun)"),
    "visits_planned": _("Visits planned on the rota (weeks begun)"),
    "completion": _("Visits made, as a share of those due (%)"),
    "visits_abandoned": _("Visits abandoned"),
    "visits_unsatisfactory": _("Visits unsatisfactory"),
    "tact_visits": _("Visits under the Terrorism Act (TACT)"),
    "delays": _("Visits delayed on admission"),
    "delay_average": _("Average delay (minutes)"),
    "delay_longest": _("Longest delay (minutes)"),
    "in_custody": _("In custody at the time of visits"),
    "offered": _("Offered a visit"),
    "visited": _("Visited"),
    "observed_only": _("Observed only"),
    "declined": _("Declined"),
    "not_visited_total": _("Not visited"),
    "under_18": _("Under 18 in custody at the time of visits"),
    "detainees_recorded": _("Detainee records made"),
    "seen_under_18": _("Seen: under 18"),
    "mental_health": _("Seen: mental health concern"),
    "appropriate_adult_needed": _("Seen: appropriate adult needed"),
    "appropriate_adult_present": _("Seen: appropriate adult present"),
    "appropriate_adult_met": _("Seen: appropriate adult needed and present"),
    "appropriate_adult_met_share": _("Appropriate adult present when needed (%)"),
    "interpreter_needed": _("Seen: interpreter needed"),
    "interpreter_used": _("Seen: interpreter used"),
    "interpreter_met": _("Seen: interpreter needed and used"),
    "interpreter_met_share": _("Interpreter used when needed (%)"),
    "issues_raised": _("Issues raised"),
    "issues_resolved_on_visit": _("Issues resolved during the visit"),
    "resolved_on_visit_share": _("Issues resolved during the visit (%)"),
    "issues_referred": _("Issues referred to the force"),
    "issues_open_at_end": _("Issues open at the end of the period"),
    "response_median_days": _("Force's median response (working days)"),
    "responses_given": _("Referred issues the force answered"),
    "responses_in_time": _("Answered by the due date"),
    "responses_in_time_share": _("Answered by the due date (%)"),
    "responses_overdue": _("The period's referrals now overdue"),
    "referrals_overdue_now": _("Referrals overdue now (all)"),
    "volunteers_active": _("Visitors"),
    "volunteers_joined": _("Visitors who joined"),
    "volunteers_left": _("Visitors who left"),
    "hours_volunteered": _("Hours spent on visits"),
}


@dataclass
class SuiteRow:
    name: str
    visits_made: int
    visits_abandoned: int
    in_custody: int
    visited: int
    issues_raised: int
    previous_made: int
    name_cy: str = ""  # the suite's Welsh name, if it has one

    @property
    def shown_name(self) -> str:
        """The name in the reader's language (visits.models.bilingual)."""
        return pick(self.name, self.name_cy)

    @property
    def figures(self) -> list[int]:
        """The suite's figures in SUITE_COLUMNS' order (the name apart): a row of the page's
        and the PDF's table."""
        return [getattr(self, key) for key, _heading, _label in SUITE_COLUMNS[1:]]


# The columns of the table of suites, written once for the page, the PDF and the CSV:
# (SuiteRow field, the short heading of the page's and the PDF's table, the CSV's label), in
# the page's order. The CSV keeps its own order of them (visits.exports.SUITE_CSV_KEYS).
SUITE_COLUMNS = (
    ("name", _("Suite"), _("Suite")),
    ("visits_made", _("Visits made"), _("Visits made")),
    ("previous_made", _("Before"), _("Visits made, period before")),
    ("visits_abandoned", _("Abandoned"), _("Visits abandoned")),
    ("in_custody", _("In custody"), _("In custody at the time of visits")),
    ("visited", _("Visited"), _("Visited")),
    ("issues_raised", _("Issues"), _("Issues raised")),
)
SUITE_HEADINGS = {key: heading for key, heading, _label in SUITE_COLUMNS}
SUITE_LABELS = {key: label for key, _heading, label in SUITE_COLUMNS}

# The breakdowns of the figures that are not single numbers: the title of each, written
# once. BREAKDOWN_TITLES label the CSV's rows ("Delays by reason: ..."); CHART_TITLES name the
# charts of the page and the PDF (Summary.charts), which draw some of the breakdowns (issues
# raised only, say) or join several (visited, declined and not visited are one chart of the
# people in custody), so their words differ where what they show differs. Both are kept as
# they were: the CSV's rows and the charts' titles are each read by tests and by readers.
BREAKDOWN_TITLES = {
    "delay_reasons": _("Delays by reason"),
    "not_visited": _("Not visited, by reason"),
    "by_band": _("Visits by time of day and week"),
    "issues_by_category": _("Issues by category"),
    "issues_by_status": _("Issues by status now"),
    "response_times": _("Force's time to respond"),
    "by_week": _("Week beginning"),
}
CHART_TITLES = {
    "by_week": _("Visits made each week (each month over a year)"),
    "by_band": BREAKDOWN_TITLES["by_band"],
    "by_day": _("Visits by day of the week"),
    "custody": _("People in custody at the time of visits"),
    "issues_by_category": _("Issues raised, by category"),
    "issues_by_status": _("Issues raised, by status now"),
    "response_times": _("The force's time to respond to referred issues"),
}


# Until the period ends, what was open "at the end" is what is open now.
SO_FAR_LABELS = {"issues_open_at_end": _("Issues open now")}


@dataclass
class QuestionRate:
    """How often one checklist question was answered "no" (of those answered yes or no), as
    whole percentages; None where nobody answered it."""

    key: str
    text: str
    checklist: str
    no: int
    answered: int
    previous_no: int
    previous_answered: int
    trend: list[int | None]  # the eight quarters of Summary.trend_quarters, oldest first
    by_suite: dict[str, int | None]  # suite name: this period's rate
    # The question's Welsh, and by_suite under the suites' Welsh names, where there are any.
    # The figures are kept once for every language (cached_summary): a reader's language only
    # picks which text is shown (visits.models.bilingual.pick).
    text_cy: str = ""
    by_suite_cy: dict[str, int | None] = field(default_factory=dict)

    @property
    def shown_text(self) -> str:
        return pick(self.text, self.text_cy)

    @property
    def shown_by_suite(self) -> dict[str, int | None]:
        return self.by_suite_cy if reading_welsh() and self.by_suite_cy else self.by_suite

    @property
    def rate(self) -> int | None:
        return percent(self.no, self.answered)

    @property
    def previous_rate(self) -> int | None:
        return percent(self.previous_no, self.previous_answered)


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
    # A period that has not ended is summarised "so far", to `up_to`, and compared with the
    # same number of days of the period before (to `previous_up_to`).
    complete: bool = True
    up_to: datetime.date | None = None
    previous_up_to: datetime.date | None = None
    question_rates: list[QuestionRate] = field(default_factory=list)
    trend_quarters: list[str] = field(default_factory=list)
    # The key it is kept under in the cache (cached_summary), which keys its rendered figures too.
    cache_key: str = ""
    suite_names_cy: list[str] = field(default_factory=list)  # each suite's Welsh name, or ""

    @property
    def shown_suite_names(self) -> list[str]:
        """The suites' names in the reader's language."""
        welsh = self.suite_names_cy or [""] * len(self.suite_names)
        return [pick(name, name_cy) for name, name_cy in zip(self.suite_names, welsh, strict=True)]

    @property
    def suite_headings(self) -> list[str]:
        """The headings of the table of suites on the page and in the PDF (SUITE_COLUMNS)."""
        return [str(heading) for _key, heading, _label in SUITE_COLUMNS]

    @property
    def period_label(self) -> str:
        if self.complete:
            return self.period.label
        return gettext("%(period)s, so far (to %(day)s)") % {
            "period": self.period.label,
            "day": _day(self.up_to),
        }

    @property
    def previous_label(self) -> str:
        if self.complete or self.previous_up_to == self.previous_period.end:
            return self.previous_period.label
        return gettext("%(period)s, the same part (to %(day)s)") % {
            "period": self.previous_period.label,
            "day": _day(self.previous_up_to),
        }

    def labelled(self) -> list[tuple[str, str, object, object]]:
        """(key, label, this period, the period before) for every single-number figure this
        reader is given, in FIGURE_LABELS order: the key figures of page, PDF and CSV."""
        labels = FIGURE_LABELS if self.complete else FIGURE_LABELS | SO_FAR_LABELS
        return [
            (key, str(label), self.current.value(key), self.previous.value(key))
            for key, label in labels.items()
            if self.current.value(key) is not None or key not in Figures.WITHHELD
        ]

    def charts(self) -> list[tuple[str, list[tuple[str, int]]]]:
        """(title, [(label, value)]) of every chart, in the one order the page and PDF draw."""
        c = self.current
        pattern = []
        if c.by_week is not None:  # not given to a reader who may not learn when visits happen
            pattern = [
                (str(CHART_TITLES["by_week"]), c.weekly()),
                (
                    str(CHART_TITLES["by_band"]),
                    [(shown(band), n) for band, n in c.by_band.items()],
                ),
                (
                    str(CHART_TITLES["by_day"]),
                    [(shown(day), n) for day, n in zip(DAYS, c.by_day, strict=True)],
                ),
            ]
        return [
            *pattern,
            (
                str(CHART_TITLES["custody"]),
                [
                    (gettext("Visited"), c.visited),
                    (gettext("Observed only"), c.observed_only),
                    (gettext("Declined"), c.declined),
                    *sorted(((shown(k), v) for k, v in c.not_visited.items()), key=lambda i: -i[1]),
                ],
            ),
            (
                str(CHART_TITLES["issues_by_category"]),
                sorted(
                    ((shown(k), v["raised"]) for k, v in c.issues_by_category.items()),
                    key=lambda item: -item[1],
                ),
            ),
            (
                str(CHART_TITLES["issues_by_status"]),
                sorted(
                    ((shown(k), n) for k, n in c.issues_by_status.items()),
                    key=lambda item: -item[1],
                ),
            ),
            (
                str(CHART_TITLES["response_times"]),
                [(shown(k), n) for k, n in c.response_times.items()],
            ),
        ]

    def sentences(self) -> list[str]:
        """The headline in words, as a PCC would publish it: true on any day (a period that
        has not ended is "so far", compared with the same part of the one before)."""
        c, p = self.current, self.previous
        base = c.visits_planned or c.visits_target
        basis = (
            gettext("planned on the rota")
            if c.visits_planned
            else gettext("expected (each suite weekly)")
        )
        before = (
            gettext("the period before")
            if self.complete
            else gettext("the same part of the period before")
        )
        lines = []
        if not self.complete:
            lines.append(
                gettext(
                    "The period has not ended: these are the figures so far, to %(day)s, "
                    "compared with the same part of %(previous)s (to %(before)s)."
                )
                % {
                    "day": _day(self.up_to),
                    "previous": self.previous_period.label,
                    "before": _day(self.previous_up_to),
                }
            )
        lines += [
            gettext(
                "%(made)d of %(base)d visits %(basis)s in the weeks begun were made "
                "(%(share)d%%), %(trend)s."
            )
            % {
                "made": c.visits_made,
                "base": base,
                "basis": basis,
                "share": c.completion,
                "trend": _trend(c.visits_made, p.visits_made, before),
            },
            ngettext(
                "%(n)d visit was abandoned.", "%(n)d visits were abandoned.", c.visits_abandoned
            )
            % {"n": c.visits_abandoned},
            gettext(
                "%(custody)d people were in custody at the time of visits; %(visited)d were "
                "visited, %(declined)d declined and %(unseen)d could not be seen."
            )
            % {
                "custody": c.in_custody,
                "visited": c.visited,
                "declined": c.declined,
                "unseen": c.not_visited_total,
            },
            (
                ngettext(
                    "Visitors were kept waiting on %(n)d visit, for %(mean)s minutes on "
                    "average and %(longest)d at most.",
                    "Visitors were kept waiting on %(n)d visits, for %(mean)s minutes on "
                    "average and %(longest)d at most.",
                    c.delays,
                )
                % {"n": c.delays, "mean": f"{c.delay_average:g}", "longest": c.delay_longest}
                if c.delays
                else gettext("Visitors were not kept waiting on any visit.")
            ),
            gettext("%(raised)s, %(share)d%% resolved during the visit; %(referred)s; %(open)s.")
            % {
                "raised": ngettext(
                    "%(n)d issue was raised", "%(n)d issues were raised", c.issues_raised
                )
                % {"n": c.issues_raised},
                "share": c.resolved_on_visit_share,
                "referred": ngettext(
                    "%(n)d was referred to the force",
                    "%(n)d were referred to the force",
                    c.issues_referred,
                )
                % {"n": c.issues_referred},
                "open": (
                    ngettext(
                        "%(n)d was open at the end of the period",
                        "%(n)d were open at the end of the period",
                        c.issues_open_at_end,
                    )
                    if self.complete
                    else ngettext("%(n)d is open now", "%(n)d are open now", c.issues_open_at_end)
                )
                % {"n": c.issues_open_at_end},
            },
        ]
        if c.response_median_days is not None:
            lines.append(
                gettext(
                    "The force answered referred issues in a median of %(median)s working "
                    "days, %(share)d%% by the due date; %(overdue)d of the period's referrals "
                    "are overdue now."
                )
                % {
                    "median": f"{c.response_median_days:g}",
                    "share": c.responses_in_time_share or 0,
                    "overdue": c.responses_overdue,
                }
            )
        return lines


def _day(day: datetime.date | None) -> str:
    return date_format(day, "j F Y") if day else ""


def _trend(now: int, before: int, then: str) -> str:
    if now == before:
        return gettext("the same as the %(n)d of %(then)s") % {"n": before, "then": then}
    if now > before:
        return gettext("up from %(n)d in %(then)s") % {"n": before, "then": then}
    return gettext("down from %(n)d in %(then)s") % {"n": before, "then": then}


PLANNED = -1  # the coverage query's "hour" of its rows of rota slots
VISITORS = -2  # and of its rows of visitors, by the day they were appointed
LEAVERS = -3  # and of those who left, by their leaving day


def _duration(value) -> datetime.timedelta:
    """A summed duration: a timedelta, or microseconds where a UNION loses the type."""
    return (
        value if isinstance(value, datetime.timedelta) else datetime.timedelta(microseconds=value)
    )


def _band(day: datetime.date, hour: int) -> str:
    """The time band of an arrival at `hour` (local) on `day`."""
    if hour >= 22 or hour < 6:
        return "Night"
    if day.weekday() >= 5:
        return "Weekend"
    return "Evening" if hour >= 18 else "Weekday daytime"


def _median_of_counts(counts: dict[int, int]) -> float:
    """The median of values given as {value: how many}, as statistics.median gives it for the
    values themselves (the mean of the middle two when there is an even number)."""
    values = sorted(counts)
    total = sum(counts.values())

    def nth(index: int) -> int:  # the value at this 0-based position in sorted order
        seen = 0
        for value in values:
            seen += counts[value]
            if index < seen:
                return value
        raise IndexError(index)

    if total % 2:
        return nth(total // 2)
    return (nth(total // 2 - 1) + nth(total // 2)) / 2


def _midnight(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time()))


def _midnight_after(day: datetime.date) -> datetime.datetime:
    return _midnight(day + ONE_DAY)


def summarise(
    scheme: Scheme,
    period: Period,
    suite_ids: list[int] | None = None,
    *,
    suites=None,
    with_pattern: bool = True,
    with_internal_notes: bool = True,
    today: datetime.date | None = None,
    glance: bool = False,
) -> Summary:
    """Every figure for `period` and the period before it, for the scheme or some suites
    (given by id, or as the suite objects themselves to save a query), as of `today` (the
    local date by default): a period not yet ended is summarised to `today` and compared with
    the same number of days of the period before. Without the pattern of when visits happen
    and are planned if `with_pattern` is false (Figures.PATTERN), and without the scheme's
    words on how each referred issue ended if `with_internal_notes` is false. With `glance`,
    only the visits' and issues' counts (2 queries, for the PCC's home page): the rest of the
    figures are left at nothing and must not be shown."""
    today = today or timezone.localdate()
    window = period.so_far(today)  # what has happened of the period
    previous = period.previous()
    before = previous.same_part((window.end - window.start).days + 1)
    complete = window.end == period.end
    in_cur = Q(visit_date__gte=window.start, visit_date__lte=window.end)
    in_prev = Q(visit_date__gte=before.start, visit_date__lte=before.end)
    cur, prev = Q(visit_date__gte=period.start), Q(visit_date__lt=period.start)
    if suites is None:
        suites = scheme.suites.filter(active=True).order_by("name")
        if suite_ids is not None:
            suites = suites.filter(pk__in=suite_ids)
        suites = list(suites)  # 1, unless the suites are given
    suite_pks = [s.pk for s in suites]
    suite_names = {s.pk: s.name for s in suites}
    suite_names_cy = {s.pk: s.name_cy for s in suites}
    submitted = Visit.objects.filter(
        scheme=scheme, status=Visit.Status.SUBMITTED, suite_id__in=suite_pks
    )
    visits = submitted.filter(in_cur | in_prev)
    made = ~Q(outcome=Visit.Outcome.ABANDONED)
    # The report's figures (NUMBER_LABELS) the summaries total, and every reason not visited.
    number_fields = [
        *(name for name in NUMBER_LABELS if name in SUMMED_NUMBERS),
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
            f"{tag}delay_sum": Sum("delay_minutes", filter=when & Q(delay_minutes__gt=0)),
            f"{tag}delay_max": Max("delay_minutes", filter=when),
        }
        for name in number_fields:
            aggregates[f"{tag}{name}"] = Sum(name, filter=when)
        return aggregates

    # The period's totals, each suite's, and the delays by reason, from one grouped query: a
    # row per suite and delay reason (a few dozen rows at most).
    grouped = list(
        visits.values("suite_id", "delay_reason")
        .annotate(**visit_aggregates(cur, "c_"), **visit_aggregates(prev, "p_"))  # 2
        .order_by()
    )
    figures = {"c_": Figures(), "p_": Figures()}
    weeks = {
        "c_": mondays_between(window.start, window.end),
        "p_": mondays_between(before.start, before.end),
    }
    target = sum(s.visits_per_week for s in suites)
    per_suite: dict[int, dict] = defaultdict(lambda: defaultdict(int))
    for tag, f in figures.items():
        f.visits_target = target * weeks[tag]
        totals: dict[str, int] = defaultdict(int)
        reasons: dict[str, int] = defaultdict(int)
        for row in grouped:
            for name, value in row.items():
                if name.startswith(tag) and name != f"{tag}delay_max":
                    totals[name] += value or 0
                    per_suite[row["suite_id"]][name] += value or 0
            f.delay_longest = max(f.delay_longest, row[f"{tag}delay_max"] or 0)
            if row[f"{tag}delays"]:
                reasons[row["delay_reason"] or NOT_RECORDED] += row[f"{tag}delays"]
        f.delay_reasons = sorted(reasons.items(), key=lambda item: -item[1])
        f.visits_made = totals[f"{tag}made"]
        f.visits_abandoned = totals[f"{tag}abandoned"]
        f.visits_unsatisfactory = totals[f"{tag}unsatisfactory"]
        f.tact_visits = totals[f"{tag}tact"]
        f.delays = totals[f"{tag}delays"]
        f.delay_average = totals[f"{tag}delay_sum"] / f.delays if f.delays else 0.0
        for name in ["in_custody", "offered", "visited", "observed_only", "declined", "under_18"]:
            setattr(f, name, totals[f"{tag}{name}"])
        # English keys, like every figure's: the summary is kept for readers of either language.
        f.not_visited = {
            title: totals[f"{tag}{name}"] for title, name in _not_visited_by_english_title().items()
        }

    if not glance:
        # Coverage by day and time band, and hours volunteered, counted in the database: a row
        # per day and band (at most a few hundred a year), not one per visit. The rota's planned
        # slots per week come in the same round trip (a UNION), as rows of the band "planned".
        person_time = ExpressionWrapper(
            F("departed_at") - F("arrived_at"), output_field=DurationField()
        )
        coverage = (
            visits.filter(made)
            # The local hour, grouped on as it is: SQLite converts it in Python, so once a row.
            .annotate(hour=ExtractHour("arrived_at"))
            .values("visit_date", "hour")
            .annotate(
                n=Count("pk", distinct=True),
                # One row per visitor on the visit: the visit's length once for each of them.
                person_time=Sum(person_time, filter=Q(visit_visitors__isnull=False)),
            )
            .order_by()
        )
        if with_pattern:
            # Planned: slots of published rotas in the weeks of each window that have begun.
            slots = (
                RotaSlot.objects.filter(
                    Q(week_starts_on__gte=window.start, week_starts_on__lte=window.end)
                    | Q(week_starts_on__gte=before.start, week_starts_on__lte=before.end),
                    suite_id__in=suite_pks,
                    period__status__in=[RotaPeriod.Status.PUBLISHED, RotaPeriod.Status.CLOSED],
                )
                .exclude(status=RotaSlot.Status.CANCELLED)
                .annotate(hour=Value(PLANNED, output_field=IntegerField()))
                .values("week_starts_on", "hour")
                .annotate(n=Count("pk"), person_time=Value(None, output_field=DurationField()))
                .order_by()
            )
            coverage = coverage.union(slots, all=True)
        # The scheme's visitors by the day they were appointed, and those who left by their
        # leaving day, in the same round trip (a few dozen rows): who was a visitor at the end
        # of each window, who joined and who left in it are counted from them. Leavers count
        # in the windows before they left; one marked as left without a date cannot be placed
        # in time and counts nowhere.
        visiting = Membership.objects.filter(scheme=scheme, role__in=VISITING_ROLES).exclude(
            status=VisitorStatus.LEFT, left_on__isnull=True
        )
        for hour, day_field in ((VISITORS, "appointed_on"), (LEAVERS, "left_on")):
            rows = visiting if hour == VISITORS else visiting.filter(left_on__isnull=False)
            coverage = coverage.union(
                rows.annotate(hour=Value(hour, output_field=IntegerField()))
                .values(day_field, "hour")
                .annotate(n=Count("pk"), person_time=Value(None, output_field=DurationField()))
                .order_by(),
                all=True,
            )
        for row in coverage:  # 3 (with the slots, the visitors and the leavers)
            day = row["visit_date"]
            if row["hour"] in (VISITORS, LEAVERS):
                joining = row["hour"] == VISITORS
                for tag, p in (("c_", window), ("p_", before)):
                    if day is None or day <= p.end:  # a leaving day is the first day away
                        figures[tag].volunteers_active += row["n"] if joining else -row["n"]
                    if day is not None and p.start <= day <= p.end:
                        if joining:
                            figures[tag].volunteers_joined += row["n"]
                        else:
                            figures[tag].volunteers_left += row["n"]
                continue
            f = figures["c_" if day >= period.start else "p_"]
            if row["hour"] == PLANNED:
                f.visits_planned += row["n"]
                f.by_week.setdefault(day.isoformat(), [0, 0])[1] += row["n"]
                continue
            f.by_day[day.weekday()] += row["n"]
            f.by_week.setdefault(monday_of(day).isoformat(), [0, 0])[0] += row["n"]
            f.by_band[_band(day, row["hour"])] += row["n"]
            if row["person_time"]:
                f.hours_volunteered += _duration(row["person_time"]).total_seconds() / 3600

        detainees = DetaineeRecord.objects.filter(visit__in=visits)
        flags = {
            "appropriate_adult_needed": Q(appropriate_adult_needed=True),
            "appropriate_adult_present": Q(appropriate_adult_present=True),
            "appropriate_adult_met": Q(
                appropriate_adult_needed=True, appropriate_adult_present=True
            ),
            "interpreter_needed": Q(interpreter_needed=True),
            "interpreter_used": Q(interpreter_used=True),
            "interpreter_met": Q(interpreter_needed=True, interpreter_used=True),
            "mental_health": Q(mental_health_concern=True),
            "seen_under_18": Q(under_18=True),
            "detainees_recorded": Q(),
        }
        periods = (
            ("c_", Q(visit__visit_date__gte=period.start)),
            ("p_", Q(visit__visit_date__lt=period.start)),
        )
        d_totals = detainees.aggregate(  # 4
            **{
                f"{tag}{name}": Count("pk", filter=when & flag)
                for tag, when in periods
                for name, flag in flags.items()
            },
        )
        for tag, f in figures.items():
            for name in flags:
                setattr(f, name, d_totals[f"{tag}{name}"])

    # Issues by period raised, category, suite and status, with how many were open at the end
    # of each window, counted in the database: one grouped query however many issues.
    issues = Issue.objects.reported().filter(scheme=scheme, suite_id__in=suite_pks)

    # An issue raised on a visit belongs to the visit's date; any other to the day it was made.
    # Compared as dates and datetimes, not through a computed date: SQLite would convert every
    # issue's date in Python, once for each place it is used.
    def raised_from(day: datetime.date) -> Q:
        return Q(visit__visit_date__gte=day) | Q(visit__isnull=True, created_at__gte=_midnight(day))

    def raised_by(day: datetime.date) -> Q:
        return Q(visit__visit_date__lte=day) | Q(
            visit__isnull=True, created_at__lt=_midnight(day + ONE_DAY)
        )

    end_c, end_p = _midnight_after(window.end), _midnight_after(before.end)
    start_c = timezone.make_aware(datetime.datetime.combine(period.start, datetime.time()))
    start_p = timezone.make_aware(datetime.datetime.combine(previous.start, datetime.time()))
    # Issues resolved during the visit were never open.
    can_be_open = ~Q(status=Issue.Status.RESOLVED_ON_VISIT)
    per_category = (
        issues.filter(raised_by(window.end))
        # Older issues closed before either window ended count nowhere: leave them out early.
        .filter(
            raised_from(before.start)
            | Q(closed_at__isnull=True)
            | Q(closed_at__gte=min(end_p, end_c))
        )
        .annotate(
            p=Case(  # 5
                When(raised_from(period.start), then=Value("cur")),
                When(raised_from(before.start) & raised_by(before.end), then=Value("prev")),
                default=Value("other"),
                output_field=CharField(),
            )
        )
        .values("p", "category", "suite_id", "status")
        .annotate(
            total=Count("pk"),
            resolved=Count("pk", filter=Q(status=Issue.Status.RESOLVED_ON_VISIT)),
            referred=Count("pk", filter=Q(referred_at__isnull=False)),
            still_open=Count("pk", filter=~Q(status__in=Issue.CLOSED_STATUSES)),
            overdue_now=Count("pk", filter=overdue_q(today)),
            open_c=Count(
                "pk", filter=can_be_open & (Q(closed_at__isnull=True) | Q(closed_at__gte=end_c))
            ),
            open_p=Count(
                "pk",
                filter=can_be_open
                & raised_by(before.end)
                & (Q(closed_at__isnull=True) | Q(closed_at__gte=end_p)),
            ),
        )
    )
    labels = english_labels(IssueCategory.choices)
    status_labels = english_labels(Issue.Status.choices)
    issues_per_suite: dict[int, int] = defaultdict(int)
    for row in per_category:
        figures["c_"].issues_open_at_end += row["open_c"]
        figures["p_"].issues_open_at_end += row["open_p"]
        figures["c_"].referrals_overdue_now += row["overdue_now"]
        if row["p"] == "other":
            continue
        f = figures["c_" if row["p"] == "cur" else "p_"]
        f.issues_raised += row["total"]
        f.issues_resolved_on_visit += row["resolved"]
        f.issues_referred += row["referred"]
        counts = f.issues_by_category.setdefault(
            labels.get(row["category"], row["category"]),
            dict.fromkeys(CATEGORY_COUNTS, 0),
        )
        counts["raised"] += row["total"]
        counts["resolved on the visit"] += row["resolved"]
        counts["referred"] += row["referred"]
        counts["open now"] += row["still_open"]
        statuses = f.issues_by_status
        label = status_labels[row["status"]]
        statuses[label] = statuses.get(label, 0) + row["total"]
        if row["p"] == "cur":
            issues_per_suite[row["suite_id"]] += row["total"]

    with_responses = []
    if not glance:
        # Response times and overdue responses of the issues referred in either window, counted
        # in the database: a row per window and working-day count (the services keep each
        # answered issue's count), not one per issue.
        in_window = {
            "c_": Q(referred_at__gte=start_c, referred_at__lt=end_c),
            "p_": Q(referred_at__gte=start_p, referred_at__lt=end_p),
        }
        overdue_before = {"c_": min(today, window.end), "p_": min(today, before.end)}
        not_answered = Q(responded_at__isnull=True)
        response_rows = (
            issues.filter(in_window["c_"] | in_window["p_"])
            .annotate(
                tag=Case(
                    When(in_window["c_"], then=Value("c_")),
                    default=Value("p_"),
                    output_field=CharField(),
                )
            )
            .values("tag", "response_working_days")
            .annotate(
                answered=Count("pk", filter=~not_answered),
                waiting=Count("pk", filter=not_answered),
                in_time=Count("pk", filter=~not_answered & Q(responded_on__lte=F("due_on"))),
                overdue_c=Count(
                    "pk",
                    filter=not_answered & overdue_q(overdue_before["c_"]),
                ),
                overdue_p=Count(
                    "pk",
                    filter=not_answered & overdue_q(overdue_before["p_"]),
                ),
            )
            .order_by()
        )  # 6
        waits: dict[str, dict[int, int]] = {"c_": defaultdict(int), "p_": defaultdict(int)}
        for row in response_rows:
            tag = row["tag"]
            f = figures[tag]
            f.response_times[NOT_YET] += row["waiting"]
            f.responses_overdue += row[f"overdue_{tag[0]}"]
            if row["answered"]:
                days = row["response_working_days"]
                waits[tag][days] += row["answered"]
                f.responses_given += row["answered"]
                f.responses_in_time += row["in_time"]
                f.response_times[
                    RESPONSE_BINS[0 if days <= 5 else 1 if days <= 10 else 2 if days <= 20 else 3]
                ] += row["answered"]
        for tag, counts in waits.items():
            if counts:
                figures[tag].response_median_days = _median_of_counts(counts)

        # The period's referred issues with the force's answers, as the page and PDF list them.
        status_labels = english_labels(Issue.Status.choices)
        with_responses = [
            {
                "category": labels.get(category, category),
                "suite": suite_name,
                "description": description,
                "status": status_labels[status],
                "outcome": outcome if with_internal_notes else "",
            }
            for status, category, suite_name, description, outcome in issues.filter(in_window["c_"])
            .order_by("suite__name", "created_at", "pk")
            .values_list("status", "category", "suite__name", "description", "outcome")[:40]
        ]  # 7

    for f in figures.values():
        f.by_week = dict(sorted(f.by_week.items()))
        f.round_figures()
        if not with_pattern:
            f.without_pattern()

    trend_quarters, question_rates, good_practice = [], [], []
    if not glance:
        trend_quarters, question_rates = _question_rates(
            scheme, period, window, before, suite_names, suite_names_cy
        )  # 8

        good_practice = list(  # 9
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
        suite_names_cy=[s.name_cy for s in suites],
        current=figures["c_"],
        previous=figures["p_"],
        suites=[
            SuiteRow(
                s.name,
                per_suite[s.pk]["c_made"],
                per_suite[s.pk]["c_abandoned"],
                per_suite[s.pk]["c_in_custody"],
                per_suite[s.pk]["c_visited"],
                issues_per_suite[s.pk],
                per_suite[s.pk]["p_made"],
                s.name_cy,
            )
            for s in suites
        ],
        good_practice=[re.sub(r"\s+", " ", text) for text in good_practice],
        issues_with_responses=with_responses,
        complete=complete,
        up_to=window.end,
        previous_up_to=before.end,
        question_rates=question_rates,
        trend_quarters=trend_quarters,
    )


def _question_rates(
    scheme: Scheme,
    period: Period,
    window: Period,
    before: Period,
    suite_names: dict[int, str],
    suite_names_cy: dict[int, str],
) -> tuple[list[str], list[QuestionRate]]:
    """The "no" rate of every yes/no checklist question, this window and the one before, per
    suite, and for each of the last eight quarters: one grouped query (a row per question,
    suite and quarter)."""
    last = Period.containing(max(window.start, window.end))
    quarters = [last]
    while len(quarters) < 8:
        quarters.insert(0, quarters[0].previous())
    bucket = Case(
        *[
            When(visit__visit_date__gte=q.start, visit__visit_date__lte=q.end, then=Value(q.key))
            for q in quarters
        ],
        default=Value(""),
        output_field=CharField(),
    )
    answered = Q(value__in=[Answer.YesNo.YES, Answer.YesNo.NO])
    no = Q(value=Answer.YesNo.NO)
    this = Q(visit__visit_date__gte=window.start, visit__visit_date__lte=window.end)
    then = Q(visit__visit_date__gte=before.start, visit__visit_date__lte=before.end)
    earliest = min(quarters[0].start, before.start)
    rows = (
        Answer.objects.filter(
            # On the joined visit, not "visit in (a subquery)": the database then walks the
            # scheme's visits by their index and each one's answers, with no list to build.
            visit__scheme=scheme,
            visit__status=Visit.Status.SUBMITTED,
            visit__suite_id__in=list(suite_names),
            visit__visit_date__gte=earliest,
            visit__visit_date__lte=window.end,
            question__answer_type=Question.AnswerType.YES_NO,
        )
        .annotate(
            quarter=bucket,
            # An answer for a detainee is on the rights and welfare checklist; one without, on
            # the suite's: no need to join through the checklist's section and version.
            kind=Case(
                When(detainee__isnull=True, then=Value(ChecklistTemplate.Kind.SUITE)),
                default=Value(ChecklistTemplate.Kind.DETAINEE),
                output_field=CharField(),
            ),
        )
        .values("question__key", "kind", "visit__suite_id", "quarter")
        .annotate(
            text=Max("question__text"),
            text_cy=Max("question__text_cy"),
            no=Count("pk", filter=no),
            answered=Count("pk", filter=answered),
            no_c=Count("pk", filter=no & this),
            answered_c=Count("pk", filter=answered & this),
            no_p=Count("pk", filter=no & then),
            answered_p=Count("pk", filter=answered & then),
        )
        .order_by()
    )
    kinds = english_labels(ChecklistTemplate.Kind.choices)
    keys = [q.key for q in quarters]
    found: dict[tuple[str, str], dict] = {}
    for row in rows:
        kind = row["kind"]
        entry = found.setdefault(
            (kind, row["question__key"]),
            {
                "text": row["text"],
                "text_cy": row["text_cy"] or "",
                "counts": [0, 0, 0, 0],
                "trend": {key: [0, 0] for key in keys},
                "suites": defaultdict(lambda: [0, 0]),
            },
        )
        entry["text"] = max(entry["text"], row["text"])
        entry["text_cy"] = max(entry["text_cy"], row["text_cy"] or "")
        counts = entry["counts"]
        counts[0] += row["no_c"]
        counts[1] += row["answered_c"]
        counts[2] += row["no_p"]
        counts[3] += row["answered_p"]
        if row["quarter"]:
            entry["trend"][row["quarter"]][0] += row["no"]
            entry["trend"][row["quarter"]][1] += row["answered"]
        if row["answered_c"]:
            per_suite = entry["suites"][row["visit__suite_id"]]
            per_suite[0] += row["no_c"]
            per_suite[1] += row["answered_c"]
    rates = [
        QuestionRate(
            key=key,
            text=entry["text"],
            checklist=kinds.get(kind, kind),
            no=entry["counts"][0],
            answered=entry["counts"][1],
            previous_no=entry["counts"][2],
            previous_answered=entry["counts"][3],
            trend=[percent(*entry["trend"][q]) for q in keys],
            by_suite={
                name: percent(*entry["suites"][pk])
                for pk, name in suite_names.items()
                if pk in entry["suites"]
            },
            text_cy=entry["text_cy"],
            by_suite_cy={
                pick(name, suite_names_cy.get(pk), WELSH): percent(*entry["suites"][pk])
                for pk, name in suite_names.items()
                if pk in entry["suites"]
            }
            if any(suite_names_cy.values())
            else {},
        )
        for (kind, key), entry in sorted(found.items())
    ]
    # Questions most often answered "no" first: what the force should hear about.
    rates.sort(key=lambda r: (r.checklist, -(r.rate or 0), r.text))
    return keys, rates


@dataclass(frozen=True)
class SummaryScope:
    scheme: Scheme
    period: Period
    suites: list  # the suites summarised: all the user may read, or the one chosen
    allowed: list  # every active suite the user may read in the scheme
    error: str | None  # a period that could not be read (this quarter is shown instead)
    last_change: int | None = None  # audit.last_change(scheme) when the scope was read


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
    # The scheme's last change (which keys the cached figures) comes in the same round trip.
    allowed = list(
        allowed.order_by("name").annotate(
            scheme_last_change=audit.last_change_of(OuterRef("scheme"))
        )
    )
    chosen = [s for s in allowed if str(s.pk) == params.get("suite")]
    last_change = (allowed[0].scheme_last_change or 0) if allowed else None
    return SummaryScope(scheme, period, chosen or allowed, allowed, error, last_change)


def read_summary(
    viewer, scope: SummaryScope, *, form: str, today: datetime.date | None = None
) -> Summary:
    """`visible_summary`, recorded in the audit trail as read by `viewer` in `form` (page,
    csv, pdf, api), whatever the door."""
    summary = visible_summary(viewer, scope, today=today)
    _record_read(viewer, summary, form)
    return summary


def read_national_return(
    viewer, scheme: Scheme, period: Period, *, today: datetime.date | None = None
) -> Summary:
    """The whole scheme's figures for the national return, recorded as read. NotPermitted for
    anyone but the manager and the PCC reader."""
    if not permissions.can_download_national_return(viewer, scheme):
        raise NotPermitted(
            gettext("The national return is for the scheme manager and PCC reader."),
            code="role_not_allowed",
        )
    summary = cached_summary(scheme, period, today=today)
    _record_read(viewer, summary, "national_return")
    return summary


def _record_read(viewer, summary: Summary, form: str) -> None:
    audit.record(
        actor=viewer,
        action=f"summary.{form}",
        scheme=summary.scheme,
        detail={"period": summary.period.key, "suites": summary.suite_names},
    )


def visible_summary(
    viewer, scope: SummaryScope, *, today: datetime.date | None = None, glance: bool = False
) -> Summary:
    """The summary of `scope` as `viewer` may read it (as of `today`; only its visit and issue
    counts with `glance`): the one every door renders."""
    options = {
        "suites": scope.suites,
        "with_pattern": permissions.can_see_visit_pattern(viewer, scope.scheme),
        "with_internal_notes": permissions.may(viewer, permissions.INTERNAL_NOTES, scope.scheme),
    }
    if glance:  # two counts: quicker to make than to look up
        return summarise(scope.scheme, scope.period, today=today, glance=True, **options)
    return cached_summary(
        scope.scheme, scope.period, today=today, last_change=scope.last_change, **options
    )


# How long computed figures are kept at most, whatever else happens: a bound on the damage of a
# change that escaped the audit trail (a hand-made SQL fix) and the time a new release takes to
# replace the figures of the old one if ICV_RELEASE is not set.
SUMMARY_CACHE_SECONDS = 600
# This module's text: figures computed by other code are not this code's.
_CODE_VERSION = hashlib.sha256(Path(__file__).read_bytes()).hexdigest()[:16]


def cached_summary(
    scheme: Scheme,
    period: Period,
    *,
    suites=None,
    with_pattern: bool = True,
    with_internal_notes: bool = True,
    today: datetime.date | None = None,
    last_change: int | None = None,
) -> Summary:
    """`summarise`, kept in the cache under everything the figures depend on: the question (the
    scheme, period, suites, and what the viewer may see), the day (a period "so far", the age
    of open issues), the code, and the scheme's last change. Every change to a scheme's data
    goes through a service, which records it in the audit trail in the same transaction
    (`audit.last_change`), so figures found under the newest change are the figures now. The
    change is looked up (or was, as `last_change`, by the caller) before counting: a change
    committed meanwhile makes a newer key."""
    today = today or timezone.localdate()
    suite_key = "all" if suites is None else ",".join(str(s.pk) for s in suites)
    key = ":".join(
        [
            "summary",
            _CODE_VERSION,
            settings.ICV_RELEASE or "-",
            str(scheme.pk),
            period.key,
            suite_key,
            f"{int(with_pattern)}{int(with_internal_notes)}",
            today.isoformat(),
            str(audit.last_change(scheme) if last_change is None else last_change),
        ]
    )
    summary = cache.get(key)
    if summary is None:
        summary = summarise(
            scheme,
            period,
            suites=suites,
            with_pattern=with_pattern,
            with_internal_notes=with_internal_notes,
            today=today,
        )
        summary.cache_key = key
        cache.set(key, summary, SUMMARY_CACHE_SECONDS)
    return summary


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
    # Added for issue 20: the period may be "so far" (complete false, figures to up_to).
    "complete",
    "up_to",
    "seen_under_18",
    "appropriate_adult_met",
    "interpreter_met",
    "responses_in_time_share",
    "referrals_overdue_now",
]


def national_return_row(summary: Summary) -> list:
    """The scheme's figures for the period, in NATIONAL_RETURN_COLUMNS order."""
    c = summary.current
    values = {
        "scheme": summary.scheme.name,
        "period": summary.period.key,
        "not_visited_total": c.not_visited_total,
        "complete": summary.complete,
        "up_to": summary.up_to.isoformat(),
    }
    return [
        values[name] if name in values else getattr(c, name) for name in NATIONAL_RETURN_COLUMNS
    ]


# The scheme manager's queue on the home page: what waits for them, counted in two queries.

RECENT_REPORT_DAYS = 14  # a report sent within this many days is "recent"
STALE_DRAFT_DAYS = 2  # a draft older than this many days has been left


def manager_queue(scheme_ids: list[int], today: datetime.date) -> dict[str, int]:
    """The counts of the manager's home page for their schemes: issues to triage, responded,
    with the force and overdue (one query); reports sent in the last RECENT_REPORT_DAYS and
    drafts left for more than STALE_DRAFT_DAYS (one query)."""
    now = timezone.now()
    issues = Issue.objects.filter(scheme_id__in=scheme_ids).aggregate(
        to_triage=Count("pk", filter=Q(status=Issue.Status.RAISED)),
        responded=Count("pk", filter=Q(status=Issue.Status.RESPONDED)),
        with_force=Count("pk", filter=waiting_for_force_q()),
        overdue=Count("pk", filter=overdue_q(today)),
    )
    visits = Visit.objects.filter(scheme_id__in=scheme_ids).aggregate(
        recent_reports=Count(
            "pk",
            filter=Q(status=Visit.Status.SUBMITTED)
            & Q(submitted_at__gte=now - datetime.timedelta(days=RECENT_REPORT_DAYS)),
        ),
        stale_drafts=Count(
            "pk",
            filter=Q(status=Visit.Status.DRAFT)
            & Q(created_at__lt=now - datetime.timedelta(days=STALE_DRAFT_DAYS)),
        ),
    )
    return issues | visits
