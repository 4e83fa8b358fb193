"""All as expected, with JavaScript: on the record page (kept on the phone) and the step pages."""

import datetime

from playwright.sync_api import expect

from tests.browser.conftest import check_accessibility
from tests.conftest import persona
from tests.factories import make_visit
from visits.models import Visit


def answered(scope) -> dict[str, str]:
    """Each yes/no question's chosen answer in `scope`, by input name."""
    return scope.evaluate(
        r"""root => Object.fromEntries(
             Array.from(root.querySelectorAll("input[type=radio]:checked"))
             .filter(r => /(^|-)q_\d+$/.test(r.name)).map(r => [r.name, r.value]))"""
    )


def questions_in(scope) -> int:
    return scope.locator("[data-question]").count()


def test_all_as_expected_on_the_record_page_is_kept_on_the_phone(page, demo, sign_in, open_page):
    sign_in("visitor")
    open_page("/visits/record/")
    expect(page.locator("form[data-record][data-ready]")).to_be_attached()
    page.get_by_role("button", name="Add a detainee").click()
    page.locator("[name='detainees.0-custody_number']").fill("WY-00101-26")
    detainee = page.locator("[data-list='detainees'] [data-item]").first
    first = detainee.locator("[data-question]").first
    # An exception answered first: its note opens and it says it is not as expected.
    first.get_by_label("No", exact=True).check()
    expect(first.locator("[data-exception]")).to_be_visible()
    expect(first.locator("[data-exception]")).to_have_text(
        "Not as expected: an issue will be suggested"
    )
    note = detainee.locator("details.note").first
    expect(note).to_have_attribute("open", "")

    count = questions_in(detainee)
    detainee.get_by_role("button", name="All as expected").click()
    chosen = answered(detainee)
    assert len(chosen) == count
    assert chosen[first.locator("input[type=radio]").first.get_attribute("name")] == "no"
    assert sorted(set(chosen.values())) == ["na", "no", "yes"]
    expect(detainee.locator("[data-expected-status]")).to_have_text(
        f"{count - 1} questions marked as expected. Answer only what was not as expected."
    )
    # Focus leaves the marked checklist for what comes after it (not the Remove button).
    expect(page.get_by_role("button", name="Add a detainee")).to_be_focused()
    # Pressed again, nothing is left to mark, and it says so.
    detainee.get_by_role("button", name="All as expected").click()
    expect(detainee.locator("[data-expected-status]")).to_have_text(
        "Every question here already has an answer."
    )
    check_accessibility(page)

    # The rest of one section of the suite's checks: only its questions, then on to the next.
    suite_checks = page.locator("section", has=page.get_by_role("heading", name="Suite checks"))
    sections = suite_checks.locator("[data-expected-section]")
    sections.nth(0).locator("[data-expected-scope]").click()
    assert len(answered(sections.nth(0))) == questions_in(sections.nth(0))
    assert answered(sections.nth(1)) == {}
    expect(sections.nth(1).locator("input[type=radio]").first).to_be_focused()

    # The marks were `change`s like any tap: the draft on the phone has them after a reload.
    expect(page.locator("[data-saved]")).to_contain_text("Saved on this phone")
    page.wait_for_timeout(600)
    before = answered(page.locator("form[data-record]"))
    page.reload()
    page.wait_for_load_state("networkidle")
    expect(page.locator("[name='detainees.0-custody_number']")).to_have_value("WY-00101-26")
    assert answered(page.locator("form[data-record]")) == before
    # The restored "no" is shown as such again, its note open.
    first = page.locator("[data-list='detainees'] [data-item] [data-question]").first
    expect(first.locator("[data-exception]")).to_be_visible()
    expect(page.locator("[data-list='detainees'] details.note").first).to_have_attribute("open", "")
    check_accessibility(page)


def test_all_as_expected_on_a_step_page_fills_in_without_sending(page, demo, sign_in, open_page):
    visit = make_visit(
        visitors=[persona("visitor"), persona("partner")],
        status=Visit.Status.DRAFT,
        arrived_at=datetime.datetime.now(datetime.UTC) - datetime.timedelta(hours=1),
    )
    sign_in("visitor")
    open_page(f"/visits/{visit.uuid}/suite/")
    address = page.url
    form = page.locator("form", has=page.locator("[data-checklist]"))
    count = questions_in(form)
    form.get_by_role("button", name="All as expected").click()
    expect(form.locator("[data-expected-status]")).to_have_text(
        f"{count} questions marked as expected. Answer only what was not as expected."
    )
    assert page.url == address and visit.answers.count() == 0  # filled in, not sent
    # Focus goes on past the marked questions: to the photo, the next thing on the step.
    expect(form.get_by_label("Photo of suite conditions")).to_be_focused()
    # An exception after it: marked, its note open.
    last = form.locator("[data-question]").last
    last.get_by_label("No", exact=True).check()
    expect(last.locator("[data-exception]")).to_be_visible()
    check_accessibility(page)
    form.get_by_role("button", name="Save and continue").click()
    page.wait_for_url(f"**/visits/{visit.uuid}/issues/")
    values = list(visit.answers.values_list("value", flat=True))
    assert len(values) == count and values.count("no") == 1


def test_enter_in_a_text_box_saves_the_step_and_marks_nothing(page, demo, sign_in, open_page):
    visit = make_visit(
        visitors=[persona("visitor"), persona("partner")],
        status=Visit.Status.DRAFT,
        arrived_at=datetime.datetime.now(datetime.UTC) - datetime.timedelta(hours=1),
    )
    sign_in("visitor")
    open_page(f"/visits/{visit.uuid}/detainees/new/")
    page.get_by_label("Custody record number").fill("WY-00555-26")
    page.get_by_label("Custody record number").press("Enter")
    expect(page.get_by_role("link", name="WY-00555-26")).to_be_visible()
    detainee = visit.detainees.get()
    assert detainee.answers.count() == 0  # saved as typed: nothing marked as expected
