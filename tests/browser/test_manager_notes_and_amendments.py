"""The scheme manager keeps a note internal or shares it with the force, and amends a submitted
report with a reason; each reader sees only what is theirs (issue 15, issue 16)."""

from playwright.sync_api import expect

from tests.browser.conftest import check_accessibility
from tests.conftest import persona
from tests.factories import make_reported_issue
from visits.models import Amendment
from visits.services.issues import act


def test_a_note_shared_with_the_force_reaches_it_and_an_internal_one_does_not(
    page, demo, sign_in, open_page, sign_out
):
    issue = act(actor=persona("manager"), issue=make_reported_issue(), action="refer", notify=False)

    sign_in("manager")
    open_page(f"/issues/{issue.pk}/")
    check_accessibility(page)
    for text, shared in [("Estates chased, internal", False), ("Engineer booked for Friday", True)]:
        page.locator("summary", has_text="Add a comment").click()
        comment = page.locator("details", has_text="Add a comment")
        comment.get_by_label("Text").fill(text)
        if shared:
            comment.get_by_label("Share this note with the force").check()
        page.get_by_role("button", name="Add a comment").click()
        expect(page.get_by_text("Saved.")).to_be_visible()
    # The issue as raised and the referral are the force's too; the internal note is not.
    expect(page.get_by_text("Shared with the force")).to_have_count(3)
    check_accessibility(page)

    sign_out()
    sign_in("force")
    open_page(f"/issues/{issue.pk}/")
    expect(page.get_by_text("Engineer booked for Friday")).to_be_visible()
    expect(page.get_by_text("Estates chased, internal")).to_have_count(0)
    check_accessibility(page)


def test_the_manager_amends_a_report_with_a_reason(page, demo, sign_in, open_page):
    visit = make_reported_issue().visit

    sign_in("manager")
    open_page(f"/visits/{visit.uuid}/")
    page.get_by_role("link", name="Amend the report").click()
    check_accessibility(page)
    page.get_by_label("Custody sergeant's rank and name").fill("PS 4321 Hart")
    page.get_by_label("Why is the report being amended?").fill(
        "The sergeant's number was mistyped."
    )
    page.get_by_role("button", name="Save the amendment").click()
    expect(page.get_by_text("PS 4321 Hart").first).to_be_visible()
    check_accessibility(page)
    amendment = Amendment.objects.get(visit=visit)
    assert amendment.reason == "The sergeant's number was mistyped."
    assert amendment.changes["sergeant_name"][1] == "PS 4321 Hart"
