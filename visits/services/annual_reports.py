"""A scheme's annual report: the sections its manager writes, saved and published here and
nowhere else, and the report as anyone may read it (`AnnualReportDocument`).

The year's figures are the one summary of the year (visits.summaries.summarise for
Period.year(y)), never a second count. The report is written to be published, so every reader
(the manager, the PCC reader, and the public once it is published) reads the same document:
without the pattern of when visits happen (the force may read a public page), without any free
text of visits or issues, and with counts under SMALL_COUNT suppressed so nobody is recognised.
"""

import dataclasses
import datetime
import re

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from visits import permissions
from visits.errors import ConflictError, DomainError, NotFound, NotPermitted
from visits.models import AnnualReport, Role, Scheme
from visits.models.annual_reports import (
    ANNUAL_REPORT_SECTIONS,
    OPTIONAL_SECTIONS,
    SECTION_MAX_LENGTH,
)
from visits.publication import PUBLIC_KEYS, published_values
from visits.services import audit
from visits.summaries import FIGURE_LABELS, SMALL_COUNT, Period, Summary, summarise

FIRST_YEAR = 2000

# --- Who reads and writes ---------------------------------------------------------------------


def annual_report_schemes(user) -> list[Scheme]:
    """The schemes whose annual reports the user reads before publication: the manager's and
    the PCC reader's (never the force's: a draft may say what the scheme plans to look at)."""
    return sorted(
        {m.scheme for m in permissions.memberships_of(user) if m.role in (Role.MANAGER, Role.PCC)},
        key=lambda scheme: scheme.name,
    )


def can_write_annual_report(user, scheme: Scheme) -> bool:
    return permissions.is_manager(user, scheme)


# --- The sections -----------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Sections:
    foreword: str = ""
    findings: str = ""
    force_responses: str = ""
    examples_of_change: str = ""
    thanks: str = ""

    def cleaned(self) -> "Sections":
        """As saved: Windows line ends and outer spaces are not what the writer meant to keep."""
        return Sections(
            **{
                name: getattr(self, name).replace("\r\n", "\n").strip()
                for name, _label in ANNUAL_REPORT_SECTIONS
            }
        )


# A quarter's key ("2026-Q3") has letters and digits like a custody number, and is not one.
_QUARTER_KEY = re.compile(r"\d{4}-Q[1-4]")
_NUMBER_RUN = re.compile(r"[A-Za-z0-9][A-Za-z0-9/\-]*")


def custody_numbers_in(text: str, pattern: str) -> list[str]:
    """Runs of letters, digits, slashes and dashes in `text` that match the scheme's custody
    number pattern. Only runs with a letter and at least three digits are tried: the default
    pattern also matches any long word, and a custody number always carries both (all-digit
    numbers are not caught; docs/annual-report.md)."""
    found = []
    # Every run of the characters custody numbers are made of, wherever it stands: after a
    # colon or a hash, before an apostrophe or a dash, or two joined by a slash (each tried).
    for run in _NUMBER_RUN.findall(text):
        run = run.strip("/-").upper()
        for token in dict.fromkeys([run, *run.split("/")]):
            if sum(ch.isdigit() for ch in token) < 3 or not any(ch.isalpha() for ch in token):
                continue
            if _QUARTER_KEY.fullmatch(token):
                continue
            try:
                if re.fullmatch(pattern, token):
                    found.append(token)
            except re.error:  # a scheme's broken pattern must not stop the report being written
                return found
    return found


def _check_sections(scheme: Scheme, sections: Sections) -> tuple[str, dict[str, str]]:
    """The code of the first problem ("too_long", "custody_number") and each section's."""
    codes, problems = [], {}
    for name, label in ANNUAL_REPORT_SECTIONS:
        text = getattr(sections, name)
        if len(text) > SECTION_MAX_LENGTH:
            problems[name] = gettext(
                "%(section)s is %(length)d characters long; shorten it to %(max)d or fewer."
            ) % {"section": label, "length": len(text), "max": SECTION_MAX_LENGTH}
            codes.append("too_long")
            continue
        numbers = custody_numbers_in(text, scheme.custody_number_pattern)
        if numbers:
            problems[name] = gettext(
                "%(section)s contains “%(number)s”, which looks like a custody record number. "
                "The report will be public: take it out, and describe what happened without it."
            ) % {"section": label, "number": numbers[0]}
            codes.append("custody_number")
    return (codes[0] if codes else ""), problems


def _year_has_ended(year: int, today: datetime.date) -> bool:
    return today > datetime.date(year, 12, 31)


def _check_year(year: int, today: datetime.date) -> None:
    if not FIRST_YEAR <= year <= today.year:
        raise NotFound(gettext("There is no annual report for that year."), code="not_found")


def save_annual_report(
    *,
    actor,
    scheme: Scheme,
    year: int,
    sections: Sections,
    expected_revision: int,
    today: datetime.date | None = None,
) -> AnnualReport:
    """Save the sections of `scheme`'s report for `year` (made on first save). NotPermitted for
    anyone but the manager; DomainError (code "custody_number" or "too_long", by field) for text
    that may not be published; ConflictError ("stale") if saved since `expected_revision`."""
    today = today or timezone.localdate()
    _check_year(year, today)
    if not can_write_annual_report(actor, scheme):
        raise NotPermitted(
            gettext("Only the scheme manager writes the annual report."), code="role_not_allowed"
        )
    sections = sections.cleaned()
    code, problems = _check_sections(scheme, sections)
    if problems:
        raise DomainError(next(iter(problems.values())), code=code, fields=problems)
    with transaction.atomic():
        report, _made = AnnualReport.objects.select_for_update().get_or_create(
            scheme=scheme, year=year
        )
        if report.revision != expected_revision:
            raise ConflictError(
                gettext(
                    "Someone saved this report after you opened it. Your text is below, "
                    "beside what they saved: combine the two, then save again."
                ),
                code="stale",
            )
        missing = _missing_sections(sections)
        if report.is_published and missing:
            # A published report may be corrected, never emptied: it stays public.
            raise DomainError(
                gettext("The report is published: %(sections)s cannot be left empty.")
                % {"sections": ", ".join(missing)},
                code="incomplete",
            )
        changed = [
            name
            for name, _label in ANNUAL_REPORT_SECTIONS
            if getattr(report, name) != getattr(sections, name)
        ]
        for name in changed:
            setattr(report, name, getattr(sections, name))
        report.revision += 1
        report.save()
        audit.record(
            actor=actor,
            action="annual_report.save",
            obj=report,
            scheme=scheme,
            detail={"year": year, "revision": report.revision, "sections": changed},
        )
    return report


def _missing_sections(text) -> list[str]:
    """The labels of the sections a published report needs that `text` (the sections, or
    the saved report) leaves empty."""
    return [
        str(label)
        for name, label in ANNUAL_REPORT_SECTIONS
        if name not in OPTIONAL_SECTIONS and not getattr(text, name)
    ]


def publish_annual_report(
    *, actor, scheme: Scheme, year: int, expected_revision: int, today: datetime.date | None = None
) -> AnnualReport:
    """Publish the report: from then on anyone may read it at /public/<slug>/annual/<year>/.
    NotPermitted for anyone but the manager; DomainError once published, before the year has
    ended ("year_not_ended") or with a section still to write ("incomplete"); ConflictError
    ("stale") if saved since `expected_revision`."""
    today = today or timezone.localdate()
    _check_year(year, today)
    if not can_write_annual_report(actor, scheme):
        raise NotPermitted(
            gettext("Only the scheme manager publishes the annual report."),
            code="role_not_allowed",
        )
    if not _year_has_ended(year, today):
        raise DomainError(
            gettext("%(year)d has not ended: publish its report from 1 January %(next)d.")
            % {"year": year, "next": year + 1},
            code="year_not_ended",
        )
    with transaction.atomic():
        report = AnnualReport.objects.select_for_update().filter(scheme=scheme, year=year).first()
        if report is None:
            raise DomainError(
                gettext("Write the report's sections before publishing it."), code="incomplete"
            )
        if report.revision != expected_revision:
            raise ConflictError(
                gettext("The report changed after you opened it: read it again, then publish."),
                code="stale",
            )
        if report.is_published:
            raise DomainError(gettext("The report is already published."), code="published")
        missing = _missing_sections(report)
        if missing:
            raise DomainError(
                gettext("Write these sections before publishing: %(sections)s.")
                % {"sections": ", ".join(missing)},
                code="incomplete",
            )
        saved = Sections(**{name: getattr(report, name) for name, _ in ANNUAL_REPORT_SECTIONS})
        code, problems = _check_sections(scheme, saved)
        if problems:  # the scheme's pattern may have changed since the text was saved
            raise DomainError(next(iter(problems.values())), code=code, fields=problems)
        report.status = AnnualReport.Status.PUBLISHED
        report.published_at = timezone.now()
        report.revision += 1
        report.save()
        audit.record(
            actor=actor,
            action="annual_report.publish",
            obj=report,
            scheme=scheme,
            detail={"year": year, "revision": report.revision},
        )
    return report


# --- The report as it is read -------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class PublishedChart:
    title: str
    values: list[tuple[str, int]]
    left_out: int  # categories of fewer than SMALL_COUNT, not drawn

    @property
    def in_words(self) -> str:
        if not self.left_out:
            return chart_in_words(self.values)
        return gettext(
            "Not drawn: it has a category of fewer than %(small)d, which the others would tell."
        ) % {"small": SMALL_COUNT}


def chart_in_words(values: list[tuple[str, int]]) -> str:
    """A chart in words, each figure with its whole-number share of the total: what a reader
    who cannot see the bars is told (page and PDF alike), and the figures behind them."""
    total = sum(n for _, n in values)
    if not total:
        return gettext("None in the period.")
    parts = [
        gettext("%(label)s %(n)d (%(share)d%%)")
        % {"label": label, "n": n, "share": round(100 * n / total)}
        for label, n in values
        if n
    ]
    return gettext("%(total)d in all: %(parts)s.") % {"total": total, "parts": "; ".join(parts)}


@dataclasses.dataclass
class AnnualReportDocument:
    """Everything the page, the PDF and the public page render: the manager's sections and the
    year's figures as they may be published."""

    scheme: Scheme
    year: int
    report: AnnualReport  # not saved yet when nothing has been written
    summary: Summary
    figures: list[tuple[str, str, object, object]]  # key, label, this year, the year before
    charts: list[PublishedChart]
    year_ended: bool

    @property
    def sections(self) -> list[tuple[str, str, str]]:
        """(field, heading, text) of the sections written, in print order."""
        return [section for section in self.report.sections() if section[2]]

    @property
    def title(self) -> str:
        return gettext("Annual report %(year)d") % {"year": self.year}


def _shown(value):
    """A published figure as the report prints it: the number, or the rule's words."""
    if value.suppressed:
        return gettext("fewer than %(n)d") % {"n": SMALL_COUNT}
    return value.value


def _published_chart(title: str, values: list[tuple[str, int]]) -> PublishedChart:
    # Categories of none are left out too: the figures' table has them, the chart needs not.
    # A chart with a small category is not drawn at all: with the total beside it, the others
    # drawn would tell the small one by subtraction.
    small = [label for label, n in values if 0 < n < SMALL_COUNT]
    kept = [] if small else [(label, n) for label, n in values if n >= SMALL_COUNT]
    return PublishedChart(str(title), kept, len(small))


def annual_report_document(
    scheme: Scheme, year: int, *, today: datetime.date | None = None
) -> AnnualReportDocument:
    """The report of `scheme` for `year` as it is (or will be) published."""
    today = today or timezone.localdate()
    _check_year(year, today)
    report = AnnualReport.objects.filter(scheme=scheme, year=year).first()
    report = report or AnnualReport(scheme=scheme, year=year)
    summary = summarise(
        scheme, Period.year(year), today=today, with_pattern=False, with_internal_notes=False
    )
    # The published quarters' figures and their one suppression rule (visits.publication),
    # sums held together, for this year and the year before.
    now, before = published_values(summary.current), published_values(summary.previous)
    figures = [
        (key, str(FIGURE_LABELS[key]), _shown(now[key]), _shown(before[key])) for key in PUBLIC_KEYS
    ]
    charts = [_published_chart(title, values) for title, values in summary.charts()]
    return AnnualReportDocument(
        scheme, year, report, summary, figures, charts, _year_has_ended(year, today)
    )


def read_annual_report(
    viewer, scheme: Scheme, year: int, *, form: str, today: datetime.date | None = None
) -> AnnualReportDocument:
    """The report for the manager or the PCC reader (draft or published), recorded as read in
    `form` (page, pdf, edit). NotFound for anyone else, the force included."""
    if scheme not in annual_report_schemes(viewer):
        raise NotFound(gettext("There is no such annual report."), code="not_found")
    document = annual_report_document(scheme, year, today=today)
    audit.record(
        actor=viewer,
        action=f"annual_report.{form}",
        scheme=scheme,
        detail={"year": year, "revision": document.report.revision},
    )
    return document


def published_annual_years(scheme: Scheme) -> list[int]:
    """The years whose annual report anyone may read, newest first (the public figures page
    links them)."""
    return list(
        AnnualReport.objects.filter(scheme=scheme, status=AnnualReport.Status.PUBLISHED)
        .order_by("-year")
        .values_list("year", flat=True)
    )


def read_published_annual_report(
    slug: str, year: int, *, today: datetime.date | None = None
) -> AnnualReportDocument:
    """The published report, for anyone. NotFound until it is published. Not audited: it is
    public, and a crawler's every visit would otherwise lengthen the audit chain."""
    today = today or timezone.localdate()
    _check_year(year, today)  # before the query: a year of 30 digits is not a database's integer
    report = (
        AnnualReport.objects.select_related("scheme")
        .filter(scheme__slug=slug, year=year, status=AnnualReport.Status.PUBLISHED)
        .first()
    )
    if report is None:
        raise NotFound(gettext("There is no such annual report."), code="not_found")
    return annual_report_document(report.scheme, year, today=today)
