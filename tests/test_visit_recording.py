"""Recording a visit: the rules, the refusals (each changes nothing), submission and amendment."""

import datetime
import re

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from tests.conftest import PERSONAS, persona
from tests.factories import make_visit, question_ids, sign_off_and_submit, suite
from visits import permissions, rules
from visits.errors import DomainError
from visits.models import Amendment, DetaineeRecord, Issue, Visit
from visits.services import amendments, audit
from visits.services import visits as service

ARRIVED = (timezone.now() - datetime.timedelta(hours=2)).replace(second=0, microsecond=0)


@pytest.fixture
def draft(db):
    return make_visit(
        visitors=[persona("visitor"), persona("partner")],
        status=Visit.Status.DRAFT,
        arrived_at=ARRIVED,
    )


def url(name, visit, *args):
    return reverse(name, args=[visit.uuid, *args])


# --- Rules ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("numbers", "fields"),
    [
        ({"in_custody": 5, "offered": 3, "visited": 3, "nv_asleep": 2}, set()),
        ({"in_custody": 5, "offered": 3, "visited": 3, "nv_asleep": 1}, {"in_custody"}),
        ({"in_custody": 3, "offered": 3, "visited": 1, "declined": 1}, {"offered"}),
        ({"in_custody": 2, "offered": 2, "visited": 2, "adults": 1}, {"adults"}),
        ({"in_custody": 2, "offered": 2, "visited": 2, "held_pace": 3}, {"held_pace"}),
        ({"in_custody": 2, "offered": 2, "visited": 2, "male": 2, "female": 1}, {"male"}),
        ({"in_custody": 1, "nv_access_denied": 1}, {"nv_access_denied_reason"}),
        ({}, set()),
    ],
)
def test_number_rules(numbers, fields):
    assert set(rules.number_disagreements(numbers)) == fields


def test_number_rule_says_exactly_which_figures_disagree():
    problems = rules.number_disagreements(
        {"in_custody": 12, "offered": 8, "visited": 8, "nv_asleep": 3}
    )
    assert problems["in_custody"] == (
        "In custody (12) must equal offered a visit (8) plus not visited (3), which is 11."
    )


@pytest.mark.parametrize(
    ("raw", "problem"),
    [
        ("WY-01234-26", None),
        ("wy-01234-26 ", None),
        ("John Smith", "looks like a name"),
        ("smith", "looks like a name"),
        ("O'Brien, Mary-Ann", "looks like a name"),
        ("Jean-Luc Picard", "looks like a name"),
        ("WY 1234", "for example WY-01234-26"),
        ("", "Enter the custody record number"),
    ],
)
def test_custody_number_rules(raw, problem):
    result = rules.custody_number_problem(raw, r"^(AY|WY|KL|GY)-\d{5}-\d{2}$", "WY-01234-26")
    assert (result is None) if problem is None else (problem in result)


# --- Start ------------------------------------------------------------------------------------


def test_start_needs_a_partner(db, visitor):
    with pytest.raises(DomainError) as error:
        service.start_visit(
            actor=visitor, suite=suite("Wymondham"), co_visitors=[], arrived_at=ARRIVED
        )
    assert error.value.code == "needs_two_visitors"
    assert not Visit.objects.exists()


def test_start_refuses_a_co_visitor_from_another_scheme(db, visitor, outsider):
    with pytest.raises(DomainError) as error:
        service.start_visit(
            actor=visitor, suite=suite("Wymondham"), co_visitors=[outsider], arrived_at=ARRIVED
        )
    assert error.value.code == "visitor_not_in_scheme"
    assert not Visit.objects.exists()


def test_start_refuses_a_visitor_with_a_conflict(db, visitor, partner):
    with pytest.raises(DomainError) as error:
        service.start_visit(
            actor=partner, suite=suite("King's Lynn"), co_visitors=[visitor], arrived_at=ARRIVED
        )
    assert error.value.code == "visitor_conflict"
    assert "Vera Holt has a conflict with King's Lynn" in error.value.message


def test_start_page_shows_errors_and_stores_nothing(client, db, visitor, outsider):
    client.force_login(visitor)
    response = client.post(
        reverse("visit-start"),
        {
            "suite": suite("Wymondham").pk,
            "co_visitors": [outsider.pk],
            "arrived_at": "2026-01-05T10:00",
        },
    )
    assert response.status_code == 400  # a refused form: htmx swaps it all the same (base.html)
    assert "co_visitors" in response.context["form"].errors  # not even a choice
    response = client.post(
        reverse("visit-start"), {"suite": suite("Wymondham").pk, "arrived_at": "2026-01-05T10:00"}
    )
    assert "Choose the visitor you are with." in response.content.decode()
    assert not Visit.objects.exists()


def test_start_is_idempotent_on_the_client_uuid(db, visitor, partner):
    import uuid

    key = uuid.uuid4()
    first = service.start_visit(
        actor=visitor,
        suite=suite("Wymondham"),
        co_visitors=[partner],
        arrived_at=ARRIVED,
        client_uuid=key,
    )
    again = service.start_visit(
        actor=visitor,
        suite=suite("Wymondham"),
        co_visitors=[partner],
        arrived_at=ARRIVED,
        client_uuid=key,
    )
    assert first.pk == again.pk and Visit.objects.count() == 1


def test_pages_walk_a_visit_start_to_submission(client, db, visitor, partner, manager):
    client.force_login(visitor)
    response = client.post(
        reverse("visit-start"),
        {
            "suite": suite("Wymondham").pk,
            "co_visitors": [partner.pk],
            "arrived_at": timezone.localtime(ARRIVED).strftime("%Y-%m-%dT%H:%M"),
        },
    )
    visit = Visit.objects.get()
    assert response["Location"] == url("visit-admission", visit)
    at = (timezone.localtime(ARRIVED) + datetime.timedelta(minutes=20)).strftime("%Y-%m-%dT%H:%M")
    client.post(
        url("visit-admission", visit),
        {
            "admitted_at": at,
            "delay_minutes": 15,
            "delay_reason": "Cell extraction in progress",
            "delay_authorised_by": "Inspector Cole",
        },
    )
    client.post(
        url("visit-numbers", visit),
        {"in_custody": 4, "offered": 1, "visited": 1, "nv_asleep": 2, "nv_in_interview": 1},
    )
    questions = question_ids(visit.detainee_checklist_id)
    answers = {f"q_{q}": "yes" for q in questions} | {
        f"q_{questions[3]}": "no",
        f"note_{questions[3]}": "Not offered yet",
    }
    client.post(
        url("visit-detainee-new", visit),
        {"custody_number": "wy-00042-26", "under_18": "on", **answers},
    )
    client.post(
        url("visit-suite", visit), {f"q_{q}": "yes" for q in question_ids(visit.suite_checklist_id)}
    )
    page = client.get(url("visit-issues", visit)).content.decode()
    assert "No: Offered free legal advice. Not offered yet" in page
    client.post(
        url("visit-issues", visit),
        {
            "issue-category": "rights",
            "issue-severity": "routine",
            "issue-description": "No: Offered free legal advice.",
            "issue-custody_number": "WY-00042-26",
            "issue-question_id": questions[3],
            "issue-resolved_on_visit": "on",
        },
    )
    client.post(url("visit-good-practice", visit), {"good_practice": "Clean, calm suite."})
    departed = (timezone.localtime(ARRIVED) + datetime.timedelta(minutes=95)).strftime(
        "%Y-%m-%dT%H:%M"
    )
    client.post(
        url("visit-sign-off", visit),
        {
            "departed_at": departed,
            "outcome": "satisfactory",
            "sergeant_name": "PS 99 Lane",
            "sergeant_comments": "Thank you.",
            "sergeant_confirmed": "on",
            "confirmed_by": [visitor.pk, partner.pk],
        },
    )
    assert client.get(url("visit-check", visit)).context["problems"] == []
    response = client.post(url("visit-check", visit))
    assert response["Location"] == url("visit-report", visit)

    visit.refresh_from_db()
    assert visit.status == Visit.Status.SUBMITTED
    assert (visit.delay_minutes, visit.delay_reason) == (15, "Cell extraction in progress")
    assert (visit.in_custody, visit.offered, visit.nv_asleep, visit.nv_in_interview) == (4, 1, 2, 1)
    detainee = DetaineeRecord.objects.get(visit=visit)
    assert (detainee.custody_number, detainee.under_18) == ("WY-00042-26", True)
    assert detainee.answers.get(question_id=questions[3]).note == "Not offered yet"
    assert visit.answers.filter(detainee__isnull=True).count() == 10
    issue = Issue.objects.get(visit=visit)
    assert issue.status == Issue.Status.RESOLVED_ON_VISIT and issue.category == "rights"
    assert visit.good_practice == "Clean, calm suite."
    assert visit.sergeant_name == "PS 99 Lane" and visit.sergeant_signed_at
    assert not visit.visit_visitors.filter(confirmed_at__isnull=True).exists()


# --- Refusals that change nothing ---------------------------------------------------------------


def test_numbers_that_do_not_add_up_say_which(client, draft):
    client.force_login(persona("visitor"))
    before = Visit.objects.get(pk=draft.pk).revision
    response = client.post(
        url("visit-numbers", draft), {"in_custody": 12, "offered": 8, "visited": 8, "nv_asleep": 3}
    )
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert errors["in_custody"] == [
        "In custody (12) must equal offered a visit (8) plus not visited (3), which is 11."
    ]
    draft.refresh_from_db()
    assert (draft.in_custody, draft.revision) == (1, before)


def test_the_detainees_list_tags_children_vulnerable_adults_and_tact(client, db):
    visit = make_visit(
        visitors=[persona("visitor"), persona("partner")],
        status=Visit.Status.DRAFT,
        detainees=2,
        tact=True,
    )
    child, adult, held = visit.detainees.order_by("order", "pk")
    DetaineeRecord.objects.filter(pk=child.pk).update(under_18=True, vulnerable=True)
    client.force_login(persona("visitor"))
    page = client.get(url("visit-detainees", visit)).content.decode()
    tags = re.findall(r'<span class="tag[^"]*">[^<]*</span>', page)
    assert tags == [
        '<span class="tag tag--urgent">Under 18</span>',
        '<span class="tag tag--urgent">Vulnerable</span>',
        '<span class="tag">TACT</span>',
    ]


def test_a_name_in_the_custody_number_field_is_refused(client, draft):
    client.force_login(persona("visitor"))
    response = client.post(url("visit-detainee-new", draft), {"custody_number": "Jane Doe"})
    assert "looks like a name" in response.context["form"].errors["custody_number"][0]
    assert not draft.detainees.exists()


def test_the_same_custody_number_twice_is_refused(client, draft):
    client.force_login(persona("visitor"))
    client.post(url("visit-detainee-new", draft), {"custody_number": "WY-00007-26"})
    response = client.post(url("visit-detainee-new", draft), {"custody_number": "wy-00007-26"})
    assert "already on this report" in response.context["form"].errors["custody_number"][0]
    assert draft.detainees.count() == 1


def test_departure_before_arrival_is_refused(client, draft):
    client.force_login(persona("visitor"))
    before = (timezone.localtime(ARRIVED) - datetime.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
    response = client.post(
        url("visit-sign-off", draft), {"departed_at": before, "outcome": "satisfactory"}
    )
    assert "cannot be before the time you arrived" in str(response.context["form"].errors)
    draft.refresh_from_db()
    assert draft.departed_at is None and draft.outcome == ""


def test_admission_delay_needs_reason_and_officer(client, draft):
    client.force_login(persona("visitor"))
    at = timezone.localtime(ARRIVED).strftime("%Y-%m-%dT%H:%M")
    response = client.post(url("visit-admission", draft), {"admitted_at": at, "delay_minutes": 20})
    errors = response.context["form"].errors
    assert set(errors) == {"delay_reason", "delay_authorised_by"}
    draft.refresh_from_db()
    assert draft.delay_minutes == 0


def test_an_unfinished_report_cannot_be_submitted(client, draft):
    client.force_login(persona("visitor"))
    response = client.post(url("visit-check", draft))
    assert response.status_code == 400
    assert "Record the departure time and the outcome." in response.content.decode()
    draft.refresh_from_db()
    assert draft.is_draft


def test_abandoned_needs_a_reason(client, draft):
    client.force_login(persona("visitor"))
    departed = (timezone.localtime(ARRIVED) + datetime.timedelta(minutes=10)).strftime(
        "%Y-%m-%dT%H:%M"
    )
    response = client.post(
        url("visit-sign-off", draft), {"departed_at": departed, "outcome": "abandoned"}
    )
    assert response.context["form"].errors["abandoned_reason"] == [
        "Say why the visit was abandoned."
    ]


def test_double_submit_stores_one_visit_and_sends_it_once_to_each_reader(
    client, draft, django_capture_on_commit_callbacks
):
    visitors = [persona("visitor"), persona("partner")]
    with django_capture_on_commit_callbacks(execute=True):
        sign_off_and_submit(draft, visitors, notify=True)
        service.submit_visit(actor=visitors[1], visit=draft)
    client.force_login(visitors[0])
    response = client.post(url("visit-check", draft))
    assert response["Location"] == url("visit-report", draft)
    assert Visit.objects.filter(status="submitted").count() == 1
    # Each reader is sent the report as they may read it: one e-mail each, once.
    assert sorted(m.to[0] for m in mail.outbox) == ["force@example.org", "manager@example.org"]
    assert all(m.attachments[0][2] == "application/pdf" for m in mail.outbox)


def test_tact_reports_go_to_the_manager_only(db, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        visit = make_visit(
            visitors=[persona("visitor"), persona("partner")], tact=True, status=Visit.Status.DRAFT
        )
        sign_off_and_submit(visit, [persona("visitor"), persona("partner")], notify=True)
    assert mail.outbox[0].to == ["manager@example.org"]
    visits = Visit.objects.filter(pk=visit.pk)
    assert not permissions.scope_visits(visits, persona("force")).exists()
    assert not permissions.scope_visits(visits, persona("pcc")).exists()
    assert permissions.scope_visits(visits, persona("manager")).exists()


def test_no_email_when_the_submission_rolls_back(draft, django_capture_on_commit_callbacks):
    from django.db import transaction

    visitors = [persona("visitor"), persona("partner")]
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        try:
            with transaction.atomic():
                sign_off_and_submit(draft, visitors, notify=True)
                raise RuntimeError("the database fell over")
        except RuntimeError:
            pass
    assert callbacks == [] and mail.outbox == []


# --- After submission ---------------------------------------------------------------------------


@pytest.fixture
def report(db):
    return make_visit(visitors=[persona("visitor"), persona("partner")], detainees=2)


def test_steps_of_a_submitted_report_send_you_to_the_report(client, report):
    client.force_login(persona("visitor"))
    response = client.post(url("visit-numbers", report), {"in_custody": 9})
    assert response["Location"] == url("visit-report", report)
    report.refresh_from_db()
    assert report.in_custody == 3


def test_services_refuse_to_edit_a_submitted_report(report):
    with pytest.raises(DomainError) as error:
        service.record_numbers(actor=persona("visitor"), visit=report, numbers={})
    assert error.value.code == "visit_submitted"


def test_an_amendment_needs_a_reason(client, report):
    from tests.test_amendments import amend_page

    client.force_login(persona("visitor"))
    response = amend_page(client, report, reason="", good_practice="Changed")
    assert response.status_code == 400  # refused: the page again, with its errors
    assert "reason" in response.context["form"].errors
    report.refresh_from_db()
    assert report.good_practice == "" and not Amendment.objects.exists()


def test_an_amendment_is_kept_in_the_history(client, report):
    from tests.test_amendments import amend_page

    client.force_login(persona("manager"))
    amend_page(client, report, reason="Visitor asked by e-mail", good_practice="Food well stocked")
    report.refresh_from_db()
    assert report.good_practice == "Food well stocked"
    amendment = Amendment.objects.get(visit=report)
    assert amendment.changes == {"good_practice": ["", "Food well stocked"]}
    assert amendment.actor.username == "manager"
    assert amendment.revision == report.revision
    page = client.get(url("visit-report", report)).content.decode()
    assert "Visitor asked by e-mail" in page


def test_amended_numbers_must_still_add_up(report):
    with pytest.raises(DomainError) as error:
        amendments.amend_visit(
            actor=persona("manager"), visit=report, reason="Recount", changes={"in_custody": 10}
        )
    assert error.value.code == "numbers_disagree"
    report.refresh_from_db()
    assert report.in_custody == 3


# --- Who may see and change what ------------------------------------------------------------------

# (draft step page, submitted report page, amend page) for each persona.
EXPECTED = {
    "visitor": (200, 200, 200),
    "partner": (200, 200, 200),
    "coordinator": (404, 404, 404),  # Wymondham is not her panel
    "manager": (403, 200, 200),
    "pcc": (404, 200, 403),
    "force": (404, 200, 403),
    "outsider": (404, 404, 404),
}


@pytest.mark.parametrize("username", PERSONAS)
def test_visit_pages_permission_matrix(client, draft, report, username):
    client.force_login(persona(username))
    statuses = (
        client.get(url("visit-numbers", draft)).status_code,
        client.get(url("visit-report", report)).status_code,
        client.get(url("visit-amend", report)).status_code,
    )
    assert statuses == EXPECTED[username]
    assert client.get(url("visit-pdf", report)).status_code == EXPECTED[username][1]


def test_anonymous_is_sent_to_sign_in(client, draft):
    response = client.get(url("visit-numbers", draft))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_pcc_reader_sees_reports_without_custody_numbers(client, report):
    client.force_login(persona("pcc"))
    page = client.get(url("visit-report", report)).content.decode()
    assert "WY-00001-26" not in page and "not shown to your role" in page
    assert "Told their rights" not in page  # no detainee's answers either
    client.force_login(persona("force"))
    assert "WY-00001-26" in client.get(url("visit-report", report)).content.decode()


def test_only_visitors_may_start_a_visit(client, db):
    for username, status in [("manager", 403), ("pcc", 403), ("force", 403), ("visitor", 200)]:
        client.force_login(persona(username))
        assert client.get(reverse("visit-start")).status_code == status


# --- Queries per page ---------------------------------------------------------------------------

STEP_PAGES = [
    "visit-admission",
    "visit-numbers",
    "visit-detainees",
    "visit-suite",
    "visit-issues",
    "visit-sign-off",
    "visit-check",
]


@pytest.mark.parametrize("step", STEP_PAGES)
def test_step_queries_do_not_grow_with_the_report(client, db, step):
    visitors = [persona("visitor"), persona("partner")]
    small = make_visit(visitors=visitors, status=Visit.Status.DRAFT, detainees=1)
    large = make_visit(visitors=visitors, status=Visit.Status.DRAFT, detainees=8)
    client.force_login(visitors[0])
    client.get("/")
    counts = []
    for visit in (small, large):
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as queries:
            assert client.get(url(step, visit)).status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1], f"{step}: {counts}"
    assert counts[1] <= 10, f"{step}: {counts[1]} queries"


def test_report_and_list_queries_do_not_grow(client, db):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    visitors = [persona("visitor"), persona("partner")]
    small = make_visit(visitors=visitors, detainees=1)
    client.force_login(persona("manager"))
    client.get("/")
    counts = {}
    for label in ("small", "large"):
        visit = small if label == "small" else make_visit(visitors=visitors, detainees=8)
        with CaptureQueriesContext(connection) as report_q:
            client.get(url("visit-report", visit))
        with CaptureQueriesContext(connection) as list_q:
            client.get(reverse("visit-list"))
        # Viewing a report writes an audit entry; the budget is for building the page.
        building = [q for q in report_q.captured_queries if not audit.is_trail_statement(q["sql"])]
        assert len(building) == len(report_q) - 3  # head locked, insert, head moved on
        counts[label] = (len(building), len(list_q))
    assert counts["small"] == counts["large"]
    assert max(counts["large"]) <= 10


def test_departure_is_checked_against_the_stored_admission_not_a_stale_copy(draft):
    visitor = persona("visitor")
    stale = Visit.objects.get(pk=draft.pk)  # read before the admission changes
    service.record_admission(
        actor=visitor, visit=draft, admitted_at=ARRIVED + datetime.timedelta(minutes=40)
    )
    with pytest.raises(DomainError) as error:
        service.record_sign_off(
            actor=visitor,
            visit=stale,
            sign_off=service.SignOff(
                departed_at=ARRIVED + datetime.timedelta(minutes=30), outcome="satisfactory"
            ),
        )
    assert "before the time you were let in" in error.value.fields["departed_at"]
    draft.refresh_from_db()
    assert draft.departed_at is None


def test_a_name_in_an_issue_draws_a_warning_with_a_way_through(client, draft):
    client.force_login(persona("visitor"))
    data = {
        "issue-category": "treatment",
        "issue-severity": "routine",
        "issue-description": "John Smith said he was not fed.",
    }
    response = client.post(url("visit-issues", draft), data)
    assert response.status_code == 400
    assert "“John Smith” may be a person" in response.content.decode()
    assert "I have checked: this names no one" in response.content.decode()
    assert not draft.issues.exists()
    # A place is not a name; a title that is not a person's can be ticked through.
    data["issue-description"] = "Great Yarmouth heating was off."
    assert client.post(url("visit-issues", draft), data).status_code == 302
    data["issue-description"] = "Only Mr Men books to read."
    assert client.post(url("visit-issues", draft), data).status_code == 400
    data["issue-names_checked"] = "on"
    assert client.post(url("visit-issues", draft), data).status_code == 302
    assert sorted(draft.issues.values_list("description", flat=True)) == [
        "Great Yarmouth heating was off.",
        "Only Mr Men books to read.",
    ]


# --- Refused forms: one error summary, linked to the fields -------------------------------------


def summary_links(html: str) -> list[str]:
    """The fields the page's error summary links to; each must be an element of the page."""
    match = re.search(r'<div class="error-summary"[^>]*data-error-summary>(.*?)</div>', html, re.S)
    assert match, "the page has no error summary"
    anchors = re.findall(r'href="#([^"]+)"', match.group(1))
    for anchor in anchors:
        assert f'id="{anchor}"' in html, f"the summary links to #{anchor}, which is not on the page"
    return anchors


def _upload(data: bytes):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile("cell.jpg", data, "image/jpeg")


def _local(moment) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M")


REFUSALS = {
    "admission: a delay without its reason": (
        "visit-admission",
        lambda: {"admitted_at": _local(ARRIVED), "delay_minutes": 20},
        "Give the reason you were told for the delay.",
        "id_delay_reason",
    ),
    "numbers that do not add up": (
        "visit-numbers",
        lambda: {"in_custody": 12, "offered": 8, "visited": 8, "nv_asleep": 3},
        "which is 11",
        "id_in_custody",
    ),
    "a name as custody number": (
        "visit-detainee-new",
        lambda: {"custody_number": "Jane Doe"},
        "looks like a name",
        "id_custody_number",
    ),
    "an issue that names someone": (
        "visit-issues",
        lambda: {
            "issue-category": "treatment",
            "issue-severity": "routine",
            "issue-description": "John Smith said he was not fed.",
        },
        "may be a person",
        "id_issue-description",
    ),
    "good practice too long": (
        "visit-good-practice",
        lambda: {"good_practice": "Calm suite. " * 400},
        "at most 4000 characters",
        "id_good_practice",
    ),
    "a photo that is not one": (
        "visit-photo-upload",
        lambda: {"photo": _upload(b"not an image at all")},
        "not a photo we can read",
        "id_photo",
    ),
    "sign-off without an outcome": (
        "visit-sign-off",
        lambda: {"departed_at": _local(ARRIVED + datetime.timedelta(hours=1))},
        "This field is required.",
        "id_outcome_0",  # a group of radios: its first one
    ),
}


@pytest.mark.parametrize("case", REFUSALS.values(), ids=REFUSALS.keys())
def test_a_refused_step_form_is_a_400_page_whose_summary_links_to_the_field(
    client, draft, settings, tmp_path, case
):
    settings.MEDIA_ROOT = tmp_path
    name, data, message, anchor = case
    client.force_login(persona("visitor"))
    response = client.post(url(name, draft), data())
    html = response.content.decode()
    assert response.status_code == 400
    assert message in html
    assert anchor in summary_links(html)
    assert "<title>Error: " in html


def test_the_start_summary_links_to_the_first_co_visitor_box(client, db, visitor):
    client.force_login(visitor)
    response = client.post(
        reverse("visit-start"), {"suite": suite("Wymondham").pk, "arrived_at": _local(ARRIVED)}
    )
    assert response.status_code == 400
    assert summary_links(response.content.decode()) == ["id_co_visitors_0"]


def test_a_refused_re_check_is_shown_on_its_card_with_the_note_kept(client, db):
    from tests.factories import make_reported_issue

    issue = make_reported_issue(recheck=True)
    next_visit = make_visit(visitors=[persona("visitor"), persona("partner")], status="draft")
    client.force_login(persona("visitor"))
    # A note on an issue not looked at: say whether it is fixed, or take the note out.
    response = client.post(
        url("visit-recheck", next_visit), {f"recheck_note_{issue.pk}": "Bell still silent"}
    )
    html = response.content.decode()
    assert response.status_code == 400
    assert summary_links(html) == [f"id_recheck_{issue.pk}_0"]
    assert html.count("Say whether it is fixed") == 2  # the summary and the card
    assert ">Bell still silent<" in html or 'value="Bell still silent"' in html
    assert not issue.events.filter(kind="rechecked").exists()


def test_a_refused_photo_under_htmx_keeps_the_suite_page_address(client, draft, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    client.force_login(persona("visitor"))
    response = client.post(
        url("visit-photo-upload", draft),
        {"photo": _upload(b"GIF89a nonsense")},
        headers={"HX-Request": "true", "HX-Boosted": "true"},
    )
    assert response.status_code == 400
    # A reload must open the suite page, not GET the upload's POST-only address.
    assert response["HX-Push-Url"] == url("visit-suite", draft)


def test_a_refused_submission_focuses_its_list_of_what_is_missing(client, draft):
    client.force_login(persona("visitor"))
    shown = client.get(url("visit-check", draft)).content.decode()
    refused = client.post(url("visit-check", draft)).content.decode()
    assert "data-error-summary" not in shown  # a list of what is left, not yet an error
    assert 'tabindex="-1" data-error-summary' in refused
    assert "<title>Error: " in refused


def test_the_signature_pad_is_hidden_until_the_script_shows_it(client, draft):
    client.force_login(persona("visitor"))
    html = client.get(url("visit-sign-off", draft)).content.decode()
    assert "<div data-signature-drawing hidden>" in html
    assert "ticks the box below to say they have read the report" in html


@pytest.mark.parametrize(
    ("view", "service_function"),
    [("visit-detainee-remove", "remove_detainee"), ("visit-issue-withdraw", "withdraw_issue")],
)
def test_a_refused_remove_shows_why_on_its_step_page(
    client, draft, monkeypatch, view, service_function
):
    detainee = service.save_detainee(
        actor=persona("visitor"),
        visit=draft,
        details=service.DetaineeDetails(custody_number="WY-00007-26", answers={}),
    )
    issue = service.raise_issue(
        actor=persona("visitor"),
        visit=draft,
        category="conditions",
        severity="routine",
        description="Cell 4 call bell not working.",
    )

    def refuse(**kwargs):
        raise DomainError("Someone else changed this report.", code="stale_revision")

    monkeypatch.setattr(service, service_function, refuse)
    client.force_login(persona("visitor"))
    pk = detainee.pk if view == "visit-detainee-remove" else issue.pk
    response = client.post(url(view, draft, pk), {"confirmed": "yes"})
    assert response.status_code == 400
    assert "Someone else changed this report." in response.content.decode()
    assert summary_links(response.content.decode()) == []  # a refusal of no field: no link
