"""The offline "Record a visit" page holds everything a report holds: photos kept on the phone
with no signal, issues suggested by a "no", the no-names warning, and re-checks of earlier issues.
On a 360 x 740 phone, axe-core on every page visited."""

import base64
import datetime
import io
import re

import pytest
from django.urls import reverse
from PIL import Image
from playwright.sync_api import expect

from api.serializers import WholeReportSerializer
from tests.browser.conftest import check_accessibility
from tests.browser.test_offline import LONDON, app_installed, field, local, outbox_state
from tests.conftest import persona
from tests.factories import make_reported_issue
from visits.models import Attachment, Issue, IssueEvent, Visit

NAME_WARNING = "This may contain a person's name."


@pytest.fixture
def phone(page):
    page.set_viewport_size({"width": 360, "height": 740})
    return page


def camera_photo() -> bytes:
    """A photo as a phone's camera makes it: larger than the app keeps, with its maker and GPS
    position in the EXIF metadata."""
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x8825] = {1: "N", 2: (52.0, 34.0, 0.0)}  # GPSInfo
    out = io.BytesIO()
    Image.new("RGB", (2400, 1800), (120, 140, 160)).save(out, "JPEG", exif=exif)
    return out.getvalue()


def start_a_visit(page, arrived: datetime.datetime) -> str:
    page.get_by_label("Custody suite").select_option(label="Wymondham")
    page.get_by_label("Peter Shaw").check()
    field(page, "start-arrived_at").fill(local(arrived))
    field(page, "admission-admitted_at").fill(local(arrived + datetime.timedelta(minutes=5)))
    return page.url.split("id=")[1]


def sign_off(page, arrived: datetime.datetime) -> None:
    field(page, "sign_off-departed_at").fill(local(arrived + datetime.timedelta(hours=1)))
    page.get_by_label("Satisfactory", exact=True).check()
    page.get_by_label("Custody sergeant's rank and name").fill("PS 42 Khan")
    page.get_by_label("The sergeant has read this report and signs it").check()
    page.get_by_label("I, Vera Holt, confirm this report").check()
    page.get_by_label("The visitor I am with confirms it too").check()


def sent_reports(context) -> list[dict]:
    """The JSON bodies the phone PUTs, seen on their way to the server (from the page or from
    the service worker, which the page's own routes do not see)."""
    bodies = []

    def watch(route):
        bodies.append(route.request.post_data_json)
        route.continue_()

    context.route("**/api/visits/*/report/", watch)
    return bodies


def test_a_photo_taken_with_no_signal_is_kept_and_sent_once_without_its_metadata(
    phone, context, demo, sign_in, live_server
):
    page = phone
    sign_in("visitor")
    app_installed(page)
    page.get_by_role("link", name="Record a visit").click()
    expect(page.get_by_role("heading", name="Arrival")).to_be_visible()
    page.wait_for_load_state("networkidle")
    bodies = sent_reports(page.context)
    arrived = datetime.datetime.now(LONDON) - datetime.timedelta(hours=2)
    key = start_a_visit(page, arrived)

    context.set_offline(True)
    expect(
        page.get_by_text("Photos of the suite's conditions only: never of a person.")
    ).to_be_visible()
    page.get_by_label("Add a photo").set_input_files(
        {"name": "cell.jpg", "mimeType": "image/jpeg", "buffer": camera_photo()}
    )
    expect(page.get_by_role("status").filter(has_text="Photo added")).to_be_visible()
    caption = page.get_by_label("Caption")
    expect(caption).to_be_focused()
    caption.fill("Cell 3: graffiti on the wall")
    expect(page.get_by_role("img", name="Cell 3: graffiti on the wall")).to_be_visible()
    check_accessibility(page)
    sign_off(page, arrived)
    page.wait_for_timeout(400)  # the draft is kept after a short pause

    # Reload with no signal: the photo and its caption are still on the phone.
    page.reload()
    expect(page.get_by_role("img", name="Cell 3: graffiti on the wall")).to_be_visible()
    expect(page.get_by_label("Caption")).to_have_value("Cell 3: graffiti on the wall")
    assert page.locator("[data-photo]").count() == 1
    check_accessibility(page)

    page.get_by_role("button", name="Send the report").click()
    expect(page).to_have_url(live_server.url + "/outbox/")
    outbox_state(page, "waiting")
    assert not Visit.objects.filter(uuid=key).exists()

    context.set_offline(False)
    outbox_state(page, "sent")
    check_accessibility(page)
    body = bodies[-1]
    (photo,) = body["photos"]
    assert re.fullmatch(r"[0-9a-f-]{36}", photo["id"])
    assert photo["caption"] == "Cell 3: graffiti on the wall"
    sent = Image.open(io.BytesIO(base64.b64decode(photo["image"])))
    assert sent.format == "JPEG" and sent.size == (1600, 1200)  # the longest side at most 1600
    assert not sent.getexif()  # the camera's maker and position stay on the phone
    # The photos leave the phone with the report.
    assert page.evaluate("key => Outbox.photos(key)", key) == []
    visit = Visit.objects.get(uuid=key)
    if "photos" in WholeReportSerializer().fields:  # the server side of the photos contract
        (stored,) = Attachment.objects.filter(visit=visit)
        assert stored.caption == "Cell 3: graffiti on the wall"
        assert not Image.open(stored.image.open("rb")).getexif()


def test_a_no_offers_its_issue_which_one_tap_adds_once(phone, demo, sign_in, open_page):
    page = phone
    sign_in("visitor")
    open_page("/visits/record/")
    # Nobody has confirmed a report that is not written yet.
    expect(page.get_by_label("I, Vera Holt, confirm this report")).not_to_be_checked()
    expect(page.get_by_label("The visitor I am with confirms it too")).not_to_be_checked()
    page.get_by_role("button", name="Add a detainee").click()
    field(page, "detainees.0-custody_number").fill("WY-00777-26")
    question = page.locator(".question", has_text="Offered free legal advice")
    expect(question.get_by_role("button", name="Add this as an issue")).to_have_count(0)
    question.get_by_label("No", exact=True).check()
    offer = question.get_by_role("button", name="Add this as an issue")
    expect(offer).to_be_visible()
    assert page.locator("[data-list='issues'] [data-item]").count() == 0  # not without a tap
    check_accessibility(page)

    offer.click()
    expect(question.get_by_text("Added to the issues below.")).to_be_focused()
    expect(offer).to_have_count(0)  # the same suggestion is not offered twice
    expect(page.locator("[data-list='issues'] [data-item]")).to_have_count(1)
    expect(field(page, "issues.0-category")).to_have_value("rights")
    expect(field(page, "issues.0-description")).to_have_value("No: Offered free legal advice.")
    expect(field(page, "issues.0-custody_number")).to_have_value("WY-00777-26")
    assert field(page, "issues.0-question_id").input_value().isdigit()
    check_accessibility(page)

    # Kept so on the phone: after a reload it is still added, and still not offered again.
    page.wait_for_timeout(400)
    page.reload()
    expect(page.locator("[data-list='issues'] [data-item]")).to_have_count(1)
    question = page.locator(".question", has_text="Offered free legal advice")
    expect(question.get_by_text("Added to the issues below.")).to_be_visible()
    expect(question.get_by_role("button", name="Add this as an issue")).to_have_count(0)
    # Good practice is checked for names as an issue is.
    good_practice = page.locator("section", has=page.get_by_role("heading", name="Good practice"))
    page.get_by_label("Good practice seen").fill("Mrs Jones brought blankets")
    expect(good_practice.get_by_text(NAME_WARNING)).to_be_visible()
    expect(page.get_by_label("Good practice seen")).to_have_attribute(
        "aria-describedby", re.compile("names_checked_warning")
    )
    page.get_by_label("Good practice seen").fill("The detention officer brought blankets")
    expect(good_practice.get_by_text(NAME_WARNING)).to_be_hidden()
    # A "yes" takes the offer away; the issue stays until the volunteer removes it.
    question.get_by_label("Yes", exact=True).check()
    expect(question.locator("[data-suggestion]")).to_have_count(0)
    expect(page.locator("[data-list='issues'] [data-item]")).to_have_count(1)


def test_a_name_is_warned_of_and_a_recheck_is_sent_with_the_report(
    phone, demo, sign_in, open_page, live_server
):
    page = phone
    earlier = make_reported_issue(recheck=True)  # at Wymondham
    sign_in("visitor")
    open_page("/visits/record/")
    bodies = sent_reports(page.context)
    arrived = datetime.datetime.now(LONDON) - datetime.timedelta(hours=2)

    # The re-check is shown once its suite is chosen, and only then.
    recheck = page.locator(f"[data-recheck='{earlier.pk}']")
    page.get_by_label("Custody suite").select_option(label="Aylsham")
    expect(recheck).to_be_hidden()
    key = start_a_visit(page, arrived)
    # Folded by default: a tap on its summary shows the suite's re-checks.
    rechecks = page.locator("[data-rechecks]")
    expect(rechecks).to_be_visible()
    expect(recheck).to_be_hidden()
    rechecks.locator("summary").click()
    expect(recheck).to_be_visible()
    expect(recheck).to_contain_text("Cell 4 call bell not working.")
    expect(recheck.get_by_label("Not looked at")).to_be_checked()
    recheck.get_by_label("Fixed", exact=True).check()
    recheck.get_by_label("Note (optional)").fill("New bell fitted.")

    page.get_by_role("button", name="Add an issue").click()
    field(page, "issues.0-category").select_option("treatment")
    description = field(page, "issues.0-description")
    description.fill("Mr Smith was rude")
    issue = page.locator("[data-list='issues'] [data-item]")
    expect(issue.get_by_text(NAME_WARNING)).to_be_visible()
    names_no_one = issue.get_by_label("I have checked: this names no one")
    expect(names_no_one).to_be_visible()
    check_accessibility(page)
    description.fill("The custody officer was rude")
    expect(issue.get_by_text(NAME_WARNING)).to_be_hidden()
    description.fill("Mr Smith was rude")
    sign_off(page, arrived)

    # Not sent while the box is not ticked: the problem is linked to the description.
    page.get_by_role("button", name="Send the report").click()
    problem = page.get_by_role("alert")
    expect(problem).to_contain_text("Issue 1 may name someone")
    check_accessibility(page)
    problem.get_by_role("link").click()
    expect(description).to_be_focused()
    names_no_one.check()
    page.get_by_role("button", name="Send the report").click()
    expect(page.locator(f"[data-report='{key}']")).to_have_attribute(
        "data-state", "sent", timeout=15000
    )
    check_accessibility(page)

    body = bodies[-1]
    assert body["issues"][0]["names_checked"] is True
    assert body["rechecks"] == [{"issue": earlier.pk, "fixed": True, "note": "New bell fitted."}]
    visit = Visit.objects.get(uuid=key)
    assert visit.issues.get().description == "Mr Smith was rude"
    (event,) = IssueEvent.objects.filter(issue=earlier, kind=IssueEvent.Kind.RECHECKED)
    assert event.text.endswith("New bell fitted.") and event.text.startswith("Fixed")
    assert not Issue.objects.get(pk=earlier.pk).recheck_next_visit


def test_without_javascript_the_page_leads_first_to_the_step_by_step_form(client, demo):
    # Chromium under Playwright never renders <noscript> (scripting stays on for the parser),
    # so the markup is read here.
    client.force_login(persona("visitor"))
    page = client.get("/visits/record/").content.decode()
    noscript = page[page.index("<noscript>") : page.index("</noscript>")]
    first_link = re.search(r'<a href="([^"]+)">([^<]+)</a>', noscript)
    assert first_link.groups() == (
        reverse("visit-start"),
        "Record the visit with the step-by-step form",
    )
    assert noscript.index(first_link.group(0)) < noscript.index("JavaScript is turned off")
    # The form itself, which needs JavaScript, is hidden until record.js shows it.
    assert re.search(r"<form[^>]*data-record[^>]*hidden", page)


def test_the_folded_flags_open_for_a_detainee_who_has_one_after_a_reload(
    phone, demo, sign_in, open_page
):
    page = phone
    sign_in("visitor")
    open_page("/visits/record/")
    page.get_by_role("button", name="Add a detainee").click()
    detainee = page.locator("[data-list='detainees'] [data-item]").first
    more = detainee.locator("details[data-open-if-set]")
    interpreter = detainee.get_by_label("Interpreter needed")
    expect(interpreter).to_be_hidden()  # folded: seldom needed
    check_accessibility(page)
    more.locator("summary").click()
    interpreter.check()
    page.wait_for_timeout(300)  # kept on the phone as it is ticked
    page.reload()
    page.locator("form[data-record][data-ready]").wait_for(state="attached")
    detainee = page.locator("[data-list='detainees'] [data-item]").first
    expect(detainee.get_by_label("Interpreter needed")).to_be_visible()
    expect(detainee.get_by_label("Interpreter needed")).to_be_checked()
    expect(detainee.get_by_label("Held under the Terrorism Act (TACT)")).not_to_be_checked()
