"""Taps and key presses to record a visit: a scripted walk, not a timed test.

    .venv/bin/python bench/walk.py [--output bench/RESULTS.md]

Runs the app (runserver on a throwaway SQLite file with the demo data), signs in as the demo
visitor on a 360 x 740 phone (Debian's Chromium through Playwright) and records, on "Record a
visit", a visit as a volunteer on their rota slot would: 4 detainees, two "no" answers (one on
a detainee, one on the suite) with a note each, a photo with its caption, one issue, and the
sign-off; then waits until the outbox has sent it and checks the server holds it whole (the
photo once, with its caption and the phone's id for it).

It walks twice, in a fresh phone each time: by touch (every tap counted: a tap on a field to
type in it, a tap to open a list and one to choose, a stroke of the signature) and by keyboard
only (every Tab, Shift+Tab, Space, Enter and arrow counted, Tab by Tab until the control wanted
has the focus). Free text costs nothing in either: a custody number, a time, a note, a
description. Figures per step go into bench/RESULTS.md; exits 1 if a budget is broken.
"""

import argparse
import datetime
import io
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench.offline import django_for, free_port, start_server  # noqa: E402
from bench.run import replace_section  # noqa: E402
from tests.browser.device import CHROMIUM, CHROMIUM_ARGS  # noqa: E402

TRACE = "--trace" in sys.argv  # print where each key press leaves the focus
BUDGET_TAPS = 60
BUDGET_KEYS = 150
PHONE = {
    "viewport": {"width": 360, "height": 740},
    "device_scale_factor": 3,
    "is_mobile": True,
    "has_touch": True,
    "locale": "en-GB",
    "timezone_id": "Europe/London",
}
NUMBERS = {
    "in_custody": 6,
    "adults": 6,
    "male": 5,
    "female": 1,
    "held_pace": 6,
    "offered": 4,
    "visited": 4,
    "nv_asleep": 2,
}
CUSTODY_NUMBERS = ["WY-00101-26", "WY-00102-26", "WY-00103-26", "WY-00104-26"]
STEPS = [
    "Open Record a visit",
    "Arrival",
    "Admission",
    "Numbers",
    "Detainee 1 (one no, with a note)",
    "Detainee 2",
    "Detainee 3",
    "Detainee 4",
    "Suite checks (one no, with a note)",
    "Photo, with a caption",
    "Issue",
    "Sign-off and send",
]


def the_visitor_on_the_rota(db: Path) -> None:
    """Put the demo visitor and their partner on a slot at Wymondham this week, planned for an
    hour ago: a volunteer recording a visit is normally on the rota for it."""
    django_for(db)
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from visits.models import CustodySuite, RotaPeriod, RotaSlot, TimeBand
    from visits.workdays import monday_of

    users = get_user_model().objects
    today = timezone.localdate()
    suite = CustodySuite.objects.get(name="Wymondham")
    period = RotaPeriod.objects.filter(
        scheme=suite.scheme, starts_on__lte=today, ends_on__gte=today
    ).first()
    if period is None:
        period = RotaPeriod.objects.create(
            scheme=suite.scheme,
            name="Walk",
            starts_on=monday_of(today),
            ends_on=monday_of(today) + datetime.timedelta(days=90),
            availability_closes_on=today,
        )
    RotaPeriod.objects.filter(pk=period.pk).update(status=RotaPeriod.Status.PUBLISHED)
    for _walk in range(2):  # one slot for each walk: a recorded visit fulfils its slot
        slot = RotaSlot.objects.create(
            period=period,
            suite=suite,
            week_starts_on=monday_of(today),
            time_band=TimeBand.WEEKDAY_DAY,
            planned_for=timezone.now() - datetime.timedelta(hours=1),
        )
        slot.visitors.set([users.get(username="visitor"), users.get(username="partner")])


def a_photo() -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (120, 110, 100)).save(buffer, "JPEG")
    return buffer.getvalue()


class Walk:
    """Counts what a volunteer does, per step. `touch` taps; otherwise keys only."""

    def __init__(self, page, touch: bool):
        self.page = page
        self.touch = touch
        self.counts: dict[str, int] = {}
        self.step = ""
        self.notes: list[str] = []

    def count(self, n: int = 1) -> None:
        self.counts[self.step] = self.counts.get(self.step, 0) + n

    def at(self, step: str) -> None:
        self.step = step
        self.counts.setdefault(step, 0)

    # --- touch --------------------------------------------------------------------------

    def tap(self, locator) -> None:
        locator.scroll_into_view_if_needed()
        locator.tap()
        self.count()

    # --- keyboard -----------------------------------------------------------------------

    def press(self, key: str) -> None:
        self.page.keyboard.press(key)
        self.count()
        if TRACE:
            try:
                where = self.page.evaluate(
                    """() => { const e = document.activeElement;
                       return e.tagName + " " + (e.name || e.id || e.textContent.slice(0, 30)); }"""
                )
            except Exception:  # the key press left the page
                where = "(a new page)"
            print(f"  {self.step}: {key} -> {where}")

    def focused(self, locator) -> bool:
        return locator.evaluate("el => el === document.activeElement")

    def skip_to_main(self) -> None:
        """On a page just opened, past the header by the skip link, as keyboard users do."""
        if self.touch:
            return
        self.press("Tab")
        if self.page.evaluate("() => document.activeElement.matches('.skip-link')"):
            self.press("Enter")

    def tab_to(self, locator, back: bool = False, limit: int = 400) -> None:
        """Tab (or Shift+Tab) until `locator` has the focus, counting each press."""
        for _ in range(limit):
            if self.focused(locator):
                return
            self.press("Shift+Tab" if back else "Tab")
        raise AssertionError(f"{locator} never had the focus")

    def radio_group_focused(self, name: str) -> bool:
        return self.page.evaluate(
            "name => document.activeElement && document.activeElement.name === name", name
        )

    # --- either ---------------------------------------------------------------------------

    def activate(self, locator) -> None:
        """A button or link: tapped, or reached and pressed with Enter."""
        if self.touch:
            self.tap(locator)
        else:
            self.tab_to(locator)
            self.press("Enter")

    def check(self, locator) -> None:
        """A checkbox, or a radio not in a group being walked with arrows."""
        if self.touch:
            self.tap(locator)
        else:
            self.tab_to(locator)
            self.press("Space")

    def choose(self, group, value: str, back: bool = False) -> None:
        """A radio of a group: tapped, or the group reached and the arrows moved to it."""
        radio = group.locator(f"input[type=radio][value='{value}']")
        if self.touch:
            self.tap(radio)
            return
        name = radio.get_attribute("name")
        for _ in range(400):
            if self.radio_group_focused(name):
                break
            self.press("Shift+Tab" if back else "Tab")
        values = group.locator("input[type=radio]").evaluate_all("rs => rs.map(r => r.value)")
        for _ in range(len(values) * 2):
            current = self.page.evaluate("() => document.activeElement.value")
            if current == value:
                if not radio.is_checked():
                    self.press("Space")
                return
            ahead = values.index(value) > values.index(current)
            self.press("ArrowDown" if ahead else "ArrowUp")
        raise AssertionError(f"could not choose {value}")

    def type_in(self, locator, text: str, back: bool = False) -> None:
        """Free text (costs nothing) in a field reached by a tap or by Tab."""
        if self.touch:
            self.tap(locator)
        else:
            self.tab_to(locator, back=back)
        locator.fill(text)

    def pick(self, select, value: str) -> None:
        """A select: a tap to open the list and one to choose, or its first letter typed."""
        if self.touch:
            self.tap(select)
            select.select_option(value)
            self.count()
            return
        self.tab_to(select)
        # Type-ahead: the first letter of the option, pressed until it is chosen.
        letter = select.locator(f"option[value='{value}']").inner_text().strip()[0].lower()
        for _ in range(10):
            if select.input_value() == value:
                return
            self.press(letter)
        raise AssertionError(f"could not choose {value}")


def answer_the_exception(walk: Walk, checklist, note: str) -> None:
    """A "no" to the checklist's first question, and its note (which the "no" opens); the
    focus then goes back to "All as expected", just above, for the rest."""
    walk.choose(checklist.locator("[data-question]").first, "no")
    walk.type_in(checklist.locator("textarea[name*='note_']").first, note)
    if not walk.touch:
        walk.tab_to(checklist.get_by_role("button", name="All as expected"), back=True)


def record_a_visit(walk: Walk, base: str) -> None:
    page = walk.page
    now = datetime.datetime.now()
    local = lambda moment: moment.strftime("%Y-%m-%dT%H:%M")  # noqa: E731

    walk.at("Open Record a visit")
    page.goto(base + "/")
    page.wait_for_function("() => navigator.serviceWorker.controller !== null")
    page.goto(base + "/")
    page.wait_for_load_state("networkidle")
    walk.skip_to_main()
    walk.activate(page.get_by_role("link", name="Record a visit"))
    page.wait_for_url("**/visits/record/**")
    page.locator("form[data-record][data-ready]").wait_for(state="attached")
    walk.at("Arrival")
    walk.skip_to_main()
    form = page.locator("form[data-record]")

    walk.at("Arrival")  # the rota slot fills the suite and the partner
    if page.locator("[name='start-suite']").input_value() != page.locator(
        "[name='start-suite'] option", has_text="Wymondham"
    ).get_attribute("value"):
        walk.pick(page.locator("[name='start-suite']"), "Wymondham")
    partner = page.get_by_label("Peter Shaw", exact=False).first
    if not partner.is_checked():
        walk.check(partner)
    # Recorded at the end of the visit, an hour after arriving: the time is changed unless
    # the page already gives the rota slot's planned time (an hour ago).
    arrived = page.locator("[name='start-arrived_at']")
    if arrived.input_value() > local(now - datetime.timedelta(minutes=30)):
        walk.type_in(arrived, local(now - datetime.timedelta(hours=1)))
        walk.notes.append("the arrival time is typed: the page gives the time it was opened")

    walk.at("Admission")
    walk.type_in(
        page.locator("[name='admission-admitted_at']"),
        local(now - datetime.timedelta(minutes=55)),
    )

    walk.at("Numbers")
    for name, value in NUMBERS.items():
        walk.type_in(page.locator(f"[name='numbers-{name}']"), str(value))

    add_detainee = page.get_by_role("button", name="Add a detainee")
    for n, custody_number in enumerate(CUSTODY_NUMBERS):
        walk.at(STEPS[4 + n])
        walk.activate(add_detainee)
        item = page.locator("[data-list='detainees'] [data-item]").nth(n)
        number = item.locator("input[name$='-custody_number']")
        if walk.touch or not walk.focused(number):
            walk.type_in(number, custody_number)  # the add button puts the focus here
        else:
            number.fill(custody_number)
        everything = item.get_by_role("button", name="All as expected")
        if n == 0:
            answer_the_exception(walk, item, "Not given the written notice")
        walk.activate(everything)

    walk.at("Suite checks (one no, with a note)")
    suite_checks = page.locator("section", has=page.get_by_role("heading", name="Suite checks"))
    answer_the_exception(walk, suite_checks, "Graffiti in cell 4")
    walk.activate(suite_checks.get_by_role("button", name="All as expected"))

    walk.at("Photo, with a caption")  # under the suite checks, where the page has it
    photo = form.locator("input[type=file]")
    if photo.count():
        if walk.touch:
            photo.first.scroll_into_view_if_needed()
            walk.count()  # the tap that opens the camera or the files
        else:
            walk.tab_to(photo.first)
            walk.count()  # Enter (or Space) opens the chooser
        photo.first.set_input_files(
            {"name": "cell4.jpg", "mimeType": "image/jpeg", "buffer": a_photo()}
        )
        caption = form.locator("[data-photo] input[type=text]").first
        caption.wait_for()
        page.wait_for_function("el => el === document.activeElement", arg=caption.element_handle())
        if walk.touch:
            walk.type_in(caption, "Graffiti on the wall of cell 4")  # a tap raises the keyboard
        else:
            caption.fill("Graffiti on the wall of cell 4")  # the photo puts the focus here
    else:
        walk.notes.append("no photo: the record page has no file input (yet)")

    walk.at("Issue")
    walk.activate(page.get_by_role("button", name="Add an issue"))
    walk.pick(page.locator("[name='issues.0-category']"), "conditions")
    walk.type_in(
        page.locator("[name='issues.0-description']"), "Cell 4: graffiti, reported to the sergeant."
    )

    walk.at("Sign-off and send")
    departed = page.locator("[name='sign_off-departed_at']")
    if not departed.input_value():
        walk.type_in(departed, local(now))
    outcome = page.locator("fieldset", has=page.locator("[name='sign_off-outcome']")).last
    walk.choose(outcome, "satisfactory")
    walk.type_in(page.locator("[name='sign_off-sergeant_name']"), "PS 42 Khan")
    pad = page.locator("canvas.signature__pad")
    pad.scroll_into_view_if_needed()
    box = pad.bounding_box()
    page.mouse.move(box["x"] + 20, box["y"] + 40)
    page.mouse.down()
    page.mouse.move(box["x"] + 200, box["y"] + 60, steps=8)
    page.mouse.up()
    if walk.touch:
        walk.count()  # the sergeant's stroke
    else:
        walk.notes.append("the sergeant signs with a finger: one stroke, not counted as a key")
    walk.check(page.get_by_label("I, Vera Holt, confirm this report"))
    walk.check(page.get_by_label("The visitor I am with confirms it too"))
    walk.activate(page.get_by_role("button", name="Send the report"))
    page.wait_for_url("**/outbox/**")
    settled = page.locator("[data-state='sent'], [data-state='failed']").first
    settled.wait_for(timeout=30000)
    if settled.get_attribute("data-state") != "sent":
        raise AssertionError(f"The report was not sent: {settled.inner_text()}")


def stored(db: Path) -> list[dict]:
    """What the server holds of the walks' visits."""
    from visits.models import Visit

    found = []
    for visit in Visit.objects.filter(
        status=Visit.Status.SUBMITTED, detainees__custody_number=CUSTODY_NUMBERS[0]
    ).distinct():
        found.append(
            {
                "detainees": visit.detainees.count(),
                "no": visit.answers.filter(value="no").count(),
                "answers": visit.answers.count(),
                "issues": visit.issues.count(),
                "photos": visit.attachments.count(),
                "captioned": visit.attachments.filter(
                    caption="Graffiti on the wall of cell 4", client_uuid__isnull=False
                ).count(),
                "rota_slot": visit.rota_slot_id is not None,
            }
        )
    return found


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--output", default=str(ROOT / "bench" / "RESULTS.md"))
    parser.add_argument("--trace", action="store_true", help="print each key press's focus")
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="icv-walk-"))
    db = workdir / "walk.sqlite3"
    port = free_port()
    server = start_server(db, port)
    base = f"http://localhost:{port}"
    the_visitor_on_the_rota(db)
    from playwright.sync_api import sync_playwright

    walks: dict[str, Walk] = {}
    started = time.perf_counter()
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            for how in ("touch", "keyboard"):
                context = browser.new_context(**PHONE)
                page = context.new_page()
                page.goto(base + "/accounts/login/")
                page.get_by_label("Username").fill("visitor")
                page.get_by_label("Password").fill("demo")
                page.get_by_role("button", name="Sign in").click()
                page.wait_for_url(base + "/")
                walk = Walk(page, touch=how == "touch")
                record_a_visit(walk, base)
                walks[how] = walk
                context.close()
            browser.close()
    finally:
        server.terminate()
        server.wait()
    elapsed = time.perf_counter() - started
    held = stored(db)

    taps, keys = sum(walks["touch"].counts.values()), sum(walks["keyboard"].counts.values())
    touch, keyboard = walks["touch"].counts, walks["keyboard"].counts
    rows = [f"| {step} | {touch.get(step, 0)} | {keyboard.get(step, 0)} |" for step in STEPS]
    notes = sorted(set(walks["touch"].notes + walks["keyboard"].notes))
    section = "\n".join(
        [
            "## Taps to record a visit",
            "",
            f"`bench/walk.py`, measured {datetime.date.today().isoformat()} in Chromium "
            "(Playwright) on a 360 x 740 phone, `runserver` on SQLite with the demo data.",
            "The demo visitor, on the rota at Wymondham this week with Peter Shaw, records a "
            '4-detainee visit on "Record a visit": a "no" with a note on the first detainee\'s '
            "first question and on the suite's first, one photo (a small JPEG through the "
            "page's photo input, counted as the tap or the key that opens the chooser) with its "
            "caption, one issue, the sergeant's name and signature, both confirmations, Send. "
            "Every checklist is "
            'answered with "All as expected". Free text (custody numbers, times, numbers, '
            "notes, the description) costs nothing; a tap on a field to type in it does, and "
            "so does every key that moves the focus or chooses (Tab, Shift+Tab, Space, Enter, "
            "arrows). `--trace` prints where each key press leaves the focus. The detainee's "
            "less common flags (record check, interpreter, TACT) and the earlier issues to "
            're-check are folded behind "More about this detainee" and "Re-check issues from '
            'earlier visits", open when something in them is set: by keyboard they were 4 stops '
            "a detainee and 2 for each earlier issue (9 at Wymondham), now 1 each.",
            "",
            "| step | taps | key presses |",
            "|---|---|---|",
            *rows,
            f"| **total** | **{taps}** (budget {BUDGET_TAPS}) "
            f"| **{keys}** (budget {BUDGET_KEYS}) |",
            "",
            "Stored on the server (touch walk, then keyboard walk): "
            + "; ".join(
                f"{v['detainees']} detainees, {v['answers']} answers of which {v['no']} no, "
                f"{v['issues']} issue, {v['photos']} photo ({v['captioned']} with its caption "
                "and the phone's id), rota slot "
                f"{'fulfilled' if v['rota_slot'] else 'not linked'}"
                for v in held
            )
            + ".",
            *(f"Note: {note}." for note in notes),
            f"Both walks took {elapsed:.0f} s.",
            "",
        ]
    )
    print(section)
    replace_section(Path(args.output), "## Taps to record a visit", section)
    took_photos = not any("no photo" in note for note in notes)
    whole = len(held) == 2 and all(
        v["detainees"] == 4
        and v["no"] == 2
        and v["issues"] == 1
        and (v["photos"] == v["captioned"] == 1 or not took_photos)
        for v in held
    )
    if not whole:
        print("The server does not hold both walks' visits whole.", file=sys.stderr)
    return 0 if whole and taps <= BUDGET_TAPS and keys <= BUDGET_KEYS else 1


if __name__ == "__main__":
    sys.exit(main())
