"""The Welsh catalogue's machinery (docs/translations.md): extract what the code marks for
translation, regenerate and compile locale/cy/, and check that the catalogue is complete.

bin/translations regenerates and compiles; tests/test_translations.py checks, with the functions
here, that every string extracted now is translated (not fuzzy, placeholders kept), that
`msgfmt -c` accepts the catalogue, and that the committed .mo is the .po compiled.

The compiled .mo files are committed: a fresh machine (bin/serve) may have no gettext tools,
and Django reads only .mo files. The test that the .mo is current keeps them honest.
"""

from __future__ import annotations

import gettext
import os
import re
import shutil
import subprocess
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.core.management.commands import makemessages as makemessages_command

LANGUAGE = "cy"
DOMAINS = ("django", "djangojs")
# One ignore list for every extraction: what is not the app's (the virtualenv, node_modules,
# collected static files, data) and what no person reads (tests, benchmarks). `locale` too, so
# that makemessages writes where it is told (it adopts any locale/ directory it walks into).
IGNORE = (".venv", "tests", "bench", "node_modules", "staticfiles", "data", "locale")
# The JavaScript domain: static/js and the templates that are JavaScript (the service worker).
JS_EXTENSIONS = ("js",)


# Welsh written beside a change, before it reaches the catalogue (one .po file per piece of work).
FRAGMENTS_DIR = Path(settings.BASE_DIR) / "locale" / "fragments"


def catalogue_path(domain: str, locale_dir: Path | None = None) -> Path:
    base = Path(locale_dir) if locale_dir is not None else Path(settings.LOCALE_PATHS[0])
    return base / LANGUAGE / "LC_MESSAGES" / f"{domain}.po"


# --- Reading a .po file ---------------------------------------------------------------------------


@dataclass
class Entry:
    msgid: str
    msgctxt: str | None = None
    msgid_plural: str | None = None
    msgstr: list[str] = field(default_factory=list)
    flags: set[str] = field(default_factory=set)
    line: int = 0

    @property
    def key(self) -> tuple[str | None, str]:
        return (self.msgctxt, self.msgid)

    @property
    def fuzzy(self) -> bool:
        return "fuzzy" in self.flags

    def describe(self) -> str:
        context = f" (context {self.msgctxt!r})" if self.msgctxt else ""
        return f"{self.msgid!r}{context}"


_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\", "a": "\a", "b": "\b"}


def _unquote(text: str) -> str:
    text = text.strip()
    if len(text) < 2 or text[0] != '"' or text[-1] != '"':
        raise ValueError(f"not a quoted string: {text}")
    return re.sub(r"\\(.)", lambda m: _ESCAPES.get(m.group(1), m.group(1)), text[1:-1])


def read_po(path: Path) -> list[Entry]:
    """The entries of a .po file (the header and obsolete `#~` entries left out)."""
    entries: list[Entry] = []
    current: Entry | None = None
    flags: set[str] = set()
    target: tuple[str, int] = ("msgid", 0)

    def finish() -> None:
        nonlocal current, flags
        if current is not None and (current.msgid or current.msgctxt):
            entries.append(current)
        current, flags = None, set()

    with open(path, encoding="utf-8") as file:
        for number, raw in enumerate(file, start=1):
            line = raw.strip()
            if not line:
                finish()
                continue
            if line.startswith("#~"):
                continue
            keyword, _space, rest = line.partition(" ")
            # A comment, msgctxt or msgid after a msgstr starts the next entry.
            if (
                current is not None
                and current.msgstr
                and (line.startswith("#") or keyword in ("msgctxt", "msgid"))
            ):
                finish()
            if line.startswith("#,"):
                flags |= {flag.strip() for flag in line[2:].split(",") if flag.strip()}
                continue
            if line.startswith("#"):
                continue
            if line.startswith('"'):
                if current is None:
                    raise ValueError(f"{path}:{number}: a string outside an entry")
                name, index = target
                if name == "msgstr":
                    current.msgstr[index] += _unquote(line)
                else:
                    setattr(current, name, (getattr(current, name) or "") + _unquote(line))
                continue
            if current is None:
                current = Entry(msgid="", flags=flags, line=number)
            if keyword in ("msgctxt", "msgid", "msgid_plural"):
                setattr(current, keyword, _unquote(rest))
                target = (keyword, 0)
            elif (found := re.fullmatch(r"msgstr(?:\[(\d+)\])?", keyword)) is not None:
                index = int(found.group(1) or 0)
                while len(current.msgstr) <= index:
                    current.msgstr.append("")
                current.msgstr[index] = _unquote(rest)
                target = ("msgstr", index)
            else:
                raise ValueError(f"{path}:{number}: cannot read {line[:40]!r}")
    finish()
    return entries


# --- Placeholders ---------------------------------------------------------------------------------

_NAMED = re.compile(r"%\((\w+)\)[-#0 +]*\d*(?:\.\d+)?[diouxXeEfFgGcrsa]")
_POSITIONAL = re.compile(r"%[-#0 +]*\d*(?:\.\d+)?[diouxXeEfFgGcrsa]")
_BRACES = re.compile(r"(?<!\{)\{(\w*)\}(?!\})")


def placeholders(text: str) -> tuple[frozenset[str], tuple[str, ...]]:
    """The named placeholders of a message (%(name)s, {name}) and its positional ones (%s, %d)
    in order; "%%" is a percent sign, not a placeholder."""
    text = text.replace("%%", "")
    named = {f"%({name})" for name in _NAMED.findall(text)}
    named |= {f"{{{name}}}" for name in _BRACES.findall(text)}
    positional = tuple(_POSITIONAL.findall(_NAMED.sub("", text)))
    return frozenset(named), positional


def placeholder_problems(entry: Entry) -> list[str]:
    """What a translation does wrong with its placeholders: one the English has not (it would
    fail at run time), or one the English has that it drops (the reader loses it). A plural's
    forms may each drop one (Welsh says "un ymweliad" for 1), but together they keep them all."""
    sources = [entry.msgid] + ([entry.msgid_plural] if entry.msgid_plural else [])
    wanted_named: set[str] = set()
    wanted_positional: set[tuple[str, ...]] = set()
    for text in sources:
        named, positional = placeholders(text)
        wanted_named |= named
        wanted_positional.add(positional)
    problems = []
    seen: set[str] = set()
    for index, text in enumerate(entry.msgstr):
        named, positional = placeholders(text)
        seen |= named
        label = f"msgstr[{index}]" if entry.msgid_plural else "msgstr"
        if extra := named - wanted_named:
            problems.append(f"{label} has {', '.join(sorted(extra))}, which the English has not")
        if positional not in wanted_positional:
            problems.append(
                f"{label} has the placeholders {list(positional)}, the English "
                f"{sorted(list(p) for p in wanted_positional)}"
            )
        if not entry.msgid_plural and (missing := wanted_named - named):
            problems.append(f"{label} drops {', '.join(sorted(missing))}")
    if entry.msgid_plural and (missing := wanted_named - seen):
        problems.append(f"no plural form has {', '.join(sorted(missing))}")
    return problems


# --- The checks -----------------------------------------------------------------------------------


def completeness_problems(catalogue: Path, extracted: Path) -> list[str]:
    """Each message of `extracted` (a fresh makemessages .po) that `catalogue` lacks, leaves
    untranslated (an empty msgstr or plural form), marks fuzzy, or translates with the wrong
    placeholders. An empty list: the catalogue is complete."""
    wanted_entries = read_po(extracted) if Path(extracted).exists() else []
    if not wanted_entries:
        return []  # nothing marked in this domain (makemessages then writes no file)
    if not Path(catalogue).exists():
        return [
            f"there is no catalogue at {catalogue}: run bin/translations (docs/translations.md)"
        ]
    translated = {entry.key: entry for entry in read_po(catalogue)}
    problems = []
    for wanted in wanted_entries:
        entry = translated.get(wanted.key)
        name = f"{catalogue}: {wanted.describe()}"
        if entry is None:
            problems.append(f"{name} is not in the catalogue")
        elif entry.fuzzy:
            problems.append(f"{name} is fuzzy (line {entry.line})")
        elif (entry.msgid_plural is None) != (wanted.msgid_plural is None):
            problems.append(f"{name} is a plural in one and not the other (line {entry.line})")
        elif not entry.msgstr or any(not text for text in entry.msgstr):
            problems.append(f"{name} is not translated (line {entry.line})")
        else:
            problems.extend(
                f"{name}: {problem} (line {entry.line})" for problem in placeholder_problems(entry)
            )
    return problems


def msgfmt_problems(po: Path) -> list[str]:
    """What `msgfmt -c` (GNU gettext's own check: the header, plural forms, format strings)
    says is wrong with a .po file."""
    done = subprocess.run(
        ["msgfmt", "-c", "-o", os.devnull, str(po)], capture_output=True, text=True, check=False
    )
    return [] if done.returncode == 0 else done.stderr.strip().splitlines() or ["msgfmt failed"]


def _catalog_of(mo: Path) -> dict:
    with open(mo, "rb") as file:
        return dict(gettext.GNUTranslations(file)._catalog)


def mo_problems(po: Path, mo: Path) -> list[str]:
    """Whether `mo` is `po` compiled: the same messages and translations (compared as Python's
    gettext reads them, so a different msgfmt version does not matter)."""
    if not Path(mo).exists():
        return [f"there is no {mo}: run bin/translations"]
    with tempfile.TemporaryDirectory() as tmp:
        fresh = Path(tmp) / "fresh.mo"
        done = subprocess.run(
            ["msgfmt", "-o", str(fresh), str(po)], capture_output=True, text=True, check=False
        )
        if done.returncode != 0:
            return [f"msgfmt cannot compile {po}: {done.stderr.strip()}"]
        expected, committed = _catalog_of(fresh), _catalog_of(mo)
    if expected == committed:
        return []
    differ = sorted(
        repr(key)
        for key in expected.keys() | committed.keys()
        if expected.get(key) != committed.get(key)
    )
    return [f"{mo} is not {po} compiled ({len(differ)} messages differ, e.g. {differ[:3]})"]


# --- Extracting and regenerating ------------------------------------------------------------------


@contextmanager
def _in_project():
    here = os.getcwd()
    os.chdir(settings.BASE_DIR)
    try:
        yield
    finally:
        os.chdir(here)


class _MakeMessagesInto(makemessages_command.Command):
    """Django's makemessages, writing every file's messages under LOCALE_PATHS[0] only: left to
    itself it also writes into a locale/ directory in the current one (the project's), whatever
    LOCALE_PATHS says, which would overwrite the catalogue when extracting into a temporary one."""

    def find_files(self, root):
        self.locale_paths = [self.default_locale_path]
        return super().find_files(root)


def makemessages(domain: str, locale_dir: Path, *, keep_obsolete: bool = False) -> Path:
    """Run Django's makemessages for `domain` over the project, writing (or updating, with
    msgmerge) LANGUAGE's .po under `locale_dir`. Returns the .po file's path."""
    from django.core.management import call_command
    from django.test.utils import override_settings

    options = {
        "locale": [LANGUAGE],
        "domain": domain,
        "ignore_patterns": list(IGNORE),
        "verbosity": 0,
        "no_obsolete": not keep_obsolete,
    }
    if domain == "djangojs":
        options["extensions"] = list(JS_EXTENSIONS)
    with override_settings(LOCALE_PATHS=[str(locale_dir)]), _in_project():
        call_command(_MakeMessagesInto(), **options)
    return catalogue_path(domain, locale_dir)


def extract(domain: str, into: Path) -> Path:
    """What the code marks for translation now, as a fresh .po under `into` (no translations;
    no file at all if nothing in the domain is marked)."""
    return makemessages(domain, Path(into))


def check(locale_dir: Path | None = None, *, work_dir: Path) -> list[str]:
    """Every problem of the catalogue under `locale_dir` (the project's by default), for both
    domains: completeness against a fresh extraction into `work_dir`, msgfmt -c, the .mo."""
    problems = []
    for domain in DOMAINS:
        po = catalogue_path(domain, locale_dir)
        problems += completeness_problems(po, extract(domain, Path(work_dir) / domain))
        if po.exists():
            problems += msgfmt_problems(po)
            problems += mo_problems(po, po.with_suffix(".mo"))
    return problems


def _run(*command: str) -> None:
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed: {done.stderr.strip()}")


def fragments_in(fragments_dir: Path) -> list[Path]:
    return sorted(Path(fragments_dir).glob("*.po")) if Path(fragments_dir).is_dir() else []


def fragment_conflicts(fragments: list[Path]) -> list[str]:
    """Messages that two fragments translate differently (regenerate takes the first file's,
    in the order given): worth a look, so that one thing has one Welsh name."""
    seen: dict[tuple, tuple[Path, list[str]]] = {}
    conflicts = []
    for path in fragments:
        for entry in read_po(path):
            if entry.fuzzy or not all(entry.msgstr):
                continue
            first = seen.setdefault(entry.key, (path, entry.msgstr))
            if first[1] != entry.msgstr:
                conflicts.append(
                    f"{entry.describe()}: {first[0].name} has {first[1]!r}, "
                    f"{path.name} {entry.msgstr!r} (the first is kept)"
                )
    return conflicts


def regenerate(
    locale_dir: Path | None = None, fragments: list[Path] | None = None, *, compile_mo=True
) -> list[Path]:
    """Rewrite the catalogue under `locale_dir` (the project's by default) from the code, for
    both domains: every message marked now, with its translation from the catalogue as it was,
    else from the first of `fragments` (.po files of Welsh, docs/translations.md) that has one;
    messages no longer marked are dropped; nothing is guessed (no fuzzy matching). Then compile
    the .mo files. Returns the .po files written."""
    locale_dir = Path(locale_dir) if locale_dir is not None else Path(settings.LOCALE_PATHS[0])
    written = []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        sources = []  # translations, the first that has a message wins
        for domain in DOMAINS:
            po = catalogue_path(domain, locale_dir)
            if po.exists():
                kept = tmp / f"kept-{domain}.po"
                _run("msgattrib", "--translated", "--no-fuzzy", "--no-obsolete", "-o", kept, po)
                if kept.exists():
                    sources.append(kept)
        sources += list(fragments or [])
        known = None
        if sources:
            known = tmp / "known.po"
            _run("msgcat", "--use-first", "-o", known, *sources)
        for domain in DOMAINS:
            fresh = extract(domain, tmp / f"fresh-{domain}")
            po = catalogue_path(domain, locale_dir)
            if not fresh.exists():
                continue  # nothing marked in this domain
            po.parent.mkdir(parents=True, exist_ok=True)
            if known is not None and known.exists():
                merged = tmp / f"merged-{domain}.po"
                _run("msgmerge", "--quiet", "--no-fuzzy-matching", "-o", merged, known, fresh)
                # The catalogue's header (Language: cy, its plural forms), the code's messages.
                _run("msgattrib", "--no-obsolete", "-o", po, merged)
            else:
                shutil.copyfile(fresh, po)
            written.append(po)
        if compile_mo:
            for po in written:
                _run("msgfmt", "--check-format", "-o", po.with_suffix(".mo"), po)
    return written
