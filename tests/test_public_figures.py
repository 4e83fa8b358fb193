"""Published figures (issue 20): the manager publishes an ended quarter; anyone may then read
its figures, page, CSV and JSON, with no personal data and small counts suppressed.

The quarter is 2026-Q3 (ended on the real clock's today and on the frozen one below): seven
Wymondham visits, each with a detainee whose custody number, answer note, issue description
and the sergeant's name are the canary values of tests/canary.py, searched for in every body.
"""

import csv
import datetime
import io
import json
import re
import zoneinfo
from pathlib import Path

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests import canary
from tests.conftest import PERSONAS, persona
from tests.factories import make_visit, question_ids, suite
from visits.errors import ConflictError, DomainError, NotPermitted
from visits.models import AuditEntry, Issue, PublishedQuarter, Scheme, Visit
from visits.publication import (
    SMALL_COUNT,
    PublicValue,
    is_small,
    share_is_small,
    withhold_differences,
)
from visits.services import publication as service
from visits.services import visits as visit_service
from visits.services.issues import act
from visits.summaries import Period, summarise

LONDON = zoneinfo.ZoneInfo("Europe/London")
TODAY = datetime.date(2026, 12, 1)
Q3, Q4 = "2026-Q3", "2026-Q4"
SERGEANT = "PS 4471 Quennell"
GOOD_PRACTICE = "Canary good practice lapwing"
# Every personal value the quarter's reports hold: none may be in a public body.
PERSONAL = [
    re.compile(re.escape(canary.CUSTODY_NUMBER)),
    re.compile(r"WY-8\d{4}-26"),  # every custody number of the quarter
    re.compile(r"kestrel", re.I),  # the detainee answer's note
    re.compile(r"bittern", re.I),  # the issue's description
    re.compile(r"heron", re.I),  # the manager's triage note
    re.compile(r"plover", re.I),  # the note shared with the force
    re.compile(r"lapwing", re.I),  # good practice (free text)
    re.compile(r"Quennell"),  # the sergeant
    re.compile(r"\bHolt\b|\bShaw\b|\bBrook\b|\bVera\b|\bPeter\b|\bMaya\b"),  # visitors, manager
]


def _visit(n: int, *, under_18=False, issue=False, day=None) -> Visit:
    vera, peter = persona("visitor"), persona("partner")
    day = day or datetime.date(2026, 7, 6) + datetime.timedelta(weeks=n)
    arrived = datetime.datetime.combine(day, datetime.time(10), tzinfo=LONDON)
    visit = visit_service.start_visit(
        actor=vera, suite=suite("Wymondham"), co_visitors=[peter], arrived_at=arrived
    )
    visit_service.record_admission(
        actor=vera, visit=visit, admitted_at=arrived + datetime.timedelta(minutes=5)
    )
    answers = dict.fromkeys(question_ids(visit.detainee_checklist_id), ("yes", ""))
    first = min(answers)
    answers[first] = ("no", canary.ANSWER_NOTE) if n < 5 else ("yes", "")
    visit_service.save_detainee(
        actor=vera,
        visit=visit,
        details=visit_service.DetaineeDetails(
            custody_number=canary.CUSTODY_NUMBER if n == 0 else f"WY-8{n:04d}-26",
            under_18=under_18,
            answers=answers,
        ),
    )
    visit_service.record_numbers(
        actor=vera,
        visit=visit,
        numbers={"in_custody": 2, "offered": 1, "visited": 1, "nv_asleep": 1},
    )
    if issue:
        visit_service.raise_issue(
            actor=vera, visit=visit, category="conditions", description=canary.UNREFERRED
        )
    visit_service.record_good_practice(actor=vera, visit=visit, text=GOOD_PRACTICE)
    visit_service.record_sign_off(
        actor=vera,
        visit=visit,
        sign_off=visit_service.SignOff(
            departed_at=arrived + datetime.timedelta(minutes=90),
            outcome=Visit.Outcome.SATISFACTORY,
            sergeant_name=SERGEANT,
            sergeant_confirmed=True,
            confirmed_by=[vera, peter],
        ),
    )
    return visit_service.submit_visit(actor=vera, visit=visit, notify=False)


@pytest.fixture(autouse=True)
def on_the_first_of_december():
    """Q3 has ended and Q4 is running, whatever the real date."""
    with time_machine.travel(datetime.datetime(2026, 12, 1, 12, tzinfo=LONDON), tick=False):
        yield


@pytest.fixture
def quarter(db):
    """Seven visits in 2026-Q3 (7 seen, 1 under 18, 2 issues: one referred with notes)."""
    with time_machine.travel(datetime.datetime(2026, 10, 5, 12, tzinfo=LONDON), tick=False):
        for n in range(7):
            _visit(n, under_18=n == 3, issue=n in (1, 2))
        manager = persona("manager")
        issue = Issue.objects.filter(description=canary.UNREFERRED).first()
        act(actor=manager, issue=issue, action="triage", text=canary.TRIAGE_NOTE, notify=False)
        act(actor=manager, issue=issue, action="refer", notify=False)
        act(
            actor=manager,
            issue=issue,
            action="comment",
            text=canary.SHARED_NOTE,
            shared_with_force=True,
            notify=False,
        )
    return Scheme.objects.get(slug="norfolk")


@pytest.fixture
def published(quarter):
    service.publish_quarter(actor=persona("manager"), scheme=quarter, period=Q3, today=TODAY)
    return quarter


def urls(slug="norfolk", period=Q3) -> dict:
    return {
        "page": reverse("public-quarter", args=[slug, period]),
        "latest": reverse("public-figures", args=[slug]),
        "csv": reverse("public-csv", args=[slug, period]),
        "json": reverse("public-json", args=[slug, period]),
    }


# --- Publishing --------------------------------------------------------------------------------


def test_the_manager_publishes_an_ended_quarter_and_it_is_audited(quarter):
    row = service.publish_quarter(actor=persona("manager"), scheme=quarter, period=Q3, today=TODAY)
    assert row.is_live and row.period == Q3 and row.published_by == persona("manager")
    entry = AuditEntry.objects.filter(action="figures.published").latest("pk")
    assert entry.detail == {"period": Q3} and entry.scheme == quarter


def test_a_running_quarter_is_refused_with_a_code(quarter):
    with pytest.raises(ConflictError) as refused:
        service.publish_quarter(actor=persona("manager"), scheme=quarter, period=Q4, today=TODAY)
    assert refused.value.code == "quarter_not_ended"
    assert "1 January 2027" in refused.value.message
    # The last day of a quarter is still inside it.
    with pytest.raises(ConflictError):
        service.publish_quarter(
            actor=persona("manager"),
            scheme=quarter,
            period=Q3,
            today=datetime.date(2026, 9, 30),
        )
    assert not PublishedQuarter.objects.exists()


@pytest.mark.parametrize("key", ["2026", "2026-Q5", "", "Q3", "2026-Q3;drop"])
def test_a_year_or_nonsense_is_not_a_quarter(quarter, key):
    with pytest.raises(DomainError) as refused:
        service.publish_quarter(actor=persona("manager"), scheme=quarter, period=key, today=TODAY)
    assert refused.value.code == "not_a_quarter"


@pytest.mark.parametrize("who", ["pcc", "force", "coordinator", "visitor", "outsider"])
def test_only_the_manager_may_publish(quarter, who):
    with pytest.raises(NotPermitted) as refused:
        service.publish_quarter(actor=persona(who), scheme=quarter, period=Q3, today=TODAY)
    assert refused.value.code == "role_not_allowed"


def test_publishing_twice_is_a_conflict_and_withdrawing_then_publishing_again_works(published):
    manager = persona("manager")
    with pytest.raises(ConflictError) as refused:
        service.publish_quarter(actor=manager, scheme=published, period=Q3, today=TODAY)
    assert refused.value.code == "already_published"
    service.withdraw_quarter(actor=manager, scheme=published, period=Q3)
    with pytest.raises(ConflictError) as refused:
        service.withdraw_quarter(actor=manager, scheme=published, period=Q3)
    assert refused.value.code == "not_published"
    service.publish_quarter(actor=manager, scheme=published, period=Q3, today=TODAY)
    assert PublishedQuarter.objects.get().is_live
    actions = list(
        AuditEntry.objects.filter(action__startswith="figures.").values_list("action", flat=True)
    )
    assert actions == ["figures.published", "figures.withdrawn", "figures.published"]


# --- The manager's page, linked from the summaries page ---------------------------------------


def test_the_manager_publishes_from_the_page_without_javascript(client, quarter):
    client.force_login(persona("manager"))
    summary = client.get(reverse("summary"), {"period": Q3}).content.decode()
    page_url = reverse("publication", args=["norfolk"])
    assert 'id="publication"' in summary and page_url in summary
    page = client.get(page_url).content.decode()
    assert "Publish July to September 2026" in page and "Publish April to June 2026" in page
    response = client.post(page_url, {"period": Q3, "action": "publish"}, follow=True)
    text = response.content.decode()
    assert "Published." in text and "Withdraw July to September 2026" in text
    assert "Published on 1 December 2026 by Maya Brook" in text
    assert reverse("public-quarter", args=["norfolk", Q3]) in text
    assert PublishedQuarter.objects.live().filter(period=Q3).exists()


def test_the_htmx_post_returns_the_list(client, published):
    client.force_login(persona("manager"))
    url = reverse("publication", args=["norfolk"])
    response = client.post(url, {"period": Q3, "action": "withdraw"}, HTTP_HX_REQUEST="true")
    text = response.content.decode()
    assert response.status_code == 200 and text.lstrip().startswith('<div id="publication-list"')
    assert "Withdrawn." in text and "Publish July to September 2026" in text
    refused = client.post(url, {"period": Q4, "action": "publish"}, HTTP_HX_REQUEST="true")
    assert refused.status_code == 400 and "has not ended" in refused.content.decode()


def test_the_running_quarter_has_no_button_and_a_forged_post_is_refused(client, quarter):
    client.force_login(persona("manager"))
    url = reverse("publication", args=["norfolk"])
    page = client.get(url).content.decode()
    assert "October to December 2026 has not ended" in page
    assert f'value="{Q4}"' not in page
    response = client.post(url, {"period": Q4, "action": "publish"})
    assert response.status_code == 409
    assert "has not ended: it can be published from 1 January 2027" in response.content.decode()
    response = client.post(url, {"period": Q3})
    assert response.status_code == 400
    assert "Choose whether to publish or withdraw" in response.content.decode()
    assert not PublishedQuarter.objects.exists()


def test_the_pcc_sees_which_quarters_are_public_but_may_not_change_it(client, published):
    client.force_login(persona("pcc"))
    summary = client.get(reverse("summary"), {"period": Q3}).content.decode()
    assert 'id="publication"' in summary
    url = reverse("publication", args=["norfolk"])
    page = client.get(url).content.decode()
    # No form in the page's main part (the footer's language switch is a form for everyone).
    main = page.split("<main")[1].split("</main>")[0]
    assert "Published on 1 December 2026" in main and "<form" not in main
    assert client.post(url, {"period": Q3, "action": "withdraw"}).status_code == 403
    assert PublishedQuarter.objects.get().is_live


@pytest.mark.parametrize("who", ["force", "coordinator", "visitor", "outsider"])
def test_the_others_never_see_the_page(client, published, who):
    client.force_login(persona(who))
    summary = client.get(reverse("summary"), {"period": Q3})
    assert 'id="publication"' not in summary.content.decode()
    url = reverse("publication", args=["norfolk"])
    assert client.get(url).status_code == 404
    assert client.post(url, {"period": Q3, "action": "withdraw"}).status_code == 404
    assert PublishedQuarter.objects.get().is_live


def test_the_managers_page_makes_a_fixed_number_of_queries(
    client, published, django_assert_num_queries
):
    client.force_login(persona("manager"))
    url = reverse("publication", args=["norfolk"])
    client.get(url)
    # Session, user, memberships; the scheme; its live publications with who published.
    with django_assert_num_queries(5):
        page = client.get(url).content.decode()
    assert page.count('name="action"') == 8
    service.publish_quarter(
        actor=persona("manager"), scheme=published, period="2024-Q1", today=TODAY
    )
    with django_assert_num_queries(5):
        page = client.get(url).content.decode()
    assert page.count('name="action"') == 9 and "January to March 2024" in page


# --- The public page and open data -------------------------------------------------------------


def test_anyone_reads_a_published_quarter_without_signing_in(client, published):
    for kind, url in urls().items():
        response = client.get(url)
        assert response.status_code == 200, kind
        assert "public" in response["Cache-Control"] and "no-store" not in response["Cache-Control"]
    page = client.get(urls()["page"]).content.decode()
    assert "Norfolk Independent Custody Visiting Scheme: published figures" in page
    assert "July to September 2026" in page and "fewer than 5" in page
    assert "How small counts are handled" in page
    data = json.loads(client.get(urls()["json"]).content)
    assert data["period"] == Q3 and data["scheme_slug"] == "norfolk"
    assert data["small_count_threshold"] == SMALL_COUNT
    rows = list(csv.reader(io.StringIO(client.get(urls()["csv"]).content.decode())))
    assert rows[0] == [
        "scheme", "period", "section", "subject", "measure", "label", "unit", "value", "suppressed"
    ]  # fmt: skip


def test_every_signed_in_persona_gets_the_same_public_page(client, published):
    """Nothing of the reader is in it: that is what makes it cacheable."""
    anonymous = client.get(urls()["page"]).content
    for who in PERSONAS:
        client.force_login(persona(who))
        assert client.get(urls()["page"]).content == anonymous, who


@pytest.mark.parametrize(
    "url",
    [
        *(u for k, u in urls(period=Q4).items() if k != "latest"),  # running, unpublished
        *(u for k, u in urls(period="2026-Q2").items() if k != "latest"),  # never published
        *urls(slug="suffolk").values(),  # a scheme that published nothing
        *urls(slug="nowhere").values(),
        "/public/norfolk/2026/",
        "/public/norfolk/2026-Q3.xml",
    ],
)
def test_what_is_not_published_is_not_found(client, published, url):
    response = client.get(url)
    assert response.status_code == 404
    assert "There are no published figures at this address" in response.content.decode() or (
        "Page not found" in response.content.decode()
    )


def test_a_withdrawn_quarter_is_gone(client, published):
    service.withdraw_quarter(actor=persona("manager"), scheme=published, period=Q3)
    for url in urls().values():
        assert client.get(url).status_code == 404


def test_no_personal_data_in_any_public_body(client, published):
    bodies = {kind: client.get(url).content.decode() for kind, url in urls().items()}
    # The values are there to be found in what the manager reads (the test can fail).
    client.force_login(persona("manager"))
    report = Visit.objects.get(detainees__custody_number=canary.CUSTODY_NUMBER)
    signed_in = client.get(reverse("visit-report", args=[report.uuid])).content.decode()
    assert canary.CUSTODY_NUMBER in signed_in and "kestrel" in signed_in
    assert "Quennell" in signed_in
    found = [
        f"{kind}: {pattern.pattern}"
        for kind, body in bodies.items()
        for pattern in PERSONAL
        if pattern.search(body)
    ]
    assert not found


def test_each_public_figure_is_the_summarys_or_suppressed_when_small(client, published):
    summary = summarise(published, Period.parse(Q3), with_pattern=False)
    c = summary.current
    data = json.loads(client.get(urls()["json"]).content)
    checked = 0
    for figure in data["figures"]:
        value = c.value(figure["key"])
        if figure["unit"] == "count" and is_small(value):
            assert figure["suppressed"], figure
        if figure["suppressed"]:
            assert figure["value"] is None
        else:
            assert figure["value"] == value, figure
            checked += 1
    assert checked >= 10
    by_key = {f["key"]: f for f in data["figures"]}
    # The known figures: 7 visits, 7 seen of 14 in custody, 1 under 18 and 2 issues (small).
    assert by_key["visits_made"]["value"] == 7 == c.visits_made
    assert by_key["in_custody"]["value"] == 14 and by_key["visited"]["value"] == 7
    assert by_key["seen_under_18"] == {**by_key["seen_under_18"], "value": None, "suppressed": True}
    assert by_key["issues_raised"]["suppressed"] and c.issues_raised == 2
    # A rate made from a small count is suppressed too.
    assert by_key["resolved_on_visit_share"]["suppressed"]
    # The suite's row and the question the first five detainees answered "no".
    (wymondham,) = [s for s in data["suites"] if s["suite"] == "Wymondham"]
    assert wymondham["visits_made"] == 7 and "issues_raised" in wymondham["suppressed"]
    rates = {q.key: q for q in summary.question_rates}
    for question in data["questions"]:
        rate = rates[question["question"]]
        assert question["answered"] == (None if is_small(rate.answered) else rate.answered)
        if is_small(rate.no) or is_small(rate.answered - rate.no):
            assert question["answered_no"] is None
        if share_is_small(rate.no, rate.answered):
            assert question["no_rate"] is None and "no_rate" in question["suppressed"]
        else:
            assert question["no_rate"] == rate.rate
    # The first question: 5 "no" of 7, so 2 "yes": the 5 would tell the 2, and is withheld.
    (first,) = [q for q in data["questions"] if rates[q["question"]].no == 5]
    assert first["answered"] == 7 and first["answered_no"] is None and first["no_rate"] is None
    # The CSV holds the same numbers as the JSON.
    rows = csv.DictReader(io.StringIO(client.get(urls()["csv"]).content.decode()))
    figures = {r["measure"]: r for r in rows if r["section"] == "figure"}
    for figure in data["figures"]:
        row = figures[figure["key"]]
        assert row["suppressed"] == str(figure["suppressed"]).lower()
        assert row["value"] == ("" if figure["value"] is None else f"{figure['value']}")


def test_numbers_are_rounded_in_the_open_data(client, published):
    text = client.get(urls()["csv"]).content.decode() + client.get(urls()["json"]).content.decode()
    assert not re.search(r"\d\.\d{2,}", text)


def test_a_lone_withheld_count_of_a_sum_takes_the_smallest_other_part_with_it():
    def counts(*values):
        return [PublicValue(str(i), "", "count", v, v is None) for i, v in enumerate(values)]

    # offered 12 = visited 9 + observed (3, withheld) + declined 0: visited goes too.
    total, parts = counts(12), counts(9, None, 0)
    withhold_differences([((total, 0), [(parts, i) for i in range(3)])])
    assert [v.value for v in parts] == [None, None, 0] and total[0].value == 12
    # Withheld total, published parts: the smallest non-zero part goes.
    total, parts = counts(None), counts(0, 7, 6)
    withhold_differences([((total, 0), [(parts, i) for i in range(3)])])
    assert [v.value for v in parts] == [0, 7, None]
    # The only other parts are zero: the total goes.
    total, parts = counts(8), counts(None, 0)
    withhold_differences([((total, 0), [(parts, i) for i in range(2)])])
    assert total[0].suppressed
    # Two withheld already: nothing more.
    total, parts = counts(20), counts(None, None, 12)
    withhold_differences([((total, 0), [(parts, i) for i in range(3)])])
    assert parts[2].value == 12 and total[0].value == 20


def test_a_suite_is_not_told_by_subtracting_the_others(client, quarter):
    """Two suites: Wymondham's 7 visits and Aylsham's 3 (withheld): with the scheme's 10 and
    Wymondham's 7 published, Aylsham's would be 10 - 7; so Wymondham's is withheld too."""
    with time_machine.travel(datetime.datetime(2026, 10, 5, 12, tzinfo=LONDON), tick=False):
        for week in range(3):
            make_visit(
                suite_name="Aylsham",
                visitors=[persona("abigail.reeve"), persona("ben.catchpole")],
                arrived_at=datetime.datetime(2026, 8, 3 + 7 * week, 10, tzinfo=LONDON),
            )
    service.publish_quarter(actor=persona("manager"), scheme=quarter, period=Q3, today=TODAY)
    data = json.loads(client.get(urls()["json"]).content)
    suites = {row["suite"]: row for row in data["suites"]}
    made = next(f for f in data["figures"] if f["key"] == "visits_made")
    assert made["value"] == 10
    assert suites["Aylsham"]["visits_made"] is None
    assert suites["Wymondham"]["visits_made"] is None
    assert "visits_made" in suites["Wymondham"]["suppressed"]


def test_the_suppression_rule():
    assert [is_small(n) for n in (0, 1, 4, 5, None)] == [False, True, True, False, False]
    assert share_is_small(3, 20) and share_is_small(18, 20) and share_is_small(5, 3)
    assert not share_is_small(0, 20) and not share_is_small(15, 20) and not share_is_small(0, 0)


def test_the_public_page_makes_a_fixed_number_of_queries(client, published):
    """The publication (1), the published annual reports (1) and the one summary's queries,
    however many quarters."""
    with CaptureQueriesContext(connection) as summary_queries:
        summarise(published, Period.parse(Q3), with_pattern=False, with_internal_notes=False)
    with CaptureQueriesContext(connection) as page_queries:
        client.get(urls()["page"])
    assert len(page_queries) == 2 + len(summary_queries), [q["sql"] for q in page_queries]
    with time_machine.travel(datetime.datetime(2026, 8, 5, 12, tzinfo=LONDON), tick=False):
        _visit(20, day=datetime.date(2026, 8, 4))
    service.publish_quarter(
        actor=persona("manager"), scheme=published, period="2026-Q2", today=TODAY
    )
    with CaptureQueriesContext(connection) as more:
        page = client.get(urls()["page"]).content.decode()
    assert len(more) == len(page_queries)
    assert "April to June 2026" in page  # the list of published quarters


def test_the_latest_published_quarter_is_the_schemes_front_page(client, published):
    page = client.get(urls()["latest"]).content.decode()
    assert "Figures for July to September 2026" in page
    assert reverse("public-csv", args=["norfolk", Q3]) in page


def test_the_public_page_links_the_schemes_published_annual_reports(client, published):
    from visits.services import annual_reports

    manager = persona("manager")
    sections = annual_reports.Sections(
        findings="Cells were clean.",
        force_responses="Answered in time.",
        examples_of_change="Blankets replaced.",
        thanks="Thank you all.",
    )
    for year in (2024, 2025):
        report = annual_reports.save_annual_report(
            actor=manager, scheme=published, year=year, sections=sections, expected_revision=0
        )
        if year == 2025:
            annual_reports.publish_annual_report(
                actor=manager, scheme=published, year=year, expected_revision=report.revision
            )
    page = client.get(urls()["page"]).content.decode()
    assert reverse("public-annual-report", args=["norfolk", 2025]) in page
    assert "Annual report 2025" in page and "2024" not in page  # a draft is nobody's to read


def test_the_public_page_links_to_nothing_behind_sign_in(client, published):
    page = client.get(urls()["page"]).content.decode()
    links = re.findall(r'href="([^"]+)"', page)
    assert links and all(
        link.startswith(("/public/norfolk/", "/static/", "#")) for link in links
    ), links
    assert "<form" not in page and "<script" not in page


def test_the_definitions_name_every_open_data_field(client, published):
    from visits.publication import DEFINITIONS

    data = json.loads(client.get(urls()["json"]).content)
    fields = {f["key"] for f in data["figures"]}
    for row in data["suites"] + data["questions"] + data["issue_categories"]:
        fields |= set(row) - {"label"}
    assert fields <= set(DEFINITIONS) | {"issues_raised"}, fields - set(DEFINITIONS)
    doc = (Path(__file__).parent.parent / "docs" / "published-figures.md").read_text()
    missing = [key for key in DEFINITIONS if f"`{key}`" not in doc]
    assert not missing, missing


def test_the_force_learns_no_plan_from_the_public_page(client, published):
    for url in urls().values():
        text = client.get(url).content.decode()
        for _label, pattern in canary.FORCE_SUMMARY_FORBIDDEN:
            assert not pattern.search(text), (url, pattern.pattern)


def test_a_share_whose_rest_is_small_takes_its_part_or_whole_with_it():
    """7 needed an appropriate adult and 5 had one: publishing both would tell that 2 did not,
    so one of them is withheld with the share."""
    from visits.publication import published_values
    from visits.summaries import Figures

    figures = Figures()
    figures.detainees_recorded = 30
    figures.appropriate_adult_needed, figures.appropriate_adult_met = 7, 5
    figures.issues_raised, figures.issues_resolved_on_visit = 20, 10  # a rest of 10: all shown
    shown = published_values(figures)
    needed, met = shown["appropriate_adult_needed"], shown["appropriate_adult_met"]
    assert shown["appropriate_adult_met_share"].suppressed
    assert needed.suppressed or met.suppressed
    assert not (shown["issues_raised"].suppressed or shown["issues_resolved_on_visit"].suppressed)
    assert shown["resolved_on_visit_share"].value == 50
