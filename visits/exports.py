"""CSV exports: one writer for every CSV the app hands out, and the rows of each export.
Read models in, bytes out; the page (and the API, should it offer a CSV) builds the answer.

Every cell goes through `neutralise`, after OWASP's guidance on CSV injection: a spreadsheet
runs a cell whose text begins with `=`, `+`, `-` or `@` (or a tab or carriage return, which
some read past) as a formula, so an issue's description or a suite's name could otherwise
carry a live formula into the reader's spreadsheet. Such text gets a leading single quote,
which spreadsheets take as "this is text". Leading whitespace does not hide a formula: " =1+1"
is neutralised too. Numbers are written as numbers and never quoted, so a negative figure
stays a figure a spreadsheet can add up: only text is neutralised, and every value that is not
an int, float or Decimal is text (a date, a label, a name). The quoting is the csv module's
usual one, which already keeps a cell's commas, quotes and line breaks inside that cell.
"""

import csv
import datetime
import decimal
import io
from collections.abc import Iterable, Iterator

from django.utils.translation import gettext_lazy as _

from visits.summaries import (
    BREAKDOWN_TITLES,
    DAYS,
    NATIONAL_RETURN_COLUMNS,
    SUITE_LABELS,
    Summary,
    national_return_row,
    shown,
)
from visits.visible_issues import VisibleIssue

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
NUMBERS = (int, float, decimal.Decimal)  # bool is an int: written as True/False, as before


def neutralise(value):
    """`value` as a spreadsheet should read it: a number unchanged, text that a spreadsheet
    would run as a formula with a leading single quote, None as an empty cell."""
    if value is None:
        return ""
    if isinstance(value, NUMBERS):
        return value
    text = str(value)
    if text.startswith(FORMULA_STARTS) or text.lstrip().startswith(FORMULA_STARTS):
        return "'" + text
    return text


def csv_bytes(rows: Iterable[Iterable]) -> bytes:
    """The rows as UTF-8 CSV, every cell neutralised: the one writer every CSV export uses."""
    out = io.StringIO()
    writer = csv.writer(out)
    for row in rows:
        writer.writerow([neutralise(value) for value in row])
    return out.getvalue().encode("utf-8")


# The issue export: one row per issue as the reader may read it (visits.visible_issues).

ISSUE_COLUMNS = [
    "id",
    "suite",
    "category",
    "severity",
    "status",
    "escalation",
    "custody number",
    "description",
    "raised",
    "referred",
    "due",
    "responded",
    "closed",
    "overdue",
    "outcome",
]


def _day(moment: datetime.datetime | None) -> str:
    return f"{moment:%Y-%m-%d}" if moment else ""


def issue_rows(issues: Iterable[VisibleIssue], today: datetime.date) -> Iterator[list]:
    """The heading and one row per issue, from the read model only."""
    yield ISSUE_COLUMNS
    for issue in issues:
        yield [
            issue.id,
            issue.suite_name,
            issue.category_label,
            issue.severity_label,
            issue.status_label,
            issue.escalation_label,
            issue.custody_number,
            issue.description,
            _day(issue.created_at),
            _day(issue.referred_at),
            issue.due_on or "",
            _day(issue.responded_at),
            _day(issue.closed_at),
            "yes" if issue.overdue_on(today) else "no",
            issue.outcome,
        ]


def issues_csv(issues: Iterable[VisibleIssue], today: datetime.date) -> bytes:
    """`/issues/export.csv`: the issues the reader may read, as they may read them."""
    return csv_bytes(issue_rows(issues, today))


# The summary: every figure the reader is given (Figures.given), this period and the one before.

# The table of suites in the open data: the labels are visits.summaries.SUITE_COLUMNS'; the
# columns stay in the order programs read them (a column added later goes at the end).
SUITE_CSV_KEYS = (
    "name",
    "visits_made",
    "visits_abandoned",
    "in_custody",
    "visited",
    "issues_raised",
    "previous_made",
)
SUITE_HEADER = [SUITE_LABELS[key] for key in SUITE_CSV_KEYS]


def summary_rows(summary: Summary) -> Iterator[list]:
    """Figure (its label), key, this period, the period before; then the breakdowns, the
    checklist questions' "no" rates and a row per suite. Only the figures this reader is given
    (visits.summaries.visible_summary), under the labels of visits.summaries.FIGURE_LABELS."""
    yield [_("Figure"), _("Key"), summary.period_label, summary.previous_label]
    for key, label, now, before in summary.labelled():
        yield [label, key, now, before]
    current, previous = summary.current.given(), summary.previous.given()
    for name, title in BREAKDOWN_TITLES.items():
        if name not in current:
            continue  # not given to this reader
        value, before = current[name], previous[name]
        if isinstance(value, list):
            value, before = dict(value), dict(before)
        for key, item in value.items():
            if isinstance(item, list):  # a week: made, planned
                old = before.get(key, [0, 0])
                made = _("%(title)s %(key)s: made") % {"title": title, "key": key}
                yield [made, f"{name}.{key}.made", item[0], old[0]]
                planned = _("%(title)s %(key)s: planned") % {"title": title, "key": key}
                yield [planned, f"{name}.{key}.planned", item[1], old[1]]
            elif isinstance(item, dict):
                for sub, number in item.items():
                    old = before.get(key, {}).get(sub, 0)
                    label = _("%(title)s: %(key)s: %(sub)s") % {
                        "title": title,
                        "key": shown(key),
                        "sub": shown(sub),
                    }
                    yield [label, f"{name}.{key}.{sub}", number, old]
            else:
                label = _("%(title)s: %(key)s") % {"title": title, "key": shown(key)}
                yield [label, f"{name}.{key}", item, before.get(key, 0)]
    if "by_day" in current:
        for day, n, m in zip(DAYS, current["by_day"], previous["by_day"], strict=True):
            yield [_("Visits on %(day)s") % {"day": shown(day)}, f"by_day.{day}", n, m]
    yield []
    yield [
        _("Checklist question"),
        _("Key"),
        _("Checklist"),
        _("Answered no (%)"),
        _("Answered yes or no"),
        _("Before: no (%)"),
        *[_("Quarter %(key)s: no (%%)") % {"key": key} for key in summary.trend_quarters],
        *[_("%(name)s: no (%%)") % {"name": name} for name in summary.suite_names],
    ]
    for q in summary.question_rates:
        yield [
            q.text,
            q.key,
            q.checklist,
            q.rate,
            q.answered,
            q.previous_rate,
            *q.trend,
            *[q.by_suite.get(name) for name in summary.suite_names],
        ]
    yield []
    yield SUITE_HEADER
    for row in summary.suites:
        # The suite's Welsh name (SuiteRow.name_cy) is not a column: the open data's keys and
        # names stay as programs read them.
        yield [getattr(row, key) for key in SUITE_CSV_KEYS]


def summary_csv(summary: Summary) -> bytes:
    """`/summaries/summary.csv`."""
    return csv_bytes(summary_rows(summary))


def national_return_csv(summary: Summary) -> bytes:
    """The national return: its columns in their fixed order, then the scheme's one row."""
    return csv_bytes([NATIONAL_RETURN_COLUMNS, national_return_row(summary)])
