"""Every mistake on every step shows its error, in production settings, on a small phone.

The live server runs with DEBUG off, so django-htmx's debug script (which swaps error pages
itself) is not on the page: a refused form (400) is shown only because base.html's htmx
`responseHandling` swaps it. focus.js then puts focus on the error summary, or, after a step
change, on the new page's heading.
"""

import re

import pytest
from django.conf import settings
from playwright.sync_api import expect

from tests.browser.conftest import check_accessibility
from tests.browser.device import PHONE
from tests.conftest import persona
from tests.factories import make_reported_issue, make_visit
from visits.models import Visit

SMALL_PHONE = {"width": 360, "height": 740}


@pytest.fixture
def browser_context_args(browser_context_args):
    return {**browser_context_args, "viewport": SMALL_PHONE}


@pytest.fixture
def refusals_allowed(console_errors):
    # Chromium reports each answer with a 4xx status in the console; here they are on purpose.
    console_errors.allow("status of 400")
    return console_errors


def summary(page):
    return page.locator("[data-error-summary]")


def shows_refusal(page, *expected: str) -> None:
    """The error summary is shown, focused, says what is wrong, and links only to fields that
    are on the page; every error printed by a field is in it too. The page passes axe."""
    box = summary(page)
    expect(box).to_be_visible()
    expect(box).to_be_focused()
    text = box.inner_text()
    for words in expected:
        assert words in text, f"{words!r} is not in the error summary: {text!r}"
    for message in page.locator("main .error-message").all_inner_texts():
        assert message.replace("Error:", "").strip() in text
    for href in box.locator("a").evaluate_all("links => links.map(a => a.getAttribute('href'))"):
        if href.startswith("#"):
            target = page.locator(f"[id='{href[1:]}']")
            assert target.count() == 1, f"the summary links to {href}, which is not on the page"
            assert target.evaluate("el => el.type !== 'hidden'"), f"{href} is a hidden field"
    page.wait_for_load_state("networkidle")
    check_accessibility(page)


def arrives_at(page, title: str) -> None:
    """A step change: the new page's heading has focus, and the page passes axe."""
    heading = page.get_by_role("heading", level=1, name=title, exact=True)
    expect(heading).to_be_visible()
    expect(heading).to_be_focused()
    page.wait_for_load_state("networkidle")
    check_accessibility(page)


def test_every_step_shows_its_errors_focused_with_debug_off(
    page, demo, sign_in, open_page, refusals_allowed, live_server
):
    assert settings.DEBUG is False  # so the debug script cannot be what shows the errors
    recheck = make_reported_issue(recheck=True)  # at Wymondham, for this visit to re-check
    sign_in("visitor")
    header = page.locator("header").bounding_box()
    assert header["height"] <= 0.1 * SMALL_PHONE["height"], header

    # Start (a plain form): no co-visitor.
    open_page("/visits/new/")
    page.get_by_label("Custody suite").select_option(label="Wymondham")
    page.get_by_role("button", name="Start the report").click()
    shows_refusal(page, "Choose the visitor you are with.")
    assert page.title().startswith("Error: ")
    page.get_by_label("Peter Shaw").check()
    page.get_by_role("button", name="Start the report").click()
    expect(page.get_by_role("heading", level=1, name="Admission")).to_be_visible()

    # Admission: a time years away from the visit.
    arrived = page.get_by_label("Time you were let in").input_value()
    page.get_by_label("Time you were let in").fill("2001-01-01T10:00")
    page.get_by_role("button", name="Save and continue").click()
    shows_refusal(page)
    assert "/admission/" in page.url
    page.get_by_label("Time you were let in").fill(arrived)
    page.get_by_role("button", name="Save and continue").click()
    arrives_at(page, "Numbers")

    # Numbers that do not add up.
    page.get_by_label("In custody at the time of the visit").fill("4")
    page.get_by_label("Offered a visit").fill("2")
    page.get_by_label("Visited (spoken to)").fill("2")
    page.get_by_role("button", name="Save and continue").click()
    shows_refusal(page, "plus not visited (0), which is 2")
    page.get_by_label("Asleep").fill("2")
    page.get_by_role("button", name="Save and continue").click()
    arrives_at(page, "Detainees seen")

    # A detainee with a name for a custody number.
    page.get_by_role("link", name="Add a detainee").click()
    arrives_at(page, "Detainees seen")
    page.get_by_label("Custody record number").fill("Jane Doe")
    page.get_by_role("button", name="Save detainee").click()
    shows_refusal(page, "looks like a name")
    page.get_by_label("Custody record number").fill("wy-00123-26")
    page.get_by_role("button", name="Save detainee").click()
    arrives_at(page, "Detainees seen")
    expect(page.locator("[data-announce]")).to_have_text("WY-00123-26 saved.")
    page.get_by_role("link", name="Continue to suite checks").click()
    arrives_at(page, "Suite checks")

    # A photo that is not one.
    page.get_by_label("Photo of suite conditions").set_input_files(
        {"name": "cell.jpg", "mimeType": "image/jpeg", "buffer": b"not an image at all"}
    )
    page.get_by_role("button", name="Upload photo").click()
    shows_refusal(page, "not a photo we can read")
    assert page.url.endswith("/suite/")  # a reload opens the page, not the upload's address
    page.get_by_role("button", name="Save and continue").first.click()
    arrives_at(page, "Issues and good practice")

    # A re-check note on an issue not looked at, then an issue that names someone.
    page.locator(f"#id_recheck_note_{recheck.pk}").fill("Bell still silent")
    page.get_by_role("button", name="Save the re-checks").click()
    shows_refusal(page, "Say whether it is fixed")
    assert summary(page).locator("a").get_attribute("href") == f"#id_recheck_{recheck.pk}_0"
    expect(page.locator(f"#id_recheck_note_{recheck.pk}")).to_have_value("Bell still silent")
    page.get_by_label("Description").fill("Mr Smith in cell 2 was not given a blanket.")
    page.get_by_role("button", name="Add issue").click()
    shows_refusal(page, "may be a person")
    expect(page.get_by_label("Description")).to_have_value(
        "Mr Smith in cell 2 was not given a blanket."
    )
    page.get_by_role("button", name="Save and continue").last.click()
    arrives_at(page, "Sign-off")

    # Sign-off without an outcome.
    page.get_by_role("button", name="Save and check the report").click()
    shows_refusal(page, "This field is required.")
    assert summary(page).locator("a").first.get_attribute("href") == "#id_outcome_0"

    # Submit with everything after the numbers still missing.
    page.get_by_text("All steps").click()
    page.get_by_role("link", name="Check and submit").click()
    arrives_at(page, "Check and submit")
    page.get_by_role("button", name="Submit the report").click()
    shows_refusal(page, "Record the departure time and the outcome.")
    assert Visit.objects.get(suite__name="Wymondham", status="draft", visitors=persona("visitor"))


def test_the_menu_opens_by_keyboard_on_a_phone(page, demo, sign_in):
    sign_in("visitor")
    reports = page.get_by_role("link", name="Reports")
    expect(reports).to_be_hidden()
    page.get_by_text("Menu", exact=True).focus()
    page.keyboard.press("Enter")
    expect(reports).to_be_visible()
    check_accessibility(page)


def test_nothing_waiting_shows_no_send_button(page, demo, sign_in, open_page):
    sign_in("visitor")
    open_page("/outbox/")
    expect(page.get_by_text("Nothing is waiting on this phone.")).to_be_visible()
    expect(page.get_by_role("button", name="Send now")).to_be_hidden()


def test_without_javascript_the_pad_is_hidden_and_errors_still_show(
    browser, live_server, demo, settings
):
    draft = make_visit(visitors=[persona("visitor"), persona("partner")], status="draft")
    context = browser.new_context(
        **{**PHONE, "viewport": SMALL_PHONE}, java_script_enabled=False, locale="en-GB"
    )
    page = context.new_page()
    page.goto(live_server.url + "/accounts/login/")
    page.get_by_label("Username").fill("visitor")
    page.get_by_label("Password").fill(settings.DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.goto(f"{live_server.url}/visits/{draft.uuid}/sign-off/")
    expect(page.locator("canvas.signature__pad")).to_be_hidden()
    expect(page.get_by_role("button", name="Clear the signature")).to_be_hidden()
    expect(page.get_by_text(re.compile("ticks the box below"))).to_be_visible()

    page.get_by_role("button", name="Save and check the report").click()
    box = summary(page)
    expect(box).to_be_visible()
    assert "This field is required." in box.inner_text()
    # Without script, the summary is the first thing after the heading.
    first = page.locator("main h1 + *")
    assert first.get_attribute("data-error-summary") is not None
    context.close()


def test_a_filtered_list_is_read_out_and_focus_stays_on_the_filter(page, demo, sign_in, open_page):
    sign_in("manager")
    open_page("/issues/")
    overdue = page.get_by_label("Overdue only")
    overdue.check()  # hx-trigger="change": the list alone is swapped
    announced = page.locator("[data-announce]")
    expect(announced).to_have_text(re.compile(r"^\d+ issues?\. Download these as CSV$"))
    expect(overdue).to_be_focused()
    assert announced.inner_text() == page.locator("#issue-board > p").first.inner_text()
