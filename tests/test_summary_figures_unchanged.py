"""The summary's figures are the same after the work that made them fast (issue 20).

tests/data/summary_figures.<database>.json holds every figure, suite row, "no" rate, trend and
sentence of a dozen summaries of the demo's year (made through the real services, on a fixed
day mid-quarter), as the summaries computed them before aggregation moved into the database.
Any change to a figure fails here; a change meant to alter figures must rewrite the files on
purpose, on each database:

    ICV_WRITE_SUMMARY_FIGURES=1 .venv/bin/python -m pytest tests/test_summary_figures_unchanged.py
"""

import dataclasses
import datetime
import json
import os
import zoneinfo
from pathlib import Path

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.db import connection
from django.utils import timezone

from visits.demo import rota as demo_rota
from visits.demo import visits as demo_visits
from visits.models import CustodySuite, Scheme
from visits.services import rota
from visits.summaries import Period, summarise

# One file for each database: the demo dates each issue's steps by its events' ids, and
# PostgreSQL's ids are not SQLite's (see _pin_event_ids).
DATA = Path(__file__).parent / "data"
LONDON = zoneinfo.ZoneInfo("Europe/London")
# Mid-quarter, so the running quarter and year are "so far" and compared with the same part.
NOW = datetime.datetime(2026, 11, 18, 14, 30, tzinfo=LONDON)

# (scheme, period, suite names or None for all, with the pattern of visits)
CASES = [
    ("norfolk", "2026-Q4", None, True),
    ("norfolk", "2026-Q3", None, True),
    ("norfolk", "2026-Q2", None, True),
    ("norfolk", "2026-Q1", None, True),
    ("norfolk", "2026", None, True),
    ("norfolk", "2025", None, True),
    ("norfolk", "2025-Q4", None, True),
    ("norfolk", "2026-Q3", ["Wymondham"], True),
    ("norfolk", "2026", ["Aylsham", "King's Lynn"], True),
    ("norfolk", "2026-Q3", None, False),
    ("norfolk", "2026", None, False),
    ("suffolk", "2026-Q3", None, True),
]


def _figures(summary) -> dict:
    """Everything a door can render of a summary, as plain JSON values."""
    current, previous = summary.current, summary.previous
    return {
        "period_label": summary.period_label,
        "previous_label": summary.previous_label,
        "complete": summary.complete,
        "up_to": summary.up_to,
        "previous_up_to": summary.previous_up_to,
        "suite_names": summary.suite_names,
        "current": dataclasses.asdict(current),
        "previous": dataclasses.asdict(previous),
        "derived": {
            name: [getattr(current, name), getattr(previous, name)]
            for name in (
                "completion",
                "not_visited_total",
                "resolved_on_visit_share",
                "responses_in_time_share",
                "appropriate_adult_met_share",
                "interpreter_met_share",
            )
        },
        "labelled": summary.labelled(),
        "charts": summary.charts(),
        "sentences": summary.sentences(),
        "suites": [_without_welsh(dataclasses.asdict(row)) for row in summary.suites],
        "question_rates": [
            _without_welsh(dataclasses.asdict(q))
            | {"rate": q.rate, "previous_rate": q.previous_rate}
            for q in summary.question_rates
        ],
        "trend_quarters": summary.trend_quarters,
        "good_practice": summary.good_practice,
        "issues_with_responses": summary.issues_with_responses,
    }


# The Welsh names and texts a summary carries beside the English (issue 21) are no figures:
# the figures are compared as they were.
WELSH_TEXTS = {"name_cy", "text_cy", "by_suite_cy"}


def _without_welsh(row: dict) -> dict:
    return {name: value for name, value in row.items() if name not in WELSH_TEXTS}


def _all_figures() -> dict:
    results = {}
    for slug, key, suite_names, with_pattern in CASES:
        scheme = Scheme.objects.get(slug=slug)
        suites = CustodySuite.objects.filter(scheme=scheme, active=True).order_by("name")
        if suite_names:
            suites = suites.filter(name__in=suite_names)
        summary = summarise(
            scheme, Period.parse(key), suites=list(suites), with_pattern=with_pattern
        )
        name = f"{slug} {key} {','.join(suite_names or ['all'])} pattern={with_pattern}"
        results[name] = _figures(summary)
    # Through JSON both ways, so tuples and dates compare as the file holds them.
    return json.loads(json.dumps(results, default=str, ensure_ascii=False))


FIRST_EVENT_ID = 5_000_000


def _pin_event_ids() -> None:
    """Number the issue events from a fixed id: the demo spaces an issue's steps by its events'
    ids (demo_visits._date_back), and a PostgreSQL sequence keeps counting across the tests that
    ran before, rolled back or not."""
    from visits.models import IssueEvent

    table = IssueEvent._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT setval(pg_get_serial_sequence(%s, 'id'), %s, false)",
                [table, FIRST_EVENT_ID],
            )
        else:
            cursor.execute("DELETE FROM sqlite_sequence WHERE name = %s", [table])
            cursor.execute(
                "INSERT INTO sqlite_sequence (name, seq) VALUES (%s, %s)",
                [table, FIRST_EVENT_ID - 1],
            )


@pytest.fixture
def demo_year(db):
    """The demo's year of Norfolk visits and issues in every state, as seed_demo makes it."""
    User = get_user_model()
    norfolk = Scheme.objects.get(slug="norfolk")
    manager = User.objects.get(username="manager")
    _pin_event_ids()
    with time_machine.travel(NOW, tick=False):
        today = timezone.localdate()
        demo_rota.make_rotas(norfolk, manager, today)
        assert demo_visits.make_year(norfolk) > 150
        rota.mark_missed(today)
        demo_visits.progress_issues(norfolk, manager, User.objects.get(username="force"))
        yield


def test_every_figure_is_as_it_was(demo_year):
    with time_machine.travel(NOW, tick=False):
        figures = _all_figures()
    expected_file = DATA / f"summary_figures.{connection.vendor}.json"
    if os.environ.get("ICV_WRITE_SUMMARY_FIGURES"):
        expected_file.write_text(json.dumps(figures, indent=1, ensure_ascii=False) + "\n")
        pytest.skip("wrote the expected figures")
    expected = json.loads(expected_file.read_text())
    assert list(figures) == list(expected)
    for name, summary in expected.items():
        for part, value in summary.items():
            if part == "issues_with_responses":
                # Issues of one suite made at the same moment were listed in no set order
                # before (they are by id now): the same issues, whatever their order.
                assert sorted(map(str, figures[name][part])) == sorted(map(str, value)), name
                continue
            assert figures[name][part] == value, f"{name}: {part} changed"
    # The data exercise what was made fast: answered, waiting and overdue referrals.
    year = figures["norfolk 2026 all pattern=True"]["current"]
    assert year["responses_given"] > 5 and year["response_times"]["Not yet"] > 0
    assert year["responses_overdue"] > 0 and year["issues_open_at_end"] > 0


# --- What made it fast: each answered issue's working-day response time, kept by the services --


def test_the_issue_services_keep_the_working_days_to_the_forces_answer(db):
    from tests.conftest import persona
    from tests.factories import make_reported_issue
    from visits.services import issues as issue_service

    # Referred on Tuesday 22 December 2026; answered on Monday 4 January 2027: the 23rd, 24th,
    # 29th, 30th, 31st and the 4th are working days (Christmas, Boxing Day's substitute on the
    # 28th and New Year's Day are bank holidays).
    with time_machine.travel(datetime.datetime(2026, 12, 22, 16, tzinfo=LONDON), tick=False):
        issue = issue_service.act(
            actor=persona("manager"), issue=make_reported_issue(), action="refer"
        )
    assert issue.responded_on is None and issue.response_working_days is None
    # 00:30 in London on the 4th is still the 3rd in UTC: the local day is the one counted.
    with time_machine.travel(datetime.datetime(2027, 1, 4, 0, 30, tzinfo=LONDON), tick=False):
        issue = issue_service.act(
            actor=persona("force"), issue=issue, action="respond", text="Bell mended."
        )
    issue.refresh_from_db()
    assert issue.responded_on == datetime.date(2027, 1, 4)
    assert issue.response_working_days == 6


def test_the_migration_works_out_the_issues_answered_before_it(db):
    import importlib

    from django.apps import apps

    from tests.conftest import persona
    from tests.factories import make_reported_issue
    from visits.models import Issue

    backfill = importlib.import_module("visits.migrations.0023_issue_response_time").backfill
    issue = make_reported_issue()
    referred = datetime.datetime(2026, 7, 3, 9, tzinfo=LONDON)  # a Friday
    Issue.objects.filter(pk=issue.pk).update(
        referred_at=referred, responded_at=referred + datetime.timedelta(days=10)
    )
    waiting = make_reported_issue()
    Issue.objects.filter(pk=waiting.pk).update(referred_at=referred)
    backfill(apps, None)
    issue.refresh_from_db()
    waiting.refresh_from_db()
    assert (issue.responded_on, issue.response_working_days) == (datetime.date(2026, 7, 13), 6)
    assert (waiting.responded_on, waiting.response_working_days) == (None, None)
    assert persona("manager")  # the demo accounts are there: the issues are real ones


@pytest.mark.parametrize(
    "values", [[3], [1, 9], [5, 5, 2, 40], [0, 0, 1], [-2, 7, 7, 7, 12, 30], list(range(25))]
)
def test_the_median_of_counted_days_is_the_median_of_the_days(values):
    import statistics
    from collections import Counter

    from visits.summaries import _median_of_counts

    assert _median_of_counts(Counter(values)) == statistics.median(values)


def test_a_years_dashboard_is_within_its_query_budget(
    client, demo_year, django_assert_max_num_queries
):
    from django.urls import reverse

    from tests.conftest import persona

    client.force_login(persona("pcc"))
    client.get("/")
    # Session, user, memberships and suites; the summary's 8 queries (its suites are given);
    # 3 to record the read.
    with time_machine.travel(NOW, tick=False), django_assert_max_num_queries(15):
        page = client.get(reverse("summary"), {"period": "2026"}).content.decode()
    assert "2026, so far (to 18 November 2026)" in page
    assert 'id="no-rates"' in page and "oldest quarter first" in page
