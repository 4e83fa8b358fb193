"""The published figures of a quarter: what anyone, signed in or not, may read of a scheme's
quarter once its manager has published it (visits.services.publication).

Built from the one `summarise` computation, never a second count, and holding no personal
data: counts, rates and suite names only (no custody numbers, no free text, no names, not
even of who published), only made visits of a quarter that has ended (nothing of plans or of
when visits happen: `with_pattern=False`), and no figures of the quarter before (it may not be
published).

THE SUPPRESSION RULE (docs/published-figures.md), here and nowhere else:
- a count from 1 to SMALL_COUNT - 1 (that is, under 5) is not published: it reads "fewer than
  5" on the page and is empty (null) in the open data, with `suppressed` true;
- a rate or a mean is not published when any count it is made from is suppressed, nor when
  the rest of its whole (whole minus part) is, since "90% of 20" tells that 2 were not;
- where published counts add up (SUMS, the suites' rows, the categories) and exactly one of
  a sum is withheld, the smallest other part is withheld too (`withhold_differences`), so the
  one cannot be worked out by subtraction.
Zero is published: it identifies nobody.
"""

import dataclasses
import datetime
import json
from dataclasses import dataclass, field

from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from visits.errors import NotFound
from visits.exports import csv_bytes
from visits.models import IssueCategory, PublishedQuarter, Scheme
from visits.summaries import (
    FIGURE_LABELS,
    SMALL_COUNT,
    Period,
    Summary,
    english_labels,
    shown,
    summarise,
    suppressed,
)


def is_small(count: int | None) -> bool:
    """Whether a count is too small to publish (1 to SMALL_COUNT - 1)."""
    return count is not None and 0 < count < SMALL_COUNT


def share_is_small(part: int, whole: int) -> bool:
    """Whether a rate of `part` in `whole` would tell a small count: the part, the whole or
    the rest of the whole."""
    return is_small(part) or is_small(whole) or is_small(whole - part)


# The published figures, in the page's order: (section title, [(key, unit, the counts the
# figure is made from)]). A count is made from itself; a rate from (part, whole); a mean or
# median from the count of what it averages.
COUNT, PERCENT, MINUTES, WORKING_DAYS = "count", "percent", "minutes", "working days"
SECTIONS = [
    (
        _("Visits"),
        [
            ("visits_made", COUNT, ("visits_made",)),
            ("visits_target", COUNT, ("visits_target",)),
            ("completion", PERCENT, ("visits_made", "visits_target")),
            ("visits_abandoned", COUNT, ("visits_abandoned",)),
            ("visits_unsatisfactory", COUNT, ("visits_unsatisfactory",)),
            ("delays", COUNT, ("delays",)),
            ("delay_average", MINUTES, ("delays",)),
            ("delay_longest", MINUTES, ("delays",)),
        ],
    ),
    (
        _("People in custody at the time of visits"),
        [
            ("in_custody", COUNT, ("in_custody",)),
            ("offered", COUNT, ("offered",)),
            ("visited", COUNT, ("visited",)),
            ("observed_only", COUNT, ("observed_only",)),
            ("declined", COUNT, ("declined",)),
            ("not_visited_total", COUNT, ("not_visited_total",)),
            ("under_18", COUNT, ("under_18",)),
        ],
    ),
    (
        _("Needs of those seen, and how often they were met"),
        [
            ("detainees_recorded", COUNT, ("detainees_recorded",)),
            ("seen_under_18", COUNT, ("seen_under_18",)),
            ("mental_health", COUNT, ("mental_health",)),
            ("appropriate_adult_needed", COUNT, ("appropriate_adult_needed",)),
            ("appropriate_adult_met", COUNT, ("appropriate_adult_met",)),
            (
                "appropriate_adult_met_share",
                PERCENT,
                ("appropriate_adult_met", "appropriate_adult_needed"),
            ),
            ("interpreter_needed", COUNT, ("interpreter_needed",)),
            ("interpreter_met", COUNT, ("interpreter_met",)),
            ("interpreter_met_share", PERCENT, ("interpreter_met", "interpreter_needed")),
        ],
    ),
    (
        _("Issues and the force's responses"),
        [
            ("issues_raised", COUNT, ("issues_raised",)),
            ("issues_resolved_on_visit", COUNT, ("issues_resolved_on_visit",)),
            ("resolved_on_visit_share", PERCENT, ("issues_resolved_on_visit", "issues_raised")),
            ("issues_referred", COUNT, ("issues_referred",)),
            ("issues_open_at_end", COUNT, ("issues_open_at_end",)),
            ("responses_given", COUNT, ("responses_given",)),
            ("response_median_days", WORKING_DAYS, ("responses_given",)),
            ("responses_in_time", COUNT, ("responses_in_time",)),
            ("responses_in_time_share", PERCENT, ("responses_in_time", "responses_given")),
            ("responses_overdue", COUNT, ("responses_overdue",)),
        ],
    ),
]
PUBLIC_KEYS = [key for _title, rows in SECTIONS for key, _unit, _basis in rows]

# What each figure means, for the page, the JSON and docs/published-figures.md.
DEFINITIONS = {
    "visits_made": _("Visits made to the custody suites in the quarter (not abandoned)."),
    "visits_target": _("Visits the scheme aims to make: each suite's weekly visits, each week."),
    "completion": _("Visits made as a whole-number percentage of visits_target."),
    "visits_abandoned": _("Visits begun but abandoned (for example, the suite was too busy)."),
    "visits_unsatisfactory": _("Visits the visitors reported as unsatisfactory."),
    "delays": _("Visits on which the visitors were kept waiting to be admitted."),
    "delay_average": _("Mean wait on those visits, in minutes, to one decimal place."),
    "delay_longest": _("Longest wait on a visit, in minutes."),
    "in_custody": _("People in custody at the suites while visits took place."),
    "offered": _("Of those, the people offered a visit."),
    "visited": _("People who spoke with the visitors."),
    "observed_only": _("People the visitors observed without speaking with them."),
    "declined": _("People who declined a visit."),
    "not_visited_total": _("People not visited (asleep, with a solicitor, unsafe, and so on)."),
    "under_18": _("People under 18 in custody at the time of visits."),
    "detainees_recorded": _("People seen of whom the visitors made a record."),
    "seen_under_18": _("Of those recorded, people under 18."),
    "mental_health": _("Of those recorded, people with a mental health concern."),
    "appropriate_adult_needed": _("Of those recorded, people who needed an appropriate adult."),
    "appropriate_adult_met": _("Of those, people whose appropriate adult was present."),
    "appropriate_adult_met_share": _("appropriate_adult_met as a percentage of those needing one."),
    "interpreter_needed": _("Of those recorded, people who needed an interpreter."),
    "interpreter_met": _("Of those, people for whom an interpreter was used."),
    "interpreter_met_share": _("interpreter_met as a percentage of those needing one."),
    "issues_raised": _("Issues the visitors raised on the quarter's visits."),
    "issues_resolved_on_visit": _("Of those, issues resolved during the visit."),
    "resolved_on_visit_share": _("issues_resolved_on_visit as a percentage of issues_raised."),
    "issues_referred": _("Issues the scheme referred to the police force in the quarter."),
    "issues_open_at_end": _("Issues still open on the last day of the quarter."),
    "responses_given": _("Referred issues the police force has answered."),
    "response_median_days": _(
        "Median working days from referral to the force's answer, to one decimal place."
    ),
    "responses_in_time": _("Answers the force gave by the due date."),
    "responses_in_time_share": _("responses_in_time as a percentage of responses_given."),
    "responses_overdue": _("The quarter's referrals that are past their due date unanswered."),
    # The tables beside the figures
    "suite": _("A custody suite's name; its row counts as the figures of the same name."),
    "question": _("A checklist question the visitors answer yes or no (the key is stable)."),
    "checklist": _("The checklist a question is on: the detainee's or the suite's."),
    "answered": _("Times the question was answered yes or no in the quarter."),
    "answered_no": _("Times it was answered no."),
    "no_rate": _("answered_no as a whole-number percentage of answered."),
    "category": _("An issue category; issues_raised counts the quarter's issues in it."),
    "suppressed": _("True where a figure is withheld because it is, or would tell, under 5."),
}
SUITE_FIELDS = ["visits_made", "visits_abandoned", "in_custody", "visited", "issues_raised"]
CSV_COLUMNS = [
    "scheme",
    "period",
    "section",
    "subject",
    "measure",
    "label",
    "unit",
    "value",
    "suppressed",
]


@dataclass(frozen=True)
class PublicValue:
    key: str
    label: str
    unit: str
    value: int | float | None  # None when suppressed, or when there is nothing to divide by
    suppressed: bool

    @property
    def shown(self) -> str:
        """As the page shows it: "fewer than 5", "–" for nothing, or the number."""
        if self.suppressed:
            return str(suppressed(1))  # the rule's own words for a small count
        if self.value is None:
            return "–"
        return f"{self.value:g}" if isinstance(self.value, float) else str(self.value)


@dataclass(frozen=True)
class PublicRow:
    """A suite's, a question's or an issue category's figures."""

    key: str  # stable: the suite's name, the question's key, the category's code
    label: str
    values: list[PublicValue]
    checklist: str = ""  # a question's checklist (the page groups the questions by it)


@dataclass(frozen=True)
class PublicFigures:
    scheme: Scheme
    period: Period
    published_at: datetime.datetime
    sections: list[tuple[str, list[PublicValue]]]
    suites: list[PublicRow]
    questions: list[PublicRow]
    categories: list[PublicRow]
    quarters: list[Period] = field(default_factory=list)  # every published one, newest first

    @property
    def figures(self) -> list[PublicValue]:
        return [value for _title, values in self.sections for value in values]


def _count(key: str, label: str, count: int) -> PublicValue:
    small = is_small(count)
    return PublicValue(key, label, COUNT, None if small else count, small)


def _percent(key: str, label: str, part: int, whole: int, rate: int | None) -> PublicValue:
    small = share_is_small(part, whole)
    return PublicValue(key, label, PERCENT, None if small else rate, small)


def public_scheme(slug: str) -> tuple[Scheme, list[PublishedQuarter]]:
    """The scheme `slug` names and its live publications, newest first. NotFound for an
    unknown scheme and for one that has published nothing (nothing of it is public)."""
    rows = list(
        PublishedQuarter.objects.live()
        .filter(scheme__slug=slug)
        .select_related("scheme")
        .order_by("-period")
    )
    if not rows:
        raise NotFound(gettext("There are no published figures here."), code="not_found")
    return rows[0].scheme, rows


def public_figures(
    slug: str, period_key: str | None = None, *, today: datetime.date | None = None
) -> PublicFigures:
    """The published figures of the scheme `slug` for the quarter `period_key` (the newest
    published when None). NotFound unless that quarter is published and not withdrawn."""
    scheme, rows = public_scheme(slug)  # 1
    chosen = (
        rows[0]
        if period_key is None
        else next((row for row in rows if row.period == period_key), None)
    )
    if chosen is None:
        raise NotFound(gettext("Those figures are not published."), code="not_found")
    period = Period.parse(chosen.period)
    summary = summarise(
        scheme,
        period,
        with_pattern=False,
        with_internal_notes=False,
        today=today or timezone.localdate(),
    )
    return _from_summary(summary, chosen.published_at, [Period.parse(r.period) for r in rows])


def _sections(c) -> list[tuple[str, list[PublicValue]]]:
    """The published figures of one period's `Figures`, each count or share suppressed on its
    own (the sums are held together afterwards, `_withhold_differences`)."""
    sections = []
    for title, rows in SECTIONS:
        values = []
        for key, unit, basis in rows:
            label = str(FIGURE_LABELS[key])
            counts = [c.value(name) for name in basis]
            if unit == COUNT:
                values.append(_count(key, label, counts[0]))
            elif unit == PERCENT:
                values.append(_percent(key, label, *counts, c.value(key)))
            else:  # a mean or median of `counts[0]` things
                small = is_small(counts[0])
                value = None if small else c.value(key)
                values.append(PublicValue(key, label, unit, value, small))
        sections.append((str(title), values))
    return sections


def published_values(c) -> dict[str, PublicValue]:
    """The published figures of one period's `Figures` by key, with the one suppression rule
    applied, sums included: what the annual report publishes beside the quarters."""
    sections = _sections(c)
    _withhold_differences(c, sections, [], [])
    return {v.key: v for _title, values in sections for v in values}


def _from_summary(summary: Summary, published_at, quarters: list[Period]) -> PublicFigures:
    """Only what may be published of `summary`, small counts suppressed."""
    c = summary.current
    sections = _sections(c)
    suites = [
        PublicRow(
            row.name,  # the key stays the English name, whatever the reader's language
            row.shown_name,
            [_count(name, str(FIGURE_LABELS[name]), getattr(row, name)) for name in SUITE_FIELDS],
        )
        for row in summary.suites
    ]
    questions = [
        PublicRow(
            q.key,
            q.shown_text,
            [
                _count("answered", gettext("Answered"), q.answered),
                # "No" is withheld when the yeses (answered - no) are few, as a rate would be.
                _count("answered_no", gettext("No"), q.no)
                if not is_small(q.answered - q.no)
                else PublicValue("answered_no", gettext("No"), COUNT, None, True),
                _percent("no_rate", gettext("No (%)"), q.no, q.answered, q.rate),
            ],
            checklist=shown(q.checklist),
        )
        for q in summary.question_rates
    ]
    codes = {label: code for code, label in english_labels(IssueCategory.choices).items()}
    categories = [
        PublicRow(
            codes.get(label, label),
            shown(label),
            [_count("issues_raised", str(FIGURE_LABELS["issues_raised"]), counts["raised"])],
        )
        for label, counts in sorted(c.issues_by_category.items())
    ]
    _withhold_differences(c, sections, suites, categories)
    return PublicFigures(
        scheme=summary.scheme,
        period=summary.period,
        published_at=published_at,
        sections=sections,
        suites=suites,
        questions=questions,
        categories=categories,
        quarters=quarters,
    )


# Published counts that add up: (the total, its parts). The figures' identities are the record
# rules' (visits.rules: in custody = offered + not visited; offered = visited + observed +
# declined); the suites' rows and the categories add up to the scheme's figures.
SUMS = [("in_custody", ["offered", "not_visited_total"])]
SUMS += [("offered", ["visited", "observed_only", "declined"])]

Cell = tuple[list, int]  # a PublicValue's place: its list and its index there


def withhold_differences(sums: list[tuple[Cell, list[Cell]]]) -> None:
    """Secondary suppression: where exactly one member of a sum is withheld, it could be
    worked out by subtraction, so the smallest other part (or, with none, the total) is
    withheld too; repeated until no sum has a lone withheld member."""

    def value(cell: Cell) -> PublicValue:
        return cell[0][cell[1]]

    changed = True
    while changed:
        changed = False
        for total, parts in sums:
            if sum(value(cell).suppressed for cell in [total, *parts]) != 1:
                continue
            others = [c for c in parts if not value(c).suppressed and value(c).value]
            if not others and value(total).suppressed:
                continue  # the total alone, with every part zero: nothing to find
            box, index = min(others, key=lambda c: value(c).value) if others else total
            box[index] = dataclasses.replace(box[index], value=None, suppressed=True)
            changed = True


def _withhold_differences(
    c, sections, suites: list[PublicRow], categories: list[PublicRow]
) -> None:
    """Hold every published sum of `c`'s figures together (see `withhold_differences`)."""
    figures = {v.key: (values, i) for _title, values in sections for i, v in enumerate(values)}
    sums = [(figures[total], [figures[p] for p in parts]) for total, parts in SUMS]
    if suites:
        for i, name in enumerate(SUITE_FIELDS):
            sums.append((figures[name], [(row.values, i) for row in suites]))
    if categories:
        sums.append((figures["issues_raised"], [(row.values, 0) for row in categories]))
    sums += _rest_sums(c, figures)
    withhold_differences(sums)


def _rest_sums(c, figures: dict[str, Cell]) -> list[tuple[Cell, list[Cell]]]:
    """A share's part and whole both published tell the rest (7 needed an appropriate adult,
    5 had one: 2 did not). So each share's whole is a sum of its part and an unpublished rest,
    withheld when small, and the part (or the whole) goes with it."""
    sums = []
    for _title, rows in SECTIONS:
        for key, unit, basis in rows:
            if unit != PERCENT or key in _RATES_OF_A_STANDARD:
                continue
            part, whole = (figures[name] for name in basis)
            rest = (c.value(basis[1]) or 0) - (c.value(basis[0]) or 0)
            cell = [PublicValue(f"{key}_rest", "", COUNT, rest, is_small(rest))]
            sums.append((whole, [part, (cell, 0)]))
    return sums


# A share of a target, not of people or events: the rest is visits not made, which tells of
# nobody.
_RATES_OF_A_STANDARD = {"completion"}


# --- Open data ----------------------------------------------------------------------------------


def suppression_statement() -> str:
    return gettext(
        "Counts from 1 to %(below)d are not published (shown as “fewer than %(n)d”, empty in "
        "the open data), so that nobody can be identified; nor is a percentage or average made "
        "from such a count, or whose remainder would be one; nor a count that would let one be "
        "worked out by subtraction. Zero is published."
    ) % {"below": SMALL_COUNT - 1, "n": SMALL_COUNT}


def as_json(figures: PublicFigures) -> dict:
    """The open data as JSON (field names documented in docs/published-figures.md)."""

    def row(item: PublicRow, name: str) -> dict:
        return {
            name: item.key,
            "label": item.label,
            **({"checklist": item.checklist} if item.checklist else {}),
            **{v.key: v.value for v in item.values},
            "suppressed": [v.key for v in item.values if v.suppressed],
        }

    return {
        "scheme": figures.scheme.name,
        "scheme_slug": figures.scheme.slug,
        "period": figures.period.key,
        "period_label": figures.period.label,
        "period_start": figures.period.start.isoformat(),
        "period_end": figures.period.end.isoformat(),
        "published_on": timezone.localdate(figures.published_at).isoformat(),
        "small_count_threshold": SMALL_COUNT,
        "suppression": suppression_statement(),
        "figures": [
            {
                "key": v.key,
                "label": v.label,
                "unit": v.unit,
                "value": v.value,
                "suppressed": v.suppressed,
            }
            for v in figures.figures
        ],
        "suites": [row(item, "suite") for item in figures.suites],
        "questions": [row(item, "question") for item in figures.questions],
        "issue_categories": [row(item, "category") for item in figures.categories],
        "definitions": {key: str(text) for key, text in DEFINITIONS.items()},
    }


def json_bytes(figures: PublicFigures) -> bytes:
    return json.dumps(as_json(figures), ensure_ascii=False, indent=1).encode("utf-8")


def csv_rows(figures: PublicFigures):
    """One row per published number, in CSV_COLUMNS order (a long table: easy to filter)."""
    yield CSV_COLUMNS
    head = [figures.scheme.slug, figures.period.key]
    for v in figures.figures:
        yield [*head, "figure", "", v.key, v.label, v.unit, v.value, v.suppressed]
    for section, items in (
        ("suite", figures.suites),
        ("question", figures.questions),
        ("issue_category", figures.categories),
    ):
        for item in items:
            for v in item.values:
                yield [*head, section, item.key, v.key, item.label, v.unit, v.value, v.suppressed]


def csv_data(figures: PublicFigures) -> bytes:
    return csv_bytes(
        [
            [str(cell).lower() if isinstance(cell, bool) else cell for cell in row]
            for row in csv_rows(figures)
        ]
    )
