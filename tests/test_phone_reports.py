"""A whole report from a phone's outbox (PUT /api/visits/{uuid}/report/): stored once however
often it is sent, all or nothing, and never overwriting the other visitor's record."""

import datetime
import uuid

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from tests.conftest import persona
from tests.factories import make_reported_issue, make_visit, suite, whole_report
from tests.test_api_visits import signature_data_url
from visits.models import ChecklistVersion, Issue, IssueEvent, Visit, VisitCopy
from visits.services import checklists

pytestmark = pytest.mark.django_db


def put(client, key, report):
    return client.put(f"/api/visits/{key}/report/", report, content_type="application/json")


@pytest.fixture
def visitor_api(client):
    client.force_login(persona("visitor"))
    return client


def report(**overrides):
    return whole_report(visitor=persona("visitor"), partner=persona("partner"), **overrides)


def test_a_whole_report_is_stored_and_submitted_once(
    visitor_api, django_capture_on_commit_callbacks
):
    key = uuid.uuid4()
    body = report(detainees=["WY-00401-26", "WY-00402-26"])
    body["sign_off"]["signature"] = signature_data_url()
    body["issues"] = [{"category": "conditions", "description": "Cell 4 toilet blocked."}]
    with django_capture_on_commit_callbacks(execute=True):
        first = put(visitor_api, key, body)
    assert first.status_code == 201, first.json()
    assert first.json()["outcome"] == "created"
    visit = Visit.objects.get(uuid=key)
    assert visit.status == Visit.Status.SUBMITTED
    assert visit.sergeant_signature and visit.sergeant_signed_at
    assert visit.detainees.count() == 2
    answers_each = len(body["detainees"][0]["answers"])
    assert visit.answers.filter(detainee__isnull=False).count() == 2 * answers_each
    assert visit.answers.filter(detainee__isnull=True).count() == len(body["suite_answers"])
    assert visit.issues.get().description == "Cell 4 toilet blocked."
    assert all(vv.confirmed_at for vv in visit.visit_visitors.all())
    sent = len(mail.outbox)
    assert sent >= 1

    with django_capture_on_commit_callbacks(execute=True):
        again = put(visitor_api, key, body)
    assert again.status_code == 200
    assert again.json()["outcome"] == "already_stored"
    assert again.json()["visit"]["uuid"] == str(key)
    assert Visit.objects.filter(uuid=key).count() == 1
    assert len(mail.outbox) == sent  # not e-mailed twice


def test_a_broken_rule_stores_nothing_and_names_its_place(visitor_api):
    key = uuid.uuid4()
    body = report(detainees=["WY-00401-26", "John Smith"])
    answer = put(visitor_api, key, body)
    assert answer.status_code == 400
    assert answer.json()["code"] == "custody_number_invalid"
    assert "detainees.1.custody_number" in answer.json()["fields"]
    assert not Visit.objects.filter(uuid=key).exists()

    body = report()
    body["numbers"]["in_custody"] = 9
    answer = put(visitor_api, key, body)
    assert answer.json()["code"] == "numbers_disagree"
    assert "numbers.in_custody" in answer.json()["fields"]

    body = report()
    body["detainees"][0]["under_18"] = "perhaps"
    body["sign_off"]["outcome"] = "fine"
    answer = put(visitor_api, key, body)
    assert answer.status_code == 400 and answer.json()["code"] == "invalid"
    assert set(answer.json()["fields"]) == {"detainees.0.under_18", "sign_off.outcome"}
    assert not Visit.objects.filter(uuid=key).exists()

    assert put(visitor_api, "not-a-uuid", report()).status_code == 404


def vera_sends_first(client) -> tuple[uuid.UUID, datetime.datetime]:
    """Vera's phone sends the visit; then Peter is signed in, to send his record of it."""
    arrived = (timezone.now() - datetime.timedelta(hours=3)).replace(microsecond=0)
    client.force_login(persona("visitor"))
    first_key = uuid.uuid4()
    assert put(client, first_key, report(arrived_at=arrived)).status_code == 201
    client.force_login(persona("partner"))
    return first_key, arrived


def test_the_partners_later_report_is_kept_beside_the_first(client):
    first_key, arrived = vera_sends_first(client)
    theirs = whole_report(
        visitor=persona("partner"),
        partner=persona("visitor"),
        arrived_at=arrived + datetime.timedelta(minutes=4),
        detainees=["WY-00401-26", "WY-00409-26"],
    )
    theirs["numbers"] = dict.fromkeys(("in_custody", "adults", "male", "held_pace"), 2) | {
        "offered": 2,
        "visited": 2,
    }
    second_key = uuid.uuid4()
    answer = put(client, second_key, theirs)
    assert answer.status_code == 200, answer.json()
    body = answer.json()
    assert body["outcome"] == "kept_as_copy"
    assert body["visit"]["uuid"] == str(first_key)
    assert body["message"].startswith("Vera Holt had already sent this visit from their phone.")
    assert Visit.objects.count() == Visit.objects.exclude(uuid=second_key).count()
    copy = VisitCopy.objects.get(client_uuid=second_key)
    labels = [label for label, _here, _copy in copy.differences]
    assert "In custody at the time of the visit" in labels
    assert "Detainee WY-00409-26" in labels
    assert copy.report["detainees"][1]["custody_number"] == "WY-00409-26"

    again = put(client, second_key, theirs)
    assert again.status_code == 200 and again.json()["outcome"] == "kept_as_copy"
    assert VisitCopy.objects.count() == 1


def test_uuids_are_not_shared_and_a_step_by_step_draft_is_not_overwritten(client):
    client.force_login(persona("visitor"))
    key = uuid.uuid4()
    assert put(client, key, report()).status_code == 201
    client.force_login(persona("coordinator"))
    taken = put(client, key, report())
    assert taken.status_code == 409 and taken.json()["code"] == "uuid_taken"

    client.force_login(persona("visitor"))
    draft = make_visit(visitors=[persona("visitor"), persona("partner")], status=Visit.Status.DRAFT)
    answer = put(client, draft.uuid, report())
    assert answer.status_code == 409 and answer.json()["code"] == "visit_in_progress"


def test_a_report_keeps_the_checklist_version_it_was_filled_in_against(visitor_api):
    body = report()
    old_version = ChecklistVersion.objects.get(pk=body["detainee_checklist"])
    new_version = checklists.start_draft(actor=persona("manager"), template=old_version.template)
    checklists.publish(actor=persona("manager"), version=new_version)
    key = uuid.uuid4()
    assert put(visitor_api, key, body).status_code == 201
    assert Visit.objects.get(uuid=key).detainee_checklist_id == old_version.pk

    other_scheme = report(suite_name="Wymondham")
    other_scheme["detainee_checklist"] = (
        ChecklistVersion.objects.exclude(template__scheme=old_version.template.scheme)
        .filter(template__kind="detainee")
        .first()
        .pk
    )
    answer = put(visitor_api, uuid.uuid4(), other_scheme)
    assert answer.status_code == 400
    assert answer.json()["fields"] == {"start.detainee_checklist": answer.json()["detail"]}


@pytest.mark.parametrize("username", ["force", "pcc", "manager"])
def test_only_visitors_send_reports(client, username):
    client.force_login(persona(username))
    assert put(client, uuid.uuid4(), report()).status_code == 403


def test_the_second_record_is_shown_beside_the_report_and_settled(client):
    first_key, arrived = vera_sends_first(client)
    theirs = whole_report(
        visitor=persona("partner"), partner=persona("visitor"), arrived_at=arrived
    )
    theirs["sign_off"]["sergeant_name"] = "PS 9 Other"
    assert put(client, uuid.uuid4(), theirs).json()["outcome"] == "kept_as_copy"
    page = reverse("visit-report", args=[first_key])

    for who, shown in [("visitor", True), ("manager", True), ("pcc", False)]:
        client.force_login(persona(who))
        text = client.get(page).content.decode()
        assert ("from Peter Shaw's phone" in text) is shown, who
        assert ("PS 9 Other" in text) is shown

    copy = VisitCopy.objects.get()
    settle = reverse("visit-copy-dealt-with", args=[first_key, copy.pk])
    client.force_login(persona("pcc"))
    assert client.post(settle).status_code == 403
    client.force_login(persona("manager"))
    assert client.post(settle).status_code == 302
    copy.refresh_from_db()
    assert copy.status == VisitCopy.Status.DEALT_WITH and copy.dealt_with_by == persona("manager")
    assert "Mark as dealt with" not in client.get(page).content.decode()


@pytest.mark.parametrize("path", ["/visits/record/", "/outbox/"])
def test_the_phone_pages_stay_within_the_query_budget(client, path):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(persona("visitor"))
    client.get(path)  # the session's first touch is not the page's cost
    with CaptureQueriesContext(connection) as queries:
        assert client.get(path).status_code == 200
    assert len(queries) <= 10


def test_an_edit_sent_after_the_report_is_kept_beside_it_and_a_repeat_is_not(visitor_api):
    key = uuid.uuid4()
    body = report(detainees=["WY-00401-26"])
    assert put(visitor_api, key, body).status_code == 201
    same = put(visitor_api, key, body)
    assert same.json()["outcome"] == "already_stored"
    assert not VisitCopy.objects.exists()

    # Edited on the phone after sending: a second detainee and a note on an answer.
    edited = report(detainees=["WY-00401-26", "WY-00402-26"])
    edited["detainees"][0]["answers"][0]["note"] = "Asked twice for a blanket."
    answer = put(visitor_api, key, edited)
    assert answer.status_code == 200, answer.json()
    assert answer.json()["outcome"] == "kept_as_copy"
    assert answer.json()["message"].startswith("Sent again with your changes.")
    visit = Visit.objects.get(uuid=key)
    assert visit.detainees.count() == 1  # the stored report is not overwritten
    copy = VisitCopy.objects.get()
    assert copy.visit == visit and copy.sent_by == persona("visitor")
    assert copy.report["detainees"][1]["custody_number"] == "WY-00402-26"
    labels = [label for label, _here, _copy in copy.differences]
    assert "Detainee WY-00402-26" in labels and "Detainee WY-00401-26" in labels

    # The same edit again (its answer lost) finds its copy; a further edit is kept too.
    assert put(visitor_api, key, edited).json()["outcome"] == "kept_as_copy"
    assert VisitCopy.objects.count() == 1
    edited["good_practice"] = "Cells clean."
    assert put(visitor_api, key, edited).json()["outcome"] == "kept_as_copy"
    assert VisitCopy.objects.count() == 2
    assert Visit.objects.filter(uuid=key).count() == 1


# --- Re-checks of earlier issues, sent with the report -----------------------------------------


def test_rechecks_sent_with_the_report_are_recorded_on_their_issues(visitor_api):
    fixed, still_broken = make_reported_issue(recheck=True), make_reported_issue(recheck=True)
    key = uuid.uuid4()
    body = report()
    body["rechecks"] = [
        {"issue": fixed.pk, "fixed": True, "note": "New bell fitted."},
        {"issue": still_broken.pk, "fixed": False},
    ]
    answer = put(visitor_api, key, body)
    assert answer.status_code == 201, answer.json()
    fixed.refresh_from_db()
    still_broken.refresh_from_db()
    assert not fixed.recheck_next_visit  # off the list for the next visit
    assert still_broken.recheck_next_visit
    (event,) = fixed.events.filter(kind=IssueEvent.Kind.RECHECKED)
    assert event.text.startswith("Fixed at the visit of")
    assert event.text.endswith("New bell fitted.")
    assert event.actor == persona("visitor")
    (event,) = still_broken.events.filter(kind=IssueEvent.Kind.RECHECKED)
    assert event.text.startswith("Not fixed")
    # Sent again, the report is already stored and nothing is re-checked twice.
    assert put(visitor_api, key, body).json()["outcome"] == "already_stored"
    assert IssueEvent.objects.filter(kind=IssueEvent.Kind.RECHECKED).count() == 2


@pytest.mark.parametrize("which", ["not_asked_for", "another_suite", "no_such_issue"])
def test_a_recheck_of_an_issue_not_waiting_here_stores_nothing(visitor_api, which):
    issue = make_reported_issue(recheck=which != "not_asked_for")
    if which == "another_suite":
        Issue.objects.filter(pk=issue.pk).update(suite=suite("Aylsham"))
    key = uuid.uuid4()
    body = report()
    wanted = issue.pk + 1000 if which == "no_such_issue" else issue.pk
    body["rechecks"] = [{"issue": wanted, "fixed": True}]
    answer = put(visitor_api, key, body)
    assert answer.status_code == 400
    assert answer.json()["code"] == "recheck_not_expected"
    assert answer.json()["fields"] == {
        "rechecks.0.fixed": "This issue is not waiting for a re-check at this suite."
    }
    assert not Visit.objects.filter(uuid=key).exists()
    assert not IssueEvent.objects.filter(kind=IssueEvent.Kind.RECHECKED).exists()


def test_a_recheck_must_say_whether_it_is_fixed(visitor_api):
    issue = make_reported_issue(recheck=True)
    body = report()
    body["rechecks"] = [{"issue": issue.pk, "note": "Looked at it."}]
    answer = put(visitor_api, uuid.uuid4(), body)
    assert answer.status_code == 400
    assert list(answer.json()["fields"]) == ["rechecks.0.fixed"], answer.json()
    assert not IssueEvent.objects.filter(kind=IssueEvent.Kind.RECHECKED).exists()


def test_the_phone_page_carries_each_suites_rechecks_hidden_until_its_suite_is_chosen(client):
    waiting = make_reported_issue(recheck=True)
    settled = make_reported_issue(recheck=False)
    client.force_login(persona("visitor"))
    page = client.get("/visits/record/").content.decode()
    assert f'data-recheck="{waiting.pk}" data-suite="{suite("Wymondham").pk}" hidden' in page
    # Its answer fields are copied in from the page's one template (tests/browser/ fill them).
    assert page.count('name="rechecks-__id__-fixed"') == 3  # once, whatever the number
    assert f'data-recheck="{settled.pk}"' not in page
    # Another scheme's visitor records at other suites and is shown none of these.
    client.force_login(persona("outsider"))
    theirs = client.get("/visits/record/").content.decode()
    assert "data-recheck=" not in theirs and "Custody suite" in theirs


def test_the_record_pages_kept_blank_forms_follow_a_new_checklist_and_example(client):
    """The page's blank forms are rendered once per scheme's checklists (views.offline): a
    newly published checklist and a new example custody number show on the next load, and
    the re-check titles and the visitor's own lines are still each request's."""
    from visits.models import ChecklistTemplate, Question

    manager = persona("manager")
    client.force_login(persona("visitor"))
    first = client.get("/visits/record/").content.decode()
    assert "Given the new 2027 notice of rights" not in first
    template = ChecklistTemplate.objects.get(scheme=suite("Wymondham").scheme, kind="detainee")
    draft = checklists.start_draft(actor=manager, template=template)
    Question.objects.filter(section__version=draft, key="told_rights").update(
        text="Given the new 2027 notice of rights"
    )
    checklists.publish(actor=manager, version=draft, note="Code C revision")
    scheme = draft.template.scheme
    scheme.custody_number_example = "NF-99999-27"
    scheme.save(update_fields=["custody_number_example"])
    waiting = make_reported_issue(recheck=True)
    page = client.get("/visits/record/").content.decode()
    assert "Given the new 2027 notice of rights" in page and "NF-99999-27" in page
    assert f'data-detainee-checklist="{draft.pk}"' in page
    assert f'data-recheck="{waiting.pk}"' in page and ", raised " in page
    client.force_login(persona("partner"))
    theirs = client.get("/visits/record/").content.decode()
    assert "Given the new 2027 notice of rights" in theirs
    name = persona("partner").get_full_name()
    assert f"I, {name}, confirm this report" in theirs


def test_the_record_pages_first_load_is_within_its_budget(client):
    """Issue 18: the record page, what it links to and what the service worker fetches on
    install, compressed, at most 50 KB (counted as bench/run.py counts it; bench/RESULTS.md
    has it with a year of a scheme's re-checks)."""
    from bench.run import BUDGET_PAGE_BYTES, recording_first_load

    make_reported_issue(recheck=True)
    client.force_login(persona("visitor"))
    html = client.get("/visits/record/").content
    assert b"data-recheck=" in html
    assert recording_first_load(client, html) <= BUDGET_PAGE_BYTES


def test_a_recheck_typed_offline_of_an_issue_fixed_meanwhile_is_kept_not_refused(visitor_api):
    from visits.services import issues as issue_service

    issue = make_reported_issue(recheck=True)
    # While this report waited on the phone, another visit to the suite found it fixed.
    other = make_visit(visitors=[persona("partner"), persona("coordinator")], status="draft")
    issue_service.record_recheck(actor=persona("partner"), visit=other, issue=issue, fixed=True)
    key = uuid.uuid4()
    body = report()
    body["rechecks"] = [{"issue": issue.pk, "fixed": False, "note": "Bell silent when we rang."}]
    answer = put(visitor_api, key, body)
    assert answer.status_code == 201, answer.json()
    issue.refresh_from_db()
    assert not issue.recheck_next_visit  # fixed stays fixed: nothing more to take off
    late = issue.events.filter(kind=IssueEvent.Kind.RECHECKED, actor=persona("visitor")).get()
    assert "sent after another visit had marked it fixed" in late.text
    assert late.text.endswith("Bell silent when we rang.")
    # An issue that was never waiting here is still refused.
    never = make_reported_issue(recheck=False)
    body["rechecks"] = [{"issue": never.pk, "fixed": True}]
    assert put(visitor_api, uuid.uuid4(), body).json()["code"] == "recheck_not_expected"


def test_the_detainee_steps_kept_blank_form_follows_its_checklist_and_example(client):
    """A new detainee's form is rendered once for what it is made of (visits.forms
    .rendered_once: its checklist version, which never changes once published, and the example
    custody number): a changed example shows on the next load, and a form sent back with
    errors is the visitor's own, never the kept one."""

    visit = make_visit(visitors=[persona("visitor"), persona("partner")], status="draft")
    client.force_login(persona("visitor"))
    path = f"/visits/{visit.uuid}/detainees/new/"
    from visits.rules import suite_custody_number_example

    first = client.get(path).content.decode()
    before = suite_custody_number_example(visit.scheme, visit.suite)
    assert before in first and 'name="custody_number"' in first
    visit.scheme.custody_number_example = "NF-99999-27"
    visit.scheme.save(update_fields=["custody_number_example"])
    after = suite_custody_number_example(visit.scheme, visit.suite)
    assert after != before
    again = client.get(path).content.decode()
    assert after in again and before not in again
    refused = client.post(path, {"custody_number": "not a number"}).content.decode()
    assert 'value="not a number"' in refused
