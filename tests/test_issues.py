"""Issues from a visit to the force's answer: the workflow, deadlines, pages, e-mail, re-checks."""

import datetime
import io
import zoneinfo

import pytest
import time_machine
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.urls import reverse

from tests.conftest import PERSONAS, persona
from tests.factories import make_reported_issue, make_visit
from visits.errors import DomainError
from visits.issue_workflow import TRANSITIONS
from visits.models import Issue, IssueEvent, Visit
from visits.services import issues as issue_service
from visits.workdays import add_working_days, working_days_between

LONDON = zoneinfo.ZoneInfo("Europe/London")


# --- Working days -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "days", "due"),
    [
        ("2026-11-20", 1, "2026-11-23"),  # Friday + 1 = Monday
        ("2026-12-23", 2, "2026-12-29"),  # Christmas, Boxing Day (observed Monday 28th)
        ("2026-12-23", 20, "2027-01-25"),  # and New Year's Day
        ("2027-03-25", 1, "2027-03-30"),  # Good Friday and Easter Monday
        ("2026-08-28", 1, "2026-09-01"),  # the late summer bank holiday
    ],
)
def test_working_days_skip_weekends_and_bank_holidays(start, days, due):
    start_day = datetime.date.fromisoformat(start)
    assert add_working_days(start_day, days) == datetime.date.fromisoformat(due)
    assert working_days_between(start_day, datetime.date.fromisoformat(due)) == days


def reported_issue(**kwargs) -> Issue:
    return make_reported_issue(**kwargs)


def test_urgent_referral_over_christmas_is_due_after_the_bank_holidays(db):
    with time_machine.travel(datetime.datetime(2026, 12, 23, 10, tzinfo=LONDON), tick=False):
        issue = reported_issue(severity="urgent")
        issue = issue_service.act(actor=persona("manager"), issue=issue, action="refer")
    assert issue.due_on == datetime.date(2026, 12, 29)
    assert issue.referred_to.username == "force"


def test_routine_referral_gets_twenty_working_days(db):
    with time_machine.travel(datetime.datetime(2026, 12, 23, 10, tzinfo=LONDON), tick=False):
        issue = issue_service.act(actor=persona("manager"), issue=reported_issue(), action="refer")
    assert issue.due_on == datetime.date(2027, 1, 25)


# --- The transition matrix ----------------------------------------------------------------------

STATES = ["raised", "resolved_on_visit", "triaged", "referred", "responded", "escalated", "closed"]
PATHS = {
    "raised": [],
    "resolved_on_visit": None,
    "triaged": [("manager", "triage")],
    "referred": [("manager", "refer")],
    "responded": [("manager", "refer"), ("force", "respond")],
    "escalated": [("manager", "refer"), ("manager", "escalate")],
    "closed": [("manager", "refer"), ("force", "respond"), ("manager", "accept")],
}


def issue_in(state: str) -> Issue:
    issue = reported_issue(resolved=state == "resolved_on_visit")
    for username, action in PATHS[state] or []:
        issue = issue_service.act(
            actor=persona(username), issue=issue, action=action, text="Because."
        )
    assert issue.status == state
    return issue


def expected(state: str, action: str, username: str, issue: Issue) -> bool:
    transition = TRANSITIONS[action]
    if state not in transition.from_states:
        return False
    if username == "manager":
        return "manager" in transition.roles
    if username == "force":
        return "force" in transition.roles and issue.referred_at is not None
    return False


class Rollback(Exception):
    pass


@pytest.mark.parametrize("state", STATES)
@pytest.mark.parametrize("username", PERSONAS)
def test_transition_matrix(db, state, username):
    issue = issue_in(state)
    actor = persona(username)
    for action, transition in TRANSITIONS.items():
        before_events = issue.events.count()
        allowed = expected(state, action, username, issue)
        try:
            with transaction.atomic():
                try:
                    changed = issue_service.act(
                        actor=actor, issue=issue, action=action, text="Because."
                    )
                except DomainError as error:
                    assert not allowed, f"{username} could not {action} a {state} issue: {error}"
                    assert error.message  # a sentence for the person
                    current = Issue.objects.get(pk=issue.pk)
                    assert current.status == state
                    assert current.events.count() == before_events
                    continue
                assert allowed, f"{username} was wrongly able to {action} a {state} issue"
                assert changed.status == (transition.to_state or state)
                event = changed.events.order_by("-pk").first()
                assert event.kind == transition.event and event.actor == actor
                assert changed.events.count() == before_events + 1
                raise Rollback
        except Rollback:
            pass


def test_unknown_action_and_missing_text_are_refused(db, manager):
    issue = issue_in("referred")
    with pytest.raises(DomainError, match="not something"):
        issue_service.act(actor=manager, issue=issue, action="delete")
    with pytest.raises(DomainError) as error:
        issue_service.act(actor=manager, issue=issue, action="escalate", text="  ")
    assert error.value.code == "text_required"
    assert Issue.objects.get(pk=issue.pk).status == "referred"


def test_escalation_climbs_the_ladder(db, manager):
    issue = issue_in("referred")
    issue = issue_service.act(actor=manager, issue=issue, action="escalate", text="Overdue")
    assert issue.escalation_level == "head_of_custody"
    issue = issue_service.act(actor=manager, issue=issue, action="escalate", text="Still none")
    assert issue.escalation_level == "pcc"


# --- E-mail after commit ------------------------------------------------------------------------


def test_referral_emails_the_force_lead_and_closing_tells_the_visitors(
    db, django_capture_on_commit_callbacks
):
    issue = reported_issue()
    with django_capture_on_commit_callbacks(execute=True):
        issue_service.act(actor=persona("manager"), issue=issue, action="refer")
    assert mail.outbox[-1].to == ["force@example.org"]
    assert "Please respond by" in mail.outbox[-1].body
    with django_capture_on_commit_callbacks(execute=True):
        issue_service.act(
            actor=persona("force"),
            issue=issue,
            action="respond",
            text="Engineer booked for Monday.",
        )
    assert mail.outbox[-1].to == ["manager@example.org"]
    with django_capture_on_commit_callbacks(execute=True):
        issue_service.act(actor=persona("manager"), issue=issue, action="accept")
    closing = mail.outbox[-2:]  # one to each visitor, as each may read the issue
    assert sorted(m.to[0] for m in closing) == ["partner@example.org", "visitor@example.org"]
    assert all("Engineer booked for Monday." in m.body for m in closing)


def test_no_email_when_the_step_is_rolled_back(db, django_capture_on_commit_callbacks):
    issue = reported_issue()
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        issue_service.act(actor=persona("manager"), issue=issue, action="refer")
        raise RuntimeError
    assert callbacks == [] and mail.outbox == []


# --- Pages --------------------------------------------------------------------------------------

# Who sees a referred Norfolk issue on the board and its page, and what happens to each.
BOARD = {
    "visitor": 1,
    "partner": 1,
    "coordinator": 0,
    "manager": 1,
    "pcc": 1,
    "force": 1,
    "outsider": 0,
}


@pytest.mark.parametrize("username", PERSONAS)
def test_board_and_detail_permission_matrix(client, db, username):
    issue = issue_in("referred")
    client.force_login(persona(username))
    board = client.get(reverse("issue-board"))
    assert board.context["page"].paginator.count == BOARD[username]
    detail = client.get(reverse("issue-detail", args=[issue.pk]))
    assert detail.status_code == (200 if BOARD[username] else 404)
    respond = client.post(
        reverse("issue-act", args=[issue.pk]), {"action": "respond", "text": "Done"}
    )
    expected_status = {"force": 302, "outsider": 404, "coordinator": 404}.get(username, 403)
    assert respond.status_code == expected_status
    assert Issue.objects.get(pk=issue.pk).status == (
        "responded" if username == "force" else "referred"
    )


def test_force_lead_responds_with_a_file(client, db, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    issue = issue_in("referred")
    client.force_login(persona("force"))
    upload = SimpleUploadedFile("reply.pdf", b"%PDF-1.4\n% a response\n", "application/pdf")
    response = client.post(
        reverse("issue-act", args=[issue.pk]),
        {"action": "respond", "text": "Repaired on 2 Dec.", "attachment": upload},
    )
    assert response.status_code == 302
    event = IssueEvent.objects.get(issue=issue, kind="responded")
    assert event.attachment.name.endswith(".pdf")
    served = client.get(reverse("issue-file", args=[issue.pk, event.pk]))
    assert b"".join(served.streaming_content).startswith(b"%PDF-")


def test_a_bad_file_or_a_wrong_state_gets_a_clear_message(client, db):
    issue = issue_in("referred")
    client.force_login(persona("force"))
    upload = SimpleUploadedFile("reply.exe", b"MZ\x90\x00binary", "application/octet-stream")
    response = client.post(
        reverse("issue-act", args=[issue.pk]),
        {"action": "respond", "text": "x", "attachment": upload},
    )
    assert response.status_code == 400
    assert "Attach a PDF or a photo" in response.content.decode()
    client.force_login(persona("manager"))
    response = client.post(reverse("issue-act", args=[issue.pk]), {"action": "accept"})
    assert response.status_code == 400
    assert "is not possible now" in response.content.decode()
    assert Issue.objects.get(pk=issue.pk).status == "referred"


def test_board_filters_htmx_part_and_csv(client, db):
    overdue = issue_in("referred")
    Issue.objects.filter(pk=overdue.pk).update(due_on=datetime.date(2020, 1, 6))
    issue_in("raised")
    client.force_login(persona("manager"))
    assert (
        client.get(reverse("issue-board"), {"overdue": "on"}).context["page"].paginator.count == 1
    )
    assert (
        client.get(reverse("issue-board"), {"status": "raised"}).context["page"].paginator.count
        == 1
    )
    part = client.get(reverse("issue-board"), {"status": "open"}, headers={"HX-Request": "true"})
    html = part.content.decode()
    assert html.strip().startswith('<div id="issue-board">') and "<html" not in html
    csv_response = client.get(reverse("issue-export"), {"overdue": "on"})
    rows = list(__import__("csv").reader(io.StringIO(csv_response.content.decode())))
    assert rows[0][0] == "id" and len(rows) == 2 and rows[1][13] == "yes"


def test_board_queries_do_not_grow(client, db, django_assert_max_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(persona("manager"))
    issue_in("referred")
    client.get("/")
    counts = []
    for _ in range(2):
        with CaptureQueriesContext(connection) as queries:
            client.get(reverse("issue-board"))
        counts.append(len(queries))
        for _ in range(3):
            issue_in("raised")
    assert counts[0] == counts[1] and counts[1] <= 10


def test_visitors_see_the_outcome_of_what_they_raised(client, db):
    issue = issue_in("closed")
    client.force_login(persona("visitor"))
    home = client.get("/").content.decode()
    assert "Closed" in home
    page = client.get(reverse("issue-detail", args=[issue.pk])).content.decode()
    assert "Outcome" in page and "Because." in page
    assert "What you can do" not in page


# --- Re-check on the next visit -----------------------------------------------------------------


def test_an_issue_to_recheck_appears_on_the_next_visit_and_is_recorded(client, db):
    issue = reported_issue(recheck=True)
    visitors = [persona("visitor"), persona("partner")]
    next_visit = make_visit(visitors=visitors, status=Visit.Status.DRAFT)
    client.force_login(visitors[0])
    page = client.get(reverse("visit-issues", args=[next_visit.uuid]))
    assert [i.pk for i in page.context["recheck_form"].issues] == [issue.pk]
    field = f"recheck_{issue.pk}"
    client.post(
        reverse("visit-recheck", args=[next_visit.uuid]),
        {field: "not_fixed", f"recheck_note_{issue.pk}": "Still broken"},
    )
    issue.refresh_from_db()
    assert issue.recheck_next_visit
    client.post(reverse("visit-recheck", args=[next_visit.uuid]), {field: "fixed"})
    issue.refresh_from_db()
    assert not issue.recheck_next_visit
    texts = list(issue.events.filter(kind="rechecked").values_list("text", flat=True))
    assert texts[0].startswith("Not fixed") and texts[0].endswith("Still broken")
    assert texts[1].startswith("Fixed")
    # An issue no longer waiting for a re-check here is not in the form: nothing is recorded.
    before = issue.events.count()
    other = reported_issue()
    response = client.post(
        reverse("visit-recheck", args=[next_visit.uuid]), {f"recheck_{other.pk}": "fixed"}
    )
    assert response.status_code == 302
    assert other.events.filter(kind="rechecked").count() == 0
    assert issue.events.count() == before
    aylsham = make_visit(
        suite_name="Aylsham",
        visitors=[persona("abigail.reeve"), persona("ben.catchpole")],
        status=Visit.Status.DRAFT,
    )
    assert not issue_service.awaiting_recheck(aylsham).exists()


# --- Daily digest and reminders -----------------------------------------------------------------


def test_daily_digest_and_force_reminders(db, django_capture_on_commit_callbacks):
    from django.conf import settings as django_settings
    from django.core.management import call_command

    with time_machine.travel(datetime.datetime(2026, 11, 2, 9, tzinfo=LONDON), tick=False):
        late = issue_in("referred")
        issue_in("raised")
    with time_machine.travel(datetime.datetime(2026, 12, 21, 7, tzinfo=LONDON), tick=False):
        soon = issue_in("referred")  # due 2026-12-23 if urgent; routine: after the holidays
        Issue.objects.filter(pk=soon.pk).update(due_on=datetime.date(2026, 12, 22))
        out = io.StringIO()
        with django_capture_on_commit_callbacks(execute=True):
            call_command("send_issue_digest", stdout=out)
    assert "Queued 2 e-mails." in out.getvalue()
    digest = next(m for m in mail.outbox if m.to == ["manager@example.org"])
    assert digest.subject == "Issues digest: 1 overdue, 1 to triage"
    assert f"/issues/{late.pk}/" in digest.body and f"/issues/{soon.pk}/" in digest.body
    # The whole text, as templates/mail/issue_digest_body.txt lays it out.
    site = django_settings.SITE_URL
    late_line = f"- Conditions and estate at Wymondham, due 30 Nov 2026: {site}/issues/{late.pk}/"
    soon_line = f"- Conditions and estate at Wymondham, due 22 Dec 2026: {site}/issues/{soon.pk}/"
    assert digest.body == (
        "Issues in Norfolk Independent Custody Visiting Scheme on Monday 21 December 2026.\n\n"
        "To triage: 1. Force responses to review: 0.\n\n"
        f"Overdue force responses (1):\n{late_line}\n\n"
        f"Due in the next 2 working days (1):\n{soon_line}"
    )
    reminder = next(m for m in mail.outbox if m.to == ["force@example.org"])
    assert reminder.subject == "2 issues for your response, 1 overdue"  # a plural, not "issue(s)"
    assert reminder.body == (
        "These issues from independent custody visits wait for your response:\n\n"
        f"{late_line}\n{soon_line}"
    )
    # A second run the same day (another machine's cron, say) queues and sends nothing.
    mail.outbox.clear()
    with time_machine.travel(datetime.datetime(2026, 12, 21, 8, tzinfo=LONDON), tick=False):
        out = io.StringIO()
        with django_capture_on_commit_callbacks(execute=True):
            call_command("send_issue_digest", stdout=out)
    assert "Queued 0 e-mails." in out.getvalue() and mail.outbox == []


@pytest.mark.parametrize(
    "state", ["referred", "escalated", "responded", "closed", "raised", "resolved_on_visit"]
)
def test_a_read_issue_is_overdue_exactly_when_the_query_says_so(db, state):
    """`VisibleIssue.overdue_on` (what pages show) agrees with `IssueQuerySet.overdue` (what the
    board, the API and the digest count) on the days around the due date, answered or not."""
    from visits.visible_issues import for_reading, visible_issue

    issue = issue_in(state)
    today = datetime.date(2026, 12, 21)
    for due_on in [None, *(today + datetime.timedelta(days=d) for d in (-1, 0, 1))]:
        Issue.objects.filter(pk=issue.pk).update(due_on=due_on)
        read = visible_issue(persona("manager"), for_reading(Issue.objects).get(pk=issue.pk))
        counted = Issue.objects.overdue(today).filter(pk=issue.pk).exists()
        assert read.overdue_on(today) == counted, (state, due_on)
        assert counted == (state in ("referred", "escalated") and due_on == today - ONE_DAY)


ONE_DAY = datetime.timedelta(days=1)


def test_digest_sends_nothing_when_there_is_nothing(db):
    from django.core.management import call_command

    out = io.StringIO()
    call_command("send_issue_digest", stdout=out)
    assert "Queued 0 e-mails." in out.getvalue() and mail.outbox == []


# --- The API ------------------------------------------------------------------------------------


def test_issue_api_lists_acts_and_refuses_in_one_shape(client, db):
    issue = issue_in("referred")
    client.force_login(persona("force"))
    listed = client.get("/api/issues/").json()
    assert len(listed["results"]) == 1 and listed["results"][0]["status"] == "referred"
    revision = listed["results"][0]["revision"]
    response = client.post(
        f"/api/issues/{issue.pk}/act/",
        {"action": "respond", "text": "Fixed today.", "revision": revision},
        content_type="application/json",
    )
    assert response.status_code == 200
    assert response.json()["events"][-1]["text"] == "Fixed today."
    assert response.json()["revision"] == revision + 1
    again = client.post(
        f"/api/issues/{issue.pk}/act/",
        {"action": "respond", "text": "x", "revision": revision + 1},
        content_type="application/json",
    )
    assert again.status_code == 409 and again.json()["code"] == "transition_not_allowed"
    stale = client.post(
        f"/api/issues/{issue.pk}/act/",
        {"action": "comment", "text": "Seen.", "revision": revision},
        content_type="application/json",
    )
    assert stale.status_code == 409 and stale.json()["code"] == "stale_revision"
    denied = client.post(
        f"/api/issues/{issue.pk}/act/",
        {"action": "accept", "revision": revision + 1},
        content_type="application/json",
    )
    assert denied.status_code == 403 and denied.json()["code"] == "role_not_allowed"
    client.force_login(persona("outsider"))
    assert client.get(f"/api/issues/{issue.pk}/").status_code == 404
    client.force_login(persona("pcc"))
    assert client.get("/api/issues/?overdue=1").json()["results"] == []


def test_an_issue_page_acted_on_since_it_was_opened_says_so(client, db):
    issue = issue_in("referred")
    client.force_login(persona("manager"))
    page = client.get(reverse("issue-detail", args=[issue.pk])).content.decode()
    assert f'name="revision" value="{issue.revision}"' in page
    issue_service.act(actor=persona("manager"), issue=issue, action="comment", text="Chased.")
    response = client.post(
        reverse("issue-act", args=[issue.pk]),
        {"action": "escalate", "text": "Overdue", "revision": issue.revision},
    )
    assert response.status_code == 400
    assert "Someone else changed this since you opened it." in response.content.decode()
    assert Issue.objects.get(pk=issue.pk).escalation_level == ""
