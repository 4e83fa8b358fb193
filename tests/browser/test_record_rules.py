"""On a phone: earlier issues re-checked in one form, an issue taken off and put back, a
detainee who declined, and a detainee removed only once confirmed (issue 17)."""

from playwright.sync_api import expect

from tests.browser.test_record_visit import heading, settle
from tests.conftest import persona
from tests.factories import make_reported_issue, make_visit
from visits.models import DetaineeRecord, IssueEvent, Visit
from visits.services import visits as service


def test_recheck_undo_consent_and_remove_on_a_phone(page, demo, sign_in, open_page):
    waiting = [make_reported_issue(recheck=True) for _ in range(3)]
    pair = [persona("visitor"), persona("partner")]
    visit = make_visit(visitors=pair, status=Visit.Status.DRAFT)
    issue = service.raise_issue(
        actor=pair[0], visit=visit, category="conditions", description="Cell 2 is cold."
    )
    sign_in("visitor")

    # Three earlier issues, one form: one fixed, one not, one not looked at; one button.
    open_page(f"/visits/{visit.uuid}/issues/")
    cards = page.locator("form[action$='/recheck/'] .card")
    expect(cards).to_have_count(3)
    cards.nth(0).get_by_label("Fixed", exact=True).check()
    cards.nth(1).get_by_label("Not fixed", exact=True).check()
    cards.nth(1).get_by_label("Note (optional)").fill("Still broken")
    page.get_by_role("button", name="Save the re-checks").click()
    settle(page, page.get_by_text("2 re-checks recorded."))
    expect(page.locator("form[action$='/recheck/'] .card")).to_have_count(2)
    rechecked = IssueEvent.objects.filter(kind="rechecked", issue__in=waiting)
    assert sorted(e.text.split(" at ")[0] for e in rechecked) == ["Fixed", "Not fixed"]

    # Take an issue off, then undo.
    page.get_by_role("button", name="Take off the report").click()
    settle(page, heading(page, "Taken off this report"))
    assert not visit.issues.exists()
    page.get_by_role("button", name="Undo").click()
    # In <main>: focus.js also reads the notice out, 100 ms later, from a live region outside it.
    settle(page, page.locator("main").get_by_text("Issue put back on the report."))
    assert list(visit.issues.all()) == [issue]

    # A detainee who declined to speak: no checklist is kept.
    open_page(f"/visits/{visit.uuid}/detainees/new/")
    page.get_by_label("Custody record number").fill("WY-00321-26")
    page.get_by_label("Declined to speak to the visitors").check()
    page.get_by_role("button", name="Save detainee").click()
    settle(page, page.get_by_role("link", name="WY-00321-26"))
    declined = visit.detainees.get(custody_number="WY-00321-26")
    assert declined.consent == DetaineeRecord.Consent.DECLINED

    # Removing a detainee asks first.
    page.get_by_role("button", name="Remove WY-00321-26").click()
    settle(page, page.get_by_text("Remove WY-00321-26 from the report?"))
    assert visit.detainees.filter(pk=declined.pk).exists()
    page.get_by_role("button", name="Yes, remove them").click()
    # The question's page is a step of "Detainees seen" too: wait for the question to go.
    expect(page.get_by_text("Remove WY-00321-26 from the report?")).to_have_count(0)
    settle(page, heading(page, "Detainees seen"))
    assert not visit.detainees.filter(pk=declined.pk).exists()
