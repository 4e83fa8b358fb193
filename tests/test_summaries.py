"""Summaries for the PCC: figures checked by hand, sums that must agree, every output alike."""

import csv
import datetime
import html
import io
import zoneinfo

import pytest
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pypdf import PdfReader

from tests.conftest import PERSONAS, persona
from tests.factories import make_visit, record_visit, suite
from visits.models import AuditEntry, Scheme, Visit
from visits.services import issues as issue_service
from visits.services import visits as service
from visits.summaries import NATIONAL_RETURN_COLUMNS, Period, summarise

LONDON = zoneinfo.ZoneInfo("Europe/London")
Q3 = Period.parse("2026-Q3")


def at(day: str, hour: int, minute: int = 0) -> datetime.datetime:
    return datetime.datetime.fromisoformat(day).replace(hour=hour, minute=minute, tzinfo=LONDON)


def record(suite_name, arrived, numbers, **recorded) -> Visit:
    """A visit through the services with exactly the figures given (factories.record_visit),
    by the pair who visit the suite."""
    visitors = [persona("visitor"), persona("partner")]
    if suite_name == "Aylsham":
        visitors = [persona("abigail.reeve"), persona("ben.catchpole")]
    return record_visit(suite_name, arrived, numbers, visitors=visitors, **recorded)


def tact_trained(usernames, on: datetime.date) -> None:
    """Their TACT training recorded on `on` (a TACT detainee needs a TACT-trained pair)."""
    from visits.models import TrainingModule
    from visits.services import training

    for username in usernames:
        membership = persona(username).memberships.get()
        module = TrainingModule.objects.get(scheme=membership.scheme, key="tact")
        if not membership.training_completions.filter(module=module, completed_on=on).exists():
            training.record_completion(
                actor=persona("manager"), membership=membership, module=module, completed_on=on
            )


@pytest.fixture
def known(db):
    """Q2 2026: one visit. Q3 2026: two visits made and one abandoned, with known figures."""
    record("Wymondham", at("2026-05-05", 14), {"in_custody": 1, "offered": 1, "visited": 1})
    v1 = record(
        "Wymondham",
        at("2026-07-06", 10),
        {
            "in_custody": 5,
            "offered": 3,
            "visited": 2,
            "declined": 1,
            "nv_asleep": 2,
            "under_18": 1,
            "adults": 4,
        },
        delay=15,
        detainees=[
            {"under_18": True, "appropriate_adult_needed": True, "appropriate_adult_present": True},
            {},
        ],
    )
    v2 = record(
        "Aylsham",
        at("2026-08-15", 23),
        {"in_custody": 2, "offered": 2, "visited": 2},
        detainees=[{"interpreter_needed": True, "interpreter_used": True}, {}],
    )
    record("Wymondham", at("2026-09-10", 11), {}, abandoned=True, minutes=10)
    # Issues: one resolved on v1, one on v2 referred on Mon 17 Aug, answered Thu 20 Aug.
    for visit, resolved in ((v1, True), (v2, False)):
        Visit.objects.filter(pk=visit.pk).update(status="draft")
        issue = service.raise_issue(
            actor=visit.created_by,
            visit=visit,
            category="welfare",
            description="Blankets ran out.",
            resolved_on_visit=resolved,
        )
        Visit.objects.filter(pk=visit.pk).update(status="submitted")
    import time_machine

    with time_machine.travel(at("2026-08-17", 9), tick=False):
        issue = issue_service.act(
            actor=persona("manager"), issue=issue, action="refer", notify=False
        )
    with time_machine.travel(at("2026-08-20", 15), tick=False):
        issue_service.act(
            actor=persona("force"),
            issue=issue,
            action="respond",
            text="New stock arrived.",
            notify=False,
        )
    return Scheme.objects.get(slug="norfolk")


def test_every_figure_against_a_hand_computed_value(known):
    s = summarise(known, Q3)
    c, p = s.current, s.previous
    assert (c.visits_made, c.visits_abandoned, p.visits_made) == (2, 1, 1)
    assert (c.visits_target, p.visits_target, c.visits_planned) == (52, 52, 0)
    assert (c.delays, c.delay_average, c.delay_longest) == (1, 15.0, 15)
    assert c.delay_reasons == [("Moving a detainee", 1)]
    assert (c.in_custody, c.offered, c.visited, c.declined, c.observed_only) == (7, 5, 4, 1, 0)
    assert c.not_visited["Asleep"] == 2 and c.not_visited_total == 2
    assert c.under_18 == 1
    assert (c.detainees_recorded, c.appropriate_adult_needed, c.appropriate_adult_present) == (
        4,
        1,
        1,
    )
    assert (c.interpreter_needed, c.interpreter_used, c.mental_health) == (1, 1, 0)
    assert c.by_band == {"Weekday daytime": 1, "Evening": 0, "Weekend": 0, "Night": 1}
    assert c.by_day == [1, 0, 0, 0, 0, 1, 0]
    assert c.hours_volunteered == pytest.approx(6.0)
    assert (c.issues_raised, c.issues_resolved_on_visit, c.issues_referred) == (2, 1, 1)
    assert c.resolved_on_visit_share == 50
    assert c.issues_by_category == {
        "Welfare and care": {"raised": 2, "resolved on the visit": 1, "referred": 1, "open now": 1}
    }
    assert c.issues_open_at_end == 1  # responded, not yet accepted
    assert (c.response_median_days, c.responses_overdue) == (3, 0)
    assert c.response_times == {
        "Up to 5 working days": 1,
        "6 to 10": 0,
        "11 to 20": 0,
        "Over 20": 0,
        "Not yet": 0,
    }
    assert c.issues_by_status == {"Resolved on the visit": 1, "Force responded": 1}
    assert c.by_week == {"2026-07-06": [1, 0], "2026-08-10": [1, 0]}
    assert c.weekly() == [("w/c 06 Jul", 1), ("w/c 10 Aug", 1)]
    assert c.tact_visits == 0
    assert [
        (r.name, r.visits_made, r.visits_abandoned, r.issues_raised, r.previous_made)
        for r in s.suites
    ] == [
        ("Aylsham", 1, 0, 1, 0),
        ("Great Yarmouth", 0, 0, 0, 0),
        ("King's Lynn", 0, 0, 0, 0),
        ("Wymondham", 1, 1, 1, 1),
    ]
    assert s.sentences()[0] == (
        "2 of 52 visits expected (each suite weekly) in the weeks begun were made (4%), "
        "up from 1 in the period before."
    )


def test_a_years_pdf_renders_and_groups_weeks_by_month(known):
    year = summarise(known, Period.parse("2026"))
    assert [label for label, _ in year.current.weekly()][:2] == ["May 2026", "Jul 2026"] or (
        len(year.current.by_week) <= 16
    )
    from visits.summary_pdf import render_summary

    assert render_summary(year).startswith(b"%PDF")


def test_summary_queries_are_fixed(known, django_assert_num_queries):
    # Suites, visits, coverage (with the rota and the visitors), detainees, issues by category,
    # response times (counted by working days), the period's referred issues, "no" rates, and
    # good practice.
    with django_assert_num_queries(9):
        summarise(known, Q3)
    for day in ("2026-07-13", "2026-07-20", "2026-08-03"):
        record(
            "Wymondham", at(day, 12), {"in_custody": 1, "offered": 1, "visited": 1}, detainees=[{}]
        )
    with django_assert_num_queries(9):
        summarise(known, Q3)


def test_pdf_carries_the_headline_of_the_page(client, known):
    client.force_login(persona("pcc"))
    page = client.get(reverse("summary"), {"period": "2026-Q3"}).content.decode()
    pdf = client.get(reverse("summary-pdf"), {"period": "2026-Q3"})
    reader = PdfReader(io.BytesIO(pdf.content))
    text = " ".join(" ".join(p.extract_text().split()) for p in reader.pages)
    for sentence in summarise(known, Q3).sentences():
        assert html.escape(sentence) in page
        assert sentence in text
    assert reader.metadata.title.endswith("July to September 2026")
    outline = reader.outline
    assert outline[0].title == "Independent custody visiting"
    assert {"In brief", "Key figures", "Charts", "Good practice"} <= {e.title for e in outline[1]}
    assert "WY-00100-26" not in text and "Vera Holt" not in text  # no numbers, no names


def test_csv_and_national_return(client, known):
    client.force_login(persona("manager"))
    rows = list(
        csv.reader(
            io.StringIO(client.get(reverse("summary-csv"), {"period": "2026-Q3"}).content.decode())
        )
    )
    assert rows[0] == ["Figure", "Key", "July to September 2026", "April to June 2026"]
    labels = {row[1]: row[0] for row in rows if len(row) == 4}
    figures = {row[1]: row[2:] for row in rows if len(row) == 4}
    assert (labels["visits_made"], figures["visits_made"]) == ("Visits made", ["2", "1"])
    assert labels["not_visited.Asleep"] == "Not visited, by reason: Asleep"
    assert figures["not_visited.Asleep"] == ["2", "0"]
    assert figures["delay_average"] == ["15.0", "0.0"]
    ret = list(
        csv.reader(
            io.StringIO(
                client.get(reverse("summary-return"), {"period": "2026-Q3"}).content.decode()
            )
        )
    )
    assert ret[0] == NATIONAL_RETURN_COLUMNS
    row = dict(zip(ret[0], ret[1], strict=True))
    assert (row["period"], row["visits_made"], row["visited"], row["issues_raised"]) == (
        "2026-Q3",
        "2",
        "4",
        "2",
    )
    actions = set(AuditEntry.objects.values_list("action", flat=True))
    assert {"summary.csv", "summary.national_return"} <= actions


# Who may read the summaries (ARCHITECTURE.md): not visitors, not another scheme.
PAGE = {
    "visitor": 404,
    "partner": 404,
    "coordinator": 200,
    "manager": 200,
    "pcc": 200,
    "force": 200,
    "outsider": 404,
}


@pytest.mark.parametrize("username", PERSONAS)
def test_summary_permission_matrix(client, known, username):
    client.force_login(persona(username))
    for name in ("summary", "summary-csv", "summary-pdf"):
        assert client.get(reverse(name), {"period": "2026-Q3"}).status_code == PAGE[username]
    assert client.get("/api/summaries/", {"period": "2026-Q3"}).status_code == PAGE[username]
    national = client.get(reverse("summary-return"), {"period": "2026-Q3"}).status_code
    assert national == {"manager": 200, "pcc": 200, "coordinator": 403, "force": 403}.get(
        username, 404
    )


def test_coordinator_sees_only_their_panel(client, known):
    client.force_login(persona("coordinator"))  # Aylsham panel
    response = client.get(reverse("summary"), {"period": "2026-Q3"})
    assert response.context["summary"].suite_names == ["Aylsham"]
    assert response.context["c"].visits_made == 1
    other = suite("Wymondham").pk
    response = client.get(reverse("summary"), {"period": "2026-Q3", "suite": other})
    assert response.context["summary"].suite_names == ["Aylsham"]  # not hers: ignored


def test_htmx_period_picker_and_a_bad_period(client, known):
    client.force_login(persona("pcc"))
    part = client.get(reverse("summary"), {"period": "2026-Q3"}, headers={"HX-Request": "true"})
    assert part.content.decode().strip().startswith('<div id="summary">')
    bad = client.get(reverse("summary"), {"period": "2026-Q9"})
    assert bad.status_code == 200 and "is not a quarter like 2026-Q4" in bad.content.decode()
    api = client.get("/api/summaries/", {"period": "last year"})
    assert api.status_code == 400 and api.json()["code"] == "period_invalid"


def test_dashboard_queries_are_within_budget(client, known, django_assert_max_num_queries):
    client.force_login(persona("pcc"))
    client.get("/")
    # Session, user, memberships and suites; the summary's 8 queries; 3 to record the read.
    with django_assert_max_num_queries(15):
        client.get(reverse("summary"), {"period": "2026-Q3"})


def test_api_returns_the_same_figures(client, known):
    client.force_login(persona("manager"))
    data = client.get("/api/summaries/", {"period": "2026-Q3"}).json()
    assert data["current"]["visits_made"] == 2 and data["previous"]["visits_made"] == 1
    assert data["headline"] == summarise(known, Q3).sentences()


ADDITIVE = [
    "visits_made",
    "visits_abandoned",
    "delays",
    "in_custody",
    "offered",
    "visited",
    "declined",
    "under_18",
    "detainees_recorded",
    "issues_raised",
    "issues_resolved_on_visit",
    "issues_referred",
    "tact_visits",
]


@settings(
    max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["Aylsham", "Wymondham", "Great Yarmouth"]),
            st.integers(0, 360),
            st.integers(0, 3),
            st.booleans(),
        ),
        min_size=1,
        max_size=6,
    )
)
def test_suites_add_up_to_the_scheme_and_quarters_to_the_year(db, visits):
    tact_trained(
        ["visitor", "partner", "abigail.reeve", "ben.catchpole"], datetime.date(2024, 12, 1)
    )
    for suite_name, day, seen, tact in visits:
        arrived = at("2025-01-01", 10) + datetime.timedelta(days=day)
        people = (
            [persona("abigail.reeve"), persona("ben.catchpole")]
            if suite_name == "Aylsham"
            else [persona("visitor"), persona("partner")]
        )
        make_visit(
            suite_name=suite_name, visitors=people, detainees=seen, tact=tact, arrived_at=arrived
        )
    norfolk = Scheme.objects.get(slug="norfolk")
    year = Period.parse("2025")
    whole = summarise(norfolk, year).current
    by_suite = [summarise(norfolk, year, [s.pk]).current for s in norfolk.suites.all()]
    by_quarter = [summarise(norfolk, q).current for q in year.quarters()]
    for name in ADDITIVE:
        assert getattr(whole, name) == sum(getattr(f, name) for f in by_suite), name
        assert getattr(whole, name) == sum(getattr(f, name) for f in by_quarter), name


def test_national_report_has_every_scheme(known, tmp_path):
    from django.core.management import call_command

    out = tmp_path / "national.pdf"
    call_command("national_report", period="2026-Q3", output=str(out), stdout=io.StringIO())
    reader = PdfReader(str(out))
    text = " ".join(page.extract_text() for page in reader.pages)
    assert "Norfolk Independent Custody Visiting Scheme" in text
    assert "Suffolk Independent Custody Visiting Scheme" in text
    assert reader.metadata.title.endswith("July to September 2026")


MID_Q3 = datetime.date(2026, 8, 15)  # a Saturday, 46 days into the quarter


def test_a_running_quarter_is_so_far_and_compared_with_the_same_part(known):
    # A Q2 visit after the same point of Q2 (16 May) is not compared with.
    record("Wymondham", at("2026-06-20", 14), {"in_custody": 3, "offered": 3, "visited": 3})
    s = summarise(known, Q3, today=MID_Q3)
    c, p = s.current, s.previous
    assert (s.complete, s.up_to, s.previous_up_to) == (
        False,
        MID_Q3,
        datetime.date(2026, 5, 16),
    )
    # 6 and 10 August's visits... the abandoned one of 10 September has not happened yet.
    assert (c.visits_made, c.visits_abandoned, p.visits_made, p.visited) == (2, 0, 1, 1)
    # Rota weeks begun: Mondays 6 July to 10 August (6), and 6 April to 11 May (6), 4 a week.
    assert (c.visits_target, p.visits_target) == (24, 24)
    assert c.issues_open_at_end == 1
    assert s.period_label == "July to September 2026, so far (to 15 August 2026)"
    assert s.previous_label == "April to June 2026, the same part (to 16 May 2026)"
    lines = s.sentences()
    assert lines[0] == (
        "The period has not ended: these are the figures so far, to 15 August 2026, compared "
        "with the same part of April to June 2026 (to 16 May 2026)."
    )
    assert lines[1] == (
        "2 of 24 visits expected (each suite weekly) in the weeks begun were made (8%), "
        "up from 1 in the same part of the period before."
    )
    assert lines[5].endswith("1 was referred to the force; 1 is open now.")
    assert "end of the period" not in " ".join(lines)
    labels = {key: label for key, label, _now, _before in s.labelled()}
    assert labels["issues_open_at_end"] == "Issues open now"
    # Once the quarter has ended the same figures are the whole quarter's.
    ended = summarise(known, Q3, today=datetime.date(2026, 10, 1))
    assert ended.complete and ended.current.visits_abandoned == 1
    assert ended.sentences()[4].endswith("1 was open at the end of the period.")


def test_planned_counts_only_rota_weeks_begun(known):
    from tests.factories import make_slot
    from visits.models import RotaPeriod

    rota = RotaPeriod.objects.create(
        scheme=known,
        name="Q3",
        starts_on=datetime.date(2026, 7, 6),
        ends_on=datetime.date(2026, 10, 4),
        availability_closes_on=datetime.date(2026, 6, 20),
        status=RotaPeriod.Status.PUBLISHED,
    )
    pair = [persona("visitor"), persona("partner")]
    for weeks in (0, 5, 6):  # 6 July, 10 August (begun by the 15th), 17 August (to come)
        make_slot(period=rota, suite_name="Wymondham", visitors=pair, weeks_ahead=weeks)
    s = summarise(known, Q3, today=MID_Q3)
    assert s.current.visits_planned == 2
    assert s.current.by_week == {"2026-07-06": [1, 1], "2026-08-10": [1, 1]}
    assert s.sentences()[1].startswith("2 of 2 visits planned on the rota in the weeks begun")
    assert summarise(known, Q3, today=datetime.date(2026, 10, 1)).current.visits_planned == 3


def test_no_rates_needs_and_response_deadlines(known):
    from visits.models import Answer

    s = summarise(known, Q3)
    c = s.current
    # The fixture's detainees were seen without answers: say so rather than divide by nothing.
    assert s.question_rates == [] or all(q.answered == 0 for q in s.question_rates)
    assert (c.seen_under_18, c.appropriate_adult_met, c.interpreter_met) == (1, 1, 1)
    assert (c.appropriate_adult_met_share, c.interpreter_met_share) == (100, 100)
    # Referred Monday 17 August, due 28 days later; answered on the 20th: in time.
    assert (c.responses_given, c.responses_in_time, c.responses_in_time_share) == (1, 1, 100)
    visit = Visit.objects.filter(visit_date="2026-07-06").get()
    questions = list(
        visit.detainee_checklist.sections.first().questions.filter(answer_type="yes_no")[:2]
    )
    detainee = visit.detainees.first()
    Answer.objects.create(visit=visit, detainee=detainee, question=questions[0], value="no")
    Answer.objects.create(visit=visit, detainee=detainee, question=questions[1], value="yes")
    other = visit.detainees.last()
    Answer.objects.create(visit=visit, detainee=other, question=questions[0], value="yes")
    Answer.objects.create(visit=visit, detainee=other, question=questions[1], value="na")
    s = summarise(known, Q3)
    rates = {q.key: q for q in s.question_rates}
    first, second = rates[questions[0].key], rates[questions[1].key]
    assert (first.no, first.answered, first.rate, first.by_suite) == (1, 2, 50, {"Wymondham": 50})
    assert (second.rate, second.previous_rate) == (0, None)
    assert s.trend_quarters[-1] == "2026-Q3" and len(s.trend_quarters) == 8
    assert first.trend == [None] * 7 + [50]


def test_suppression_of_small_counts():
    from visits.summaries import suppressed

    assert [suppressed(n) for n in (0, 1, 4, 5, 12)] == [0, "fewer than 5", "fewer than 5", 5, 12]


def test_joiners_and_leavers_are_counted_in_the_windows_they_fall_in(db):
    """A visitor appointed in Q1 who left in Q2 was a visitor at the end of Q1, joined in Q1,
    left in Q2 and is no visitor at the end of Q2 or since; one marked as left without a
    leaving day cannot be placed in time and counts nowhere."""
    from django.contrib.auth import get_user_model

    from visits.models import Membership, Role, VisitorStatus

    scheme = Scheme.objects.get(slug="norfolk")
    figures = {key: summarise(scheme, Period.parse(key)).current for key in ("2025-Q1", "2025-Q2")}
    User = get_user_model()
    Membership.objects.create(
        user=User.objects.create_user("joiner", first_name="Jo", last_name="Iner"),
        scheme=scheme,
        role=Role.VISITOR,
        status=VisitorStatus.LEFT,
        appointed_on=datetime.date(2025, 2, 10),
        left_on=datetime.date(2025, 5, 20),
    )
    Membership.objects.create(
        user=User.objects.create_user("undated", first_name="Un", last_name="Dated"),
        scheme=scheme,
        role=Role.VISITOR,
        status=VisitorStatus.LEFT,
        appointed_on=datetime.date(2025, 2, 11),
    )
    q1, q2 = (summarise(scheme, Period.parse(key)).current for key in ("2025-Q1", "2025-Q2"))
    before_q1, before_q2 = figures["2025-Q1"], figures["2025-Q2"]
    assert q1.volunteers_active == before_q1.volunteers_active + 1
    assert q1.volunteers_joined == before_q1.volunteers_joined + 1
    assert q1.volunteers_left == before_q1.volunteers_left
    assert q2.volunteers_active == before_q2.volunteers_active
    assert q2.volunteers_joined == before_q2.volunteers_joined
    assert q2.volunteers_left == before_q2.volunteers_left + 1
    year = summarise(scheme, Period.parse("2025")).current
    assert year.volunteers_joined >= 1 and year.volunteers_left >= 1
