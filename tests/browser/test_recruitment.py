"""Someone applies on a small phone and the manager takes the application forward (issue 22):
a form sent without consent says why with the error summary focused and the answers kept; the
sent form thanks them; the manager finds it and shortlists it in place. axe on every page,
nothing wider than 320 px."""

from playwright.sync_api import expect

from tests.browser.conftest import check_accessibility, open_menu
from visits import application_guard
from visits.models import Application


def fits(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_someone_applies_and_the_manager_shortlists_them(
    page, demo, open_page, sign_in, monkeypatch, console_errors
):
    console_errors.allow("status of 400")  # the form sent without consent, refused
    # A person takes longer than the guard's minimum; the test need not wait for it.
    monkeypatch.setattr(application_guard, "MIN_SECONDS", 0)
    page.set_viewport_size({"width": 320, "height": 700})
    open_page("/apply/norfolk/")
    expect(page.get_by_role("heading", name="Privacy notice")).to_be_visible()
    fits(page)
    page.get_by_label("First name").fill("Wren")
    page.get_by_label("Last name").fill("Applebury")
    page.get_by_label("E-mail address").fill("wren@example.net")
    page.get_by_label("Phone number").fill("01603 555000")
    page.get_by_label("Postcode area").fill("NR3")
    page.get_by_label("Why would you like to be a custody visitor?").fill("Fairness matters.")
    page.get_by_label("When are you usually free?").fill("Evenings.")
    page.get_by_label("I am 18 or over.").check()
    page.get_by_label("I am not a serving police officer").check()
    page.get_by_label("I am not a magistrate").check()
    page.get_by_role("button", name="Send my application").click()
    summary = page.locator("[data-error-summary]")
    expect(summary).to_be_focused()
    expect(summary).to_contain_text("privacy notice")
    assert page.get_by_label("Last name").input_value() == "Applebury"  # kept
    check_accessibility(page)
    fits(page)

    page.get_by_label("I have read the privacy notice").check()
    page.get_by_role("button", name="Send my application").click()
    expect(page.get_by_role("heading", name="Thank you: we have your application")).to_be_visible()
    check_accessibility(page)
    fits(page)
    application = Application.objects.get(email="wren@example.net")

    sign_in("manager")
    open_menu(page)
    page.get_by_role("link", name="Volunteers", exact=True).click()
    page.get_by_role("link", name="Applications to volunteer").click()
    expect(page.get_by_role("heading", name="Applications to volunteer", level=1)).to_be_visible()
    check_accessibility(page)
    fits(page)
    page.get_by_role("link", name="Wren Applebury").click()
    expect(page.get_by_role("heading", name="Wren Applebury", level=1)).to_be_visible()
    check_accessibility(page)
    fits(page)
    page.get_by_label("Shortlist").check()
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_role("status").filter(has_text="Saved.")).to_be_visible()
    expect(page.get_by_text("Stage: Shortlisted")).to_be_visible()
    check_accessibility(page)
    fits(page)
    application.refresh_from_db()
    assert application.status == "shortlisted"
