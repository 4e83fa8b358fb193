"""Keyset pages for the lists that grow (api.pagination): every row exactly once in a stable
order, ties broken by the id, NULLs last, the last page as cheap as the first, and a cursor the
API did not make refused in words."""

import base64
import datetime
import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from api.pagination import KeysetPagination
from tests.conftest import persona
from tests.factories import make_period, make_reported_issue, make_slot, make_visit
from visits.models import Issue, Visit

ARRIVED = datetime.datetime(2026, 3, 2, 19, 0, tzinfo=datetime.UTC)


@pytest.fixture
def pages_of_two(monkeypatch):
    monkeypatch.setattr(KeysetPagination, "page_size", 2)


def walk(client, url: str) -> tuple[list[dict], list[int]]:
    """Every row of a list, following `next`; and the queries each page took."""
    rows, queries = [], []
    while url:
        with CaptureQueriesContext(connection) as captured:
            page = client.get(url)
        assert page.status_code == 200, page.content
        queries.append(len(captured))
        rows += page.json()["results"]
        assert "count" not in page.json()  # no COUNT(*) over a national table
        url = page.json()["next"]
    return rows, queries


def test_visits_walk_every_row_once_in_order_with_ties(client, db, pages_of_two):
    visitors = [persona("visitor"), persona("partner")]
    # Five visits at the same minute: only the id tells them apart.
    made = [make_visit(visitors=visitors, arrived_at=ARRIVED) for _ in range(5)]
    made.append(make_visit(visitors=visitors, arrived_at=ARRIVED - datetime.timedelta(days=3)))
    client.force_login(persona("manager"))
    client.get("/api/visits/")  # the session's first write is not the list's
    rows, queries = walk(client, "/api/visits/")
    expected = Visit.objects.filter(pk__in=[v.pk for v in made]).order_by(
        "-visit_date", "-arrived_at", "-pk"
    )
    assert [row["uuid"] for row in rows] == [str(v.uuid) for v in expected]
    assert len(queries) == 3
    # session, user, memberships, the page, its visitors: the last page costs what the first does
    assert queries == [5, 5, 5]


def test_a_visit_added_while_walking_neither_repeats_nor_shifts_rows(client, db, pages_of_two):
    visitors = [persona("visitor"), persona("partner")]
    for days in range(4):
        make_visit(visitors=visitors, arrived_at=ARRIVED - datetime.timedelta(days=days))
    client.force_login(persona("manager"))
    first = client.get("/api/visits/").json()
    make_visit(visitors=visitors, arrived_at=ARRIVED + datetime.timedelta(days=1))  # sorts first
    rest, _ = walk(client, first["next"])
    uuids = [row["uuid"] for row in first["results"] + rest]
    assert len(uuids) == len(set(uuids)) == 4


def test_the_cursor_keeps_the_filters(client, db, pages_of_two):
    visitors = [persona("visitor"), persona("partner")]
    for days in range(3):
        make_visit(visitors=visitors, arrived_at=ARRIVED - datetime.timedelta(days=days))
    make_visit(visitors=visitors, status=Visit.Status.DRAFT)
    client.force_login(persona("manager"))
    rows, _ = walk(client, "/api/visits/?status=submitted")
    assert len(rows) == 3 and {row["status"] for row in rows} == {"submitted"}


def test_issues_without_a_due_date_come_last_and_are_not_lost(client, db, pages_of_two):
    issues = [make_reported_issue() for _ in range(5)]
    Issue.objects.filter(pk__in=[issues[0].pk, issues[3].pk]).update(due_on=None)
    dated = datetime.date(2026, 4, 1)
    Issue.objects.filter(pk__in=[i.pk for i in issues[1:3]]).update(due_on=dated)
    Issue.objects.filter(pk=issues[4].pk).update(due_on=dated - datetime.timedelta(days=5))
    client.force_login(persona("manager"))
    client.get("/api/issues/")
    rows, queries = walk(client, "/api/issues/")
    assert sorted(row["id"] for row in rows) == sorted(i.pk for i in issues)
    assert [row["due_on"] for row in rows] == [
        "2026-03-27",
        "2026-04-01",
        "2026-04-01",
        None,
        None,
    ]
    assert len(set(queries)) == 1, queries  # the last page as cheap as the first


def test_rota_slots_walk_by_week_then_suite(client, db, pages_of_two):
    period = make_period()
    for weeks, place in ((3, "Wymondham"), (2, "Aylsham"), (2, "Aylsham"), (2, "Wymondham")):
        make_slot(period=period, suite_name=place, visitors=[persona("visitor")], weeks_ahead=weeks)
    client.force_login(persona("manager"))
    rows, _ = walk(client, "/api/rota/slots/")
    keys = [(row["week_starts_on"], row["suite_name"], row["id"]) for row in rows]
    assert len(keys) == 4 and keys == sorted(keys)


@pytest.mark.parametrize(
    "cursor",
    ["nonsense", "WzFd", "W10", "eyJhIjogMX0", "WyIyMDI2LTEzLTQ1IiwgIngiLCAxXQ", "a" * 500],
)
def test_a_cursor_the_api_did_not_make_is_a_400_naming_it(client, db, cursor):
    client.force_login(persona("manager"))
    response = client.get(f"/api/issues/?cursor={cursor}")
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid" and "cursor" in body["fields"]
    assert "follow the `next` link" in str(body["fields"]["cursor"])


def forged(*values) -> str:
    return base64.urlsafe_b64encode(json.dumps(list(values)).encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    "path, cursor",
    [
        # A datetime at the calendar's edge in a far zone overflows in UTC (the review's 500).
        ("/api/visits/", forged("0001-01-01", "0001-01-01T00:00:00+14:00", 1)),
        ("/api/visits/", forged("9999-12-31", "9999-12-31T23:59:59-14:00", 1)),
        ("/api/issues/", forged("2026-01-01", "0001-01-01T00:00:00+14:00", 1)),
        # PostgreSQL refuses NUL in text.
        ("/api/rota/slots/", forged("2026-01-05", "a\u0000b", 1)),
    ],
)
def test_a_forged_cursor_at_the_edges_is_a_400_not_a_500(client, db, path, cursor):
    client.force_login(persona("manager"))
    response = client.get(f"{path}?cursor={cursor}")
    assert response.status_code == 400, response.content
    assert "cursor" in response.json()["fields"]


def test_the_schema_documents_the_cursor_and_the_next_link(client, db):
    schema = client.get("/api/schema/?format=json").json()
    operation = schema["paths"]["/api/visits/"]["get"]
    assert "cursor" in {p["name"] for p in operation["parameters"]}
    assert "page" not in {p["name"] for p in operation["parameters"]}
    listed = schema["components"]["schemas"]["PaginatedVisitList"]
    assert set(listed["properties"]) == {"next", "results"}


def test_the_benchmarks_last_page_cursor_lands_on_the_walks_last_page(client, db, pages_of_two):
    from api.pagination import last_page_cursor
    from visits.visible_issues import readable_issues

    issues = [make_reported_issue() for _ in range(5)]
    Issue.objects.filter(pk=issues[2].pk).update(due_on=None)
    client.force_login(persona("manager"))
    walked, _ = walk(client, "/api/issues/")
    cursor = last_page_cursor(
        readable_issues(persona("manager")), ("due_on", "-created_at", "pk"), 2
    )
    last = client.get(f"/api/issues/?cursor={cursor}").json()
    assert last["next"] is None
    assert [row["id"] for row in last["results"]] == [row["id"] for row in walked[-2:]]
