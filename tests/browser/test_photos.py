"""A photo taken on the suite step: uploading it keeps the answers not yet saved, it shows on
the step and on the check page, and a file that is not a photo says so, answers kept."""

import io

from PIL import Image
from playwright.sync_api import expect

from tests.browser.conftest import check_accessibility
from tests.conftest import persona
from tests.factories import make_visit
from visits.models import Visit


def jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (640, 480), (90, 120, 60)).save(out, format="JPEG")
    return out.getvalue()


def test_a_photo_upload_keeps_the_suite_answers(
    page, demo, sign_in, live_server, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    draft = make_visit(visitors=[persona("visitor"), persona("partner")], status=Visit.Status.DRAFT)
    sign_in("visitor")
    page.goto(f"{live_server.url}/visits/{draft.uuid}/suite/")
    page.wait_for_load_state("networkidle")
    check_accessibility(page)

    first_no = page.locator("input[type=radio][value=no]").first
    first_no.check()
    page.get_by_label("Photo of suite conditions").set_input_files(
        files=[{"name": "cell.jpg", "mimeType": "image/jpeg", "buffer": jpeg()}]
    )
    page.get_by_label("Caption").fill("Cell 2 bench")
    page.get_by_role("button", name="Upload photo").click()
    expect(page.get_by_role("img", name="Cell 2 bench")).to_be_visible()
    page.wait_for_load_state("networkidle")
    check_accessibility(page)
    expect(page.locator("input[type=radio][value=no]").first).to_be_checked()

    page.goto(f"{live_server.url}/visits/{draft.uuid}/check/")
    page.wait_for_load_state("networkidle")
    check_accessibility(page)
    expect(page.get_by_role("img", name="Cell 2 bench")).to_be_visible()
    assert draft.attachments.count() == 1


def test_a_refused_photo_shows_its_error_and_keeps_the_answers(
    page, demo, sign_in, live_server, settings, tmp_path, console_errors
):
    settings.MEDIA_ROOT = tmp_path
    console_errors.allow("400")
    draft = make_visit(visitors=[persona("visitor"), persona("partner")], status=Visit.Status.DRAFT)
    sign_in("visitor")
    page.goto(f"{live_server.url}/visits/{draft.uuid}/suite/")
    page.wait_for_load_state("networkidle")
    page.locator("input[type=radio][value=no]").first.check()
    page.get_by_label("Photo of suite conditions").set_input_files(
        files=[{"name": "notes.jpg", "mimeType": "image/jpeg", "buffer": b"not a picture"}]
    )
    page.get_by_role("button", name="Upload photo").click()
    expect(page.get_by_text("not a photo we can read").first).to_be_visible()
    page.wait_for_load_state("networkidle")
    check_accessibility(page)
    expect(page.locator("input[type=radio][value=no]").first).to_be_checked()
