"""The manager looks after the volunteers on a phone (issue 22): the list flags a lapsed
vetting; a volunteer's page refuses a leaving without its date, the error summary focused;
recording it says so in place. axe on every page, nothing wider than 320 px."""

from django.utils import timezone
from playwright.sync_api import expect

from tests.browser.conftest import check_accessibility, open_menu
from visits.models import Membership


def fits(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_the_manager_records_a_leaving_on_a_small_phone(page, demo, sign_in):
    page.set_viewport_size({"width": 320, "height": 700})
    sign_in("manager")
    open_menu(page)
    page.get_by_role("link", name="Volunteers", exact=True).click()
    expect(page.get_by_role("heading", name="Volunteers", level=1)).to_be_visible()
    jacob = page.get_by_role("row").filter(has_text="Jacob Ringer")
    expect(jacob.get_by_text("Lapsed")).to_be_visible()
    check_accessibility(page)
    fits(page)

    page.get_by_role("link", name="Liam Woodhouse").click()
    expect(page.get_by_role("heading", name="Liam Woodhouse", level=1)).to_be_visible()
    check_accessibility(page)
    fits(page)
    leaving = page.get_by_role("form", name="Leaving")
    leaving.get_by_label("Reason for leaving").fill("Moved away")
    leaving.get_by_role("button", name="Record leaving").click()
    summary = page.locator("[data-error-summary]")
    expect(summary).to_be_focused()
    expect(summary).to_contain_text("There is a problem")
    assert page.get_by_label("Reason for leaving").input_value() == "Moved away"  # kept
    check_accessibility(page)

    today = timezone.localdate()
    page.get_by_label("Leaving date").fill(today.isoformat())
    page.get_by_role("button", name="Record leaving").click()
    expect(page.get_by_role("status").filter(has_text="Saved.")).to_be_visible()
    check_accessibility(page)
    fits(page)
    liam = Membership.objects.get(user__username="liam.woodhouse")
    assert liam.left_on == today and liam.leaving_reason == "Moved away"
