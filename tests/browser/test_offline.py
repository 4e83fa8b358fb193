"""With no signal: a visit recorded on the phone arrives exactly once, whatever the network does."""

import datetime
import json
import time
import uuid
from zoneinfo import ZoneInfo

from playwright.sync_api import expect

from tests.browser.conftest import check_accessibility, open_menu
from tests.conftest import persona
from tests.factories import whole_report
from visits.models import Question, Visit

LONDON = ZoneInfo("Europe/London")

CONTROLLED = "() => navigator.serviceWorker.ready.then(() => !!navigator.serviceWorker.controller)"
KEPT = """async () => {
  for (const name of await caches.keys()) {
    if (name.startsWith("icv-pages-") && await (await caches.open(name)).match("/visits/record/"))
      return true;
  }
  return false;
}"""


def poll(page, script, arg=None, seconds=15):
    """Wait until a script run in the page returns something true; return that."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = page.evaluate(script, arg)
        if value:
            return value
        page.wait_for_timeout(100)
    raise AssertionError(f"Still false after {seconds} s: {script}")


def app_installed(page) -> None:
    """The service worker is in control and has kept the visit pages for this visitor."""
    poll(
        page, "() => navigator.serviceWorker.ready.then(() => !!navigator.serviceWorker.controller)"
    )
    poll(page, KEPT)


def local(moment: datetime.datetime) -> str:
    return moment.astimezone(LONDON).strftime("%Y-%m-%dT%H:%M")


def field(page, name):
    return page.locator(f"[name='{name}']")


def records(page):
    return page.evaluate("() => Outbox.all()")


def outbox_state(page, state):
    expect(page.locator(f"[data-state='{state}']").first).to_be_visible(timeout=15000)


def test_a_visit_recorded_with_no_signal_arrives_exactly_once(
    page, context, demo, sign_in, live_server
):
    sign_in("visitor")
    app_installed(page)
    page.get_by_role("link", name="Record a visit").click()
    expect(page.get_by_role("heading", name="Arrival")).to_be_visible()
    page.wait_for_load_state("networkidle")
    check_accessibility(page)
    address = page.url
    key = address.split("id=")[1]
    arrived = datetime.datetime.now(LONDON) - datetime.timedelta(hours=2)

    page.get_by_label("Custody suite").select_option(label="Wymondham")
    page.get_by_label("Peter Shaw").check()
    field(page, "start-arrived_at").fill(local(arrived))

    # The signal goes, in the middle of the visit.
    context.set_offline(True)
    expect(page.get_by_role("status").filter(has_text="You are offline")).to_be_visible()
    field(page, "admission-admitted_at").fill(local(arrived + datetime.timedelta(minutes=5)))
    for name, value in [("in_custody", 2), ("adults", 2), ("male", 2), ("held_pace", 2)]:
        field(page, f"numbers-{name}").fill(str(value))
    for name, value in [("offered", 1), ("visited", 1), ("nv_asleep", 1)]:
        field(page, f"numbers-{name}").fill(str(value))
    page.get_by_role("button", name="Add a detainee").click()
    field(page, "detainees.0-custody_number").fill("wy-00777-26")
    field(page, "detainees.0-under_18").check()
    detainee = page.locator("[data-list='detainees'] [data-item]").first
    for radio in detainee.locator("input[type=radio][value=yes]").all():
        radio.check()
    suite_checks = page.locator("section", has=page.get_by_role("heading", name="Suite checks"))
    for radio in suite_checks.locator("input[type=radio][value=yes]").all():
        radio.check()
    page.get_by_role("button", name="Add an issue").click()
    field(page, "issues.0-category").select_option("conditions")
    field(page, "issues.0-description").fill("Cell 3 call bell not working.")
    field(page, "sign_off-departed_at").fill(local(arrived + datetime.timedelta(hours=1)))
    page.get_by_label("Satisfactory", exact=True).check()
    page.get_by_label("Custody sergeant's rank and name").fill("PS 42 Khan")
    pad = page.locator("canvas.signature__pad")
    pad.scroll_into_view_if_needed()
    box = pad.bounding_box()
    page.mouse.move(box["x"] + 20, box["y"] + 40)
    page.mouse.down()
    page.mouse.move(box["x"] + 200, box["y"] + 60, steps=8)
    page.mouse.up()
    page.get_by_label("I, Vera Holt, confirm this report").check()
    page.get_by_label("The visitor I am with confirms it too").check()
    expect(page.locator("[data-saved]")).to_contain_text("Saved on this phone")
    page.wait_for_timeout(100)  # the signature stroke, the last change, written

    # Reload with no signal: the page comes from the phone, the draft from IndexedDB.
    page.reload()
    expect(field(page, "detainees.0-custody_number")).to_have_value("wy-00777-26")
    expect(field(page, "issues.0-description")).to_have_value("Cell 3 call bell not working.")
    assert field(page, "sign_off-signature").input_value().startswith("data:image/png")
    check_accessibility(page)

    # Close the page and open it again, still with no signal.
    page.close()
    page = context.new_page()
    page.goto(address)
    expect(field(page, "sign_off-sergeant_name")).to_have_value("PS 42 Khan")
    expect(page.get_by_label("Satisfactory", exact=True)).to_be_checked()

    page.get_by_role("button", name="Send the report").click()
    expect(page).to_have_url(live_server.url + "/outbox/")
    outbox_state(page, "waiting")
    expect(page.locator("[data-state='waiting']")).to_contain_text("Saved on this phone")
    check_accessibility(page)
    assert not Visit.objects.filter(uuid=key).exists()

    # Signal again: sent once, with every answer and the signature.
    context.set_offline(False)
    outbox_state(page, "sent")
    visit = Visit.objects.get(uuid=key)
    assert visit.status == Visit.Status.SUBMITTED
    assert visit.sergeant_signature and visit.sergeant_name == "PS 42 Khan"
    assert visit.detainees.get().custody_number == "WY-00777-26"
    questions = Question.objects.filter(section__version=visit.detainee_checklist).count()
    suite_questions = Question.objects.filter(section__version=visit.suite_checklist).count()
    assert visit.answers.filter(detainee__isnull=False, value="yes").count() == questions
    assert visit.answers.filter(detainee__isnull=True, value="yes").count() == suite_questions
    assert visit.issues.get().description == "Cell 3 call bell not working."
    assert (visit.in_custody, visit.nv_asleep) == (2, 1)
    assert Visit.objects.filter(suite__name="Wymondham", arrived_at=visit.arrived_at).count() == 1
    # The phone no longer holds the detainee details.
    (kept,) = records(page)
    assert kept["state"] == "sent" and "fields" not in kept and "report" not in kept
    page.get_by_role("link", name="Read the report").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Wymondham")


def queue(page, report: dict) -> str:
    """Put a finished report in the phone's outbox, as the record page does on 'Send'."""
    key = str(uuid.uuid4())
    page.evaluate(
        """([key, owner, report]) => Outbox.put({uuid: key, owner, state: "waiting",
             title: "Wymondham", report, fields: {}, items: {detainees: [], issues: []}})""",
        [key, persona("visitor").pk, report],
    )
    return key


def visitor_report():
    return json.loads(
        json.dumps(whole_report(visitor=persona("visitor"), partner=persona("partner")))
    )


def test_sending_twice_and_a_lost_answer_still_make_one_visit(
    page, demo, sign_in, open_page, console_errors
):
    console_errors.allow("net::ERR_CONNECTION_RESET")  # the answer lost on purpose
    sign_in("visitor")
    open_page("/outbox/")

    # Two senders at once (two tabs, or the page and the service worker), and a third press.
    key = queue(page, visitor_report())
    page.evaluate("() => Promise.all([Outbox.sync(), Outbox.sync()])")
    send_now = page.get_by_role("button", name="Send now")
    if send_now.is_visible():
        send_now.click()
    outbox_state(page, "sent")
    assert Visit.objects.filter(uuid=key).count() == 1

    # The server stores the report but its answer never arrives: the phone tries again and is
    # told it is already stored.
    calls = []

    def lose_the_answer(route):
        calls.append(route.request.method)
        route.fetch()  # reaches the server, which stores it...
        route.abort("connectionreset")  # ...and the phone never hears back

    page.route("**/api/visits/*/report/", lose_the_answer)
    second = queue(page, visitor_report())
    page.evaluate("() => Outbox.sync()")
    expect(page.locator(f"[data-report='{second}']")).to_have_attribute("data-state", "waiting")
    assert Visit.objects.filter(uuid=second).count() == 1
    page.unroute("**/api/visits/*/report/")
    page.get_by_role("button", name="Send now").click()
    expect(page.locator(f"[data-report='{second}']")).to_have_attribute("data-state", "sent")
    assert calls == ["PUT"]
    assert Visit.objects.filter(uuid=second).count() == 1
    check_accessibility(page)


def test_a_refused_report_says_why_and_is_corrected_on_the_phone(
    page, demo, sign_in, open_page, console_errors, live_server
):
    console_errors.allow("status of 400")  # the refusal itself
    sign_in("visitor")
    open_page("/visits/record/")
    key = page.url.split("id=")[1]
    arrived = datetime.datetime.now(LONDON) - datetime.timedelta(hours=2)
    page.get_by_label("Custody suite").select_option(label="Wymondham")
    page.get_by_label("Peter Shaw").check()
    field(page, "start-arrived_at").fill(local(arrived))
    field(page, "admission-admitted_at").fill(local(arrived + datetime.timedelta(minutes=5)))
    page.get_by_role("button", name="Add a detainee").click()
    field(page, "detainees.0-custody_number").fill("John Smith")  # a name, not a number
    field(page, "sign_off-departed_at").fill(local(arrived + datetime.timedelta(hours=1)))
    page.get_by_label("Satisfactory", exact=True).check()
    page.get_by_label("Custody sergeant's rank and name").fill("PS 42 Khan")
    page.get_by_label("The sergeant has read this report and signs it").check()
    page.get_by_label("I, Vera Holt, confirm this report").check()
    page.get_by_label("The visitor I am with confirms it too").check()
    page.get_by_role("button", name="Send the report").click()

    item = page.locator(f"[data-report='{key}']")
    expect(item).to_have_attribute("data-state", "failed", timeout=15000)
    expect(item).to_contain_text("Not sent")
    expect(item).to_contain_text("correct what is marked")
    check_accessibility(page)
    assert not Visit.objects.filter(uuid=key).exists()

    # Open it: the problem is linked to the field, which is corrected and sent again.
    item.get_by_role("link", name="Open it and correct it").click()
    problem = page.get_by_role("alert")
    expect(problem).to_contain_text("name")
    check_accessibility(page)
    problem.get_by_role("link").first.click()
    expect(field(page, "detainees.0-custody_number")).to_be_focused()
    field(page, "detainees.0-custody_number").fill("WY-00888-26")
    page.get_by_role("button", name="Send the report").click()
    expect(page.locator(f"[data-report='{key}']")).to_have_attribute(
        "data-state", "sent", timeout=15000
    )
    assert Visit.objects.get(uuid=key).detainees.get().custody_number == "WY-00888-26"


def test_an_expired_session_waits_for_sign_in_then_sends(
    page, context, demo, sign_in, open_page, live_server, console_errors
):
    console_errors.allow("status of 401")  # /api/me/ says nobody is signed in
    sign_in("visitor")
    open_page("/outbox/")
    context.clear_cookies()  # the session has ended
    key = queue(page, visitor_report())
    page.evaluate("() => Outbox.sync()")
    item = page.locator(f"[data-report='{key}']")
    expect(item).to_have_attribute("data-state", "signed_out")
    expect(item).to_contain_text("Sign in again")
    assert not Visit.objects.filter(uuid=key).exists()

    item.get_by_role("link", name="Sign in").click()
    page.get_by_label("Username").fill("visitor")
    page.get_by_label("Password").fill("demo")
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(live_server.url + "/outbox/")
    expect(page.locator(f"[data-report='{key}']")).to_have_attribute("data-state", "sent")
    assert Visit.objects.filter(uuid=key).count() == 1


def test_signing_out_with_unsent_reports_warns_then_clears_the_phone(
    page, demo, sign_in, open_page
):
    sign_in("visitor")
    open_page("/outbox/")
    queue(page, visitor_report() | {"suite": 0})
    page.evaluate("() => Outbox.put({uuid: 'draft-1', owner: 1, state: 'draft', fields: {}})")
    open_menu(page)
    page.get_by_role("button", name="Sign out").click()
    warning = page.get_by_role("alert")
    expect(warning).to_contain_text("have not been sent")
    expect(warning).to_contain_text("2 reports are on this phone")
    check_accessibility(page)
    assert len(records(page)) == 2  # nothing deleted yet

    warning.get_by_role("button", name="Sign out and delete them").click()
    expect(page.get_by_label("Username")).to_be_visible()
    assert records(page) == []


def test_the_app_can_be_installed(page, demo, open_page, live_server):
    open_page("/accounts/login/")
    manifest = page.evaluate(
        "() => fetch(document.querySelector('link[rel=manifest]').href).then(r => r.json())"
    )
    assert manifest["display"] == "standalone" and manifest["start_url"] == "/"
    sizes = {(icon["sizes"], icon.get("purpose", "any")) for icon in manifest["icons"]}
    assert {("192x192", "any"), ("512x512", "any"), ("512x512", "maskable")} <= sizes
    for icon in manifest["icons"]:
        assert page.request.get(live_server.url + icon["src"]).ok
    scope = poll(page, "() => navigator.serviceWorker.ready.then(r => r.scope)")
    assert scope == live_server.url + "/"


# --- Nothing typed is lost or overwritten ---------------------------------------------------


def open_record_page(open_page, page, path="/visits/record/"):
    open_page(path)
    page.locator("[data-record][data-ready]").wait_for()


TYPE_THEN_RELOAD = """([name, value]) => {
  const input = document.querySelector(`[name='${name}']`);
  input.value = value;
  input.dispatchEvent(new Event("input", {bubbles: true}));
  location.reload();
}"""


def test_a_change_followed_at_once_by_a_reload_is_kept(page, demo, sign_in, open_page):
    sign_in("visitor")
    open_record_page(open_page, page)
    arrived = field(page, "start-arrived_at").input_value()
    field(page, "numbers-in_custody").fill("3")
    # Typed, and the page reloaded in the same instant, before any write could finish.
    with page.expect_navigation():
        page.evaluate(TYPE_THEN_RELOAD, ["good_practice-good_practice", "Cells clean"])
    page.locator("[data-record][data-ready]").wait_for()
    expect(field(page, "numbers-in_custody")).to_have_value("3")
    expect(field(page, "good_practice-good_practice")).to_have_value("Cells clean")
    expect(field(page, "start-arrived_at")).to_have_value(arrived)  # not reset to now
    check_accessibility(page)


def test_two_tabs_of_one_visit_join_their_changes_and_never_overwrite_each_other(
    page, context, demo, sign_in, open_page
):
    sign_in("visitor")
    open_record_page(open_page, page)
    field(page, "good_practice-good_practice").fill("First words")
    expect(page.locator("[data-saved]")).to_contain_text("Saved on this phone")
    newer = context.new_page()
    newer.goto(page.url)
    newer.locator("[data-record][data-ready]").wait_for()
    field(newer, "good_practice-good_practice").fill("Newer words")
    newer.get_by_role("button", name="Add a detainee").click()
    field(newer, "detainees.0-custody_number").fill("WY-00777-26")
    expect(newer.locator("[data-saved]")).to_contain_text("Saved on this phone")

    # The older tab, idle, takes up the newer copy at once: its detainee and its words.
    expect(field(page, "good_practice-good_practice")).to_have_value("Newer words")
    expect(field(page, "detainees.0-custody_number")).to_have_value("WY-00777-26")
    check_accessibility(page)
    # A change in the older tab is joined to the newer copy, not written over it.
    field(page, "admission-delay_reason").fill("Cells being cleaned")
    expect(field(newer, "admission-delay_reason")).to_have_value("Cells being cleaned")
    expect(field(newer, "detainees.0-custody_number")).to_have_value("WY-00777-26")
    key = page.url.split("id=")[1]
    stored = page.evaluate("(key) => Outbox.get(key)", key)
    assert stored["fields"]["detainees.0-custody_number"] == ["WY-00777-26"]
    assert stored["fields"]["good_practice-good_practice"] == ["Newer words"]
    assert stored["fields"]["admission-delay_reason"] == ["Cells being cleaned"]
    # Even unwarned (a browser with no BroadcastChannel), a save from an old revision joins what
    # that tab changed (typed later than the other tab's) and keeps the rest of the newer copy.
    answer = page.evaluate(
        """(key) => Outbox.get(key).then((now) => Outbox.saveFromTab(
             {uuid: key, owner: now.owner, scheme: now.scheme, title: now.title, tab: "t",
              fields: Object.assign({}, now.fields, {"good_practice-good_practice": ["Old tab"]}),
              items: now.items, typedAt: {"good_practice-good_practice": Date.now()}},
             1, {fields: now.fields, items: now.items}))""",
        key,
    )
    assert answer["joined"]
    assert answer["record"]["fields"]["detainees.0-custody_number"] == ["WY-00777-26"]
    assert answer["record"]["fields"]["good_practice-good_practice"] == ["Old tab"]
    # Without what it held (an old page's script), an old save is still refused, not written.
    refused = page.evaluate(
        "(key) => Outbox.saveFromTab({uuid: key, owner: 1, fields: {}, items: {}}, 1)", key
    )
    assert refused["stale"]["fields"]["detainees.0-custody_number"] == ["WY-00777-26"]


def test_record_a_visit_carries_on_with_the_draft_waiting_on_the_phone(
    page, demo, sign_in, open_page
):
    sign_in("visitor")
    open_record_page(open_page, page)
    first = page.url
    page.get_by_label("Custody suite").select_option(label="Wymondham")
    field(page, "good_practice-good_practice").fill("Begun earlier")
    expect(page.locator("[data-saved]")).to_contain_text("Saved on this phone")

    open_record_page(open_page, page)  # "Record a visit" again, with no ?id=
    assert page.url == first
    expect(field(page, "good_practice-good_practice")).to_have_value("Begun earlier")
    resumed = page.get_by_role("status").filter(has_text="Carrying on with the visit")
    expect(resumed).to_contain_text("Wymondham")
    check_accessibility(page)

    resumed.get_by_role("link", name="Start a new visit instead").click()
    page.locator("[data-record][data-ready]").wait_for()
    assert page.url != first and "new=" not in page.url
    expect(field(page, "good_practice-good_practice")).to_have_value("")


EDIT_WHILE_SENDING = """async (key) => {
  const realFetch = window.fetch;
  window.fetch = async (url, options) => {
    if (options && options.method === "PUT") {
      window.fetch = realFetch;
      const stored = await Outbox.get(key);
      const report = Object.assign({}, stored.report, {good_practice: "Added while sending"});
      await Outbox.saveFromTab({uuid: key, owner: stored.owner, fields: {}, items: {},
                                title: stored.title, tab: "other", report}, stored.revision || 0);
    }
    return realFetch(url, options);
  };
  return Outbox.sync();
}"""


def test_an_edit_made_while_sending_is_sent_too_and_kept_beside_the_first(
    page, demo, sign_in, open_page
):
    sign_in("visitor")
    open_page("/outbox/")
    key = queue(page, visitor_report())
    page.evaluate(EDIT_WHILE_SENDING, key)
    item = page.locator(f"[data-report='{key}']")
    expect(item).to_have_attribute("data-state", "sent")
    expect(item).to_contain_text("Sent again with your changes")
    visit = Visit.objects.get(uuid=key)
    assert visit.good_practice != "Added while sending"  # the first report, as it was stored
    (copy,) = visit.copies.all()
    assert copy.report["good_practice"] == "Added while sending"
    assert ["Good practice seen", visit.good_practice, "Added while sending"] in copy.differences
    check_accessibility(page)


def test_a_report_waiting_on_an_expired_session_says_so_on_every_page(
    page, context, demo, sign_in, open_page, live_server, console_errors
):
    console_errors.allow("status of 401")  # /api/me/ says nobody is signed in
    sign_in("visitor")
    open_page("/outbox/")
    context.clear_cookies()  # the session has ended
    key = queue(page, visitor_report())
    page.evaluate("() => Outbox.sync()")
    banner = page.locator("[data-connection]")
    expect(banner).to_contain_text("Sign in again to send the report waiting on this phone")

    page.goto(live_server.url + "/")  # any page: the session has gone, so the sign-in page
    expect(banner).to_contain_text("Sign in again to send the report waiting on this phone")
    check_accessibility(page)
    page.get_by_label("Username").fill("visitor")
    page.get_by_label("Password").fill("demo")
    page.get_by_role("button", name="Sign in").click()
    poll(page, "(key) => Outbox.get(key).then(r => r.state === 'sent')", key)
    assert Visit.objects.filter(uuid=key).count() == 1
