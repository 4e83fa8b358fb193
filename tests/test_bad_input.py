"""Bad input is refused, never a 500: every answer under /api/ is a 4xx in the one error shape
{code, detail, fields} with a code that says what was wrong, and nothing is stored.

Each row of BAD is one request a client (or an attacker) can send: ids of the wrong type or
out of the database's range in the path, the query and the body (lists too), JSON nested too
deep, a body over the size limit, dates at the calendar's ends or in the future, routes that
do not exist, methods an endpoint does not have. The limits are api/serializers.py's and
icv/settings.py's (docs/api.md, "Limits")."""

import base64
import datetime
import itertools
import json
from dataclasses import dataclass
from dataclasses import field as default

import pytest
from django.conf import settings
from django.db.models import Sum
from django.utils import timezone

from tests.conftest import persona
from tests.factories import make_visit, question_ids, suite, whole_report
from visits.models import (
    Answer,
    Availability,
    DetaineeRecord,
    Issue,
    IssueEvent,
    RotaPeriod,
    RotaSlot,
    SwapRequest,
    Visit,
    VisitVisitor,
)
from visits.services import tokens

TOKEN_NAMES = (f"bad input {n}" for n in itertools.count())
HUGE = 10**30  # past any integer column


def cursor_of(values: list) -> str:
    """A cursor as the API makes them (api.pagination), with the values a client chose."""
    return base64.urlsafe_b64encode(json.dumps(values).encode()).decode()


PAST_ID = 2**31  # one past the largest user id (Django's users have 32-bit ids)
NOW = timezone.now().replace(microsecond=0)
ARRIVED = NOW - datetime.timedelta(hours=2)


def iso(moment: datetime.datetime) -> str:
    return moment.isoformat()


def nested(depth: int) -> str:
    """A JSON body of lists `depth` deep."""
    return "[" * depth + "]" * depth


def start(o, **changes) -> dict:
    """A good start-of-visit body with `changes`."""
    return {
        "suite": suite("Wymondham").pk,
        "co_visitors": [persona("partner").pk],
        "arrived_at": iso(ARRIVED),
    } | changes


def sign_off(**changes) -> dict:
    return {
        "departed_at": iso(ARRIVED + datetime.timedelta(hours=1)),
        "outcome": "satisfactory",
        "sergeant_name": "PS 1 Hart",
        "sergeant_confirmed": True,
        "revision": None,
    } | changes


def other_schemes_question() -> int:
    """A question on a Suffolk checklist (the draft visit is Norfolk's)."""
    from visits.models import Question

    return Question.objects.filter(section__version__template__scheme__slug="suffolk")[0].pk


def report(o, **changes) -> dict:
    body = whole_report(visitor=persona("visitor"), partner=persona("partner"), arrived_at=ARRIVED)
    return body | changes


@dataclass
class Bad:
    """One bad request: as `who`, `method` `path` (formatted with the objects' ids) with `body`
    (a dict or a function of the objects, or raw text), answered `status` `code`, naming
    `field` among the field errors if given."""

    label: str
    method: str
    path: str
    body: object = None
    who: str = "visitor"
    status: int = 400
    code: str = "invalid"
    field: str | None = None
    query: dict = default(default_factory=dict)


BAD = [
    # --- Ids of the wrong type or out of range in the path ----------------------------------
    Bad("string swap id: take", "post", "/api/rota/swaps/AAA/take/", status=404, code="not_found"),
    Bad(
        "string swap id: withdraw",
        "post",
        "/api/rota/swaps/AAA/withdraw/",
        status=404,
        code="not_found",
    ),
    Bad("huge swap id", "post", f"/api/rota/swaps/{HUGE}/take/", status=404, code="not_found"),
    Bad("string visit id", "get", "/api/visits/AAA/", status=404, code="not_found"),
    Bad(
        "string visit id: a step",
        "post",
        "/api/visits/AAA/admission/",
        {},
        status=404,
        code="not_found",
    ),
    Bad(
        "string visit id: whole report",
        "put",
        "/api/visits/AAA/report/",
        {},
        status=404,
        code="not_found",
    ),
    Bad("string issue id", "get", "/api/issues/AAA/", status=404, code="not_found"),
    Bad(
        "huge issue id",
        "post",
        f"/api/issues/{HUGE}/act/",
        {"action": "comment", "revision": 1},
        status=404,
        code="not_found",
    ),
    Bad("string slot id", "get", "/api/rota/slots/AAA/", status=404, code="not_found"),
    Bad(
        "huge slot id",
        "put",
        f"/api/rota/slots/{HUGE}/plan/",
        {"planned_for": None, "revision": 1},
        status=404,
        code="not_found",
    ),
    Bad("string period id", "get", "/api/rota/periods/AAA/", status=404, code="not_found"),
    Bad(
        "huge period id",
        "put",
        f"/api/rota/periods/{HUGE}/availability/",
        {"revision": 0},
        status=404,
        code="not_found",
    ),
    Bad("string suite id", "get", "/api/suites/AAA/", status=404, code="not_found"),
    Bad("huge person id", "get", f"/api/people/{HUGE}/", status=404, code="not_found"),
    # --- Ids out of range in the query ------------------------------------------------------
    Bad("huge suite filter: visits", "get", "/api/visits/", query={"suite": HUGE}, field="suite"),
    Bad("huge suite filter: issues", "get", "/api/issues/", query={"suite": HUGE}, field="suite"),
    Bad(
        "huge period filter: slots",
        "get",
        "/api/rota/slots/",
        query={"period": HUGE},
        field="period",
    ),
    Bad("zero suite filter: slots", "get", "/api/rota/slots/", query={"suite": 0}, field="suite"),
    Bad(
        "huge suite: summaries",
        "get",
        "/api/summaries/",
        who="manager",
        query={"suite": HUGE},
        field="suite",
    ),
    Bad(
        "string suite: summaries",
        "get",
        "/api/summaries/",
        who="manager",
        query={"suite": "AAA"},
        field="suite",
    ),
    # Keyset pages: a cursor the API did not make is a 400 naming it, never a 500.
    Bad("made-up cursor", "get", "/api/visits/", query={"cursor": "not-a-cursor"}, field="cursor"),
    Bad(
        "cursor with a huge id",
        "get",
        "/api/issues/",
        query={"cursor": cursor_of(["2026-01-01", "2026-01-01T00:00:00+00:00", HUGE])},
        field="cursor",
    ),
    Bad("short cursor", "get", "/api/issues/", query={"cursor": cursor_of([1])}, field="cursor"),
    # --- Ids out of range in the body, lists included ----------------------------------------
    Bad("huge suite: start", "post", "/api/visits/", lambda o: start(o, suite=HUGE), field="suite"),
    Bad(
        "huge co-visitor",
        "post",
        "/api/visits/",
        lambda o: start(o, co_visitors=[HUGE]),
        field="co_visitors.0",
    ),
    Bad(
        "id just past the range",
        "post",
        "/api/visits/",
        lambda o: start(o, co_visitors=[PAST_ID]),
        field="co_visitors.0",
    ),
    Bad(
        "string co-visitor",
        "post",
        "/api/visits/",
        lambda o: start(o, co_visitors=["AAA"]),
        field="co_visitors.0",
    ),
    Bad(
        "too many co-visitors",
        "post",
        "/api/visits/",
        lambda o: start(o, co_visitors=list(range(1, 5000))),
        field="co_visitors",
    ),
    Bad(
        "huge confirmed_by",
        "post",
        "/api/visits/{draft}/sign-off/",
        sign_off(confirmed_by=[HUGE]),
        field="confirmed_by.0",
    ),
    Bad(
        "huge question_id",
        "post",
        "/api/visits/{draft}/issues/",
        {"category": "conditions", "description": "Bell broken", "question_id": HUGE},
        field="question_id",
    ),
    Bad(
        "question of no checklist",
        "post",
        "/api/visits/{draft}/issues/",
        {"category": "conditions", "description": "Bell broken", "question_id": 999_999},
        code="issue_question_unknown",
        field="question_id",
    ),
    Bad(
        "question of another scheme",
        "post",
        "/api/visits/{draft}/issues/",
        lambda o: {
            "category": "conditions",
            "description": "Bell broken",
            "question_id": other_schemes_question(),
        },
        code="issue_question_unknown",
        field="question_id",
    ),
    Bad(
        "huge answer question",
        "post",
        "/api/visits/{draft}/detainees/",
        {"custody_number": "WY-00777-26", "answers": [{"question": HUGE, "value": "yes"}]},
        field="answers.0.question",
    ),
    Bad(
        "huge suite answer question",
        "put",
        "/api/visits/{draft}/suite-answers/",
        {"answers": [{"question": HUGE, "value": "yes"}]},
        field="answers.0.question",
    ),
    Bad(
        "huge revision",
        "post",
        "/api/visits/{draft}/numbers/",
        {"revision": HUGE},
        field="revision",
    ),
    Bad(
        "huge checklist version: whole report",
        "put",
        "/api/visits/{new_uuid}/report/",
        lambda o: report(o, detainee_checklist=HUGE),
        field="detainee_checklist",
    ),
    Bad(
        "huge co-visitor: whole report",
        "put",
        "/api/visits/{new_uuid}/report/",
        lambda o: report(o, co_visitors=[HUGE]),
        field="co_visitors.0",
    ),
    Bad(
        "huge availability user",
        "put",
        "/api/rota/periods/{period}/availability/",
        {"user": HUGE, "revision": 0},
        who="manager",
        field="user",
    ),
    Bad(
        "huge slot visitor",
        "put",
        "/api/rota/slots/{slot}/visitors/",
        {"visitors": [HUGE], "revision": 1},
        who="manager",
        field="visitors.0",
    ),
    Bad(
        "huge issue revision",
        "post",
        "/api/issues/{issue}/act/",
        {"action": "comment", "text": "x", "revision": HUGE},
        who="manager",
        field="revision",
    ),
    # --- Nesting and size --------------------------------------------------------------------
    Bad("JSON nested 100,000 deep", "post", "/api/visits/", nested(100_000)),
    Bad("JSON nested 65 deep", "post", "/api/visits/", nested(65)),
    Bad(
        "whole report with a key nested 65 deep",
        "put",
        "/api/visits/{new_uuid}/report/",
        lambda o: report(o, extra=json.loads(nested(64))),
    ),
    Bad(
        "body over the size limit",
        "post",
        "/api/visits/",
        lambda o: json.dumps(start(o, padding="x" * settings.DATA_UPLOAD_MAX_MEMORY_SIZE)),
        status=413,
        code="too_large",
    ),
    Bad(
        "body over the size limit, before the route",
        "put",
        "/api/nothing/",
        "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1),
        status=413,
        code="too_large",
    ),
    # --- Dates -------------------------------------------------------------------------------
    Bad(
        "arrival in 1900",
        "post",
        "/api/visits/",
        lambda o: start(o, arrived_at="1900-01-01T10:00:00Z"),
        field="arrived_at",
    ),
    Bad(
        "arrival in 9999",
        "post",
        "/api/visits/",
        lambda o: start(o, arrived_at="9999-12-31T23:59:59Z"),
        field="arrived_at",
    ),
    Bad(
        "arrival at year 1 with an offset",
        "post",
        "/api/visits/",
        lambda o: start(o, arrived_at="0001-01-01T00:00:00+05:00"),
        field="arrived_at",
    ),
    Bad(
        "arrival tomorrow",
        "post",
        "/api/visits/",
        lambda o: start(o, arrived_at=iso(NOW + datetime.timedelta(days=1))),
        code="arrival_in_future",
        field="arrived_at",
    ),
    Bad(
        "admission in 9999",
        "post",
        "/api/visits/{draft}/admission/",
        {"admitted_at": "9999-12-31T23:59:59Z"},
        field="admitted_at",
    ),
    Bad(
        "admission in 1900",
        "post",
        "/api/visits/{draft}/admission/",
        {"admitted_at": "1900-01-01T10:00:00Z"},
        field="admitted_at",
    ),
    Bad(
        "admission in the future",
        "post",
        "/api/visits/{draft}/admission/",
        {"admitted_at": iso(NOW + datetime.timedelta(hours=3))},
        code="admission_invalid",
        field="admitted_at",
    ),
    Bad(
        "departure in 9999",
        "post",
        "/api/visits/{draft}/sign-off/",
        sign_off(departed_at="9999-12-31T23:59:59Z"),
        field="departed_at",
    ),
    Bad(
        "departure in the future",
        "post",
        "/api/visits/{draft}/sign-off/",
        sign_off(departed_at=iso(NOW + datetime.timedelta(hours=3))),
        code="sign_off_invalid",
        field="departed_at",
    ),
    Bad(
        "whole report arriving in 1900",
        "put",
        "/api/visits/{new_uuid}/report/",
        lambda o: report(o, arrived_at="1900-01-01T10:00:00Z"),
        field="arrived_at",
    ),
    Bad(
        "rota period in 9999",
        "post",
        "/api/rota/periods/",
        {"scheme": "norfolk", "starts_on": "9999-12-31", "availability_closes_on": "9999-12-01"},
        who="manager",
        field="starts_on",
    ),
    Bad(
        "rota period in 1900",
        "post",
        "/api/rota/periods/",
        {"scheme": "norfolk", "starts_on": "1900-01-01", "availability_closes_on": "1899-12-01"},
        who="manager",
        field="starts_on",
    ),
    Bad(
        "planned time in 9999",
        "put",
        "/api/rota/slots/{slot}/plan/",
        {"planned_for": "9999-12-31T10:00:00Z", "revision": 1},
        field="planned_for",
    ),
    Bad(
        "unavailable week in 9999",
        "put",
        "/api/rota/periods/{period}/availability/",
        {"unavailable_weeks": ["9999-12-27"], "revision": 0},
        field="unavailable_weeks.0",
    ),
    Bad(
        "visit filter from 1900", "get", "/api/visits/", query={"from": "1900-01-01"}, field="from"
    ),
    Bad("issue filter to 9999", "get", "/api/issues/", query={"to": "9999-12-31"}, field="to"),
    # --- Routes and methods ------------------------------------------------------------------
    Bad("unmatched route", "get", "/api/nothing/", status=404, code="not_found"),
    Bad(
        "unmatched route below a real one",
        "post",
        "/api/visits/{draft}/nothing/",
        {},
        status=404,
        code="not_found",
    ),
    Bad(
        "unmatched route, anonymous",
        "get",
        "/api/nothing/",
        who="anonymous",
        status=404,
        code="not_found",
    ),
    Bad(
        "method not allowed: list", "delete", "/api/visits/", status=405, code="method_not_allowed"
    ),
    Bad(
        "method not allowed: detail",
        "delete",
        "/api/visits/{draft}/",
        status=405,
        code="method_not_allowed",
    ),
    Bad(
        "method not allowed: function view",
        "put",
        "/api/me/",
        {},
        status=405,
        code="method_not_allowed",
    ),
]


@pytest.fixture
def objects(db, one_of_each):
    """one_of_each's objects, and a draft visit of visitor and partner arrived two hours ago."""
    draft = make_visit(
        visitors=[persona("visitor"), persona("partner")],
        status=Visit.Status.DRAFT,
        arrived_at=ARRIVED,
    )
    pk = one_of_each["pk"]
    return {
        "draft": str(draft.uuid),
        "visit": one_of_each["uuid"],
        "new_uuid": "0b8f6a52-3c1e-4f37-9a55-1c2d3e4f5a6b",
        "issue": pk["issue"],
        "slot": pk["rota-slot"],
        "period": pk["rota-period"],
        "swap": pk["rota-swap"],
        "questions": question_ids(draft.detainee_checklist_id),
    }


def stored() -> tuple:
    """What a refused request must leave as it was."""
    revisions = [
        model.objects.aggregate(total=Sum("revision"))["total"]
        for model in (Visit, RotaSlot, Issue, Availability)
    ]
    counts = [
        model.objects.count()
        for model in (
            Visit,
            VisitVisitor,
            DetaineeRecord,
            Answer,
            Issue,
            IssueEvent,
            RotaPeriod,
            Availability,
        )
    ]
    swaps = list(SwapRequest.objects.order_by("pk").values_list("status", "taken_by"))
    confirmed = list(VisitVisitor.objects.order_by("pk").values_list("confirmed_at", flat=True))
    return (*counts, *revisions, swaps, confirmed)


def send(client, case: Bad, objects):
    path = case.path.format(**objects)
    body = case.body(objects) if callable(case.body) else case.body
    extra = {}
    if case.who != "anonymous":
        _row, secret = tokens.create_token(actor=persona(case.who), name=next(TOKEN_NAMES))
        extra["HTTP_AUTHORIZATION"] = f"Bearer {secret}"
    if case.method == "get":
        return client.get(path, case.query, **extra)
    if isinstance(body, dict):
        body = json.dumps(body)
    return getattr(client, case.method)(
        path, body if body is not None else "", content_type="application/json", **extra
    )


def assert_error_shape(response, status: int, code: str, field: str | None = None):
    assert response.status_code == status, (response.status_code, response.content[:500])
    assert response["Content-Type"].startswith("application/json"), response["Content-Type"]
    body = response.json()
    assert set(body) == {"code", "detail", "fields"}, body
    assert isinstance(body["detail"], str) and body["detail"], body
    assert isinstance(body["fields"], dict), body
    assert body["code"] == code, body
    if field is not None:
        assert field in body["fields"], body


@pytest.mark.parametrize("case", BAD, ids=[case.label for case in BAD])
def test_bad_input_is_refused_in_the_error_shape_and_nothing_is_stored(client, objects, case):
    before = stored()
    response = send(client, case, objects)
    assert_error_shape(response, case.status, case.code, case.field)
    assert stored() == before


def test_the_refusals_name_their_limits(client, objects):
    """The messages say what is allowed, so a client's developer can fix the request."""
    nesting = send(client, BAD[[b.label for b in BAD].index("JSON nested 65 deep")], objects)
    assert "64" in nesting.json()["detail"]
    too_big = send(client, BAD[[b.label for b in BAD].index("body over the size limit")], objects)
    assert str(settings.DATA_UPLOAD_MAX_MEMORY_SIZE // 1024) in too_big.json()["detail"]
    early = send(client, BAD[[b.label for b in BAD].index("arrival in 1900")], objects)
    assert "2000" in early.json()["fields"]["arrived_at"]


def test_input_at_the_limits_is_still_accepted(client, objects):
    """The bounds refuse nonsense, not real reports: the largest id, a report nested as deep
    as it ever is, a visit on the first allowed day."""
    token = tokens.create_token(actor=persona("visitor"), name="limits")[1]
    auth = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    largest = client.post(
        "/api/visits/",
        start(objects, co_visitors=[persona("partner").pk, 2**31 - 1]),
        content_type="application/json",
        **auth,
    )
    # Within range, so the service answers: nobody has that id.
    assert largest.status_code == 400 and largest.json()["code"] == "visitor_not_in_scheme"
    whole = client.put(
        "/api/visits/0b8f6a52-3c1e-4f37-9a55-1c2d3e4f5a6b/report/",
        report(objects),
        content_type="application/json",
        **auth,
    )
    assert whole.status_code == 201, whole.json()
    old = client.post(
        "/api/visits/",
        start(objects, arrived_at="2000-01-01T12:00:00Z"),
        content_type="application/json",
        **auth,
    )
    assert old.status_code == 201, old.json()


def test_a_server_error_under_the_api_answers_in_the_error_shape(client, objects, monkeypatch):
    from api import views

    def broken(*args, **kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr(views.VisitViewSet, "list", broken)
    client.raise_request_exception = False
    client.force_login(persona("visitor"))
    assert_error_shape(client.get("/api/visits/"), 500, "server_error")


def test_pages_keep_their_own_error_pages(client, db):
    """Only /api/ answers JSON: a page that is not there is still the HTML 404 page."""
    client.force_login(persona("visitor"))
    response = client.get("/nothing-here/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")
