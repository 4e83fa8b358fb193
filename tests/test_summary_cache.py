"""The summaries' figures are counted once and kept until the scheme's data change
(visits.summaries.cached_summary): a change through any service shows at the next read, a read
changes nothing, and each viewer, day and question has figures of its own."""

import datetime
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.conftest import persona
from tests.test_summaries import Q3, at, known, record  # noqa: F401 (known is a fixture)
from visits.models import Issue, Scheme
from visits.services import audit
from visits.services import issues as issue_service
from visits.summaries import cached_summary

COUNTED_TABLES = ("visits_visit", "visits_issue", "visits_answer", "visits_detaineerecord")


def api_figures(client, who: str) -> dict:
    client.force_login(persona(who))
    return client.get("/api/summaries/", {"period": "2026-Q3"}).json()["current"]


@pytest.mark.usefixtures("known")
def test_a_second_read_counts_nothing_again(client):
    client.force_login(persona("pcc"))
    first = client.get("/summaries/", {"period": "2026-Q3"})
    with CaptureQueriesContext(connection) as queries:
        second = client.get("/summaries/", {"period": "2026-Q3"})
    read = [q["sql"] for q in queries.captured_queries]
    assert not [sql for sql in read if any(f'FROM "{t}"' in sql for t in COUNTED_TABLES)]
    assert len(read) <= 8  # session, user, memberships, suites; the read recorded (3)

    def figures(page) -> str:  # the summary's part: the page around it has a new CSRF token
        text = page.content.decode()
        return text[text.index('id="summary"') : text.index("</main>")]

    assert figures(second) == figures(first)


@pytest.mark.usefixtures("known")
def test_a_visit_recorded_through_the_services_shows_at_the_next_read(client):
    before = api_figures(client, "manager")
    record("Wymondham", at("2026-09-14", 10), {"in_custody": 3, "offered": 3, "visited": 3})
    after = api_figures(client, "manager")
    assert after["visits_made"] == before["visits_made"] + 1
    assert after["in_custody"] == before["in_custody"] + 3


@pytest.mark.usefixtures("known")
def test_an_issue_answered_through_the_services_shows_at_the_next_read(client):
    before = api_figures(client, "manager")
    issue = Issue.objects.get(status="resolved_on_visit")
    issue_service.act(
        actor=persona("manager"),
        issue=issue,
        action="reopen",
        text="Blankets ran out again.",
        notify=False,
    )
    after = api_figures(client, "manager")
    assert after["issues_open_at_end"] == before["issues_open_at_end"] + 1


@pytest.mark.usefixtures("known")
def test_reading_is_not_a_change(client):
    scheme = Scheme.objects.get(slug="norfolk")
    api_figures(client, "manager")
    last = audit.last_change(scheme)
    assert last > 0
    client.get("/summaries/", {"period": "2026-Q3"})
    client.get("/summaries/summary.pdf", {"period": "2026-Q3"})
    client.get(f"/issues/{Issue.objects.first().pk}/")
    assert audit.last_change(scheme) == last
    record("Wymondham", at("2026-09-15", 10), {})
    assert audit.last_change(scheme) > last


@pytest.mark.usefixtures("known")
def test_each_viewer_has_the_figures_they_may_read(client):
    """The manager reads first; the force's figures are still without the pattern of visits."""
    manager = api_figures(client, "manager")
    force = api_figures(client, "force")
    assert manager["by_day"] and manager["visits_planned"] is not None
    assert not force.get("by_day") and force.get("visits_planned") is None


@pytest.mark.usefixtures("known")
def test_figures_of_another_day_are_counted_for_that_day():
    norfolk = Scheme.objects.get(slug="norfolk")
    one = cached_summary(norfolk, Q3, today=datetime.date(2026, 8, 31))
    two = cached_summary(norfolk, Q3, today=datetime.date(2026, 9, 30))
    assert (one.up_to, two.up_to) == (datetime.date(2026, 8, 31), datetime.date(2026, 9, 30))
    assert one.current.visits_abandoned == 0 and two.current.visits_abandoned == 1
    again = cached_summary(norfolk, Q3, today=datetime.date(2026, 8, 31))
    assert again.up_to == one.up_to and again.current.visits_abandoned == 0


@pytest.mark.usefixtures("known")
def test_the_pages_rendered_figures_follow_a_change(client):
    """The page keeps its figures rendered under the summary's key: a change shows there too."""
    client.force_login(persona("pcc"))

    def visits_made() -> str:
        page = client.get("/summaries/", {"period": "2026-Q3"}).content.decode()
        row = re.search(r'<tr data-key="visits_made">.*?<td>(\d+)</td>', page)
        return row.group(1)

    assert visits_made() == visits_made() == "2"
    record("Wymondham", at("2026-09-14", 10), {"in_custody": 1, "offered": 1, "visited": 1})
    assert visits_made() == "3"


@pytest.mark.usefixtures("known")
def test_the_kept_figures_serve_both_languages(client):
    """A Welsh reader first, an English one next: the figures kept hold English keys (a
    not-visited reason's title, a category), each page shows them in its reader's words."""
    client.force_login(persona("pcc"))
    welsh = client.get("/summaries/", {"period": "2026-Q3"}, HTTP_ACCEPT_LANGUAGE="cy")
    english = client.get("/summaries/", {"period": "2026-Q3"}, HTTP_ACCEPT_LANGUAGE="en-GB")
    assert "Yn cysgu" in welsh.content.decode() and "Asleep" not in welsh.content.decode()
    assert "Asleep" in english.content.decode() and "Yn cysgu" not in english.content.decode()
    client.force_login(persona("manager"))
    current = client.get(
        "/api/summaries/", {"period": "2026-Q3"}, HTTP_ACCEPT_LANGUAGE="cy"
    ).json()["current"]
    assert "Asleep" in current["not_visited"]  # the API's keys: English, whoever asked first
