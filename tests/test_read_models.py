"""What each person is given of a visit, an issue and a summary (issue 15), checked by content:
the value that must not reach a reader is looked for in what each door hands them.

tests/test_canary.py does the same across every URL of the URL conf; this module pins the
read models' rules one by one, so a broken rule names itself.
"""

import datetime
import io
import json
import re

import pytest
import time_machine
from django.core import mail
from django.urls import reverse
from pypdf import PdfReader

from tests.conftest import persona
from tests.factories import custody_number, make_visit, sign_off_and_submit, suite
from visits import permissions
from visits.models import Answer, RotaPeriod, RotaSlot, TimeBand, Visit
from visits.services import visits as service
from visits.services.issues import act
from visits.summaries import Figures

TODAY = datetime.datetime(2026, 12, 1, 12, 0, tzinfo=datetime.UTC)
NOTE = "Said the cell was cold all night"


def text_of(response) -> str:
    body = b"".join(response.streaming_content) if response.streaming else response.content
    if response["Content-Type"].startswith("application/pdf"):
        return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(body)).pages)
    return body.decode()


def read(client, who: str, url: str) -> str:
    client.force_login(persona(who))
    response = client.get(url)
    assert response.status_code == 200, (who, url, response.status_code)
    return text_of(response)


@pytest.fixture
def report(db):
    """A submitted Wymondham report with a detainee whose answer carries a note, an issue
    referred to the force (with a triage note) and one never referred."""
    visitor, partner, manager = persona("visitor"), persona("partner"), persona("manager")
    visit = make_visit(visitors=[visitor, partner], status=Visit.Status.DRAFT, detainees=1)
    Answer.objects.filter(visit=visit, detainee__isnull=False).update(note=NOTE)
    referred = service.raise_issue(
        actor=visitor,
        visit=visit,
        category="conditions",
        severity="routine",
        description="Call bell in cell 2 dead",
        custody_number="WY-00001-26",
    )
    service.raise_issue(
        actor=visitor,
        visit=visit,
        category="conditions",
        severity="routine",
        description="Mattress store untidy",
    )
    sign_off_and_submit(visit, [visitor, partner])
    act(actor=manager, issue=referred, action="triage", text="Internal: chase estates first")
    act(actor=manager, issue=referred, action="refer", text="Please repair", notify=False)
    visit.refresh_from_db()
    referred.refresh_from_db()
    return visit, referred


def test_the_pcc_reader_gets_no_custody_number_and_no_detainee_answers(client, report):
    visit, issue = report
    for url in [
        reverse("visit-report", args=[visit.uuid]),
        reverse("visit-pdf", args=[visit.uuid]),
        f"/api/visits/{visit.uuid}/",
        f"/api/visits/{visit.uuid}/pdf/",
        f"/api/issues/{issue.pk}/",
        reverse("issue-detail", args=[issue.pk]),
        reverse("issue-export"),
    ]:
        body = read(client, "pcc", url)
        assert "WY-00001-26" not in body, url
        assert NOTE not in body and "Told their rights" not in body, url
    data = json.loads(read(client, "pcc", f"/api/visits/{visit.uuid}/"))
    assert data["detainees"] == [] and data["in_custody"] == 2  # the figures stay
    assert {i["custody_number"] for i in data["issues"]} == {"(hidden)", ""}


def test_those_who_may_see_detainees_get_them(client, report):
    visit, _issue = report
    for who in ("visitor", "manager", "force"):
        body = read(client, who, reverse("visit-report", args=[visit.uuid]))
        assert "WY-00001-26" in body and NOTE in body, who
    data = json.loads(read(client, "force", f"/api/visits/{visit.uuid}/"))
    assert data["detainees"][0]["answers"][0]["note"] == NOTE


def test_the_force_reads_only_the_issues_referred_to_it(client, report):
    visit, _issue = report
    for url in [
        reverse("visit-report", args=[visit.uuid]),
        reverse("visit-pdf", args=[visit.uuid]),
        f"/api/visits/{visit.uuid}/",
        f"/api/visits/{visit.uuid}/pdf/",
        reverse("issue-board"),
        reverse("issue-export"),
        "/api/issues/",
    ]:
        body = read(client, "force", url)
        assert "Call bell in cell 2 dead" in body, url
        assert "Mattress store untidy" not in body, url
        assert "Mattress store untidy" in read(client, "pcc", url), url


def test_the_managers_notes_are_internal_unless_shared(client, report):
    _visit, issue = report
    manager = persona("manager")
    act(actor=manager, issue=issue, action="comment", text="Internal: estates overdue")
    act(
        actor=manager,
        issue=issue,
        action="comment",
        text="Shared: estates booked",
        shared_with_force=True,
    )
    page, api = (
        reverse("issue-detail", args=[issue.pk]),
        f"/api/issues/{issue.pk}/",
    )
    for url in (page, api):
        force = read(client, "force", url)
        assert "Please repair" in force and "Shared: estates booked" in force
        assert "Internal:" not in force, url
        scheme = read(client, "pcc", url)
        assert "Internal: chase estates first" in scheme and "Internal: estates overdue" in scheme
        visitor = read(client, "visitor", url)
        assert "Call bell in cell 2 dead" in visitor and "Internal:" not in visitor
        assert "Please repair" not in visitor and "Shared:" not in visitor
    act(actor=manager, issue=issue, action="close", text="Internal: dropped, no budget")
    assert "no budget" not in read(client, "force", page)  # the outcome came from a note
    assert "no budget" in read(client, "visitor", page)  # the visitors are told the outcome


def test_a_visits_issues_read_in_one_query_are_read_as_on_their_own(report):
    """The report reads its issues and their steps in one joined query; what each reader is
    given of them is what the issue's own read model gives (steps, and an outcome decided by
    an internal note hidden from the force)."""
    from visits.models import Issue
    from visits.visible_issues import for_reading, visible_issues, visible_issues_in_one_query

    visit, issue = report
    manager = persona("manager")
    act(actor=manager, issue=issue, action="comment", text="Shared", shared_with_force=True)
    act(actor=manager, issue=issue, action="close", text="Internal: dropped, no budget")
    for who in ("visitor", "partner", "coordinator", "manager", "pcc", "force"):
        viewer = persona(who)
        issues = (
            permissions.scope_issues(Issue.objects.all(), viewer).filter(visit=visit).order_by("pk")
        )
        joined = visible_issues_in_one_query(viewer, issues)
        assert joined == visible_issues(viewer, for_reading(issues)), who
        assert len(joined) == {"coordinator": 0, "force": 1}.get(who, 2), who  # another panel
    (for_force,) = visible_issues_in_one_query(persona("force"), Issue.objects.filter(pk=issue.pk))
    assert for_force.outcome == "" and [e.text for e in for_force.events][-1] == "Shared"


def page_queries(client, url: str) -> int:
    """Queries a page makes, the audit trail's own statements apart (as bench/run.py counts)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from visits.services import audit

    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return sum(1 for q in queries.captured_queries if not audit.is_trail_statement(q["sql"]))


def test_the_report_page_takes_the_same_few_queries_whatever_its_size(client, report):
    """Budget (issue 18): at most 10 queries for the report page, however many detainees,
    issues and steps it has: the session, the user, the reader's memberships, the visit and
    its visitors (2), the questions with their answers (1), the detainees, the issues with
    their steps (1)."""
    visit, issue = report
    url = reverse("visit-report", args=[visit.uuid])
    client.force_login(persona("manager"))
    client.get(url)
    small = page_queries(client, url)
    manager = persona("manager")
    for n in range(3):
        act(actor=manager, issue=issue, action="comment", text=f"Note {n}")
    visitor, partner = persona("visitor"), persona("partner")
    bigger = make_visit(visitors=[visitor, partner], status=Visit.Status.DRAFT, detainees=4)
    for n in range(3):
        service.raise_issue(
            actor=visitor,
            visit=bigger,
            category="conditions",
            severity="routine",
            description=f"Issue {n}",
        )
    sign_off_and_submit(bigger, [visitor, partner])
    bigger_url = reverse("visit-report", args=[bigger.uuid])
    # 8 here; in production a manager's two-factor device and SQLite's BEGIN of the trail's
    # transaction make it 10 (bench/run.py).
    assert page_queries(client, bigger_url) == small == page_queries(client, url) <= 8
    page = client.get(bigger_url).content.decode()
    assert "Issue 2" in page and custody_number("norfolk", 4) in page


def test_each_reader_is_emailed_the_report_they_may_read(db, django_capture_on_commit_callbacks):
    visitor, partner = persona("visitor"), persona("partner")
    visit = make_visit(visitors=[visitor, partner], status=Visit.Status.DRAFT, detainees=1)
    service.raise_issue(
        actor=visitor,
        visit=visit,
        category="conditions",
        severity="routine",
        description="Mattress store untidy",
    )
    with django_capture_on_commit_callbacks(execute=True):
        sign_off_and_submit(visit, [visitor, partner], notify=True)
    pdfs = {}
    for message in mail.outbox:
        reader = PdfReader(io.BytesIO(message.attachments[0][1]))
        pdfs[message.to[0]] = "\n".join(page.extract_text() for page in reader.pages)
    assert "Mattress store untidy" in pdfs["manager@example.org"]
    assert "Mattress store untidy" not in pdfs["force@example.org"]  # not referred to them
    assert "WY-00001-26" in pdfs["force@example.org"]


# --- Summaries ----------------------------------------------------------------------------------


def monday(day: str) -> datetime.date:
    return datetime.date.fromisoformat(day)


@pytest.fixture
def rotas(db):
    """Norfolk's 2026 Q4 rota, published, with Wymondham slots in four weeks (three begun by
    1 December, one to come), and a draft rota over the same weeks (as a second plan would
    be, while the manager works on it)."""
    norfolk = suite("Wymondham").scheme
    published = RotaPeriod.objects.create(
        scheme=norfolk,
        name="2026 Q4",
        starts_on=monday("2026-09-28"),
        ends_on=monday("2026-12-27"),
        availability_closes_on=monday("2026-09-14"),
        status=RotaPeriod.Status.PUBLISHED,
    )
    draft = RotaPeriod.objects.create(
        scheme=norfolk,
        name="2026 Q4 again",
        starts_on=monday("2026-10-05"),  # one period per quarter starts on its Monday
        ends_on=monday("2026-12-27"),
        availability_closes_on=monday("2026-09-14"),
        status=RotaPeriod.Status.DRAFT,
    )
    for period in (published, draft):
        for week in ("2026-10-05", "2026-11-02", "2026-11-30", "2026-12-14"):
            RotaSlot.objects.create(
                period=period,
                suite=suite("Wymondham"),
                week_starts_on=monday(week),
                time_band=TimeBand.EVENING,
            )
    return published


SUMMARY_URLS = [
    reverse("summary") + "?period=2026-Q4",
    reverse("summary-csv") + "?period=2026-Q4",
    reverse("summary-pdf") + "?period=2026-Q4",
    "/api/summaries/?period=2026-Q4",
]


@time_machine.travel(TODAY, tick=False)
def test_the_force_summary_says_nothing_of_when_visits_happen(client, rotas):
    make_visit(visitors=[persona("visitor"), persona("partner")])
    for url in SUMMARY_URLS:
        body = read(client, "force", url).lower()
        for word in (
            "planned",
            "w/c",
            "by_week",
            "by_day",
            "by_band",
            "day of the week",
            "time of day",
            "visits on mon",
            "visitors who left",  # nor the scheme's volunteers
            "visitors who joined",
        ):
            assert word not in body, (word, url)
    data = json.loads(read(client, "force", SUMMARY_URLS[-1]))
    assert not set(Figures.WITHHELD) & set(data["current"])
    assert data["current"]["visits_made"] == 1  # the whole period's figures stay


@time_machine.travel(TODAY, tick=False)
def test_planned_counts_published_weeks_that_have_begun(client, rotas):
    data = json.loads(read(client, "manager", SUMMARY_URLS[-1]))
    assert data["current"]["visits_planned"] == 3  # not the draft's, not 14 December's
    assert "2026-12-14" not in data["current"]["by_week"]
    assert data["current"]["by_week"]["2026-11-30"] == [0, 1]
    csv = read(client, "manager", SUMMARY_URLS[1])
    assert "Week beginning 2026-11-30: planned,by_week.2026-11-30.planned,1," in csv
    pdf = read(client, "manager", SUMMARY_URLS[2])
    assert re.search(r"Visits planned on the rota \(weeks begun\)\s+3\b", pdf)
