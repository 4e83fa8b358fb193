"""ID cards on a small phone (issue 22): the manager is told a card needs a photo first, uploads
one and issues the card in place (htmx), then revokes it with the error summary for a missing
reason; the custody staff's check page, signed out, says valid and then not valid. Without
JavaScript the same forms work by plain posts, a missing file explained on the card page. axe
on every page with JavaScript, nothing wider than 320 px."""

import io

from PIL import Image
from playwright.sync_api import expect

from tests.browser.conftest import check_accessibility
from visits.models import IdCard, Membership


def fits(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def portrait() -> dict:
    out = io.BytesIO()
    Image.new("RGB", (600, 800), (90, 120, 160)).save(out, format="JPEG")
    return {"name": "me.jpg", "mimeType": "image/jpeg", "buffer": out.getvalue()}


def test_the_manager_issues_and_revokes_a_card_and_the_check_page_follows(
    page, browser, demo, sign_in, live_server, settings, tmp_path, console_errors
):
    settings.MEDIA_ROOT = tmp_path
    page.set_viewport_size({"width": 320, "height": 700})
    vera = Membership.objects.get(user__username="visitor")
    sign_in("manager")
    page.goto(f"{live_server.url}/volunteers/{vera.pk}/")
    section = page.locator("#id-card")
    expect(section.get_by_text("No valid card.")).to_be_visible()
    expect(section.get_by_text("Upload their photo first.")).to_be_visible()
    check_accessibility(page)
    fits(page)

    section.get_by_label("Photo for the ID card").set_input_files(files=[portrait()])
    section.get_by_role("button", name="Upload the photo").click()
    expect(page.get_by_role("status").filter(has_text="Photo saved.")).to_be_visible()
    expect(page.get_by_role("img", name="The photo on Vera Holt's card")).to_be_visible()
    page.locator("#id-card").get_by_role("button", name="Issue the card").click()
    card_issued = page.get_by_role("status").filter(has_text="issued.")
    expect(card_issued).to_be_visible()
    card = IdCard.objects.get(membership=vera)
    expect(page.locator("#id-card")).to_contain_text(f"card {card.number}")
    check_accessibility(page)
    fits(page)

    staff = browser.new_context(viewport={"width": 320, "height": 640})
    door = staff.new_page()
    door.goto(f"{live_server.url}/card/{card.token}/")
    expect(door.get_by_role("heading", name="Valid: this card is current")).to_be_visible()
    check_accessibility(door)
    assert door.evaluate("document.documentElement.scrollWidth <= window.innerWidth")

    console_errors.allow("400")  # the revoke without a reason, on purpose
    page.locator("#id-card").get_by_role("button", name="Revoke the card").click()
    summary = page.locator("[data-error-summary]")
    expect(summary).to_be_focused()
    expect(summary).to_contain_text("Say why the card is revoked.")
    check_accessibility(page)
    page.get_by_label("Reason for revoking the card").fill("Lost on the bus")
    page.locator("#id-card").get_by_role("button", name="Revoke the card").click()
    expect(page.get_by_role("status").filter(has_text="revoked.")).to_be_visible()
    expect(page.locator("#id-card")).to_contain_text("Lost on the bus")
    check_accessibility(page)
    fits(page)

    door.reload()
    expect(door.get_by_role("heading", name="Not valid")).to_be_visible()
    assert "Vera" not in door.content()
    check_accessibility(door)
    staff.close()


def test_without_javascript_the_card_forms_still_work(
    browser, demo, live_server, settings, tmp_path
):
    # (axe needs JavaScript; the same pages are checked with it in the test above.)
    settings.MEDIA_ROOT = tmp_path
    context = browser.new_context(java_script_enabled=False, viewport={"width": 320, "height": 700})
    page = context.new_page()
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill("manager")
    page.get_by_label("Password").fill(settings.DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    vera = Membership.objects.get(user__username="visitor")
    page.goto(f"{live_server.url}/volunteers/{vera.pk}/")
    # No photo yet: no button to issue, and the reason instead.
    expect(page.locator("#id-card").get_by_text("Upload their photo first.")).to_be_visible()
    page.get_by_role("button", name="Upload the photo").click()  # no file chosen
    expect(page.get_by_role("link", name="Choose a photo to upload.")).to_be_visible()
    page.get_by_label("Photo for the ID card").set_input_files(files=[portrait()])
    page.get_by_role("button", name="Upload the photo").click()
    expect(page.get_by_text("Photo saved.")).to_be_visible()
    page.locator("#id-card").get_by_role("button", name="Issue the card").click()
    card = IdCard.objects.get(membership=vera)
    expect(page.get_by_text(f"Card {card.number} issued.")).to_be_visible()
    assert IdCard.objects.filter(membership=vera).count() == 1
    context.close()
