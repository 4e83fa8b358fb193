"""The rota over the API: scoped like the pages, the pair's time kept to the pair and the
manager, the force shown nothing, and a broken rule a 409 with its code."""

import datetime

import pytest
from django.utils import timezone

from tests.conftest import persona
from tests.factories import make_period, make_slot
from visits.models import RotaSlot, SwapRequest
from visits.services import rota


def call(client, user, method, path, data=None):
    client.force_login(persona(user))
    return getattr(client, method)(path, data or {}, content_type="application/json")


@pytest.fixture
def slot(db):
    slot = make_slot(
        period=make_period(),
        suite_name="Aylsham",
        visitors=[persona("visitor"), persona("partner")],
    )
    slot.planned_for = timezone.make_aware(
        datetime.datetime.combine(slot.week_starts_on, datetime.time(22, 40))
    )
    slot.save()
    return slot


def test_each_role_sees_its_own_part_of_the_rota(client, slot):
    mine = call(client, "visitor", "get", "/api/rota/slots/").json()
    assert [s["id"] for s in mine["results"]] == [slot.pk]
    assert mine["results"][0]["planned_for"] is not None
    assert {v["name"] for v in mine["results"][0]["visitors"]} == {"Vera Holt", "Peter Shaw"}
    # The Aylsham coordinator sees her panel's slot, but not the pair's agreed time.
    panel = call(client, "coordinator", "get", f"/api/rota/slots/{slot.pk}/").json()
    assert panel["planned_for"] is None
    assert call(client, "manager", "get", f"/api/rota/slots/{slot.pk}/").json()["planned_for"]
    for outsider in ("force", "pcc", "outsider"):
        assert call(client, outsider, "get", "/api/rota/slots/").json()["results"] == []
        assert call(client, outsider, "get", f"/api/rota/slots/{slot.pk}/").status_code == 404
        assert call(client, outsider, "get", "/api/rota/periods/").json()["results"] == []
        response = call(client, outsider, "get", f"/api/rota/periods/{slot.period_id}/")
        assert response.status_code == 404
        assert call(client, outsider, "get", "/api/rota/swaps/").json()["results"] == []


def test_a_hand_change_that_breaks_a_rule_is_a_409_until_accepted(client, slot):
    vera, partner = persona("visitor"), persona("partner")
    kl = make_slot(period=slot.period, suite_name="King's Lynn", visitors=[partner], weeks_ahead=2)
    path = f"/api/rota/slots/{kl.pk}/visitors/"
    response = call(
        client, "manager", "put", path, {"visitors": [vera.pk, partner.pk], "revision": 1}
    )
    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "rota_rule_broken"
    assert "conflict of interest" in body["detail"]
    data = {"visitors": [vera.pk, partner.pk], "accept_warnings": True, "revision": 1}
    response = call(client, "manager", "put", path, data)
    assert response.status_code == 200
    assert {v["id"] for v in response.json()["visitors"]} == {vera.pk, partner.pk}
    assert response.json()["revision"] == 2
    assert call(client, "visitor", "put", path, data).status_code == 403


def test_two_managers_cannot_overwrite_each_others_slot_change(client, slot):
    """Both read revision 1; the second to save is told, and the first one's pair stays."""
    path = f"/api/rota/slots/{slot.pk}/visitors/"
    read = slot.revision
    first = {"visitors": [], "revision": read, "accept_warnings": True}
    assert call(client, "manager", "put", path, first).status_code == 200
    second = {"visitors": [persona("coordinator").pk], "revision": read, "accept_warnings": True}
    response = call(client, "manager", "put", path, second)
    assert response.status_code == 409 and response.json()["code"] == "stale_revision"
    assert not RotaSlot.objects.get(pk=slot.pk).visitors.exists()
    when = datetime.datetime.combine(slot.week_starts_on, datetime.time(9, 0)).isoformat()
    stale = call(
        client,
        "manager",
        "put",
        f"/api/rota/slots/{slot.pk}/plan/",
        {"planned_for": when, "revision": read},
    )
    assert stale.status_code == 409 and stale.json()["code"] == "stale_revision"
    status = call(
        client,
        "manager",
        "post",
        f"/api/rota/slots/{slot.pk}/status/",
        {"status": "cancelled", "revision": read + 1},
    )
    assert status.status_code == 200 and status.json()["revision"] == read + 2


def test_planning_offering_and_taking_through_the_api(client, slot):
    when = datetime.datetime.combine(slot.week_starts_on, datetime.time(10, 0)).isoformat()
    response = call(
        client,
        "partner",
        "put",
        f"/api/rota/slots/{slot.pk}/plan/",
        {"planned_for": when, "revision": slot.revision},
    )
    assert response.status_code == 200
    bad = call(
        client,
        "partner",
        "put",
        f"/api/rota/slots/{slot.pk}/plan/",
        {"planned_for": "2001-01-01T10:00", "revision": response.json()["revision"]},
    )
    assert bad.status_code == 400 and bad.json()["code"] == "outside_week"
    offered = call(client, "visitor", "post", f"/api/rota/slots/{slot.pk}/offer/", {"note": "Away"})
    assert offered.status_code == 201
    swap_id = offered.json()["id"]
    again = call(client, "visitor", "post", f"/api/rota/slots/{slot.pk}/offer/", {})
    assert again.status_code == 409 and again.json()["code"] == "already_offered"
    listed = call(client, "coordinator", "get", "/api/rota/swaps/").json()["results"]
    assert [s["id"] for s in listed] == [swap_id]
    taken = call(client, "coordinator", "post", f"/api/rota/swaps/{swap_id}/take/")
    assert taken.status_code == 200 and taken.json()["status"] == "taken"
    assert set(RotaSlot.objects.get(pk=slot.pk).visitors.values_list("username", flat=True)) == {
        "partner",
        "coordinator",
    }
    assert call(client, "force", "post", f"/api/rota/swaps/{swap_id}/take/").status_code == 404
    assert SwapRequest.objects.get(pk=swap_id).taken_by.username == "coordinator"


def test_periods_open_generate_and_take_availability(client, db):
    today = timezone.localdate()
    data = {
        "scheme": "norfolk",
        "starts_on": (today + datetime.timedelta(days=92)).isoformat(),
        "availability_closes_on": (today + datetime.timedelta(days=4)).isoformat(),
    }
    assert call(client, "visitor", "post", "/api/rota/periods/", data).status_code == 403
    assert call(client, "force", "post", "/api/rota/periods/", data).status_code == 404
    created = call(client, "manager", "post", "/api/rota/periods/", data)
    assert created.status_code == 201
    period = created.json()
    again = call(client, "manager", "post", "/api/rota/periods/", data)
    assert again.status_code == 409 and again.json()["code"] == "period_exists"
    path = f"/api/rota/periods/{period['id']}/availability/"
    first_week = period["starts_on"]
    given = {"unavailable_weeks": [first_week], "nights_ok": True, "revision": 0}
    response = call(client, "visitor", "put", path, given)
    assert response.status_code == 200, response.json()
    assert response.json()["unavailable_weeks"] == [first_week]
    assert response.json()["revision"] == 1
    assert response.json()["max_visits_per_period"] is None  # not given: the monthly one only
    # Another tab, still thinking none was given, cannot overwrite it.
    twice = call(client, "visitor", "put", path, given)
    assert twice.status_code == 409 and twice.json()["code"] == "stale_revision"
    wrong = call(
        client, "visitor", "put", path, {"unavailable_weeks": ["2001-01-01"], "revision": 1}
    )
    assert wrong.status_code == 400 and wrong.json()["code"] == "week_not_in_period"
    quarterly = call(client, "visitor", "put", path, {"max_visits_per_period": 4, "revision": 1})
    assert quarterly.status_code == 200 and quarterly.json()["max_visits_per_period"] == 4
    assert quarterly.json()["nights_a_year"] == 1  # not given: the promise, one a year
    # A PUT is the whole answer: what it leaves out goes back to its default.
    assert quarterly.json()["unavailable_weeks"] == []
    nights = call(
        client,
        "visitor",
        "put",
        path,
        {"nights_a_year": 2, "unavailable_weeks": [first_week], "revision": 2},
    )
    assert nights.status_code == 200 and nights.json()["nights_a_year"] == 2
    assert nights.json()["unavailable_weeks"] == [first_week]
    too_many_nights = call(client, "visitor", "put", path, {"nights_a_year": 7, "revision": 3})
    assert too_many_nights.status_code == 400
    assert too_many_nights.json()["fields"].keys() == {"nights_a_year"}
    too_many = call(client, "visitor", "put", path, {"max_visits_per_period": 99, "revision": 2})
    assert too_many.status_code == 400
    someone = call(client, "visitor", "put", path, {"user": persona("partner").pk, "revision": 0})
    assert someone.status_code == 403
    generated = call(client, "manager", "post", f"/api/rota/periods/{period['id']}/generate/")
    assert generated.json()["status"] == "draft"
    # A draft is the manager's: visitors see it once published.
    assert call(client, "visitor", "get", f"/api/rota/periods/{period['id']}/").status_code == 404
    assert (
        call(client, "visitor", "post", f"/api/rota/periods/{period['id']}/publish/").status_code
        == 404
    )
    published = call(client, "manager", "post", f"/api/rota/periods/{period['id']}/publish/")
    assert published.json()["status"] == "published"
    mine = call(client, "visitor", "get", f"/api/rota/slots/?period={period['id']}&mine=1").json()
    assert len(mine["results"]) >= 1
    assert all(first_week != s["week_starts_on"] for s in mine["results"])


def test_the_slot_list_query_count_does_not_grow(client, slot, django_assert_num_queries):
    client.force_login(persona("manager"))
    client.get("/api/rota/slots/")
    # session, user, memberships, page of slots (no count: keyset pages), their visitors
    with django_assert_num_queries(5):
        assert len(client.get("/api/rota/slots/").json()["results"]) == 1
    for weeks in range(2, 12):
        make_slot(
            period=slot.period,
            suite_name="Wymondham",
            visitors=[persona("visitor"), persona("coordinator")],
            weeks_ahead=weeks,
        )
    with django_assert_num_queries(5):
        assert len(client.get("/api/rota/slots/").json()["results"]) == 11
    for offered in RotaSlot.objects.filter(visitors=persona("visitor"))[:5]:
        rota.offer(actor=persona("visitor"), slot=offered)
    client.get("/api/rota/swaps/")
    # and the page of swaps, their slots, the slots' visitors
    with django_assert_num_queries(6):
        assert len(client.get("/api/rota/swaps/").json()["results"]) == 5


@pytest.mark.parametrize(
    "path",
    [
        "/api/rota/slots/?from=soon",
        "/api/rota/slots/?suite=abc",
        "/api/visits/?to=yesterday",
        "/api/issues/?status=lost",
    ],
)
def test_a_bad_filter_is_a_400_naming_it(client, db, path):
    response = call(client, "manager", "get", path)
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid"
    assert set(body["fields"]) & {"from", "suite", "to", "status"}
