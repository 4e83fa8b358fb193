"""Every door shows the same figure: for random small datasets, each figure of the summary is the
same number on the page, in the PDF's text, in the CSV, in the API, in the national return and on
the PCC's home, for the same period and viewer; and no custody number reaches the PCC or force."""

import csv
import datetime
import html
import io
import json
import re
import zoneinfo

import pytest
import time_machine
from django.db import transaction
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pypdf import PdfReader

from tests.conftest import persona
from tests.factories import record_visit
from visits.models import DetaineeRecord, Issue, Visit

LONDON = zoneinfo.ZoneInfo("Europe/London")
SUITES = ["Wymondham", "Aylsham"]
FLAGS = ["under_18", "mental_health_concern", "appropriate_adult_needed", "interpreter_needed"]

detainee = st.fixed_dictionaries(
    {flag: st.booleans() for flag in FLAGS}
    | {"met": st.booleans(), "answers": st.lists(st.sampled_from(["yes", "no", "na"]), max_size=4)}
)
visit = st.tuples(
    st.sampled_from(SUITES),
    st.integers(0, 150),  # days after 1 April 2026: the quarter before and this one
    st.integers(6, 23),  # hour of arrival
    st.integers(0, 40),  # minutes kept waiting
    st.booleans(),  # abandoned
    st.lists(detainee, max_size=2),
    st.booleans(),  # an issue raised on it
)


def _record(suite_name, arrived, delay, abandoned, detainees, raise_issue, n) -> None:
    visitors = [persona("visitor"), persona("partner")]
    if suite_name == "Aylsham":
        visitors = [persona("abigail.reeve"), persona("ben.catchpole")]
    seen = len(detainees)
    record_visit(
        suite_name,
        arrived,
        {"in_custody": seen + 1, "offered": seen, "visited": seen, "nv_asleep": 1},
        visitors=visitors,
        delay=delay,
        abandoned=abandoned,
        minutes=75,
        first_custody_number=500 + 10 * n,
        detainees=[
            {
                "under_18": flags["under_18"],
                "mental_health_concern": flags["mental_health_concern"],
                "appropriate_adult_needed": flags["appropriate_adult_needed"],
                "appropriate_adult_present": flags["appropriate_adult_needed"] and flags["met"],
                "interpreter_needed": flags["interpreter_needed"],
                "interpreter_used": flags["interpreter_needed"] and flags["met"],
                "answers_in_order": flags["answers"],
            }
            for flags in detainees
        ],
        issues=[{"category": "welfare", "description": "Blankets ran out."}]
        if raise_issue and not abandoned
        else [],
    )


def _cell(value) -> str:
    """A figure as text, whichever door it came through (None is shown as a dash)."""
    return "–" if value in (None, "") else str(value)


def _bodies(client) -> dict:
    """The summary of Q3 2026 through every door, as text."""
    query = {"period": "2026-Q3"}
    bodies = {
        name: client.get(reverse(name), query).content.decode()
        for name in ("summary", "summary-csv", "api-summary")
    }
    pdf = client.get(reverse("summary-pdf"), query).content
    reader = PdfReader(io.BytesIO(pdf))
    bodies["pdf"] = " ".join(" ".join(p.extract_text().split()) for p in reader.pages)
    return bodies


def _page_figures(page: str) -> dict:
    table = page[page.index('id="key-figures"') :]
    table = table[: table.index("</table>")]
    rows = re.findall(
        r'<tr data-key="([a-z_0-9]+)"><th scope="row">(.*?)</th><td>(.*?)</td><td>(.*?)</td>',
        table,
    )
    return {key: (html.unescape(label), now, before) for key, label, now, before in rows}


def _csv_figures(body: str) -> dict:
    rows = list(csv.reader(io.StringIO(body)))
    return {row[1]: (row[0], _cell(row[2]), _cell(row[3])) for row in rows if len(row) == 4}


def _api_figures(body: str) -> dict:
    return {
        f["key"]: (f["label"], _cell(f["current"]), _cell(f["previous"]))
        for f in json.loads(body)["figures"]
    }


@pytest.mark.django_db(transaction=False)
@settings(
    max_examples=3,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(visits=st.lists(visit, min_size=1, max_size=4), day=st.integers(0, 91))
def test_every_door_shows_the_same_figures(client, db, visits, day):
    today = datetime.date(2026, 7, 1) + datetime.timedelta(days=day)
    now = datetime.datetime.combine(today, datetime.time(23, 30), tzinfo=LONDON)
    with transaction.atomic(), time_machine.travel(now, tick=False):
        for n, (suite_name, offset, hour, delay, abandoned, seen, issue) in enumerate(visits):
            arrived = datetime.datetime(2026, 4, 1, hour, tzinfo=LONDON) + datetime.timedelta(
                days=offset
            )
            if arrived.date() < today:
                _record(suite_name, arrived, delay, abandoned, seen, issue, n)
        numbers = set(DetaineeRecord.objects.values_list("custody_number", flat=True))

        for username in ("pcc", "force"):
            client.force_login(persona(username))
            bodies = _bodies(client)
            page = _page_figures(bodies["summary"])
            assert page, "the page shows its key figures"
            csv_figures = _csv_figures(bodies["summary-csv"])  # then come the breakdowns
            assert {k: v for k, v in csv_figures.items() if k in page} == page, username
            assert _api_figures(bodies["api-summary"]) == page, username
            for label, now_value, before in page.values():
                assert " ".join(f"{label} {now_value} {before}".split()) in bodies["pdf"], label
            if username == "pcc":
                home = client.get("/").context["quarter_figures"]
                assert home and {k: _cell(v) for k, _l, v in home} == {
                    k: page[k][1] for k, _l, _v in home
                }
                ret = client.get(reverse("summary-return"), {"period": "2026-Q3"})
                header, row = list(csv.reader(io.StringIO(ret.content.decode())))
                for key, value in zip(header, row, strict=True):
                    if key in page:
                        assert _cell(value) == page[key][1], key
            # Neither the PCC nor the force reads a custody number in any form.
            for number in numbers:
                assert not any(number in body for body in bodies.values()), (username, number)
        _public_data_agrees(client, numbers)
        transaction.set_rollback(True)


def _public_data_agrees(client, numbers) -> None:
    """The quarter before, published: each public figure is the summary's, or withheld (and
    then a count is 1 to 4, or would tell one); no custody number in the page, JSON or CSV."""
    from visits.models import Scheme
    from visits.services import publication
    from visits.summaries import Period, summarise

    norfolk = Scheme.objects.get(slug="norfolk")
    publication.publish_quarter(actor=persona("manager"), scheme=norfolk, period="2026-Q2")
    client.logout()
    urls = [f"/public/norfolk/2026-Q2{suffix}" for suffix in ("/", ".json", ".csv")]
    bodies = [client.get(url).content.decode() for url in urls]
    figures = summarise(norfolk, Period.parse("2026-Q2"), with_pattern=False).current
    published = json.loads(bodies[1])["figures"]
    assert published
    for figure in published:
        value = figures.value(figure["key"])
        if figure["suppressed"]:
            assert figure["value"] is None, figure
        else:
            assert figure["value"] == value, (figure, value)
            if figure["unit"] == "count":
                assert not 0 < value < 5, figure
    for number in numbers:
        assert not any(number in body for body in bodies), number


def test_the_figures_agree_with_the_rows_they_count(client, db):
    """A cross-check against a plain count of rows, so the doors cannot agree on a wrong number."""
    now = datetime.datetime(2026, 8, 20, 12, tzinfo=LONDON)
    with time_machine.travel(now, tick=False):
        for n, (day, abandoned) in enumerate([(10, False), (75, True), (70, False), (90, False)]):
            arrived = datetime.datetime(2026, 5, 1, 10, tzinfo=LONDON) + datetime.timedelta(
                days=day
            )
            _record("Wymondham", arrived, 0, abandoned, [], True, n)
        client.force_login(persona("pcc"))
        bodies = _bodies(client)
        page = _page_figures(bodies["summary"])
        csv_figures = _csv_figures(bodies["summary-csv"])
    assert {k: v for k, v in csv_figures.items() if k in page} == page
    assert page.keys() <= csv_figures.keys()
    q3 = Visit.objects.filter(visit_date__gte="2026-07-01")
    assert page["visits_made"][1] == str(q3.exclude(outcome="abandoned").count()) == "2"
    assert page["visits_abandoned"][1] == "1"
    assert page["issues_raised"][1] == str(Issue.objects.filter(visit__in=q3).count())
