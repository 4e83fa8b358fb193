"""The visit API: every step, through the same services as the pages; errors in one shape."""

import base64
import datetime
import io
import uuid

import pytest
from django.utils import timezone
from PIL import Image

from tests.conftest import persona
from tests.factories import make_visit, question_ids, suite
from visits.models import Visit

ARRIVED = (timezone.now() - datetime.timedelta(hours=2)).replace(microsecond=0)


def iso(moment):
    return moment.isoformat()


def signature_data_url() -> str:
    image = Image.new("RGBA", (300, 100), (0, 0, 0, 0))
    image.paste((0, 0, 0, 255), (10, 40, 290, 50))
    out = io.BytesIO()
    image.save(out, format="PNG")
    return "data:image/png;base64," + base64.b64encode(out.getvalue()).decode()


@pytest.fixture
def api(client, db):
    client.force_login(persona("visitor"))
    return client


def post(client, path, data, method="post"):
    return getattr(client, method)(path, data, content_type="application/json")


def test_record_a_whole_visit_through_the_api(api, django_capture_on_commit_callbacks):
    key = str(uuid.uuid4())
    body = {
        "uuid": key,
        "suite": suite("Wymondham").pk,
        "co_visitors": [persona("partner").pk],
        "arrived_at": iso(ARRIVED),
    }
    created = post(api, "/api/visits/", body)
    assert created.status_code == 201, created.json()
    assert post(api, "/api/visits/", body).status_code == 200  # resent: the same visit
    assert Visit.objects.count() == 1
    base = f"/api/visits/{key}"
    visit = Visit.objects.get()

    assert post(api, f"{base}/admission/", {"admitted_at": iso(ARRIVED)}).status_code == 200
    bad = post(api, f"{base}/numbers/", {"in_custody": 5, "offered": 2, "visited": 2})
    assert bad.status_code == 400
    assert bad.json()["code"] == "numbers_disagree"
    assert "which is 2" in bad.json()["fields"]["in_custody"]
    ok = post(
        api, f"{base}/numbers/", {"in_custody": 3, "offered": 1, "visited": 1, "nv_asleep": 2}
    )
    assert ok.status_code == 200 and ok.json()["in_custody"] == 3

    name = post(api, f"{base}/detainees/", {"custody_number": "John Smith"})
    assert name.status_code == 400 and name.json()["code"] == "custody_number_invalid"
    questions = question_ids(visit.detainee_checklist_id)
    detainee = post(
        api,
        f"{base}/detainees/",
        {
            "custody_number": "WY-00321-26",
            "under_18": True,
            "answers": [{"question": q, "value": "yes"} for q in questions],
        },
    )
    assert detainee.status_code == 201, detainee.json()
    assert detainee.json()["detainees"][0]["custody_number"] == "WY-00321-26"

    suite_qs = question_ids(visit.suite_checklist_id)
    answers = post(
        api,
        f"{base}/suite-answers/",
        {"answers": [{"question": q, "value": "yes", "note": ""} for q in suite_qs]},
        "put",
    )
    assert answers.status_code == 200 and len(answers.json()["suite_answers"]) == 10
    issue = post(
        api, f"{base}/issues/", {"category": "conditions", "description": "Cell 2 toilet blocked"}
    )
    assert issue.status_code == 201 and issue.json()["issues"][0]["status"] == "raised"

    sign = post(
        api,
        f"{base}/sign-off/",
        {
            "departed_at": iso(ARRIVED + datetime.timedelta(hours=1)),
            "outcome": "satisfactory",
            "sergeant_name": "PS 1 Test",
            "signature": signature_data_url(),
            "confirmed_by": [persona("visitor").pk, persona("partner").pk],
        },
    )
    assert sign.status_code == 200, sign.json()
    with django_capture_on_commit_callbacks(execute=True):
        first = post(api, f"{base}/submit/", {})
        again = post(api, f"{base}/submit/", {})
    assert first.status_code == again.status_code == 200
    assert first.json()["status"] == "submitted"
    assert Visit.objects.filter(status="submitted").count() == 1

    late = post(api, f"{base}/numbers/", {"in_custody": 4})
    assert late.status_code == 400 and late.json()["code"] == "visit_submitted"
    no_reason = post(api, f"{base}/amend/", {"reason": "", "changes": {"good_practice": "x"}})
    assert no_reason.status_code == 400 and "reason" in no_reason.json()["fields"]
    read_at = first.json()["revision"]
    amended = post(
        api,
        f"{base}/amend/",
        {"reason": "Typo", "revision": read_at, "changes": {"good_practice": "Clean suite"}},
    )
    assert amended.status_code == 200 and amended.json()["good_practice"] == "Clean suite"
    assert amended.json()["revision"] == read_at + 1
    assert api.get(f"{base}/pdf/")["Content-Type"] == "application/pdf"


def test_a_stale_revision_gets_409_and_changes_nothing(api):
    visit = make_visit(visitors=[persona("visitor"), persona("partner")], status="draft")
    response = post(
        api, f"/api/visits/{visit.uuid}/numbers/", {"in_custody": 0, "revision": visit.revision - 1}
    )
    assert response.status_code == 409 and response.json()["code"] == "stale_revision"
    visit.refresh_from_db()
    assert visit.in_custody == 1


@pytest.mark.parametrize(
    ("username", "read", "write"),
    [
        ("visitor", 200, 200),
        ("partner", 200, 200),
        ("manager", 200, 403),
        ("pcc", 404, 404),
        ("force", 404, 404),
        ("coordinator", 404, 404),
        ("outsider", 404, 404),
    ],
)
def test_draft_api_permission_matrix(client, db, username, read, write):
    visit = make_visit(visitors=[persona("visitor"), persona("partner")], status="draft")
    client.force_login(persona(username))
    assert client.get(f"/api/visits/{visit.uuid}/").status_code == read
    response = post(client, f"/api/visits/{visit.uuid}/good-practice/", {"good_practice": "x"})
    assert response.status_code == write
    if write != 200:
        assert set(response.json()) == {"code", "detail", "fields"}


def test_pcc_gets_reports_without_custody_numbers_or_answers(client, db):
    visit = make_visit(visitors=[persona("visitor"), persona("partner")], detainees=2)
    client.force_login(persona("pcc"))
    data = client.get(f"/api/visits/{visit.uuid}/").json()
    assert data["in_custody"] == 3 and data["detainees"] == []
    client.force_login(persona("force"))
    data = client.get(f"/api/visits/{visit.uuid}/").json()
    assert [d["custody_number"] for d in data["detainees"]] == ["WY-00001-26", "WY-00002-26"]


def test_only_visitors_start_visits_and_only_in_their_scheme(client, db):
    body = {
        "suite": suite("Wymondham").pk,
        "co_visitors": [persona("partner").pk],
        "arrived_at": iso(ARRIVED),
    }
    client.force_login(persona("manager"))
    assert post(client, "/api/visits/", body).status_code == 403
    client.force_login(persona("outsider"))
    assert post(client, "/api/visits/", body).status_code == 404  # a Norfolk suite
    bad = post(client, "/api/visits/", {"suite": "x"})
    assert bad.status_code == 400 and bad.json()["code"] == "invalid"
    assert set(bad.json()["fields"]) == {"suite", "co_visitors", "arrived_at"}


def test_visit_list_is_filtered_and_its_queries_do_not_grow(client, db, django_assert_num_queries):
    visitors = [persona("visitor"), persona("partner")]
    make_visit(visitors=visitors)
    client.force_login(persona("manager"))
    client.get("/api/visits/")
    # session, user, memberships, page of visits (no count: keyset pages), their visitors
    with django_assert_num_queries(5):
        assert len(client.get("/api/visits/").json()["results"]) == 1
    for _ in range(4):
        make_visit(visitors=visitors)
    make_visit(suite_name="Aylsham", visitors=[persona("abigail.reeve"), persona("ben.catchpole")])
    with django_assert_num_queries(5):
        assert len(client.get("/api/visits/").json()["results"]) == 6
    aylsham = suite("Aylsham").pk
    assert len(client.get(f"/api/visits/?suite={aylsham}").json()["results"]) == 1
    assert client.get("/api/visits/?status=draft").json()["results"] == []


def test_current_checklists_for_the_offline_form(api):
    data = api.get("/api/checklists/current/").json()
    assert sorted(v["kind"] for v in data) == ["detainee", "suite"]
    detainee = next(v for v in data if v["kind"] == "detainee")
    assert len(detainee["questions"]) == 30
    assert detainee["questions"][0]["section"] == "Rights"
