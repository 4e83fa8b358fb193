"""The annual report (issue 20): the manager writes the sections, the manager and the PCC reader
read it with the year's figures (the one summary of the year), the manager publishes it once the
year has ended, and then anyone reads it, without signing in, with nothing personal in it.

Personas: manager (Maya, Norfolk) writes and publishes; pcc (Paul) reads, cannot change; force
(Frances), coordinator, visitors and outsider: 404 on all of it, draft or published, except the
public pages once published (which everyone may read, the force included: so those carry no
pattern of when visits happen).
"""

import datetime
import io
import zoneinfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from pypdf import PdfReader

from tests.conftest import PERSONAS, persona
from tests.factories import SERGEANT, custody_number
from tests.test_summaries import known, record  # noqa: F401 (a fixture)
from visits.errors import ConflictError, DomainError, NotPermitted
from visits.models import AnnualReport, AuditEntry, Scheme
from visits.services import annual_reports as service
from visits.summaries import Period, summarise

LONDON = zoneinfo.ZoneInfo("Europe/London")
# 2025 has ended; 2026 is still running.
TODAY = datetime.datetime(2026, 3, 10, 12, tzinfo=LONDON)
SECTIONS = {
    "foreword": "A year of steady visiting across the county.",
    "findings": "Visitors found cells clean and warm.\n\nBlankets ran short twice in winter.",
    "force_responses": "The force answered every referral within its time.",
    "examples_of_change": "A second store of blankets now sits beside the custody desk.",
    "thanks": "Thank you to every volunteer who gave their evenings.",
}


def at(day: str, hour: int) -> datetime.datetime:
    return datetime.datetime.fromisoformat(day).replace(hour=hour, tzinfo=LONDON)


@pytest.fixture
def clock():
    with time_machine.travel(TODAY, tick=False):
        yield


@pytest.fixture
def year_2025(db, clock):
    """Seven visits made in 2025 (one abandoned), one in 2024; one issue raised (a count of
    fewer than 5, to be suppressed when published)."""
    record("Wymondham", at("2024-06-03", 10), {"in_custody": 2, "offered": 2, "visited": 2})
    for n, day in enumerate(("2025-01-13", "2025-03-04", "2025-05-20", "2025-07-08")):
        record(
            "Wymondham",
            at(day, 10 + n),
            {"in_custody": 4, "offered": 3, "visited": 2, "declined": 1, "nv_asleep": 1},
            detainees=[{}, {}],
            # the year's one issue, raised on the first visit's draft
            issues=["Blankets ran out."] if n == 0 else (),
        )
    for day in ("2025-09-09", "2025-11-18"):
        record("Aylsham", at(day, 14), {"in_custody": 3, "offered": 3, "visited": 3})
    record("Wymondham", at("2025-12-02", 11), {}, abandoned=True, minutes=10)
    return Scheme.objects.get(slug="norfolk")


def save(scheme, sections=SECTIONS, revision=0, who="manager", year=2025) -> AnnualReport:
    return service.save_annual_report(
        actor=persona(who),
        scheme=scheme,
        year=year,
        sections=service.Sections(**sections),
        expected_revision=revision,
    )


def publish(scheme, revision, year=2025) -> AnnualReport:
    return service.publish_annual_report(
        actor=persona("manager"), scheme=scheme, year=year, expected_revision=revision
    )


def get(client, who: str, url: str):
    client.logout()
    if who != "anonymous":
        client.force_login(persona(who))
    return client.get(url)


def pdf_pages(data: bytes) -> list[str]:
    reader = PdfReader(io.BytesIO(data))
    return [" ".join(page.extract_text().split()) for page in reader.pages]


PAGE = reverse("annual-report", args=[2025])
PDF = reverse("annual-report-pdf", args=[2025])
EDIT = reverse("annual-report-edit", args=[2025])
PUBLISH = reverse("annual-report-publish", args=[2025])
PUBLIC = reverse("public-annual-report", args=["norfolk", 2025])
PUBLIC_PDF = reverse("public-annual-report-pdf", args=["norfolk", 2025])


# --- Reading -------------------------------------------------------------------------------------


def test_the_page_shows_the_sections_and_the_years_figures_from_the_one_summary(client, year_2025):
    save(year_2025)
    year = summarise(year_2025, Period.year(2025), with_pattern=False)
    assert (year.current.visits_made, year.previous.visits_made) == (6, 1)
    for who in ("manager", "pcc"):
        page = get(client, who, PAGE).content.decode()
        assert "Annual report 2025" in page
        assert "Blankets ran short twice in winter." in page
        assert "A second store of blankets" in page
        row = page[page.index('data-key="visits_made"') :]
        assert row.startswith('data-key="visits_made"><th scope="row">Visits made</th>')
        assert "<td>6</td><td>fewer than 5</td>" in row[:200]  # 2024's one visit is suppressed
        issues = page[page.index('data-key="issues_raised"') :][:200]
        assert "<td>fewer than 5</td>" in issues
        assert "Blankets ran out." not in page  # an issue's own words are never published
        assert "Draft: not published" in page
        assert "Counts from 1 to 4 are shown as “fewer than 5”" in page


def test_the_pdf_has_a_cover_a_contents_list_the_sections_and_the_figures(client, year_2025):
    save(year_2025)
    response = get(client, "pcc", PDF)
    assert response["Content-Disposition"] == (
        'inline; filename="icv-norfolk-annual-report-2025.pdf"'
    )
    pages = pdf_pages(response.content)
    cover, contents, body = pages[0], pages[1], " ".join(pages[2:])
    assert "Norfolk" in cover and "Annual report 2025" in cover and "Draft, not published" in cover
    assert "Page 1 of" not in cover  # no footer on the cover
    assert contents.startswith("Contents")
    for heading in ("Foreword", "What visitors found", "Examples of change", "The year in figures"):
        assert heading in contents
    assert "Blankets ran short twice in winter." in body
    assert "Thank you to every volunteer who gave their evenings." in body
    assert "Visits made 6 fewer than 5" in body
    assert "Visits abandoned fewer than 5" in body
    assert f"Page 3 of {len(pages)}" in pages[2]
    # Each chart is headed and explained in words, in Summary.charts() order.
    year = summarise(year_2025, Period.year(2025), with_pattern=False)
    titles = [title for title, _ in year.charts()]
    positions = [body.index(title) for title in titles]
    assert positions == sorted(positions)
    # A chart with a category of fewer than 5 is not drawn (with the total in the figures, the
    # categories drawn would tell the small one), and says so.
    not_drawn = "Not drawn: it has a category of fewer than 5, which the others would tell."
    assert f"People in custody at the time of visits {not_drawn}" in body
    assert f"Issues raised, by category {not_drawn}" in body


def test_the_page_lists_its_rows_in_a_fixed_number_of_queries(
    client, year_2025, django_assert_num_queries
):
    save(year_2025)
    client.force_login(persona("manager"))
    client.get(PAGE)  # the session and the user warm up
    with CaptureQueriesContext(connection) as year:
        summarise(year_2025, Period.year(2025), with_pattern=False, with_internal_notes=False)
    # session, user, memberships, the report; the year's summary (however many queries it takes:
    # visits.summaries counts them); the audit entry's chain head, entry and head's update.
    expected = 4 + len(year) + 3
    with django_assert_num_queries(expected):
        client.get(PAGE)
    record("Aylsham", at("2025-10-07", 9), {"in_custody": 1, "offered": 1, "visited": 1})
    with django_assert_num_queries(expected):
        page = client.get(PAGE).content.decode()
    assert "<td>7</td>" in page[page.index('data-key="visits_made"') :][:200]


# --- Who may see it ------------------------------------------------------------------------------


@pytest.mark.parametrize("who", [p for p in PERSONAS if p not in ("manager", "pcc")])
def test_everyone_else_gets_404_and_nothing_of_the_report(client, year_2025, who):
    save(year_2025)
    for url in (PAGE, PDF, EDIT):
        response = get(client, who, url)
        assert response.status_code == 404, (who, url)
        assert b"Blankets ran short" not in response.content
    client.force_login(persona(who))
    assert client.post(PUBLISH, {"revision": 1}).status_code == 404
    assert not AnnualReport.objects.get().is_published


def test_the_pcc_reads_but_cannot_write_or_publish(client, year_2025):
    report = save(year_2025)
    client.force_login(persona("pcc"))
    assert client.get(EDIT).status_code == 403
    assert client.post(EDIT, {**SECTIONS, "revision": 1}).status_code == 403
    assert client.post(PUBLISH, {"revision": report.revision}).status_code == 403
    assert "Write or change the sections" not in client.get(PAGE).content.decode()
    with pytest.raises(NotPermitted):
        save(year_2025, revision=1, who="pcc")


def test_the_public_gets_nothing_before_publication_then_the_report_without_personal_data(
    client, year_2025
):
    report = save(year_2025)
    for who in ("anonymous", "force", "visitor"):
        for url in (PUBLIC, PUBLIC_PDF):
            response = get(client, who, url)
            assert response.status_code == 404 and b"Blankets" not in response.content
    publish(year_2025, report.revision)
    numbers = [custody_number("norfolk", 100), custody_number("norfolk", 101)]
    for who in ("anonymous", "force"):
        page = get(client, who, PUBLIC).content.decode()
        pdf = " ".join(pdf_pages(get(client, who, PUBLIC_PDF).content))
        for body in (page, pdf):
            assert "Blankets ran short twice in winter." in body
            assert "Visits made" in body
            assert "Published 10 March 2026" in body
            for private in (*numbers, "Vera Holt", "Blankets ran out.", SERGEANT):
                assert private not in body
            # Nothing of when visits happen: the force may read the public report too.
            for pattern in ("planned", "w/c", "Visits by day of the week", "Visits by time of"):
                assert pattern.lower() not in body.lower(), (who, pattern)
        assert "Write or change the sections" not in page
    assert (
        get(
            client, "anonymous", reverse("public-annual-report", args=["suffolk", 2025])
        ).status_code
        == 404
    )


def test_a_year_to_come_or_long_past_is_not_found(client, year_2025):
    client.force_login(persona("manager"))
    for year in (2027, 1999, 10**30):
        for name in ("annual-report", "annual-report-pdf", "annual-report-edit"):
            assert client.get(reverse(name, args=[year])).status_code == 404
        assert (
            client.post(reverse("annual-report-publish", args=[year]), {"revision": 0}).status_code
            == 404
        )
        for name in ("public-annual-report", "public-annual-report-pdf"):
            assert client.get(reverse(name, args=["norfolk", year])).status_code == 404
    assert client.get(reverse("public-annual-report", args=["nowhere", 2025])).status_code == 404


# --- Writing -------------------------------------------------------------------------------------


def test_the_manager_writes_the_sections_on_a_page_that_says_they_will_be_public(client, year_2025):
    client.force_login(persona("manager"))
    form = client.get(EDIT).content.decode()
    assert "This report will be public." in form
    response = client.post(EDIT, {**SECTIONS, "revision": 0})
    assert response.status_code == 302 and response["Location"] == PAGE + "?scheme=norfolk"
    report = AnnualReport.objects.get(scheme=year_2025, year=2025)
    assert report.findings == SECTIONS["findings"] and report.revision == 1
    entry = AuditEntry.objects.filter(action="annual_report.save").latest("pk")
    assert entry.actor == persona("manager") and entry.detail["year"] == 2025


def test_a_stale_edit_is_refused_and_the_writers_text_is_kept(client, year_2025):
    client.force_login(persona("manager"))
    save(year_2025, {**SECTIONS, "findings": "Saved first by another tab."})  # revision 1
    # As a browser sends it: Windows line ends. Only the section that differs is shown.
    mine = {
        **{name: text.replace("\n", "\r\n") for name, text in SECTIONS.items()},
        "findings": "My own findings, written from revision 0.",
    }
    response = client.post(EDIT, {**mine, "revision": 0})
    page = response.content.decode()
    assert response.status_code == 200
    assert "Someone saved this report after you opened it." in page
    assert "My own findings, written from revision 0." in page  # nothing lost
    assert "Saved first by another tab." in page  # shown beside it
    saved_now = page[page.index('id="saved-now"') :]
    saved_now = saved_now[: saved_now.index("</section>")]
    assert "What visitors found" in saved_now and "Examples of change" not in saved_now
    assert AnnualReport.objects.get().findings == "Saved first by another tab."
    assert 'name="revision" value="1"' in page  # saving again, having seen both, goes through
    assert client.post(EDIT, {**mine, "revision": 1}).status_code == 302
    assert AnnualReport.objects.get().findings == mine["findings"]
    with pytest.raises(ConflictError):
        save(year_2025, revision=0)


def test_a_custody_number_in_the_text_is_refused_with_a_clear_error(client, year_2025):
    client.force_login(persona("manager"))
    number = custody_number("norfolk", 4321)
    text = f"The detainee {number} waited six hours for a doctor."
    response = client.post(EDIT, {**SECTIONS, "examples_of_change": text, "revision": 0})
    page = response.content.decode()
    assert response.status_code == 200
    assert f"Examples of change contains “{number}”, which looks like a custody record" in page
    assert "There is a problem" in page
    assert text in page  # the text stays in the form to be corrected
    assert not AnnualReport.objects.exists()
    with pytest.raises(DomainError) as refused:
        save(year_2025, {**SECTIONS, "thanks": f"({number.lower()})."})
    assert refused.value.code == "custody_number" and "thanks" in refused.value.fields


@pytest.mark.parametrize(
    "text",
    [
        "WY-80001-26's cell",
        "custody number:WY-80001-26",
        "see #WY-80001-26, then",
        "WY-80001-26—he was",
        "WY-80002-26/WY-80001-26",
    ],
)
def test_a_custody_number_is_found_wherever_it_stands_in_the_text(text):
    pattern = r"^[A-Z0-9][A-Z0-9/\-]{3,23}$"
    assert "WY-80001-26" in service.custody_numbers_in(text, pattern)


def test_years_quarters_and_words_are_not_custody_numbers():
    pattern = r"^[A-Z0-9][A-Z0-9/\-]{3,23}$"  # the default, which matches long words too
    text = "In 2025-26 (2025-Q3), visitors made 1,204 visits; COVID-19 and A4 forms. Thanks!"
    assert service.custody_numbers_in(text, pattern) == []
    assert service.custody_numbers_in("seen: ab/12345/26.", pattern) == ["AB/12345/26"]
    assert service.custody_numbers_in("AB/12345/26", "([") == []  # a broken pattern


def test_a_section_too_long_is_refused_by_name(year_2025):
    with pytest.raises(DomainError) as refused:
        save(year_2025, {**SECTIONS, "findings": "x " * 6000})
    assert refused.value.code == "too_long" and "findings" in refused.value.fields


# --- Publishing ----------------------------------------------------------------------------------


def test_the_manager_publishes_once_the_year_has_ended(client, year_2025):
    report = save(year_2025)
    client.force_login(persona("manager"))
    assert "Publish the report" in client.get(PAGE).content.decode()
    response = client.post(PUBLISH, {"revision": report.revision}, follow=True)
    assert "The annual report is published." in response.content.decode()
    report.refresh_from_db()
    assert report.is_published and report.published_at is not None
    assert "http://testserver" + PUBLIC in response.content.decode()
    assert AuditEntry.objects.filter(action="annual_report.publish").count() == 1
    again = client.post(PUBLISH, {"revision": report.revision}, follow=True)
    assert "already published" in again.content.decode()


def test_a_year_still_running_cannot_be_published(client, year_2025):
    report = save(year_2025, year=2026)
    client.force_login(persona("manager"))
    page = client.get(reverse("annual-report", args=[2026])).content.decode()
    assert "Publish the report" not in page
    assert "2026 has not ended: the report can be published from 1 January 2027." in page
    with pytest.raises(DomainError) as refused:
        publish(year_2025, report.revision, year=2026)
    assert refused.value.code == "year_not_ended"
    followed = client.post(
        reverse("annual-report-publish", args=[2026]), {"revision": report.revision}, follow=True
    )
    assert "2026 has not ended" in followed.content.decode()
    assert not AnnualReport.objects.get(year=2026).is_published


def test_publishing_needs_every_section_but_the_foreword_and_a_fresh_revision(year_2025):
    with pytest.raises(DomainError) as refused:
        publish(year_2025, 0)  # nothing written yet
    assert refused.value.code == "incomplete"
    report = save(year_2025, {**SECTIONS, "foreword": "", "thanks": ""})
    with pytest.raises(DomainError) as refused:
        publish(year_2025, report.revision)
    assert refused.value.code == "incomplete"
    assert "Thanks to our volunteers" in refused.value.message
    report = save(year_2025, {**SECTIONS, "foreword": ""}, revision=report.revision)
    with pytest.raises(ConflictError):
        publish(year_2025, report.revision - 1)
    published = publish(year_2025, report.revision)
    assert published.is_published
    # Corrected after publishing, yes; emptied, no: it stays public.
    with pytest.raises(DomainError) as refused:
        save(year_2025, {**SECTIONS, "findings": ""}, revision=published.revision)
    assert refused.value.code == "incomplete" and "What visitors found" in refused.value.message
    corrected = save(
        year_2025, {**SECTIONS, "findings": "Cells were warm."}, revision=published.revision
    )
    assert corrected.is_published and corrected.findings == "Cells were warm."


# --- The summary's PDF, laid out the same way ----------------------------------------------------


def test_the_summary_pdf_has_a_cover_contents_and_charts_in_the_pages_order(client, known):  # noqa: F811
    client.force_login(persona("manager"))
    pages = pdf_pages(client.get(reverse("summary-pdf"), {"period": "2026-Q3"}).content)
    cover, contents, body = pages[0], pages[1], " ".join(pages[2:])
    assert "Independent custody visiting" in cover and "July to September 2026" in cover
    assert "Page 1 of" not in cover
    assert contents.startswith("Contents")
    for heading in ("In brief", "Key figures", "Charts", "By suite", "Good practice"):
        assert heading in contents
    assert pages[2].startswith("In brief")  # the first page of the summary is not left empty
    summary = summarise(known, Period.parse("2026-Q3"))
    positions = [body.index(title) for title, _values in summary.charts()]
    assert positions == sorted(positions)
    assert "Visits by day of the week 2 in all: Mon 1 (50%); Sat 1 (50%)." in body
    # Labels are whole, never cut with an ellipsis.
    assert "…" not in body


def test_the_report_publishes_what_the_quarters_do_under_their_one_rule(year_2025):
    """The annual report's figures are the published quarters' (visits.publication): no TACT
    visits, nothing of the scheme's volunteers, sums held together."""
    from visits.publication import PUBLIC_KEYS

    document = service.annual_report_document(year_2025, 2025)
    assert [key for key, *_ in document.figures] == PUBLIC_KEYS
    assert not {"tact_visits", "volunteers_active", "volunteers_left"} & set(PUBLIC_KEYS)
