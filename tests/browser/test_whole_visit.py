"""Issue 17's "done when": a whole 4-detainee visit, with a photo, recorded on a 360 x 740 phone
with no signal and sent when the signal comes back; and the same visit recorded without
JavaScript through the step-by-step form. Each is stored once and whole; axe on every page."""

import datetime
import io

import pytest
from PIL import Image
from playwright.sync_api import expect

from tests.browser.conftest import check_accessibility
from tests.browser.device import PHONE
from tests.browser.test_offline import LONDON, app_installed, field, local, outbox_state
from visits.models import DetaineeRecord, Question, Visit

SMALL_PHONE = {"width": 360, "height": 740}

# The visit both tests record. Four seen of five in custody (one asleep); one of them a child.
CUSTODY_NUMBERS = ["WY-00121-26", "WY-00122-26", "WY-00123-26", "WY-00124-26"]
UNDER_18 = 0  # the first detainee, seen first
NOT_AS_EXPECTED = 2  # the detainee with one "no"
NO_NOTE = "Not yet told of the right to free legal advice."
NUMBERS = {
    "in_custody": 5,
    "adults": 4,
    "under_18": 1,
    "male": 4,
    "female": 1,
    "held_pace": 5,
    "offered": 4,
    "visited": 4,
    "nv_asleep": 1,
}
ISSUE = "Cell 3 call bell not working."
GOOD_PRACTICE = "Blankets offered to everyone without being asked."
SERGEANT = "PS 42 Khan"
CAPTION = "Cell 3: call bell panel"


@pytest.fixture
def browser_context_args(browser_context_args):
    return {**browser_context_args, "viewport": SMALL_PHONE}


def camera_photo() -> bytes:
    """A small photo as a phone's camera makes it: with its GPS position in the EXIF."""
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x8825] = {1: "N", 2: (52.0, 34.0, 0.0), 3: "E", 4: (1.0, 7.0, 0.0)}  # GPSInfo
    out = io.BytesIO()
    Image.new("RGB", (800, 600), (120, 140, 160)).save(out, "JPEG", exif=exif)
    photo = out.getvalue()
    assert Image.open(io.BytesIO(photo)).getexif().get_ifd(0x8825)  # the test's own premise
    return photo


def photo_file() -> dict:
    return {"name": "cell.jpg", "mimeType": "image/jpeg", "buffer": camera_photo()}


def question_of(question) -> int:
    """The pk of the checklist question a `.question` block on the page asks."""
    name = question.locator("input[type=radio]").first.get_attribute("name")
    return int(name.rsplit("q_", 1)[1])


def expected_answers(version, no_question=None) -> dict[int, tuple[str, str]]:
    """What "all as expected" marks on a checklist version, with one "no" and its note."""
    answers = {
        q.pk: (q.expected, "")
        for q in Question.objects.filter(
            section__version=version, answer_type=Question.AnswerType.YES_NO
        ).exclude(expected="")
    }
    assert len(answers) >= 10  # a checklist, not nothing compared with nothing
    if no_question is not None:
        answers[no_question] = ("no", NO_NOTE)
    return answers


def stored_answers(answers) -> dict[int, tuple[str, str]]:
    return {a.question_id: (a.value, a.note) for a in answers if a.value}


def assert_stored_once(visit: Visit, no_question: int) -> None:
    """The whole visit is on the server, once, as it was recorded."""
    assert Visit.objects.filter(suite__name="Wymondham").count() == 1
    assert visit.status == Visit.Status.SUBMITTED
    assert sorted(visit.visitors.values_list("username", flat=True)) == ["partner", "visitor"]
    assert {name: getattr(visit, name) for name in NUMBERS} == NUMBERS
    detainees = list(visit.detainees.order_by("order"))
    assert [d.custody_number for d in detainees] == CUSTODY_NUMBERS
    assert [d.under_18 for d in detainees] == [i == UNDER_18 for i in range(4)]
    assert {d.consent for d in detainees} == {DetaineeRecord.Consent.AGREED}
    for index, detainee in enumerate(detainees):
        no = no_question if index == NOT_AS_EXPECTED else None
        assert stored_answers(detainee.answers.all()) == expected_answers(
            visit.detainee_checklist, no
        ), detainee.custody_number
    assert stored_answers(visit.answers.filter(detainee=None)) == expected_answers(
        visit.suite_checklist
    )
    (attachment,) = visit.attachments.all()
    assert attachment.caption == CAPTION
    with attachment.image.open("rb") as image:
        kept = Image.open(image)
        kept.load()
    assert kept.format == "JPEG"
    assert not kept.getexif()  # neither the camera nor the place it was taken
    (issue,) = visit.issues.all()
    assert issue.description == ISSUE
    assert visit.good_practice == GOOD_PRACTICE
    assert visit.outcome == Visit.Outcome.SATISFACTORY
    assert visit.sergeant_name == SERGEANT
    assert not visit.visit_visitors.filter(confirmed_at=None).exists()


def report_shows_the_visit(page, visit: Visit, check=check_accessibility) -> None:
    """The report page, as the visitor reads it: the photo and the four custody numbers."""
    expect(page.get_by_role("heading", level=1)).to_contain_text("Wymondham")
    photo = page.get_by_role("img", name=CAPTION)
    expect(photo).to_be_visible()
    shown = page.request.get(photo.evaluate("img => img.src"))  # as the visitor, signed in
    assert shown.ok and shown.headers["content-type"] == "image/jpeg"
    main = page.locator("main")
    for number in CUSTODY_NUMBERS:
        expect(main).to_contain_text(number)
    check(page)


# --- On the phone, with no signal -----------------------------------------------------------


def test_a_whole_visit_recorded_with_no_signal_is_stored_once_with_its_photo(
    page, context, demo, sign_in, live_server, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    sign_in("visitor")
    app_installed(page)
    # "Record a visit" opened once with signal; the phone keeps the page (service worker).
    page.get_by_role("link", name="Record a visit").first.click()
    page.locator("[data-record][data-ready]").wait_for()
    check_accessibility(page)

    # No signal from here until the report is sent: the page reloads from the phone.
    context.set_offline(True)
    page.reload()
    page.locator("[data-record][data-ready]").wait_for()
    expect(page.get_by_role("status").filter(has_text="You are offline")).to_be_visible()
    check_accessibility(page)
    key = page.url.split("id=")[1]
    arrived = datetime.datetime.now(LONDON) - datetime.timedelta(hours=2)

    page.get_by_label("Custody suite").select_option(label="Wymondham")
    page.get_by_label("Peter Shaw").check()
    field(page, "start-arrived_at").fill(local(arrived))
    field(page, "admission-admitted_at").fill(local(arrived + datetime.timedelta(minutes=5)))
    for name, value in NUMBERS.items():
        field(page, f"numbers-{name}").fill(str(value))

    detainees = page.locator("[data-list='detainees'] [data-item]")
    for index, number in enumerate(CUSTODY_NUMBERS):
        page.get_by_role("button", name="Add a detainee").click()
        expect(detainees).to_have_count(index + 1)
        detainee = detainees.nth(index)
        field(page, f"detainees.{index}-custody_number").fill(number.lower())
        if index == UNDER_18:
            field(page, f"detainees.{index}-under_18").check()
        detainee.get_by_role("button", name="All as expected").click()
        expect(detainee.locator("[data-expected-status]")).to_contain_text("marked as expected")
        if index == NOT_AS_EXPECTED:
            question = detainee.locator(".question", has=page.locator("[data-question]")).first
            question.get_by_label("No", exact=True).check()
            no_question = question_of(question)
            expect(question.locator("[data-exception]")).to_be_visible()
            note = question.locator("details.note")
            expect(note).to_have_attribute("open", "")  # a "no" opens its note
            note.locator("textarea").fill(NO_NOTE)
    check_accessibility(page)

    suite_checks = page.locator("section", has=page.get_by_role("heading", name="Suite checks"))
    suite_checks.locator("[data-expected-scope='all']").click()
    expect(suite_checks.locator("[data-expected-status]").first).to_contain_text(
        "marked as expected"
    )
    page.get_by_label("Add a photo").set_input_files(photo_file())
    expect(page.get_by_role("status").filter(has_text="Photo added")).to_be_visible()
    page.get_by_label("Caption").fill(CAPTION)
    expect(page.get_by_role("img", name=CAPTION)).to_be_visible()

    page.get_by_role("button", name="Add an issue").click()
    field(page, "issues.0-category").select_option("conditions")
    field(page, "issues.0-description").fill(ISSUE)
    page.get_by_label("Good practice seen").fill(GOOD_PRACTICE)

    field(page, "sign_off-departed_at").fill(local(arrived + datetime.timedelta(hours=1)))
    page.get_by_label("Satisfactory", exact=True).check()
    page.get_by_label("Custody sergeant's rank and name").fill(SERGEANT)
    pad = page.locator("canvas.signature__pad")
    pad.scroll_into_view_if_needed()
    box = pad.bounding_box()
    page.mouse.move(box["x"] + 20, box["y"] + 40)
    page.mouse.down()
    page.mouse.move(box["x"] + 200, box["y"] + 60, steps=8)
    page.mouse.up()
    page.get_by_label("The sergeant has read this report and signs it").check()
    page.get_by_label("I, Vera Holt, confirm this report").check()
    page.get_by_label("The visitor I am with confirms it too").check()
    expect(page.locator("[data-saved]")).to_contain_text("Saved on this phone")
    check_accessibility(page)

    page.get_by_role("button", name="Send the report").click()
    expect(page).to_have_url(live_server.url + "/outbox/")
    outbox_state(page, "waiting")
    report = page.locator(f"[data-report='{key}']")
    expect(report.locator(".tag")).to_have_text("Saved on this phone, waiting to send")
    check_accessibility(page)
    assert not Visit.objects.filter(uuid=key).exists()

    # Signal again: the outbox sends it by itself, once.
    context.set_offline(False)
    expect(report).to_have_attribute("data-state", "sent", timeout=20000)
    expect(report.locator(".tag")).to_have_text("Sent")
    check_accessibility(page)
    visit = Visit.objects.get(uuid=key)
    assert visit.sergeant_signature and visit.sergeant_signed_at  # the drawing
    assert_stored_once(visit, no_question)

    report.get_by_role("link", name="Read the report").click()
    page.wait_for_load_state("networkidle")
    report_shows_the_visit(page, visit)


# --- Without JavaScript, step by step -------------------------------------------------------


@pytest.fixture
def page_without_javascript(browser, live_server):
    context = browser.new_context(
        **{**PHONE, "viewport": SMALL_PHONE},
        java_script_enabled=False,
        locale="en-GB",
        timezone_id="Europe/London",
    )
    page = context.new_page()
    page.set_default_timeout(10000)
    yield page
    context.close()


# With the page's scripts off its timers never fire, and axe-core waits on setTimeout between
# its checks: for the check only, timers run as soon as the current task ends.
TIMERS_FOR_AXE = """() => {
  window.setTimeout = (run, _delay, ...args) => {
    Promise.resolve().then(() => run(...args));
    return 0;
  };
  window.clearTimeout = () => {};
}"""


def check_accessibility_without_javascript(page) -> None:
    page.evaluate(TIMERS_FOR_AXE)
    check_accessibility(page)


def shows(page, what) -> None:
    """A plain page load (no htmx without JavaScript): what it shows, and axe on it."""
    expect(what).to_be_visible()
    check_accessibility_without_javascript(page)


def heading(page, name):
    return page.get_by_role("heading", level=1, name=name, exact=True)


def test_the_same_visit_recorded_without_javascript_is_stored_once_with_its_photo(
    page_without_javascript, demo, live_server, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    page = page_without_javascript
    page.goto(live_server.url + "/accounts/login/")
    shows(page, page.get_by_label("Username"))
    page.get_by_label("Username").fill("visitor")
    page.get_by_label("Password").fill(settings.DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()
    check_accessibility_without_javascript(page)

    # Without JavaScript the home page's "Record a visit" opens the step-by-step form.
    page.get_by_role("link", name="Record a visit").first.click()
    shows(page, heading(page, "Start a visit"))
    page.get_by_label("Custody suite").select_option(label="Wymondham")
    page.get_by_label("Peter Shaw").check()
    page.get_by_role("button", name="Start the report").click()

    shows(page, heading(page, "Admission"))
    page.get_by_role("button", name="Save and continue").click()

    shows(page, heading(page, "Numbers"))
    labels = {
        "in_custody": "In custody at the time of the visit",
        "adults": "Adults",
        "under_18": "Under 18",
        "male": "Male",
        "female": "Female",
        "held_pace": "Held under PACE",
        "offered": "Offered a visit",
        "visited": "Visited (spoken to)",
        "nv_asleep": "Asleep",
    }
    for name, value in NUMBERS.items():
        page.get_by_label(labels[name], exact=True).fill(str(value))
    page.get_by_role("button", name="Save and continue").click()

    shows(page, heading(page, "Detainees seen"))
    no_question = None
    for index, number in enumerate(CUSTODY_NUMBERS):
        page.get_by_role("link", name="Add a detainee").click()
        shows(page, page.get_by_label("Custody record number"))
        page.get_by_label("Custody record number").fill(number.lower())
        if index == UNDER_18:
            page.get_by_label("Under 18").check()
        # Without JavaScript "All as expected" sends the form back, filled in, not yet saved.
        page.get_by_role("button", name="All as expected").click()
        shows(page, page.get_by_text("Nothing is saved until you save the page."))
        expect(page.get_by_label("Custody record number")).to_have_value(number.lower())
        if index == UNDER_18:
            expect(page.get_by_label("Under 18")).to_be_checked()
        if index == NOT_AS_EXPECTED:
            question = page.locator(".question", has=page.locator("[data-question]")).first
            question.get_by_label("No", exact=True).check()
            no_question = question_of(question)
            note = question.locator("details.note")
            note.locator("summary").click()
            note.locator("textarea").fill(NO_NOTE)
        page.get_by_role("button", name="Save detainee").click()
        shows(page, page.get_by_role("link", name=number))
    page.get_by_role("link", name="Continue to suite checks").click()

    shows(page, heading(page, "Suite checks"))
    page.get_by_role("button", name="All as expected").click()
    shows(page, page.get_by_text("Nothing is saved until you save the page."))
    page.get_by_label("Photo of suite conditions").set_input_files(photo_file())
    page.get_by_label("Caption").fill(CAPTION)
    page.get_by_role("button", name="Upload photo").click()
    shows(page, page.get_by_role("img", name=CAPTION))
    # The answers marked as expected came back with the photo.
    assert page.locator("input[type=radio][value=yes]:checked").count() > 0
    page.get_by_role("button", name="Save and continue").click()

    shows(page, heading(page, "Issues and good practice"))
    page.get_by_label("Category").select_option("conditions")
    page.get_by_label("Description").fill(ISSUE)
    page.get_by_role("button", name="Add issue").click()
    shows(page, page.get_by_role("heading", name="On this report"))
    page.get_by_label("Good practice seen").fill(GOOD_PRACTICE)
    page.get_by_role("button", name="Save and continue").last.click()

    shows(page, heading(page, "Sign-off"))
    # Nothing to draw on: the sergeant's typed name and ticked box sign the report.
    expect(page.locator("canvas.signature__pad")).to_be_hidden()
    page.get_by_label("Satisfactory", exact=True).check()
    page.get_by_label("Custody sergeant's rank and name").fill(SERGEANT)
    page.get_by_label("The sergeant has read this report and signs it").check()
    page.get_by_label("I, Vera Holt, confirm this report").check()
    page.get_by_label("I, Peter Shaw, confirm this report").check()
    page.get_by_role("button", name="Save and check the report").click()

    shows(page, heading(page, "Check and submit"))
    expect(page.get_by_role("img", name=CAPTION)).to_be_visible()
    assert "Before you submit" not in page.inner_text("main")
    page.get_by_role("button", name="Submit the report").click()
    shows(page, page.get_by_text("Report submitted. Thank you."))

    visit = Visit.objects.get(suite__name="Wymondham")
    assert not visit.sergeant_signature and visit.sergeant_signed_at  # signed by the ticked box
    assert_stored_once(visit, no_question)

    page.goto(f"{live_server.url}/visits/{visit.uuid}/")
    report_shows_the_visit(page, visit, check=check_accessibility_without_javascript)
