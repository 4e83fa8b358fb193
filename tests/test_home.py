"""The home page each role lands on after signing in."""

import pytest
from django.urls import reverse

from tests.conftest import PERSONAS, persona
from tests.factories import make_period, make_slot, make_visit
from visits.models import Visit


@pytest.fixture
def busy_norfolk(db):
    """Enough of everything that every section of every home page has something to show."""
    visitor, partner, abigail = persona("visitor"), persona("partner"), persona("abigail.reeve")
    make_visit(
        visitors=[visitor, partner],
        issues=[
            {"description": "Shower in cell block B broken."},
            {"description": "Blankets ran out.", "referred": True},
        ],
    )
    make_visit(visitors=[visitor, partner], status=Visit.Status.DRAFT)
    make_slot(period=make_period(), suite_name="Wymondham", visitors=[visitor, partner])
    make_visit(suite_name="Aylsham", visitors=[abigail, partner])


def test_anonymous_is_sent_to_sign_in(client):
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_visitor_sees_next_slot_drafts_and_issues(client, busy_norfolk):
    client.force_login(persona("visitor"))
    page = client.get("/").content.decode()
    assert "Wymondham, week of" in page
    assert "With Peter Shaw" in page
    assert "Reports in progress" in page and "arrived" in page
    assert "Shower in cell block B broken." not in page  # category and status only
    assert "Conditions and estate" in page and "Referred to the force" in page


def test_visitor_without_slot_is_told_plainly(client, db):
    client.force_login(persona("visitor"))
    page = client.get("/").content.decode()
    assert "You have no rota slot coming up" in page
    assert "You have no unfinished reports." in page


def test_manager_sees_work_queue_counts(client, busy_norfolk):
    client.force_login(persona("manager"))
    response = client.get("/")
    assert response.context["queue"]["to_triage"] == 1
    assert response.context["queue"]["with_force"] == 1
    assert response.context["queue"]["recent_reports"] == 2
    assert "Work queue" in response.content.decode()


def test_pcc_sees_quarter_figures_and_no_rota(client, busy_norfolk):
    client.force_login(persona("pcc"))
    response = client.get("/")
    page = response.content.decode()
    figures = {key: value for key, _label, value in response.context["quarter_figures"]}
    assert figures == {"visits_made": 2, "visits_abandoned": 0, "issues_open_at_end": 2}
    assert "This quarter so far" in page and "Issues open now" in page
    assert "Your next visit" not in page and "Wymondham, week of" not in page


def test_force_sees_referred_issues_only(client, busy_norfolk):
    client.force_login(persona("force"))
    page = client.get("/").content.decode()
    assert "Blankets ran out." in page
    assert "Shower in cell block B broken." not in page
    assert "week of" not in page  # never the rota


def test_outsider_sees_nothing_of_norfolk(client, busy_norfolk):
    client.force_login(persona("outsider"))
    page = client.get("/").content.decode()
    assert "Suffolk" in page
    assert "Norfolk" not in page and "Wymondham" not in page


@pytest.mark.parametrize(
    ("username", "queries"),
    [
        # session, user, memberships, then per section:
        # visitor: next slot, its visitors, drafts, raised issues and their steps (what the
        # visitor may read of each, visits.visible_issues)
        ("visitor", 8),
        # coordinator: the same as a visitor (no slot, so no visitors query)
        ("coordinator", 6),
        # manager: issue counts, visit counts, availability period
        ("manager", 6),
        # pcc: this quarter's figures at a glance (visits.summaries: the scope's schemes and
        # suites, the visits' and the issues' counts)
        ("pcc", 6),
        # force: referred issues (the first 20; counted only when there are more), their steps
        ("force", 5),
        ("outsider", 6),
    ],
)
def test_home_queries_do_not_grow_with_data(
    client, busy_norfolk, django_assert_num_queries, username, queries
):
    for _ in range(5):  # more data of every kind must not add queries
        make_visit(visitors=[persona("visitor"), persona("partner")], status=Visit.Status.DRAFT)
    client.force_login(persona(username))
    client.get("/")  # the first request after signing in refreshes the session: not counted
    with django_assert_num_queries(queries):
        assert client.get("/").status_code == 200


@pytest.mark.parametrize("username", PERSONAS)
def test_every_persona_gets_a_home_page(client, db, username):
    client.force_login(persona(username))
    assert client.get("/").status_code == 200


def test_healthz_round_trips_the_database(client, db, django_assert_num_queries):
    with django_assert_num_queries(1):
        response = client.get("/healthz")
    assert response.status_code == 200
    assert response.content == b"ok"
    assert "no-cache" in response["Cache-Control"]


def test_login_with_wrong_password_says_what_to_do(client, db):
    response = client.post(reverse("login"), {"username": "visitor", "password": "wrong"})
    assert response.status_code == 200
    assert "There is a problem" in response.content.decode()
    assert "correct username and password" in response.content.decode()


def test_login_and_logout(client, db, settings):
    response = client.post(
        reverse("login"), {"username": "visitor", "password": settings.DEMO_PASSWORD}
    )
    assert response.status_code == 302 and response["Location"] == "/"
    assert client.get("/").status_code == 200
    assert client.post(reverse("logout")).status_code == 302
    assert client.get("/").status_code == 302
