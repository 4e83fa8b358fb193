"""The summary's figures are the same after the work that made them fast (issue 20).

tests/data/summary_figures.json holds every figure, suite row, "no" rate, trend and sentence of
a dozen summaries of the demo's year (made through the real services, on a fixed day mid-quarter),
as the summaries computed them before aggregation moved into the database. Any change to a figure
fails here; a change meant to alter figures must rewrite the file on purpose:

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
from django.utils import timezone

from visits import demo_rota, demo_visits
from visits.models import CustodySuite, Scheme
from visits.services import rota
from visits.summaries import Period, summarise

EXPECTED = Path(__file__).parent / "data" / "summary_figures.json"
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
        "suites": [dataclasses.asdict(row) for row in summary.suites],
        "question_rates": [
            dataclasses.asdict(q) | {"rate": q.rate, "previous_rate": q.previous_rate}
            for q in summary.question_rates
        ],
        "trend_quarters": summary.trend_quarters,
        "good_practice": summary.good_practice,
        "issues_with_responses": summary.issues_with_responses,
    }


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


@pytest.fixture
def demo_year(db):
    """The demo's year of Norfolk visits and issues in every state, as seed_demo makes it."""
    User = get_user_model()
    norfolk = Scheme.objects.get(slug="norfolk")
    manager = User.objects.get(username="manager")
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
    if os.environ.get("ICV_WRITE_SUMMARY_FIGURES"):
        EXPECTED.write_text(json.dumps(figures, indent=1, ensure_ascii=False) + "\n")
        pytest.skip("wrote the expected figures")
    expected = json.loads(EXPECTED.read_text())
    assert list(figures) == list(expected)
    for name, summary in expected.items():
        for part, value in summary.items():
            assert figures[name][part] == value, f"{name}: {part} changed"
    # The data exercise what was made fast: answered, waiting and overdue referrals.
    year = figures["norfolk 2026 all pattern=True"]["current"]
    assert year["responses_given"] > 5 and year["response_times"]["Not yet"] > 0
    assert year["responses_overdue"] > 0 and year["issues_open_at_end"] > 0
