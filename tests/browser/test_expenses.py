"""Expenses on a phone (issue 22): Vera claims the mileage of her last visit from her record
page, gets a refusal first (the error summary focused after the htmx swap, her input kept),
then sends it; Maya approves it on her list, in place, focus on the list's heading and the
change said in a status notice. axe on every page, nothing wider than the screen."""

from decimal import Decimal

from playwright.sync_api import expect

from tests.browser.conftest import check_accessibility, open_menu
from tests.conftest import persona
from tests.factories import make_visit
from visits.models import ExpenseClaim


def fits(page) -> None:
    """Nothing wider than the phone's screen, at its size and at the narrowest, 320 px."""
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    size = page.viewport_size
    page.set_viewport_size({"width": 320, "height": size["height"]})
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    page.set_viewport_size(size)


def test_a_volunteer_claims_mileage_on_a_phone_and_the_manager_approves_it(
    page, demo, sign_in, sign_out, open_page
):
    page.set_viewport_size({"width": 360, "height": 740})
    visit = make_visit(visitors=[persona("visitor"), persona("partner")])
    sign_in("visitor")
    open_page("/account/record/")
    page.get_by_role("link", name="My expenses: claim mileage and costs").click()
    expect(page.get_by_role("heading", name="My expenses", level=1)).to_be_visible()
    check_accessibility(page)
    page.get_by_role("link", name="Claim expenses").click()
    expect(page.get_by_role("heading", name="Claim expenses", level=1)).to_be_visible()
    check_accessibility(page)
    fits(page)

    expect(page.get_by_label("A custody visit")).to_be_checked()
    page.get_by_label("Which visit?").select_option(str(visit.pk))
    page.get_by_label("Miles driven").fill("-18.4")
    page.get_by_role("button", name="Send the claim").click()
    summary = page.locator("[data-error-summary]")
    expect(summary).to_be_focused()  # after the htmx swap of the form
    expect(summary).to_contain_text("Miles cannot be negative.")
    assert page.get_by_label("Which visit?").input_value() == str(visit.pk)  # kept
    check_accessibility(page)
    fits(page)

    page.get_by_label("Miles driven").fill("18.4")
    page.get_by_role("button", name="Send the claim").click()
    expect(page.get_by_role("heading", name="My expenses", level=1)).to_be_visible()
    expect(page.get_by_text("Claim sent to your scheme manager: £8.28.")).to_be_visible()
    card = page.locator(".card").filter(has_text="Visit to Wymondham")
    expect(card.get_by_text("Submitted")).to_be_visible()
    check_accessibility(page)
    fits(page)
    claim = ExpenseClaim.objects.get()
    assert (claim.miles, claim.total_pence, claim.status) == (Decimal("18.4"), 828, "submitted")

    sign_out()
    sign_in("manager")
    open_menu(page)
    page.get_by_role("link", name="Expenses", exact=True).click()
    expect(page.get_by_role("heading", name="Expenses", level=1)).to_be_visible()
    expect(page.get_by_text(f"Claim {claim.pk}: Vera Holt")).to_be_visible()
    check_accessibility(page)
    fits(page)
    page.get_by_role("button", name=f"Approve claim {claim.pk}").click()
    expect(
        page.get_by_role("status").filter(has_text=f"Claim {claim.pk} approved.")
    ).to_be_visible()
    expect(page.locator("#claims-title")).to_be_focused()  # after the htmx swap of the list
    expect(page.locator("#claims-title")).to_have_text("0 claims")
    check_accessibility(page)
    fits(page)
    claim.refresh_from_db()
    assert claim.status == "approved" and claim.decided_by == persona("manager")
