"""Issue 21's "done when": the Welsh visitor (`ymwelydd`, Dyfed-Powys, a bilingual scheme)
signs in and records a whole visit on a 360 px phone in Welsh, step by step: start, admission,
numbers, a detainee with their checklist, the suite checks, issues, sign-off, check and submit,
then reads the report. On every page: axe clean, <html lang="cy">, and no English: no text the
Welsh catalogue translates (locale/cy/LC_MESSAGES/django.po) shows in English, nor the English
of the default checklists or of a suite's name. The report PDF is in Welsh and draws ŷ.

Text inside an element marked with another language (lang="en": the language chooser's
"English", a part the Standards want in both languages) is that language's, and not looked at.
"""

import datetime
import io
import re
import subprocess
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.contrib.auth import get_user_model
from django.urls import reverse
from playwright.sync_api import expect
from pypdf import PdfReader
from reportlab.pdfbase import pdfmetrics

from tests.browser.conftest import check_accessibility
from tests.test_pdf_fonts import fonts_of
from visits import checklist_defaults
from visits.management.commands.seed_demo import DYFED_POWYS_SUITES
from visits.models import CustodySuite, Visit
from visits.pdf_layout import FONT

SMALL_PHONE = {"width": 360, "height": 740}
CATALOGUE = Path(django_settings.BASE_DIR) / "locale" / "cy" / "LC_MESSAGES" / "django.po"
CUSTODY_NUMBER = "DP/12345/26"


@pytest.fixture
def browser_context_args(browser_context_args):
    # A Welsh phone: the sign-in page, before the app knows who it is, follows the browser.
    return {**browser_context_args, "viewport": SMALL_PHONE, "locale": "cy-GB"}


# --- The catalogue ---------------------------------------------------------------------------


def _po_string(line: str) -> str:
    """The text of one quoted .po line ("..." with C escapes)."""
    body = line[line.index('"') + 1 : line.rindex('"')]
    return re.sub(r"\\(.)", lambda m: {"n": "\n", "t": "\t"}.get(m.group(1), m.group(1)), body)


def catalogue_entries(path: Path) -> list[dict]:
    """The entries of a .po file: msgctxt, msgid, msgid_plural, msgstr (a list), references,
    fuzzy. A small reader (msgfmt's format, no dependency): enough for Django's catalogues."""
    entries, entry, key = [], None, None

    def finish():
        if entry and entry.get("msgid"):
            entries.append(entry)

    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line:
            finish()
            entry, key = None, None
            continue
        if entry is None:
            entry = {"refs": [], "msgstr": [], "fuzzy": False, "msgctxt": None}
        if line.startswith("#:"):
            entry["refs"].extend(ref.rsplit(":", 1)[0] for ref in line[2:].split())
        elif line.startswith("#,"):
            entry["fuzzy"] = entry["fuzzy"] or "fuzzy" in line
        elif line.startswith("#"):
            continue
        elif line.startswith("msgctxt"):
            key, entry["msgctxt"] = "msgctxt", _po_string(line)
        elif line.startswith("msgid_plural"):
            key, entry["msgid_plural"] = "msgid_plural", _po_string(line)
        elif line.startswith("msgid"):
            key, entry["msgid"] = "msgid", _po_string(line)
        elif line.startswith("msgstr"):
            key = "msgstr"
            entry["msgstr"].append(_po_string(line))
        elif line.startswith('"') and key:
            if key == "msgstr":
                entry["msgstr"][-1] += _po_string(line)
            else:
                entry[key] += _po_string(line)
    finish()
    return entries


# A placeholder (%(name)s, %s, %d) or an HTML tag splits a message into the pieces a page shows.
PIECES = re.compile(r"%\([^)]*\)[sdfi]|%[sdfi]|<[^>]+>|\{[^}]*\}")


def _words(text: str) -> str:
    return " ".join(text.split())


def telling_pieces(english: str, welsh: str) -> list[str]:
    """The pieces of an English message worth looking for on a page: two words or more, or one
    word of four letters or more ("OK", "No" would match too much), and not in its Welsh
    (a name such as PACE is the same in both)."""
    found = []
    for piece in PIECES.split(english):
        piece = _words(piece).strip(" .,:;–-()“”\"'")
        letters = re.sub(r"[^A-Za-z]", "", piece)
        telling = (len(piece.split()) >= 2 and len(letters) >= 4) or len(letters) > 3
        if telling and piece not in _words(welsh):
            found.append(piece)
    return found


def english_to_look_for() -> dict[str, str]:
    """Each English text that must not show on a Welsh page, with where it comes from."""
    if not CATALOGUE.exists():
        pytest.fail(f"The Welsh catalogue {CATALOGUE} is missing: nothing to check pages against.")
    look_for: dict[str, str] = {}
    for entry in catalogue_entries(CATALOGUE):
        if entry["msgid"] == "":
            continue
        forms = [entry["msgid"], entry.get("msgid_plural")]
        welsh = " ".join(entry["msgstr"])
        for english in filter(None, forms):
            # A message whose Welsh is the same words (a name, a code) is not a leak.
            if english.strip() == welsh.strip() and not entry["fuzzy"]:
                continue
            for piece in telling_pieces(english, "" if entry["fuzzy"] else welsh):
                look_for.setdefault(piece, f"catalogue: {entry['msgid'][:60]!r}")
    for sections in (checklist_defaults.DETAINEE, checklist_defaults.SUITE):
        for title, questions in sections:
            look_for.setdefault(_words(title), "default checklist section")
            for _key, text, _category in questions:
                look_for.setdefault(_words(text), "default checklist question")
    for name, name_cy, _address, _cells in DYFED_POWYS_SUITES:
        if name != name_cy:
            look_for.setdefault(name, "suite's English name")
    return look_for


# --- What a page shows -----------------------------------------------------------------------

# Every text a person meets on the page, by eye or by screen reader: visible text nodes (the
# visually hidden ones included), the title, and the words in attributes (placeholders, ARIA
# labels, titles, alt text, the values of buttons drawn by <input>). Text inside an element
# marked with another language than Welsh (below <html>) is left out.
SHOWN_TEXT = """() => {
  const welsh = (node) => {
    // The page's own language is checked apart (<html lang>); a part marked with another
    // language inside it is that language's.
    const marked = (node.nodeType === 1 ? node : node.parentElement).closest("[lang]");
    return !marked || marked === document.documentElement
      || marked.lang.toLowerCase().startsWith("cy");
  };
  const seen = (element) => {
    if (element.closest("template, script, style, noscript")) return false;
    if (element.closest("option")) {
      const select = element.closest("select");
      return select ? select.checkVisibility() : false;
    }
    return element.checkVisibility({visibilityProperty: true});
  };
  const texts = [document.title];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const element = node.parentElement;
    if (element && node.textContent.trim() && seen(element) && welsh(node)) {
      texts.push(node.textContent);
    }
  }
  for (const element of document.body.querySelectorAll(
    "[placeholder], [aria-label], [title], img[alt], input[type=submit], input[type=button]"
  )) {
    if (!welsh(element) || element.closest("template")) continue;
    for (const name of ["placeholder", "aria-label", "title", "alt"]) {
      if (element.getAttribute(name)) texts.push(element.getAttribute(name));
    }
    if (element.matches("input[type=submit], input[type=button]")) texts.push(element.value);
  }
  return texts.join("\\n");
}"""


def english_on(text: str, look_for: dict[str, str]) -> list[str]:
    shown = _words(text)
    return sorted(
        f"{piece!r} ({source})"
        for piece, source in look_for.items()
        if re.search(r"(?<![\w'’])" + re.escape(piece) + r"(?![\w'’])", shown)
    )


def in_welsh(page, look_for: dict[str, str]) -> None:
    """The checks every page gets: lang="cy", axe, and no English."""
    page.wait_for_load_state("networkidle")
    assert page.locator("html").get_attribute("lang") == "cy", f"{page.url}: not lang=cy"
    check_accessibility(page)
    leaks = english_on(page.evaluate(SHOWN_TEXT), look_for)
    assert not leaks, f"{page.url} shows English:\n  " + "\n  ".join(leaks)


def primary(page):
    """The page's main button (Save and continue, Save detainee, Submit the report...), found
    without its words: the last full-width button of the main form."""
    return page.locator("main form button.button:not(.button--secondary)").last


def sign(page) -> None:
    pad = page.locator("canvas.signature__pad")
    if pad.is_visible():
        pad.scroll_into_view_if_needed()
        box = pad.bounding_box()
        page.mouse.move(box["x"] + 20, box["y"] + 40)
        page.mouse.down()
        page.mouse.move(box["x"] + 200, box["y"] + 60, steps=8)
        page.mouse.up()


# --- The visit -------------------------------------------------------------------------------


def test_the_welsh_visitor_records_a_whole_visit_in_welsh_on_a_phone(
    page, demo, live_server, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    look_for = english_to_look_for()
    assert len(look_for) > 100  # a catalogue and two checklists, not nothing
    url = live_server.url

    page.goto(url + "/accounts/login/")
    in_welsh(page, look_for)
    page.locator("#id_username").fill("ymwelydd")
    page.locator("#id_password").fill(settings.DEMO_PASSWORD)
    page.locator("main form [type=submit]").first.click()
    expect(page).not_to_have_url(re.compile(r"/accounts/login/"))
    in_welsh(page, look_for)  # the home page

    haverfordwest = CustodySuite.objects.get(scheme__slug="dyfed-powys", name="Haverfordwest")
    partner_pk = get_user_model().objects.get(username="dyfed.visitor").pk
    page.goto(url + reverse("visit-start"))
    in_welsh(page, look_for)
    assert "Hwlffordd" in page.locator("#id_suite").inner_text()
    page.locator("#id_suite").select_option(str(haverfordwest.pk))
    page.locator(f"input[name=co_visitors][value='{partner_pk}']").check()
    arrived = datetime.datetime.now() - datetime.timedelta(hours=1)
    page.locator("#id_arrived_at").fill(arrived.strftime("%Y-%m-%dT%H:%M"))
    primary(page).click()
    expect(page).to_have_url(re.compile(r"/admission/$"))
    visit = Visit.objects.get(suite=haverfordwest)

    in_welsh(page, look_for)  # admission
    primary(page).click()
    expect(page).to_have_url(re.compile(r"/numbers/$"))

    in_welsh(page, look_for)
    for name in ("in_custody", "adults", "male", "held_pace", "offered", "visited"):
        page.locator(f"#id_{name}").fill("1")
    primary(page).click()
    expect(page).to_have_url(re.compile(r"/detainees/$"))

    in_welsh(page, look_for)
    page.goto(url + reverse("visit-detainee-new", args=[visit.uuid]))
    in_welsh(page, look_for)
    page.locator("#id_custody_number").fill(CUSTODY_NUMBER)
    page.locator("button[name=expected][value=all]").click()
    expect(page.locator("[data-expected-status]").first).not_to_be_empty()
    in_welsh(page, look_for)  # with "marked as expected" said
    primary(page).click()
    expect(page.get_by_role("link", name=CUSTODY_NUMBER)).to_be_visible()

    in_welsh(page, look_for)  # the detainees seen, with one
    page.goto(url + reverse("visit-suite", args=[visit.uuid]))
    in_welsh(page, look_for)
    page.locator("button[name=expected][value=all]").click()
    expect(page.locator("[data-expected-status]").first).not_to_be_empty()
    primary(page).click()
    expect(page).to_have_url(re.compile(r"/issues/$"))

    in_welsh(page, look_for)
    primary(page).click()
    expect(page).to_have_url(re.compile(r"/sign-off/$"))

    in_welsh(page, look_for)
    page.locator("input[name=outcome][value=satisfactory]").check()
    page.locator("#id_sergeant_name").fill("Rhingyll 12 Huws")
    sign(page)
    page.locator("#id_sergeant_confirmed").check()
    for box in page.locator("input[name=confirmed_by]").all():
        box.check()
    in_welsh(page, look_for)
    primary(page).click()
    expect(page).to_have_url(re.compile(r"/check/$"))

    in_welsh(page, look_for)
    primary(page).click()
    expect(page).not_to_have_url(re.compile(r"/check/$"))
    visit.refresh_from_db()
    assert visit.status == Visit.Status.SUBMITTED
    in_welsh(page, look_for)  # "submitted"

    page.goto(url + reverse("visit-report", args=[visit.uuid]))
    in_welsh(page, look_for)
    main = page.locator("main")
    expect(main).to_contain_text("Hwlffordd")
    expect(main).to_contain_text(checklist_defaults.QUESTIONS_CY["told_rights"])

    report_pdf_is_welsh(page, url + reverse("visit-pdf", args=[visit.uuid]), tmp_path, look_for)


def report_pdf_is_welsh(page, pdf_url: str, tmp_path, look_for) -> None:
    """The PDF the visitor downloads: Welsh words from the checklist and from the interface
    (a Welsh message of visits/pdf.py), no English, and ŷ drawn from the embedded font."""
    answer = page.request.get(pdf_url)  # as the visitor, signed in
    assert answer.ok and answer.headers["content-type"] == "application/pdf"
    path = tmp_path / "adroddiad.pdf"
    path.write_bytes(answer.body())
    text = _words(
        subprocess.run(
            ["pdftotext", str(path), "-"], capture_output=True, text=True, check=True
        ).stdout
    )
    assert "Hwlffordd" in text
    assert checklist_defaults.SECTIONS_CY["Rights"] in text
    assert "tŷ" in text  # from a question's Welsh ("tŷ bach")
    interface = [
        entry
        for entry in catalogue_entries(CATALOGUE)
        if "visits/pdf.py" in entry["refs"] and entry["msgstr"] and entry["msgstr"][0]
    ]
    assert interface, "The catalogue has no Welsh for visits/pdf.py"
    assert any(
        piece in text
        for entry in interface
        for piece in map(_words, PIECES.split(entry["msgstr"][0]))
        if len(piece) > 6
    ), "No Welsh sentence of visits/pdf.py is in the PDF"
    leaks = english_on(text, look_for)
    assert not leaks, "The report PDF shows English:\n  " + "\n  ".join(leaks)
    pdf = PdfReader(io.BytesIO(path.read_bytes()))
    assert "ŷ" in "".join(p.extract_text() for p in pdf.pages)
    assert pdfmetrics.getFont(FONT).face.charToGlyph.get(ord("ŷ"))  # 0 would be "no glyph"
    assert fonts_of(pdf) <= {"DejaVuSans", "DejaVuSans-Bold"}  # embedded, no Vera
