"""A pair of visitors record a whole visit on a phone, partly by keyboard only."""

import re

from django.urls import reverse
from playwright.sync_api import expect

from tests.browser.conftest import check_accessibility
from visits.models import Answer, Issue, Visit


def settle(page, shows):
    """Wait for what the person should see next (a boosted page arrives by XHR, after
    'networkidle' may already have been reached), then check the page with axe."""
    expect(shows).to_be_visible()
    page.wait_for_load_state("networkidle")
    check_accessibility(page)


def heading(page, name):
    return page.get_by_role("heading", name=name, exact=True)


def test_record_a_whole_visit_on_a_phone(page, demo, sign_in, live_server, console_errors):
    console_errors.allow("status of 400")  # the refused forms below answer 400, on purpose
    sign_in("visitor")
    # The step-by-step form is what "Record a visit" opens without JavaScript (no-JS fallback).
    page.goto(live_server.url + reverse("visit-start"))
    settle(page, heading(page, "Start a visit"))

    # Start: suite, partner, arrival time (pre-filled with now).
    page.get_by_label("Custody suite").select_option(label="Wymondham")
    page.get_by_label("Peter Shaw").check()
    page.get_by_role("button", name="Start the report").click()
    settle(page, heading(page, "Admission"))
    assert "Step 2 of 8" in page.inner_text("main")

    # Admission, by keyboard: a delay, its reason and the authorising officer.
    page.get_by_label("Minutes you were kept waiting").focus()
    page.keyboard.press("Control+A")
    page.keyboard.type("15")
    page.keyboard.press("Tab")
    page.keyboard.type("Detainee being moved")
    page.keyboard.press("Tab")
    page.keyboard.type("Inspector Rowe")
    page.keyboard.press("Enter")
    settle(page, heading(page, "Numbers"))

    # Numbers: first ones that do not add up, then the right ones.
    page.get_by_label("In custody at the time of the visit").fill("4")
    page.get_by_label("Offered a visit").fill("2")
    page.get_by_label("Visited (spoken to)").fill("2")
    page.get_by_role("button", name="Save and continue").click()
    settle(page, page.get_by_role("alert"))
    summary = page.get_by_role("alert")
    assert "must equal offered a visit (2) plus not visited (0), which is 2" in summary.inner_text()
    page.get_by_label("Asleep").fill("2")
    page.get_by_role("button", name="Save and continue").click()
    settle(page, page.get_by_role("link", name="Add a detainee"))

    # A detainee: a name is refused, the custody number is accepted.
    page.get_by_role("link", name="Add a detainee").click()
    settle(page, page.get_by_label("Custody record number"))
    page.get_by_label("Custody record number").fill("Jane Doe")
    page.get_by_role("button", name="Save detainee").click()
    settle(page, page.get_by_role("alert"))
    assert "looks like a name" in page.get_by_role("alert").inner_text()
    page.get_by_label("Custody record number").fill("wy-00123-26")
    page.get_by_label("Under 18").check()
    page.get_by_label("Appropriate adult present").check()
    for radio in page.locator("input[type=radio][value=yes]").all():
        radio.check()
    first_question = page.locator("fieldset.field--inline").first
    first_question.get_by_label("No", exact=True).check()
    expect(page.locator("details.note").first).to_have_attribute("open", "")  # a "no" opens it
    page.locator("textarea[name^=note_]").first.fill("Notice not given yet")
    page.get_by_role("button", name="Save detainee").click()
    settle(page, page.get_by_role("link", name="WY-00123-26"))
    page.get_by_role("link", name="Continue to suite checks").click()
    settle(page, heading(page, "Suite checks"))

    # Suite checks.
    for radio in page.locator("input[type=radio][value=yes]").all():
        radio.check()
    page.get_by_role("button", name="Save and continue").first.click()
    settle(page, heading(page, "Issues and good practice"))

    # Issues: the "no" is suggested; add it, resolved on the visit.
    assert "Suggested from your answers" in page.inner_text("main")
    suggestion = page.locator("form.suggestion").first
    suggestion.get_by_label("Resolved with the sergeant during the visit").check()
    suggestion.get_by_role("button", name="Add this issue").click()
    settle(page, heading(page, "On this report"))
    page.get_by_label("Good practice seen").fill("Calm, clean suite.")
    page.get_by_role("button", name="Save and continue").click()
    settle(page, heading(page, "Sign-off"))

    # Sign-off: the sergeant signs on the screen; both visitors confirm.
    page.get_by_label("Satisfactory", exact=True).check()
    page.get_by_label("Custody sergeant's rank and name").fill("PS 1402 Moore")
    pad = page.locator("canvas.signature__pad")
    pad.scroll_into_view_if_needed()
    box = pad.bounding_box()
    page.mouse.move(box["x"] + 20, box["y"] + box["height"] / 2)
    page.mouse.down()
    for step in range(1, 12):
        page.mouse.move(box["x"] + 20 + step * 20, box["y"] + box["height"] / 2 + (step % 3) * 8)
    page.mouse.up()
    page.get_by_label(re.compile("I, Vera Holt")).check()
    page.get_by_label(re.compile("I, Peter Shaw")).check()
    page.get_by_role("button", name="Save and check the report").click()
    settle(page, heading(page, "Check and submit"))

    # Check your answers, then submit (twice: the second does nothing).
    assert "Before you submit" not in page.inner_text("main")
    assert "WY-00123-26" in page.inner_text("main")
    page.get_by_role("button", name="Submit the report").click()
    settle(page, page.locator("main").get_by_text("Report submitted. Thank you."))
    page.go_back()
    page.wait_for_load_state("networkidle")

    visit = Visit.objects.get()
    assert visit.status == Visit.Status.SUBMITTED
    assert visit.suite.name == "Wymondham"
    assert sorted(visit.visitors.values_list("username", flat=True)) == ["partner", "visitor"]
    assert (visit.delay_minutes, visit.delay_reason, visit.delay_authorised_by) == (
        15,
        "Detainee being moved",
        "Inspector Rowe",
    )
    assert (visit.in_custody, visit.offered, visit.visited, visit.nv_asleep) == (4, 2, 2, 2)
    detainee = visit.detainees.get()
    assert detainee.custody_number == "WY-00123-26"
    assert detainee.under_18 and detainee.appropriate_adult_present
    no = Answer.objects.get(detainee=detainee, value="no")
    assert no.note == "Notice not given yet"
    assert Answer.objects.filter(detainee=detainee, value="yes").count() == 29
    assert Answer.objects.filter(visit=visit, detainee=None, value="yes").count() == 10
    issue = Issue.objects.get()
    assert issue.status == Issue.Status.RESOLVED_ON_VISIT
    assert issue.custody_number == "WY-00123-26"
    assert visit.good_practice == "Calm, clean suite."
    assert visit.sergeant_name == "PS 1402 Moore"
    assert visit.sergeant_signature and visit.sergeant_signed_at
    assert not visit.visit_visitors.filter(confirmed_at=None).exists()
    assert visit.departed_at >= visit.arrived_at
