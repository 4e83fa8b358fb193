"""The Welsh catalogue is complete (issue 21): every message the code marks now (extracted afresh
with makemessages, both domains) is in locale/cy/ with a translation that is not empty, not
fuzzy and keeps its placeholders; `msgfmt -c` accepts it; the committed .mo is the .po compiled.
Adding an English string without its Welsh fails here (docs/translations.md says what to do).

The checker itself (icv.catalogue) is tested first, on small catalogues made here, so that a
failure of the real catalogue is known to be for the reason it gives.
"""

import shutil
import subprocess
import textwrap
from pathlib import Path

import pytest

from icv import catalogue


@pytest.fixture
def gettext_tools():
    """GNU gettext's tools, which makemessages and the checks run. Missing, the test fails (it
    does not skip: CI must not pass for want of a tool); bin/test and .ci/run install them."""
    missing = [tool for tool in ("xgettext", "msgmerge", "msgfmt") if shutil.which(tool) is None]
    if missing:
        pytest.fail(f"GNU gettext is not installed ({', '.join(missing)}): apt-get install gettext")


needs_gettext = pytest.mark.usefixtures("gettext_tools")

HEADER = textwrap.dedent(
    """\
    msgid ""
    msgstr ""
    "Content-Type: text/plain; charset=UTF-8\\n"
    "Language: cy\\n"
    "Plural-Forms: nplurals=4; plural=(n==1) ? 0 : (n==2) ? 1 : (n != 8 && n != 11) ? 2 : 3;\\n"

    """
)

# What the code marks, as makemessages would write it (no translations).
EXTRACTED = textwrap.dedent(
    """\
    #: visits/views/home.py:10
    msgid "Suites"
    msgstr ""

    #: templates/visits/home.html:4
    #, python-format
    msgid "Visit to %(suite)s"
    msgstr ""

    msgctxt "a rota's place"
    msgid "Slot"
    msgstr ""

    #, python-format
    msgid "%(count)s visit"
    msgid_plural "%(count)s visits"
    msgstr[0] ""
    msgstr[1] ""

    msgid ""
    "A message on "
    "two lines"
    msgstr ""
    """
)

COMPLETE = textwrap.dedent(
    """\
    msgid "Suites"
    msgstr "Switiau'r ddalfa"

    #, python-format
    msgid "Visit to %(suite)s"
    msgstr "Ymweliad â %(suite)s"

    msgctxt "a rota's place"
    msgid "Slot"
    msgstr "Slot"

    #, python-format
    msgid "%(count)s visit"
    msgid_plural "%(count)s visits"
    msgstr[0] "Un ymweliad"
    msgstr[1] "Dau ymweliad"
    msgstr[2] "%(count)s ymweliad"
    msgstr[3] "%(count)s ymweliad"

    msgid "A message on two lines"
    msgstr ""
    "Neges ar "
    "ddwy linell"

    #~ msgid "Gone"
    #~ msgstr ""
    """
)


def write(tmp_path: Path, name: str, body: str) -> Path:
    path = tmp_path / name
    path.write_text(HEADER + body, encoding="utf-8")
    return path


@pytest.fixture
def extracted(tmp_path):
    return write(tmp_path, "extracted.po", EXTRACTED)


def problems_with(tmp_path, extracted, body):
    return catalogue.completeness_problems(write(tmp_path, "cy.po", body), extracted)


def test_the_reader_reads_contexts_plurals_flags_and_continued_lines(tmp_path):
    entries = catalogue.read_po(write(tmp_path, "cy.po", COMPLETE))
    assert [entry.key for entry in entries] == [
        (None, "Suites"),
        (None, "Visit to %(suite)s"),
        ("a rota's place", "Slot"),
        (None, "%(count)s visit"),
        (None, "A message on two lines"),
    ]
    assert entries[1].flags == {"python-format"}
    assert entries[3].msgid_plural == "%(count)s visits"
    assert entries[3].msgstr[2] == "%(count)s ymweliad"
    assert entries[4].msgstr == ["Neges ar ddwy linell"]
    assert (
        catalogue.read_po(write(tmp_path, "x.po", 'msgid "Say \\"hi\\"\\n"\nmsgstr ""\n'))[0].msgid
        == 'Say "hi"\n'
    )


def test_a_complete_catalogue_passes(tmp_path, extracted):
    assert problems_with(tmp_path, extracted, COMPLETE) == []


def test_a_message_not_in_the_catalogue_fails(tmp_path, extracted):
    body = COMPLETE.replace('msgid "Suites"\nmsgstr "Switiau\'r ddalfa"\n', "")
    [problem] = problems_with(tmp_path, extracted, body)
    assert "'Suites' is not in the catalogue" in problem


def test_the_same_words_in_another_context_are_another_message(tmp_path, extracted):
    body = COMPLETE.replace('msgctxt "a rota\'s place"\n', "")
    [problem] = problems_with(tmp_path, extracted, body)
    assert "'Slot' (context \"a rota's place\") is not in the catalogue" in problem


def test_an_untranslated_message_fails(tmp_path, extracted):
    body = COMPLETE.replace('msgstr "Switiau\'r ddalfa"', 'msgstr ""')
    [problem] = problems_with(tmp_path, extracted, body)
    assert "'Suites' is not translated" in problem


def test_a_plural_with_one_form_untranslated_fails(tmp_path, extracted):
    body = COMPLETE.replace('msgstr[3] "%(count)s ymweliad"', 'msgstr[3] ""')
    [problem] = problems_with(tmp_path, extracted, body)
    assert "'%(count)s visit' is not translated" in problem


def test_a_fuzzy_message_fails(tmp_path, extracted):
    body = COMPLETE.replace(
        '#, python-format\nmsgid "Visit to', '#, fuzzy, python-format\nmsgid "Visit to'
    )
    [problem] = problems_with(tmp_path, extracted, body)
    assert "'Visit to %(suite)s' is fuzzy" in problem


@pytest.mark.parametrize(
    "translation, complaint",
    [
        ("Ymweliad â %(swit)s", "has %(swit), which the English has not"),
        ("Ymweliad", "drops %(suite)"),
        ("Ymweliad â %s", "has the placeholders ['%s']"),
        ("Ymweliad â {suite}", "has {suite}, which the English has not"),
    ],
)
def test_a_broken_placeholder_fails(tmp_path, extracted, translation, complaint):
    body = COMPLETE.replace('msgstr "Ymweliad â %(suite)s"', f'msgstr "{translation}"')
    problems = problems_with(tmp_path, extracted, body)
    assert problems and all("'Visit to %(suite)s'" in problem for problem in problems)
    assert any(complaint in problem for problem in problems), problems


def test_a_plural_may_drop_the_count_in_a_form_but_not_in_all(tmp_path, extracted):
    body = COMPLETE.replace('msgstr[2] "%(count)s ymweliad"', 'msgstr[2] "Ymweliadau"').replace(
        'msgstr[3] "%(count)s ymweliad"', 'msgstr[3] "Ymweliadau"'
    )
    [problem] = problems_with(tmp_path, extracted, body)
    assert "no plural form has %(count)" in problem


def test_no_catalogue_at_all_fails_and_says_so(tmp_path, extracted):
    [problem] = catalogue.completeness_problems(tmp_path / "missing.po", extracted)
    assert "there is no catalogue" in problem


def test_a_percent_sign_is_not_a_placeholder():
    assert catalogue.placeholders("100%% of visits, %(n)d%%") == (frozenset({"%(n)"}), ())


@needs_gettext
def test_msgfmt_check_and_the_compiled_catalogue_are_checked(tmp_path):
    po = write(tmp_path, "cy.po", COMPLETE)
    assert catalogue.msgfmt_problems(po) == []
    broken = write(tmp_path, "broken.po", COMPLETE.replace("msgstr[3]", "msgstr[7]"))
    assert catalogue.msgfmt_problems(broken)
    mo = tmp_path / "cy.mo"
    assert "there is no" in catalogue.mo_problems(po, mo)[0]
    subprocess.run(["msgfmt", "-o", str(mo), str(po)], check=True)
    assert catalogue.mo_problems(po, mo) == []
    po.write_text(HEADER + COMPLETE.replace("Switiau'r ddalfa", "Switiau"), encoding="utf-8")
    [stale] = catalogue.mo_problems(po, mo)
    assert "is not" in stale and "compiled" in stale


@needs_gettext
def test_extraction_finds_what_the_code_marks(tmp_path):
    project = catalogue.catalogue_path("django")
    before = project.stat().st_mtime_ns if project.exists() else None
    po = catalogue.extract("django", tmp_path)
    # Written where asked, never into the project's locale/ (makemessages' own habit).
    assert po == tmp_path / "cy" / "LC_MESSAGES" / "django.po" and po.exists()
    assert (project.stat().st_mtime_ns if project.exists() else None) == before
    ids = {entry.msgid for entry in catalogue.read_po(po)}
    # A message of the core, one of a template, one of a form (each marked on main).
    assert "Choose one of the languages offered." in ids
    assert "The language of your pages, e-mails and PDFs" in ids
    assert not any(entry.msgstr != [""] * len(entry.msgstr) for entry in catalogue.read_po(po))


@needs_gettext
def test_regenerating_takes_welsh_from_fragments_then_keeps_it(tmp_path):
    fragment = write(
        tmp_path,
        "core.po",
        'msgid "Choose one of the languages offered."\n'
        'msgstr "Dewiswch un o\'r ieithoedd a gynigir."\n'
        '\nmsgid "Not marked anywhere"\nmsgstr "Heb ei farcio"\n',
    )
    locale_dir = tmp_path / "locale"
    # Both domains (the scripts' djangojs too); this test reads the pages' one.
    [po] = [path for path in catalogue.regenerate(locale_dir, [fragment]) if path.stem == "django"]
    entries = {entry.msgid: entry for entry in catalogue.read_po(po)}
    assert entries["Choose one of the languages offered."].msgstr == [
        "Dewiswch un o'r ieithoedd a gynigir."
    ]
    assert "Not marked anywhere" not in entries  # the code's messages only
    assert entries["Save language"].msgstr == [""]  # nothing guessed
    assert catalogue.mo_problems(po, po.with_suffix(".mo")) == []
    [again] = [path for path in catalogue.regenerate(locale_dir, []) if path.stem == "django"]
    kept = {entry.msgid: entry for entry in catalogue.read_po(again)}
    assert kept["Choose one of the languages offered."].msgstr == [
        "Dewiswch un o'r ieithoedd a gynigir."
    ]


def test_two_fragments_that_translate_a_message_differently_are_reported(tmp_path):
    first = write(tmp_path, "a.po", 'msgid "Suites"\nmsgstr "Switiau\'r ddalfa"\n')
    second = write(tmp_path, "b.po", 'msgid "Suites"\nmsgstr "Ystafelloedd"\n')
    same = write(tmp_path, "c.po", 'msgid "Suites"\nmsgstr "Switiau\'r ddalfa"\n')
    assert catalogue.fragment_conflicts([first, same]) == []
    [conflict] = catalogue.fragment_conflicts([first, second, same])
    assert "'Suites'" in conflict and "a.po" in conflict and "b.po" in conflict


# --- The real catalogue ---------------------------------------------------------------------------


@needs_gettext
@pytest.mark.parametrize("domain", catalogue.DOMAINS)
def test_every_message_is_translated_into_welsh(tmp_path, domain):
    extracted = catalogue.extract(domain, tmp_path)
    problems = catalogue.completeness_problems(catalogue.catalogue_path(domain), extracted)
    assert not problems, (
        f"{len(problems)} problems with the Welsh of {domain} (docs/translations.md):\n"
        + "\n".join(problems[:40])
    )


@needs_gettext
@pytest.mark.parametrize("domain", catalogue.DOMAINS)
def test_the_catalogue_passes_msgfmt_check_and_its_mo_is_current(domain):
    po = catalogue.catalogue_path(domain)
    if not po.exists():
        pytest.skip(f"no {domain} catalogue (the test above says whether one is needed)")
    assert catalogue.msgfmt_problems(po) == []
    assert catalogue.mo_problems(po, po.with_suffix(".mo")) == []
