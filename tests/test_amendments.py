"""Amending a submitted report (issue 16, item 2): one validation for the page and the API (the
rules of the steps each change amends), a revision on every amendment, times, answers, the
sergeant's name and custody numbers amendable, each change kept with its before and after, and
the detainees' part of them hidden from the PCC reader."""

import datetime
import io
import json

import pytest
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from tests.conftest import persona
from tests.factories import make_visit, question_ids, sign_off_and_submit
from visits.errors import DomainError
from visits.models import Amendment, Answer, DetaineeRecord, Question, Visit
from visits.rules import AMENDABLE, COUNT, MOMENT, TEXT
from visits.services import amendments
from visits.services import visits as service
from visits.summaries import Period, national_return_row, summarise

# Three days ago at ten in the morning, so a few minutes either way stay on the visit's day.
ARRIVED = timezone.localtime(timezone.now() - datetime.timedelta(days=3)).replace(
    hour=10, minute=0, second=0, microsecond=0
)
NOTE = "Blanket was thin and torn"


@pytest.fixture
def report(db):
    """A submitted Wymondham report of visitor and partner: two detainees (WY-00001-26 and
    WY-00002-26) who answered every question yes, and every suite check answered yes."""
    visitors = [persona("visitor"), persona("partner")]
    visit = make_visit(
        visitors=visitors, status=Visit.Status.DRAFT, detainees=2, arrived_at=ARRIVED
    )
    service.save_suite_answers(
        actor=visitors[0],
        visit=visit,
        answers=dict.fromkeys(question_ids(visit.suite_checklist_id), ("yes", "")),
    )
    sign_off_and_submit(visit, visitors)
    visit.refresh_from_db()
    return visit


def first_question(version_id, answer_type=Question.AnswerType.YES_NO) -> Question:
    return (
        Question.objects.filter(section__version_id=version_id, answer_type=answer_type)
        .order_by("section__order", "order")
        .first()
    )


def detainee(visit, number="WY-00001-26") -> DetaineeRecord:
    return visit.detainees.get(custody_number=number)


def iso(moment) -> str:
    return moment.isoformat()


def post_json(client, path, body):
    return client.post(path, body, content_type="application/json")


def amend(client, visit, body, revision=None):
    """POST /api/visits/{uuid}/amend/ with a reason and the revision read, unless given."""
    body = {"reason": "Corrected after the visit", **body}
    body.setdefault("revision", visit.revision if revision is None else revision)
    return post_json(client, f"/api/visits/{visit.uuid}/amend/", body)


@pytest.fixture
def api(client, db):
    client.force_login(persona("visitor"))
    return client


def state(visit) -> tuple:
    """Everything an amendment could change, to show that a refused one changed nothing."""
    row = Visit.objects.get(pk=visit.pk)
    fields = {name: getattr(row, name) for name in AMENDABLE}
    answers = sorted(
        Answer.objects.filter(visit=visit).values_list(
            "detainee_id", "question_id", "value", "note"
        ),
        key=lambda row: (row[0] or 0, *row[1:]),
    )
    numbers = sorted(visit.detainees.values_list("pk", "custody_number"))
    return row.revision, fields, answers, numbers, Amendment.objects.filter(visit=visit).count()


def form_data(form) -> dict:
    """What a browser sends back for a form drawn with its initial values."""
    data = {}
    for bound in form:
        value = bound.value()
        if isinstance(value, datetime.datetime):  # naive, in the current time zone
            value = value.strftime("%Y-%m-%dT%H:%M")
        data[bound.html_name] = "" if value is None else value
    return data


def amend_page(client, visit, part="", reason="Corrected after the visit", **changes):
    """Open the amend page (one part of it) and send its form back with `changes`."""
    url = reverse("visit-amend", args=[visit.uuid]) + (f"?part={part}" if part else "")
    page = client.get(url)
    assert page.status_code == 200
    data = form_data(page.context["form"]) | {"reason": reason} | changes
    return client.post(url, data)


def local_input(moment) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M")


# --- Bad input: 400 naming the field, nothing changed ----------------------------------------


def _wrong_values():
    """For every amendable field, values of the wrong type or out of bounds."""
    cases = []
    for name, spec in AMENDABLE.items():
        if spec.kind == MOMENT:
            wrong = ["yesterday at ten", 12, [], {"at": "10:00"}]
            if not spec.nullable:
                wrong.append(None)
        elif spec.kind == COUNT:
            wrong = ["abc", 1.5, True, [], None, -1, spec.maximum + 1, 10**12]
        elif spec.kind == TEXT:
            wrong = [{"a": 1}, [1, 2], None, "x" * (spec.maximum + 1)]
        else:
            wrong = ["bogus", "", 5, None, ["satisfactory"]]
        cases += [
            pytest.param({"changes": {name: v}}, f"changes.{name}", id=f"{name}={v!r:.20}")
            for v in wrong
        ]
    return cases


BAD_BODIES = [
    # The issue's own list.
    pytest.param({"changes": {"delay_minutes": "abc"}}, "changes.delay_minutes", id="delay-abc"),
    pytest.param({"changes": {"delay_minutes": -5}}, "changes.delay_minutes", id="delay-neg"),
    pytest.param({"changes": {"delay_minutes": None}}, "changes.delay_minutes", id="delay-null"),
    pytest.param({"changes": {"outcome": "bogus"}}, "changes.outcome", id="outcome-bogus"),
    pytest.param({"changes": {"good_practice": {"a": 1}}}, "changes.good_practice", id="gp-dict"),
    pytest.param({"reason": "x" * 100_000}, "reason", id="reason-100k"),
    pytest.param({"changes": {"delay_minutes": 10**12}}, "changes.delay_minutes", id="delay-huge"),
    # The shape of the request.
    pytest.param({"reason": ""}, "reason", id="reason-blank"),
    pytest.param({"reason": None}, "reason", id="reason-null"),
    pytest.param({"revision": None}, "revision", id="revision-null"),
    pytest.param({"revision": "abc"}, "revision", id="revision-abc"),
    pytest.param({"changes": "good_practice"}, "changes", id="changes-string"),
    pytest.param({"changes": None}, "changes", id="changes-null"),
    pytest.param({"changes": {"status": "draft"}}, "changes.status", id="not-amendable"),
    pytest.param({"changes": {"visit_date": "2020-01-01"}}, "changes.visit_date", id="date"),
    pytest.param({"good_practice": "At the top level"}, "good_practice", id="unknown-key"),
    pytest.param({"answers": "yes"}, "answers", id="answers-string"),
    pytest.param({"answers": [{"value": "yes"}]}, "answers.0.question", id="no-question"),
    pytest.param(
        {"answers": [{"question": "abc", "value": "yes"}]}, "answers.0.question", id="q-abc"
    ),
    pytest.param(
        {"answers": [{"question": 2**70, "value": "yes"}]}, "answers.0.question", id="q-huge"
    ),
    pytest.param({"custody_numbers": {"1": "WY-1"}}, "custody_numbers", id="numbers-dict"),
    # The rules of the steps.
    pytest.param({"changes": {"in_custody": 10}}, "changes.in_custody", id="numbers-disagree"),
    pytest.param({"changes": {"nv_access_denied": 1, "nv_asleep": 0}}, "changes", id="denied"),
    pytest.param({"changes": {"delay_minutes": 30}}, "changes.delay_reason", id="no-reason"),
    pytest.param(
        {"changes": {"delay_reason": "Fight in the cells"}}, "changes.delay_reason", id="no-delay"
    ),
    pytest.param({"changes": {"outcome": "abandoned"}}, "changes.abandoned_reason", id="abandoned"),
    pytest.param(
        {"changes": {"abandoned_reason": "Closed"}}, "changes.abandoned_reason", id="not-abandoned"
    ),
    pytest.param({"changes": {"sergeant_name": "  "}}, "changes.sergeant_name", id="no-sergeant"),
    pytest.param({"changes": {"admitted_at": None}}, "changes.admitted_at", id="never-let-in"),
]


@pytest.mark.parametrize(("body", "path"), BAD_BODIES + _wrong_values())
def test_bad_input_is_400_naming_the_field_and_changes_nothing(api, report, body, path):
    before = state(report)
    response = amend(api, report, body)
    assert response.status_code == 400, response.content
    data = response.json()
    assert set(data) == {"code", "detail", "fields"}
    assert any(name == path or name.startswith(path + ".") for name in data["fields"]), data
    assert state(report) == before


def _times(report):
    arrived, admitted, departed = report.arrived_at, report.admitted_at, report.departed_at
    hour = datetime.timedelta(hours=1)
    return [
        ({"admitted_at": iso(arrived - hour / 4)}, "changes.admitted_at"),
        ({"departed_at": iso(admitted - hour / 12)}, "changes.departed_at"),
        ({"arrived_at": iso(departed + hour / 6)}, "changes.arrived_at"),
        ({"admitted_at": iso(departed + hour), "departed_at": iso(arrived)}, "changes.departed_at"),
        ({"departed_at": iso(timezone.now() + datetime.timedelta(hours=2))}, "changes.departed_at"),
        ({"arrived_at": iso(arrived - datetime.timedelta(days=1))}, "changes.arrived_at"),
        ({"departed_at": iso(arrived + datetime.timedelta(hours=30))}, "changes.departed_at"),
        ({"arrived_at": "2026-01-01T10:00:00+25:00"}, "changes.arrived_at"),
        ({"arrived_at": "0001-01-01T00:00:00Z"}, "changes.arrived_at"),
    ]


def test_times_out_of_order_in_the_future_or_off_the_day_are_400(api, report):
    for changes, path in _times(report):
        before = state(report)
        response = amend(api, report, {"changes": changes})
        assert response.status_code == 400, (changes, response.content)
        assert path in response.json()["fields"], (changes, response.json())
        assert state(report) == before


def _answers(report):
    """Answers that break a rule, each with the path of the problem."""
    suite_yes_no = first_question(report.suite_checklist_id)
    detainee_q = first_question(report.detainee_checklist_id)
    suffolk_q = (
        Question.objects.filter(section__version__template__scheme__slug="suffolk")
        .order_by("pk")
        .first()
    )
    other = make_visit(visitors=[persona("visitor"), persona("partner")], detainees=1)
    mine = detainee(report)
    return [
        ({"question": suite_yes_no.pk, "value": "maybe"}, "answers.0.value"),
        ({"question": suite_yes_no.pk, "value": 5}, "answers.0.value"),
        ({"question": suite_yes_no.pk, "value": {"v": "yes"}}, "answers.0.value"),
        ({"question": suite_yes_no.pk, "note": "x" * 2001}, "answers.0.note"),
        ({"question": suite_yes_no.pk, "value": "x" * 201}, "answers.0.value"),
        ({"question": suite_yes_no.pk}, "answers.0"),
        ({"question": detainee_q.pk, "value": "yes"}, "answers.0.question"),  # not a suite one
        (
            {"question": suite_yes_no.pk, "value": "yes", "detainee": mine.pk},
            "answers.0.question",
        ),
        ({"question": suffolk_q.pk, "value": "yes"}, "answers.0.question"),  # another scheme
        ({"question": 999_999_999, "value": "yes"}, "answers.0.question"),
        (
            {"question": detainee_q.pk, "value": "yes", "detainee": other.detainees.get().pk},
            "answers.0.detainee",
        ),  # a detainee of another visit
        ({"question": detainee_q.pk, "value": "yes", "detainee": 2**62}, "answers.0.detainee"),
        ({"question": detainee_q.pk, "value": "yes", "detainee": "one"}, "answers.0.detainee"),
    ]


def test_answers_that_break_a_rule_are_400(api, report):
    for answer, path in _answers(report):
        before = state(report)
        response = amend(api, report, {"answers": [answer]})
        assert response.status_code == 400, (answer, response.content)
        assert path in response.json()["fields"], (answer, response.json())
        assert state(report) == before


def test_an_answer_given_twice_is_400(api, report):
    question = first_question(report.suite_checklist_id)
    twice = [{"question": question.pk, "value": "no"}, {"question": question.pk, "value": "na"}]
    before = state(report)
    response = amend(api, report, {"answers": twice})
    assert response.status_code == 400 and "answers.1.question" in response.json()["fields"]
    assert state(report) == before


@pytest.mark.parametrize(
    ("answer_type", "value", "allowed"),
    [
        ("yes_no", "yes", True),
        ("yes_no", "not_asked", True),
        ("yes_no", "Yes", False),
        ("choice", "Clean", True),
        ("choice", "Sticky", False),
        ("number", "12", True),
        ("number", "-5", False),
        ("number", "1.5", False),
        ("number", "٣", False),
        ("number", "1" * 10, False),
        ("text", "Anything short", True),
        ("yes_no", "", True),  # not answered
    ],
)
def test_an_answer_must_be_one_its_question_takes(answer_type, value, allowed):
    # Published checklists cannot be changed, so the rule is asked of a question in memory.
    question = Question(text="Cell clean?", answer_type=answer_type, choices=["Clean", "Dirty"])
    assert (amendments._answer_problem(question, value) is None) == allowed


def test_custody_numbers_keep_the_schemes_format_and_stay_once_per_report(api, report):
    other = make_visit(visitors=[persona("visitor"), persona("partner")], detainees=1)
    mine = detainee(report).pk
    for change, path in [
        ({"detainee": mine, "custody_number": "John Smith"}, "custody_numbers.0.custody_number"),
        ({"detainee": mine, "custody_number": "WY 1234"}, "custody_numbers.0.custody_number"),
        ({"detainee": mine, "custody_number": "WY-00002-26"}, "custody_numbers.0.custody_number"),
        ({"detainee": mine, "custody_number": "W" * 41}, "custody_numbers.0.custody_number"),
        ({"detainee": mine, "custody_number": None}, "custody_numbers.0.custody_number"),
        (
            {"detainee": other.detainees.get().pk, "custody_number": "WY-00005-26"},
            "custody_numbers.0.detainee",
        ),
        ({"custody_number": "WY-00005-26"}, "custody_numbers.0.detainee"),
    ]:
        before = state(report)
        response = amend(api, report, {"custody_numbers": [change]})
        assert response.status_code == 400, (change, response.content)
        assert path in response.json()["fields"], (change, response.json())
        assert state(report) == before


def test_the_service_refuses_bad_types_from_any_caller(report):
    """The service is the one validation: a caller that skips the form or serializer gets a
    DomainError naming the field, never a TypeError or a stored absurdity."""
    manager = persona("manager")
    for kwargs, path in [
        ({"changes": {"delay_minutes": "abc"}}, "changes.delay_minutes"),
        ({"changes": {"delay_minutes": 10**12}}, "changes.delay_minutes"),
        ({"changes": {"arrived_at": datetime.datetime(2026, 1, 1, 10)}}, "changes.arrived_at"),
        ({"changes": {"good_practice": ["a"]}}, "changes.good_practice"),
        (
            {"answers": [amendments.AnswerAmendment(question="1", value="yes")]},
            "answers.0.question",
        ),
        ({"answers": [amendments.AnswerAmendment(question=1, value=5)]}, "answers.0.value"),
        (
            {"custody_numbers": [amendments.CustodyNumberAmendment(detainee(report).pk, 5)]},
            "custody_numbers.0.custody_number",
        ),
        (
            {"custody_numbers": [amendments.CustodyNumberAmendment(2**80, "WY-00009-26")]},
            "custody_numbers.0.detainee",
        ),
    ]:
        before = state(report)
        with pytest.raises(DomainError) as error:
            amendments.amend_visit(actor=manager, visit=report, reason="Typo", **kwargs)
        assert path in error.value.fields, (kwargs, error.value.fields)
        assert error.value.status == 400
        assert state(report) == before


def test_a_draft_is_not_amended(api, db):
    draft = make_visit(visitors=[persona("visitor"), persona("partner")], status="draft")
    with pytest.raises(DomainError) as error:
        amendments.amend_visit(
            actor=persona("visitor"), visit=draft, reason="x", changes={"good_practice": "y"}
        )
    assert error.value.code == "visit_is_draft"


# --- Valid amendments, through both doors ---------------------------------------------------


def _valid(report) -> list[tuple[dict, dict]]:
    """(API body, {path: [before, after]} expected in Amendment.changes), one of each kind."""
    minute = datetime.timedelta(minutes=1)
    suite_q = first_question(report.suite_checklist_id)
    detainee_q = first_question(report.detainee_checklist_id)
    mine = detainee(report).pk
    utc = lambda moment: moment.astimezone(datetime.UTC).isoformat()  # noqa: E731
    return [
        (
            {"changes": {"arrived_at": iso(report.arrived_at - 5 * minute)}},
            {"arrived_at": [utc(report.arrived_at), utc(report.arrived_at - 5 * minute)]},
        ),
        (
            {"changes": {"admitted_at": iso(report.admitted_at + 10 * minute)}},
            {"admitted_at": [utc(report.admitted_at), utc(report.admitted_at + 10 * minute)]},
        ),
        (
            {"changes": {"departed_at": iso(report.departed_at + 30 * minute)}},
            {"departed_at": [utc(report.departed_at), utc(report.departed_at + 30 * minute)]},
        ),
        (
            {"changes": {"sergeant_name": "PS 2001 Okafor"}},
            {"sergeant_name": ["PS 1234 Hart", "PS 2001 Okafor"]},
        ),
        (
            {"changes": {"in_custody": 4, "nv_asleep": 1, "nv_in_interview": 1}},
            {"in_custody": [3, 4], "nv_in_interview": [0, 1]},
        ),
        (
            {
                "changes": {
                    "delay_minutes": 45,
                    "delay_reason": "Disturbance in the cell block",
                    "delay_authorised_by": "Insp 402 Grant",
                }
            },
            {
                "delay_minutes": [0, 45],
                "delay_reason": ["", "Disturbance in the cell block"],
                "delay_authorised_by": ["", "Insp 402 Grant"],
            },
        ),
        (
            {"changes": {"outcome": "unsatisfactory"}},
            {"outcome": ["satisfactory", "unsatisfactory"]},
        ),
        (
            {"changes": {"good_practice": "Food well stocked", "sergeant_comments": "Thanks"}},
            {"good_practice": ["", "Food well stocked"], "sergeant_comments": ["", "Thanks"]},
        ),
        (
            {"answers": [{"question": suite_q.pk, "value": "no", "note": "Cell 3 bell dead"}]},
            {
                f"suite_answers.{suite_q.pk}.value": ["yes", "no"],
                f"suite_answers.{suite_q.pk}.note": ["", "Cell 3 bell dead"],
            },
        ),
        (
            {"answers": [{"detainee": mine, "question": detainee_q.pk, "note": NOTE}]},
            {f"detainees.{mine}.answers.{detainee_q.pk}.note": ["", NOTE]},
        ),
        (
            {"answers": [{"detainee": mine, "question": detainee_q.pk, "value": ""}]},
            {f"detainees.{mine}.answers.{detainee_q.pk}.value": ["yes", ""]},
        ),
        (
            {"custody_numbers": [{"detainee": mine, "custody_number": "wy-00077-26 "}]},
            {f"detainees.{mine}.custody_number": ["WY-00001-26", "WY-00077-26"]},
        ),
    ]


def test_each_kind_of_amendment_through_the_api(api, report):
    cases = _valid(report)
    for body, expected in cases:
        report.refresh_from_db()
        revision = report.revision
        response = amend(api, report, body)
        assert response.status_code == 200, (body, response.content)
        assert response.json()["revision"] == revision + 1
        amendment = Amendment.objects.filter(visit=report).latest("pk")
        assert amendment.changes == expected, body
        assert amendment.revision == revision + 1
        assert amendment.actor == persona("visitor")
    report.refresh_from_db()
    assert report.sergeant_name == "PS 2001 Okafor" and report.delay_minutes == 45
    assert report.in_custody == 4 and report.outcome == "unsatisfactory"
    kept = detainee(report, "WY-00077-26").answers.get(
        question=first_question(report.detainee_checklist_id)
    )
    assert (kept.value, kept.note) == ("", NOTE)  # the answer taken back, its note kept
    assert Amendment.objects.filter(visit=report).count() == len(cases)


def test_nothing_changed_is_no_amendment(api, report):
    response = amend(api, report, {"changes": {"sergeant_name": report.sergeant_name}})
    assert response.status_code == 200 and response.json()["revision"] == report.revision
    assert not Amendment.objects.exists()


def test_times_are_amended_through_the_page(client, report):
    client.force_login(persona("manager"))
    later = report.departed_at + datetime.timedelta(minutes=20)
    response = amend_page(
        client,
        report,
        arrived_at=local_input(report.arrived_at - datetime.timedelta(minutes=3)),
        departed_at=local_input(later),
        sergeant_name="PS 77 Lane",
    )
    assert response.status_code == 302, response.context["form"].errors
    amendment = Amendment.objects.get(visit=report)
    assert set(amendment.changes) == {"arrived_at", "departed_at", "sergeant_name"}
    assert amendment.changes["sergeant_name"] == ["PS 1234 Hart", "PS 77 Lane"]
    assert amendment.revision == report.revision + 1
    report.refresh_from_db()
    assert report.departed_at == later and report.admitted_at is not None
    page = client.get(reverse("visit-report", args=[report.uuid])).content.decode()
    assert "PS 77 Lane" in page and "Time left" in page


def test_numbers_delay_outcome_and_text_through_the_page(client, report):
    client.force_login(persona("visitor"))
    response = amend_page(
        client,
        report,
        in_custody=5,
        nv_asleep=1,
        nv_at_hospital=2,
        delay_minutes=20,
        delay_reason="Cell search",
        delay_authorised_by="Insp 9 Moss",
        outcome="unsatisfactory",
        good_practice="Food well stocked",
    )
    assert response.status_code == 302, response.context["form"].errors
    changes = Amendment.objects.get(visit=report).changes
    assert changes["in_custody"] == [3, 5] and changes["nv_at_hospital"] == [0, 2]
    assert changes["delay_minutes"] == [0, 20] and changes["outcome"][1] == "unsatisfactory"
    assert "admitted_at" not in changes  # minutes shown, seconds kept: not a change


def test_the_page_shows_the_services_problems_by_their_fields(client, report):
    client.force_login(persona("visitor"))
    before = state(report)
    response = amend_page(
        client,
        report,
        in_custody=9,
        admitted_at=local_input(report.arrived_at - datetime.timedelta(minutes=30)),
        delay_minutes=99999,
    )
    assert response.status_code == 400  # refused: the page again, with its errors
    assert "delay_minutes" in response.context["form"].errors  # the form's bound, first
    response = amend_page(
        client,
        report,
        in_custody=9,
        admitted_at=local_input(report.arrived_at - datetime.timedelta(minutes=30)),
    )
    errors = response.context["form"].errors
    assert {"in_custody", "admitted_at"} <= set(errors), errors
    assert "There is a problem" in response.content.decode()
    response = amend_page(client, report, reason="")
    assert "reason" in response.context["form"].errors
    assert state(report) == before


def test_answers_and_custody_number_through_the_page(client, report):
    client.force_login(persona("manager"))
    suite_q = first_question(report.suite_checklist_id)
    response = amend_page(
        client, report, "suite", **{f"q_{suite_q.pk}": "no", f"note_{suite_q.pk}": "Bell dead"}
    )
    assert response.status_code == 302, response.context["form"].errors
    assert Amendment.objects.latest("pk").changes == {
        f"suite_answers.{suite_q.pk}.value": ["yes", "no"],
        f"suite_answers.{suite_q.pk}.note": ["", "Bell dead"],
    }
    mine = detainee(report)
    detainee_q = first_question(report.detainee_checklist_id)
    response = amend_page(
        client,
        report,
        f"detainee-{mine.pk}",
        custody_number="WY-00088-26",
        **{f"note_{detainee_q.pk}": NOTE},
    )
    assert response.status_code == 302, response.context["form"].errors
    assert Amendment.objects.latest("pk").changes == {
        f"detainees.{mine.pk}.custody_number": ["WY-00001-26", "WY-00088-26"],
        f"detainees.{mine.pk}.answers.{detainee_q.pk}.note": ["", NOTE],
    }
    mine.refresh_from_db()
    assert mine.custody_number == "WY-00088-26"
    assert Answer.objects.get(detainee=mine, question=detainee_q).note == NOTE


def test_the_page_refuses_a_bad_answer_and_number_by_their_fields(client, report):
    client.force_login(persona("visitor"))
    mine = detainee(report)
    before = state(report)
    response = amend_page(client, report, f"detainee-{mine.pk}", custody_number="John Smith")
    assert response.status_code == 400  # refused: the page again, with its errors
    assert "looks like a name" in str(response.context["form"].errors["custody_number"])
    response = amend_page(client, report, f"detainee-{mine.pk}", custody_number="WY-00002-26")
    assert "already on this report" in str(response.context["form"].errors["custody_number"])
    assert state(report) == before
    assert client.get(reverse("visit-amend", args=[report.uuid]) + "?part=bogus").status_code == 404
    other = make_visit(visitors=[persona("visitor"), persona("partner")], detainees=1)
    part = f"?part=detainee-{other.detainees.get().pk}"
    assert client.get(reverse("visit-amend", args=[report.uuid]) + part).status_code == 404


def test_the_amend_page_lists_every_part_with_labels(client, report):
    client.force_login(persona("visitor"))
    page = client.get(reverse("visit-amend", args=[report.uuid])).content.decode()
    assert 'name="revision"' in page and f'value="{report.revision}"' in page
    for text in ("Time you arrived", "Custody sergeant&#x27;s rank and name", "Suite checks"):
        assert text in page
    assert "Detainee WY-00001-26" in page and 'for="id_delay_minutes"' in page


# --- Revisions ------------------------------------------------------------------------------


def test_a_stale_revision_is_409_on_the_api_and_the_other_amendment_stays(api, report):
    read_at = report.revision
    first = amend(api, report, {"changes": {"good_practice": "Clean cells"}}, revision=read_at)
    assert first.status_code == 200
    second = amend(api, report, {"changes": {"good_practice": "Dirty cells"}}, revision=read_at)
    assert second.status_code == 409 and second.json()["code"] == "stale_revision"
    report.refresh_from_db()
    assert report.good_practice == "Clean cells" and report.revision == read_at + 1
    assert Amendment.objects.filter(visit=report).count() == 1
    missing = post_json(
        api, f"/api/visits/{report.uuid}/amend/", {"reason": "x", "changes": {"good_practice": "y"}}
    )
    assert missing.status_code == 400 and "revision" in missing.json()["fields"]


def test_a_stale_page_form_is_409_and_does_not_revert_the_other_amendment(client, report):
    client.force_login(persona("visitor"))
    url = reverse("visit-amend", args=[report.uuid])
    data = form_data(client.get(url).context["form"])
    amendments.amend_visit(
        actor=persona("manager"),
        visit=report,
        reason="Sergeant's name misspelt",
        changes={"sergeant_name": "PS 1234 Harte"},
        expected_revision=report.revision,
    )
    response = client.post(url, data | {"reason": "Good practice", "good_practice": "Warm food"})
    assert response.status_code == 409
    assert "Someone else amended this report" in response.content.decode()
    report.refresh_from_db()
    assert report.sergeant_name == "PS 1234 Harte" and report.good_practice == ""
    assert Amendment.objects.filter(visit=report).count() == 1
    suite = client.get(url + "?part=suite")  # the answers' forms carry it too
    assert 'name="revision"' in suite.content.decode()
    without = {k: v for k, v in data.items() if k != "revision"}
    response = client.post(url, without | {"reason": "Again", "good_practice": "Warm food"})
    assert response.status_code == 400 and response.context["form"].non_field_errors()
    report.refresh_from_db()
    assert report.good_practice == ""


# --- Readers -------------------------------------------------------------------------------


def text_of(response) -> str:
    body = response.content
    if response["Content-Type"].startswith("application/pdf"):
        return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(body)).pages)
    return body.decode()


def _squeezed(text: str) -> str:
    """Without whitespace: a PDF may break a value across lines."""
    return "".join(text.split())


@pytest.fixture
def amended(report):
    """The manager corrects detainee 1's number (naming it in the reason) and a note."""
    mine = detainee(report)
    question = first_question(report.detainee_checklist_id)
    amendments.amend_visit(
        actor=persona("manager"),
        visit=report,
        reason="WY-00001-26 was misread: it is WY-00077-26",
        custody_numbers=[amendments.CustodyNumberAmendment(mine.pk, "WY-00077-26")],
        answers=[amendments.AnswerAmendment(question.pk, note=NOTE, detainee=mine.pk)],
        changes={"good_practice": "Food well stocked"},
        expected_revision=report.revision,
    )
    return report


def _doors(visit):
    return [
        reverse("visit-report", args=[visit.uuid]),
        reverse("visit-pdf", args=[visit.uuid]),
        f"/api/visits/{visit.uuid}/",
        f"/api/visits/{visit.uuid}/pdf/",
    ]


def test_the_pcc_reader_sees_no_amended_custody_number_or_answer(client, amended):
    client.force_login(persona("pcc"))
    for url in _doors(amended):
        response = client.get(url)
        assert response.status_code == 200, url
        body = _squeezed(text_of(response))
        for secret in ("WY-00001-26", "WY-00077-26", NOTE):
            assert _squeezed(secret) not in body, (url, secret)
    page = client.get(reverse("visit-report", args=[amended.uuid])).content.decode()
    assert "Food well stocked" in page  # the rest of the amendment is theirs to read
    assert "A detainee&#x27;s record" in page and "(hidden) was misread" in page


def test_those_who_may_see_detainees_read_the_amendment_whole(client, amended):
    for who in ("manager", "visitor", "force"):
        client.force_login(persona(who))
        page = client.get(reverse("visit-report", args=[amended.uuid])).content.decode()
        assert "WY-00001-26" in page and "WY-00077-26" in page and NOTE in page, who
        pdf = _squeezed(text_of(client.get(reverse("visit-pdf", args=[amended.uuid]))))
        assert "WY-00077-26" in pdf and _squeezed(NOTE) in pdf, who


def test_after_retention_no_reader_is_shown_what_an_amendment_kept_of_a_detainee(client, amended):
    from visits.services import retention

    retention.apply(today=amended.visit_date + datetime.timedelta(days=5 * 365))
    mine = amended.detainees.order_by("pk").first()
    assert mine.anonymised_at is not None
    client.force_login(persona("manager"))
    for url in _doors(amended)[:2]:
        body = _squeezed(text_of(client.get(url)))
        for secret in ("WY-00001-26", "WY-00077-26", NOTE):
            assert _squeezed(secret) not in body, (url, secret)
    question = first_question(amended.detainee_checklist_id)
    with pytest.raises(DomainError) as error:
        amendments.amend_visit(
            actor=persona("manager"),
            visit=amended,
            reason="Put the note back",
            answers=[amendments.AnswerAmendment(question.pk, note=NOTE, detainee=mine.pk)],
        )
    assert "answers.0.detainee" in error.value.fields


# --- The national return -----------------------------------------------------------------


def test_the_national_return_cannot_receive_an_absurd_delay(api, report):
    period = Period.containing(report.visit_date)
    for body in (
        {"changes": {"delay_minutes": 10**12, "delay_reason": "x", "delay_authorised_by": "y"}},
        {"changes": {"delay_minutes": 1441, "delay_reason": "x", "delay_authorised_by": "y"}},
    ):
        assert amend(api, report, body).status_code == 400
    with pytest.raises(DomainError):
        amendments.amend_visit(
            actor=persona("manager"),
            visit=report,
            reason="x",
            changes={"delay_minutes": 10**12, "delay_reason": "x", "delay_authorised_by": "y"},
        )
    row = dict(zip(_columns(), national_return_row(summarise(report.scheme, period)), strict=True))
    assert row["delay_longest"] == 0
    body = {
        "changes": {"delay_minutes": 40, "delay_reason": "Fight", "delay_authorised_by": "Insp"}
    }
    assert amend(api, report, body).status_code == 200
    row = dict(zip(_columns(), national_return_row(summarise(report.scheme, period)), strict=True))
    assert row["delay_longest"] == 40


def _columns():
    from visits.summaries import NATIONAL_RETURN_COLUMNS

    return NATIONAL_RETURN_COLUMNS


def test_the_api_schema_types_each_kind_of_change(client, db):
    client.force_login(persona("visitor"))
    schema = client.get("/api/schema/?format=json")
    assert schema.status_code == 200
    components = json.loads(schema.content)["components"]["schemas"]
    amendment = components["AmendmentRequest"]
    assert set(amendment["required"]) == {"reason", "revision"}
    assert amendment["properties"]["reason"]["maxLength"] == 2000
    fields = components["AmendedFieldsRequest"]["properties"]
    assert fields["delay_minutes"]["maximum"] == 1440 and fields["in_custody"]["maximum"] == 999
    assert fields["arrived_at"]["format"] == "date-time"


def test_amended_good_practice_that_may_name_someone_is_refused_by_every_door(client, api, report):
    """As when it is first written: good practice is published in the PCC's reports."""
    response = amend(api, report, {"changes": {"good_practice": "PC Jones was kind to cell 3."}})
    assert response.status_code == 400
    assert response.json()["code"] == "may_name_someone"
    assert "PC Jones" in response.json()["fields"]["changes.good_practice"]
    report.refresh_from_db()
    assert "Jones" not in report.good_practice and not report.amendments.exists()
    # The page shows the warning and the box; ticked, the amendment is kept.
    page = amend_page(client, report, good_practice="Sgt Patel checked every cell.")
    html = page.content.decode()
    assert page.status_code == 400 and "Sgt Patel" in html
    assert "I have checked: this names no one" in html
    page = amend_page(
        client, report, good_practice="Sgt Patel checked every cell.", names_checked="on"
    )
    assert page.status_code == 302
    report.refresh_from_db()
    assert report.good_practice == "Sgt Patel checked every cell."
    # Through the API with the same flag.
    response = amend(
        api,
        report,
        {"changes": {"good_practice": "Dr Khan saw everyone quickly."}, "names_checked": True},
    )
    assert response.status_code == 200, response.json()
