"""The force's custody lead answers an issue on a phone; the visitor who raised it sees the
outcome."""

from playwright.sync_api import expect

from tests.browser.conftest import check_accessibility
from tests.conftest import persona
from tests.factories import make_reported_issue
from visits.models import Issue
from visits.services.issues import act


def test_force_lead_responds_and_the_visitor_sees_the_outcome(
    page, demo, sign_in, open_page, sign_out
):
    issue = act(actor=persona("manager"), issue=make_reported_issue(), action="refer", notify=False)

    sign_in("force")
    page.get_by_role("link", name="Conditions and estate at Wymondham").click()
    expect(page.get_by_role("heading", name="Conditions and estate at Wymondham")).to_be_visible()
    check_accessibility(page)
    page.locator("summary", has_text="Respond").click()  # opens the action
    page.get_by_label("Your response").fill("The call bell was repaired on Tuesday.")
    page.get_by_role("button", name="Respond").click()
    expect(page.get_by_text("Saved.")).to_be_visible()
    check_accessibility(page)
    assert Issue.objects.get(pk=issue.pk).status == "responded"
    assert "Rota" not in page.inner_text("nav")  # the force never sees the rota

    sign_out()
    sign_in("manager")
    open_page(f"/issues/{issue.pk}/")
    page.locator("summary", has_text="Accept the response and close").click()
    page.get_by_role("button", name="Accept the response and close").click()
    expect(page.get_by_text("Saved.")).to_be_visible()

    sign_out()
    sign_in("visitor")
    raised = page.get_by_role("region", name="Issues you raised")
    expect(raised.get_by_text("Closed")).to_be_visible()
    expect(raised.get_by_text("The call bell was repaired on Tuesday.")).to_be_visible()
    raised.get_by_role("link", name="Conditions and estate at Wymondham").click()
    expect(page.get_by_role("heading", name="What has happened")).to_be_visible()
    check_accessibility(page)
