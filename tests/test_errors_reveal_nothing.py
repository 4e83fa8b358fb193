"""Errors never reveal what the caller cannot see (issue 15, item 3).

A person id, suite, checklist version, question or visit outside what the caller may see is
refused with the same answer as one that does not exist: no names, no suites, nothing that tells
"someone else's" from "nobody's". Each check sends the same request with every such id in turn
and compares the answers' status and whole body, with the id itself masked.
"""

import datetime
import re
import uuid

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from tests.conftest import persona
from tests.factories import make_visit, question_ids, suite, whole_report
from visits.errors import DomainError
from visits.models import CustodySuite, Issue, Membership, Question, Visit, VisitVisitor
from visits.services import checklists
from visits.services import visits as service

pytestmark = pytest.mark.django_db
User = get_user_model()

ARRIVED = (timezone.now() - datetime.timedelta(hours=2)).replace(microsecond=0)
SUFFOLK_SUITE = "Martlesham"
SUFFOLK_NUMBER = "MH/00401/26"


# --- Helpers ------------------------------------------------------------------------------------


def members_of(slug: str):
    return User.objects.filter(
        pk__in=Membership.objects.filter(scheme__slug=slug).values("user_id")
    )


def visiting_members_of(slug: str):
    """Whom a visitor of the scheme may see (visits.permissions.scope_memberships)."""
    return User.objects.filter(
        pk__in=Membership.objects.visiting().filter(scheme__slug=slug).values("user_id")
    )


def hidden_from_outsider() -> list:
    """Everyone the Suffolk visitor may not see: Norfolk's people (but no one who also visits
    in Suffolk) and Suffolk's people who are not visiting members."""
    suffolk_visiting = visiting_members_of("suffolk")
    norfolk = members_of("norfolk").exclude(pk__in=suffolk_visiting)
    suffolk_others = members_of("suffolk").exclude(pk__in=suffolk_visiting)
    people = list((norfolk | suffolk_others).distinct().order_by("pk"))
    assert len(people) > 10 and persona("manager") in people and persona("visitor") in people
    return people


def hidden_from_norfolk_visitor() -> list:
    """Norfolk's people who are not visiting members (the manager, the PCC reader, the force
    lead...) and everyone in Suffolk."""
    norfolk_visiting = visiting_members_of("norfolk")
    people = list(
        (members_of("norfolk") | members_of("suffolk"))
        .exclude(pk__in=norfolk_visiting)
        .distinct()
        .order_by("pk")
    )
    assert {persona("force"), persona("pcc"), persona("outsider")} <= set(people)
    assert persona("walter.clarke") in people  # a visitor who has left
    return people


def missing_ids() -> list[int]:
    top = User.objects.order_by("-pk").first().pk
    return [top + 1, top + 977, 2_000_000_000]


def masked(response, *values) -> tuple[int, str]:
    """The answer with each of `values` (an id, a uuid) replaced by a placeholder."""
    text = response.content.decode()
    for value in values:
        text = re.sub(rf"(?<![\w.-]){re.escape(str(value))}(?![\w.-])", "<id>", text)
    return response.status_code, text


def assert_names_absent(text: str, people, baseline: str | None = None) -> None:
    """No full name of these people in `text`, and no username: one with a dot never, a plain
    word ("visitor", "manager") no more often than in `baseline`, the answer for a nonexistent
    id, where it is an ordinary word of the message (not checked without a baseline)."""
    for person in people:
        name = person.get_full_name()
        assert not name or name not in text, f"{name} named in {text}"
        word = rf"(?<![\w.]){re.escape(person.username)}(?![\w.])"
        if "." in person.username:
            assert not re.search(word, text), f"{person.username} named in {text}"
        elif baseline is not None:
            assert len(re.findall(word, text)) <= len(re.findall(word, baseline)), (
                f"{person.username} named in {text}"
            )


def assert_same_answers(answers: dict, people, baseline_key) -> None:
    """Every answer (status, masked body) is the baseline's, and none names anyone."""
    baseline = answers[baseline_key]
    assert baseline[0] >= 400, baseline
    for key, answer in answers.items():
        assert_names_absent(answer[1], people, baseline[1])
        assert answer == baseline, f"{key}: {answer} differs from {baseline_key}: {baseline}"


def post(client, path, data):
    return client.post(path, data, content_type="application/json")


def put_report(client, body, key=None):
    key = key or uuid.uuid4()
    return client.put(f"/api/visits/{key}/report/", body, content_type="application/json")


def start_body(suite_name: str, co_visitors: list, **extra) -> dict:
    return {
        "suite": suite(suite_name).pk,
        "co_visitors": co_visitors,
        "arrived_at": ARRIVED.isoformat(),
        **extra,
    }


def outsider_report(**overrides) -> dict:
    return whole_report(
        visitor=persona("outsider"),
        partner=persona("suffolk.visitor1"),
        suite_name=SUFFOLK_SUITE,
        detainees=(SUFFOLK_NUMBER,),
        **overrides,
    )


def visitor_report(**overrides) -> dict:
    return whole_report(visitor=persona("visitor"), partner=persona("partner"), **overrides)


def co_visitor_answers(client, people, suite_name, report) -> dict:
    """Each id as the only co-visitor: starting a visit, and sending a whole report."""
    answers = {}
    for pk in [*(p.pk for p in people), *missing_ids()]:
        started = post(client, "/api/visits/", start_body(suite_name, [pk]))
        sent = put_report(client, report(co_visitors=[pk]))
        answers[("start", pk)] = masked(started, pk)
        answers[("report", pk)] = masked(sent, pk)
    return answers


def split(answers: dict, kind: str, pks) -> dict:
    return {key: value for key, value in answers.items() if key[0] == kind and key[1] in pks}


# --- Co-visitors ---------------------------------------------------------------------------------


@pytest.fixture
def outsider_client(client):
    client.force_login(persona("outsider"))
    return client


@pytest.fixture
def visitor_client(client):
    client.force_login(persona("visitor"))
    return client


def test_a_co_visitor_the_outsider_cannot_see_is_refused_without_a_name(outsider_client):
    people = hidden_from_outsider()
    answers = co_visitor_answers(outsider_client, people, SUFFOLK_SUITE, outsider_report)
    hidden = {p.pk for p in people}
    for kind in ("start", "report"):
        mine = split(answers, kind, hidden)
        assert_same_answers(mine, people, (kind, persona("manager").pk))
        assert answers[(kind, persona("manager").pk)][0] == 400
    assert not Visit.objects.exists()


def test_a_co_visitor_the_outsider_cannot_see_is_answered_as_one_who_does_not_exist(
    outsider_client,
):
    people = hidden_from_outsider()
    answers = co_visitor_answers(outsider_client, people, SUFFOLK_SUITE, outsider_report)
    for kind in ("start", "report"):
        mine = {key: value for key, value in answers.items() if key[0] == kind}
        assert_same_answers(mine, people, (kind, missing_ids()[0]))
    # Beside a real partner, nobody's id is refused as someone else's is (not dropped).
    partner = persona("suffolk.visitor1").pk
    for pk in (persona("manager").pk, missing_ids()[0]):
        started = post(outsider_client, "/api/visits/", start_body(SUFFOLK_SUITE, [partner, pk]))
        sent = put_report(outsider_client, outsider_report(co_visitors=[partner, pk]))
        assert masked(started, pk) == answers[("start", pk)]
        assert masked(sent, pk) == answers[("report", pk)]
    assert not Visit.objects.exists()


def test_a_visitor_is_not_told_the_names_of_members_who_do_not_visit(visitor_client):
    people = hidden_from_norfolk_visitor()
    answers = co_visitor_answers(visitor_client, people, "Wymondham", visitor_report)
    hidden = {p.pk for p in people}
    for kind in ("start", "report"):
        mine = split(answers, kind, hidden)
        assert_same_answers(mine, people, (kind, persona("force").pk))
        assert answers[(kind, persona("pcc").pk)] == answers[(kind, persona("force").pk)]
        assert answers[(kind, persona("outsider").pk)] == answers[(kind, persona("force").pk)]
    assert not Visit.objects.exists()


def test_a_member_who_does_not_visit_is_answered_as_one_who_does_not_exist(visitor_client):
    people = hidden_from_norfolk_visitor()
    answers = co_visitor_answers(visitor_client, people, "Wymondham", visitor_report)
    for kind in ("start", "report"):
        mine = {key: value for key, value in answers.items() if key[0] == kind}
        assert_same_answers(mine, people, (kind, missing_ids()[0]))


def refusal(error, pk) -> tuple:
    """A DomainError as the API would show it, with the id masked."""

    def mask(text: str) -> str:
        return re.sub(rf"(?<![\w.-]){pk}(?![\w.-])", "<id>", text)

    return error.code, mask(error.message), {k: mask(v) for k, v in error.fields.items()}


@pytest.mark.parametrize(
    ("actor", "suite_name", "hidden"),
    [
        ("outsider", SUFFOLK_SUITE, hidden_from_outsider),
        ("visitor", "Wymondham", hidden_from_norfolk_visitor),
    ],
)
def test_the_service_refuses_hidden_and_missing_ids_alike(actor, suite_name, hidden):
    """Given the ids themselves (as the API should pass them), the service answers someone
    the actor cannot see exactly as it answers an id that matches nobody."""
    actor, people = persona(actor), hidden()
    answers = {}
    for pk in [*(p.pk for p in people), *missing_ids(), 10**30]:
        with pytest.raises(DomainError) as error:
            service.start_visit(
                actor=actor, suite=suite(suite_name), co_visitors=[pk], arrived_at=ARRIVED
            )
        answers[pk] = refusal(error.value, pk)
    baseline = answers[missing_ids()[0]]
    assert baseline[0] == "visitor_not_in_scheme"
    for pk, answer in answers.items():
        assert_names_absent(str(answer), people, str(baseline))
        assert answer == baseline, (pk, answer)
    assert not Visit.objects.exists()


def test_the_service_refuses_confirmations_from_hidden_and_missing_ids_alike():
    visitor, partner = persona("visitor"), persona("partner")
    visit = make_visit(visitors=[visitor, partner], status="draft")
    people = hidden_from_norfolk_visitor()
    answers = {}
    for pk in [*(p.pk for p in people), *missing_ids()]:
        sign_off = service.SignOff(
            departed_at=visit.arrived_at + datetime.timedelta(hours=1),
            outcome=Visit.Outcome.SATISFACTORY,
            sergeant_name="PS 1 Hart",
            sergeant_confirmed=True,
            confirmed_by=[visitor.pk, partner.pk, pk],
        )
        with pytest.raises(DomainError) as error:
            service.record_sign_off(actor=visitor, visit=visit, sign_off=sign_off)
        answers[pk] = refusal(error.value, pk)
    baseline = answers[missing_ids()[0]]
    assert baseline[0] == "sign_off_invalid" and "confirmed_by" in baseline[2]
    for pk, answer in answers.items():
        assert_names_absent(str(answer), people, str(baseline))
        assert answer == baseline, (pk, answer)
    assert not visit.visit_visitors.filter(confirmed_at__isnull=False).exists()


def test_a_co_visitor_beside_a_real_partner_is_answered_alike(outsider_client):
    """With a real partner too, someone hidden and nobody get the same status (no visit made
    with a stranger on it, and no stranger's name in the answer)."""
    people = hidden_from_outsider()
    partner = persona("suffolk.visitor1")
    statuses = set()
    for pk in [persona("manager").pk, persona("force").pk, persona("suffolk.force").pk]:
        started = post(outsider_client, "/api/visits/", start_body(SUFFOLK_SUITE, [partner.pk, pk]))
        sent = put_report(outsider_client, outsider_report(co_visitors=[partner.pk, pk]))
        for answer in (started, sent):
            assert_names_absent(answer.content.decode(), people)
            statuses.add(answer.status_code)
    assert statuses == {400}
    assert not VisitVisitor.objects.filter(user__in=people).exists()


def test_confirmations_from_people_not_on_the_visit_say_nothing_of_them(outsider_client):
    people = hidden_from_outsider()
    outsider, partner = persona("outsider"), persona("suffolk.visitor1")
    answers = {}
    for pk in [*(p.pk for p in people), *missing_ids()]:
        body = outsider_report()
        body["sign_off"]["confirmed_by"] = [outsider.pk, pk]  # the partner does not confirm
        answers[pk] = masked(put_report(outsider_client, body), pk)
    assert_same_answers(answers, people, missing_ids()[0])
    assert not Visit.objects.exists()

    # With both visitors confirming, a stranger's id changes nothing either.
    statuses = set()
    for pk in [persona("manager").pk, missing_ids()[0]]:
        body = outsider_report()
        body["sign_off"]["confirmed_by"] = [outsider.pk, partner.pk, pk]
        answer = put_report(outsider_client, body)
        assert_names_absent(answer.content.decode(), people)
        statuses.add(answer.status_code)
    assert len(statuses) == 1


def test_confirmations_on_the_sign_off_step_say_nothing_of_others(visitor_client):
    visit = make_visit(visitors=[persona("visitor"), persona("partner")], status="draft")
    people = hidden_from_norfolk_visitor()
    answers = {}
    for pk in [*(p.pk for p in people), *missing_ids()]:
        body = {
            "departed_at": (visit.arrived_at + datetime.timedelta(hours=1)).isoformat(),
            "outcome": "satisfactory",
            "sergeant_name": "PS 1 Hart",
            "sergeant_confirmed": True,
            "confirmed_by": [persona("visitor").pk, pk],
            "revision": None,
        }
        response = post(visitor_client, f"/api/visits/{visit.uuid}/sign-off/", body)
        answers[pk] = masked(response, pk)
        assert_names_absent(response.content.decode(), people)
    statuses = {status for status, _body in answers.values()}
    assert len(statuses) == 1


# --- Suites, checklists, questions ---------------------------------------------------------------


def test_another_schemes_suite_is_answered_as_one_that_does_not_exist(visitor_client):
    partner = persona("partner")
    missing = CustodySuite.objects.order_by("-pk").first().pk + 1
    answers = {}
    for pk in (suite(SUFFOLK_SUITE).pk, suite("Bury St Edmunds").pk, missing):
        body = {"suite": pk, "co_visitors": [partner.pk], "arrived_at": ARRIVED.isoformat()}
        answers[("start", pk)] = masked(post(visitor_client, "/api/visits/", body), pk)
        answers[("report", pk)] = masked(put_report(visitor_client, visitor_report(suite=pk)), pk)
    for kind in ("start", "report"):
        mine = {key: value for key, value in answers.items() if key[0] == kind}
        baseline = mine[(kind, missing)]
        assert baseline[0] == 404
        assert all(value == baseline for value in mine.values()), mine
        assert not any(name in str(mine) for name in (SUFFOLK_SUITE, "Bury St Edmunds"))
    assert not Visit.objects.exists()


def suffolk_versions() -> dict:
    suffolk = suite(SUFFOLK_SUITE).scheme_id
    return {kind: checklists.current_version(suffolk, kind) for kind in ("detainee", "suite")}


def test_another_schemes_checklist_is_answered_as_one_that_does_not_exist(visitor_client):
    versions = suffolk_versions()
    missing = max(v.pk for v in versions.values()) + 1000
    for field in ("detainee_checklist", "suite_checklist"):
        answers = {}
        for pk in (versions["detainee"].pk, versions["suite"].pk, missing):
            answers[pk] = masked(put_report(visitor_client, visitor_report(**{field: pk})), pk)
        baseline = answers[missing]
        assert baseline[0] == 400 and "checklist_unknown" in baseline[1]
        assert all(value == baseline for value in answers.values()), answers
        assert "Suffolk" not in str(answers)
    assert not Visit.objects.exists()


def test_another_schemes_question_is_answered_as_one_that_does_not_exist(visitor_client):
    versions = suffolk_versions()
    theirs = question_ids(versions["detainee"].pk)[0], question_ids(versions["suite"].pk)[0]
    missing = Question.objects.order_by("-pk").first().pk + 1
    texts = [q.text for q in Question.objects.filter(pk__in=theirs)]

    def variants(pk):
        suite_answers = visitor_report()
        suite_answers["suite_answers"].append({"question": pk, "value": "yes", "note": ""})
        detainee = visitor_report()
        detainee["detainees"][0]["answers"].append({"question": pk, "value": "no", "note": ""})
        issue = visitor_report(
            issues=[{"category": "conditions", "description": "Bell broken.", "question_id": pk}]
        )
        return {"suite_answers": suite_answers, "detainee": detainee, "issue": issue}

    answers = {}
    for pk in (*theirs, missing):
        for name, body in variants(pk).items():
            answers[(name, pk)] = masked(put_report(visitor_client, body), pk)
    for name in ("suite_answers", "detainee", "issue"):
        mine = {key: value for key, value in answers.items() if key[0] == name}
        baseline = mine[(name, missing)]
        assert baseline[0] == 400, baseline
        assert all(value == baseline for value in mine.values()), mine
        assert not any(text in str(mine) for text in texts)
    assert not Visit.objects.exists() and not Issue.objects.exists()


# --- Visit uuids ----------------------------------------------------------------------------------


def test_a_visit_uuid_of_someone_elses_visit_says_nothing_about_it(visitor_client):
    """The client makes the uuid, so one already used is refused: alike for another scheme's
    visit and another pair's in the caller's own scheme, naming no suite and no visitor."""
    outsider, suffolk_partner = persona("outsider"), persona("suffolk.visitor1")
    abigail, ben = persona("abigail.reeve"), persona("ben.catchpole")
    others = {
        "suffolk submitted": make_visit(
            suite_name=SUFFOLK_SUITE, visitors=[outsider, suffolk_partner]
        ),
        "suffolk draft": make_visit(
            suite_name="Bury St Edmunds", visitors=[outsider, suffolk_partner], status="draft"
        ),
        "norfolk submitted": make_visit(suite_name="Aylsham", visitors=[abigail, ben]),
        "norfolk draft": make_visit(suite_name="Aylsham", visitors=[abigail, ben], status="draft"),
    }
    people = [outsider, suffolk_partner, abigail, ben]
    suite_names = [SUFFOLK_SUITE, "Bury St Edmunds", "Aylsham"]
    answers = {}
    for label, visit in others.items():
        key = visit.uuid
        sent = put_report(visitor_client, visitor_report(), key=key)
        started = post(
            visitor_client,
            "/api/visits/",
            start_body("Wymondham", [persona("partner").pk], uuid=str(key)),
        )
        answers[("report", label)] = masked(sent, key)
        answers[("start", label)] = masked(started, key)
    for kind in ("report", "start"):
        mine = {key: value for key, value in answers.items() if key[0] == kind}
        baseline = mine[(kind, "norfolk submitted")]
        assert baseline[0] == 409, baseline
        assert all(value == baseline for value in mine.values()), mine
        for _status, text in mine.values():
            assert_names_absent(text, people)
            assert not any(name in text for name in suite_names), text
    # Nothing was changed or added by the refused requests.
    assert Visit.objects.count() == len(others)
    for visit in others.values():
        assert not visit.visit_visitors.filter(user=persona("visitor")).exists()


# --- What the caller may see is still said -------------------------------------------------------


def test_a_partner_the_caller_can_see_is_still_named(client):
    """A visitor of both schemes chose Peter (Norfolk only) for a Suffolk suite: Peter is on
    the list of people she may see, so the answer says who and where."""
    visitor, partner = persona("visitor"), persona("partner")
    Membership.objects.create(user=visitor, scheme=suite(SUFFOLK_SUITE).scheme, role="visitor")
    client.force_login(visitor)
    answer = post(client, "/api/visits/", start_body(SUFFOLK_SUITE, [partner.pk]))
    assert answer.status_code == 400, answer.content
    assert answer.json()["code"] == "visitor_not_in_scheme"
    assert answer.json()["detail"] == "Peter Shaw does not visit in the scheme of Martlesham."


# --- Rota offers ---------------------------------------------------------------------------------


def test_an_offer_that_cannot_be_taken_keeps_the_partners_reasons_to_themselves(client):
    """Vera has a conflict with King's Lynn (the manager put her there knowingly). Peter, who
    cannot see her conflicts or availability, is told the slot cannot be taken, not why."""
    from tests.factories import make_period, make_slot
    from visits.services import rota

    visitor, partner, abigail = persona("visitor"), persona("partner"), persona("abigail.reeve")
    slot = make_slot(period=make_period(), suite_name="King's Lynn", visitors=[visitor, abigail])
    swap = rota.offer(actor=abigail, slot=slot)
    reasons = rota.can_take(swap, partner)
    assert reasons == [
        "The other visitor on this slot cannot make this visit as the rota stands. "
        "Ask your scheme manager."
    ]
    client.force_login(partner)
    answer = client.post(f"/api/rota/swaps/{swap.pk}/take/")
    assert answer.status_code == 409 and answer.json()["code"] == "cannot_take"
    text = answer.content.decode()
    assert "Vera Holt" not in text and "conflict" not in text
    # Her own conflict is hers to be told.
    mine = make_slot(
        period=slot.period, suite_name="King's Lynn", visitors=[partner, abigail], weeks_ahead=3
    )
    offered = rota.offer(actor=abigail, slot=mine)
    assert rota.can_take(offered, visitor) == [
        "Vera Holt has a conflict of interest with this suite."
    ]
