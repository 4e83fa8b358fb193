"""The rules of a visit report, as plain functions: forms, the API and services all call these.

Each returns what is wrong in words a volunteer can act on; none touches the database.
"""

import datetime
import re
from collections.abc import Mapping
from dataclasses import dataclass

from django.utils.formats import date_format
from django.utils.translation import gettext, ngettext

from visits.errors import DomainError
from visits.models.visits import NOT_VISITED_LABELS, NUMBER_LABELS, Visit

NUMBER_FIELDS = (*NUMBER_LABELS, *Visit.NOT_VISITED_FIELDS)

# What an amendment may change of a submitted report, and how each field is bounded (the
# service visits.services.amendments checks them; the read model orders amended rows by them).
MOMENT, COUNT, TEXT, CHOICE = "moment", "count", "text", "choice"


@dataclass(frozen=True)
class Amendable:
    """A field of a submitted report that an amendment may change, as its step takes it."""

    kind: str  # MOMENT (an aware datetime), COUNT (a whole number), TEXT or CHOICE
    maximum: int = 0  # the largest count, or the longest text
    nullable: bool = False  # may be amended to None (a time that was never recorded)
    choices: tuple[str, ...] = ()


AMENDABLE: dict[str, Amendable] = {
    "arrived_at": Amendable(MOMENT),
    "admitted_at": Amendable(MOMENT, nullable=True),
    "departed_at": Amendable(MOMENT),
    "delay_minutes": Amendable(COUNT, 1440),
    "delay_reason": Amendable(TEXT, 300),
    "delay_authorised_by": Amendable(TEXT, 120),
    **{name: Amendable(COUNT, 999) for name in NUMBER_FIELDS},
    "nv_access_denied_reason": Amendable(TEXT, 300),
    "outcome": Amendable(CHOICE, choices=tuple(Visit.Outcome.values)),
    "abandoned_reason": Amendable(TEXT, 300),
    "sergeant_name": Amendable(TEXT, 120),
    "sergeant_comments": Amendable(TEXT, 4000),
    "good_practice": Amendable(TEXT, 4000),
}
AMENDABLE_FIELDS = tuple(AMENDABLE)
TIME_FIELDS = ("arrived_at", "admitted_at", "departed_at")

# No date in this service is before 2000 or after 2100 (the years summaries accept): a report,
# a rota or a filter with one was mistyped (or is an attack), and the pages and the API refuse it
# as not valid before it reaches date arithmetic or the database. Whether a visit's times make
# sense (not in the future, in the order they happened) is the services' rule.
EARLIEST_DATE = datetime.date(2000, 1, 1)
LATEST_DATE = datetime.date(2100, 12, 31)


def date_out_of_range(day: datetime.date) -> str | None:
    """What is wrong with a date outside EARLIEST_DATE..LATEST_DATE, or None."""
    if EARLIEST_DATE <= day <= LATEST_DATE:
        return None
    return gettext("Give a date from %(first)s to %(last)s.") % {
        "first": date_format(EARLIEST_DATE, "j F Y"),
        "last": date_format(LATEST_DATE, "j F Y"),
    }


def number_disagreements(n: Mapping[str, int]) -> dict[str, str]:
    """Which figures of a visit's numbers disagree, keyed by the field to fix.

    in custody = offered + not visited (by reason); offered = visited + observed only + declined;
    adults + under 18, and PACE + immigration + TACT + other, each equal in custody when given;
    male + female cannot exceed in custody.
    """
    get = lambda name: n.get(name) or 0  # noqa: E731
    problems: dict[str, str] = {}
    in_custody = get("in_custody")
    offered = get("offered")
    not_visited = sum(get(name) for name in NOT_VISITED_LABELS)
    seen = get("visited") + get("observed_only") + get("declined")

    if in_custody != offered + not_visited:
        problems["in_custody"] = gettext(
            "In custody (%(in_custody)d) must equal offered a visit (%(offered)d) plus not "
            "visited (%(not_visited)d), which is %(total)d."
        ) % {
            "in_custody": in_custody,
            "offered": offered,
            "not_visited": not_visited,
            "total": offered + not_visited,
        }
    if offered != seen:
        problems["offered"] = gettext(
            "Offered a visit (%(offered)d) must equal visited (%(visited)d) plus observed "
            "only (%(observed_only)d) plus declined (%(declined)d), which is %(total)d."
        ) % {
            "offered": offered,
            "visited": get("visited"),
            "observed_only": get("observed_only"),
            "declined": get("declined"),
            "total": seen,
        }
    ages = get("adults") + get("under_18")
    if ages and ages != in_custody:
        problems["adults"] = ngettext(
            "Adults (%(adults)d) plus under 18 (%(under_18)d) is %(total)d, "
            "but %(in_custody)d is in custody.",
            "Adults (%(adults)d) plus under 18 (%(under_18)d) is %(total)d, "
            "but %(in_custody)d are in custody.",
            in_custody,
        ) % {
            "adults": get("adults"),
            "under_18": get("under_18"),
            "total": ages,
            "in_custody": in_custody,
        }
    held = get("held_pace") + get("held_immigration") + get("held_tact") + get("held_other")
    if held and held != in_custody:
        problems["held_pace"] = ngettext(
            "PACE (%(pace)d), immigration (%(immigration)d), TACT (%(tact)d) and other "
            "(%(other)d) add up to %(total)d, but %(in_custody)d is in custody.",
            "PACE (%(pace)d), immigration (%(immigration)d), TACT (%(tact)d) and other "
            "(%(other)d) add up to %(total)d, but %(in_custody)d are in custody.",
            in_custody,
        ) % {
            "pace": get("held_pace"),
            "immigration": get("held_immigration"),
            "tact": get("held_tact"),
            "other": get("held_other"),
            "total": held,
            "in_custody": in_custody,
        }
    if get("male") + get("female") > in_custody:
        problems["male"] = gettext(
            "Male (%(male)d) plus female (%(female)d) is more than the %(in_custody)d in custody."
        ) % {"male": get("male"), "female": get("female"), "in_custody": in_custody}
    if get("nv_access_denied") and not (n.get("nv_access_denied_reason") or "").strip():
        problems["nv_access_denied_reason"] = gettext(
            "Give the reason the Inspector gave for denying access."
        )
    return problems


def consent_disagreements(n: Mapping[str, int], consents: Mapping[str, int]) -> dict[str, str]:
    """Where the detainees recorded contradict the numbers, keyed by the field to fix.

    `consents` counts the detainees on the report by consent (DetaineeRecord.Consent values).
    Each one who declined is one of the numbers' "declined", each one observed only one of
    "observed only"; the numbers may count more (not everyone is recorded one by one)."""
    messages = {
        "declined": (
            "%(recorded)d detainee on the report is recorded as declined, but the numbers say "
            "%(counted)d declined.",
            "%(recorded)d detainees on the report are recorded as declined, but the numbers say "
            "%(counted)d declined.",
        ),
        "observed_only": (
            "%(recorded)d detainee on the report is recorded as observed only, but the "
            "numbers say %(counted)d observed only.",
            "%(recorded)d detainees on the report are recorded as observed only, but the "
            "numbers say %(counted)d observed only.",
        ),
    }
    problems = {}
    for name, (one, many) in messages.items():  # a Consent value is also its number's field
        recorded, counted = consents.get(name, 0), n.get(name) or 0
        if recorded > counted:
            problems[name] = ngettext(one, many, recorded) % {
                "recorded": recorded,
                "counted": counted,
            }
    return problems


# Words of letters only, two or more of them: "John Smith", "smith john". A custody number
# always carries digits; a name never needs them.
_NAME_LIKE = re.compile(r"^[^\W\d_]{2,}(?:[\s,.'-]+[^\W\d_]{2,})+$")


def custody_number_problem(raw: str, pattern: str, example: str) -> str | None:
    """What is wrong with a custody record number, or None. Names are refused outright."""
    value = raw.strip()
    if not value:
        return gettext("Enter the custody record number.")
    if _NAME_LIKE.match(value) or not any(ch.isdigit() for ch in value):
        return gettext(
            "This looks like a name. Enter the custody record number only, for example "
            "%(example)s. Never record a detainee's name."
        ) % {"example": example}
    if not re.fullmatch(pattern, value.upper()):
        return gettext(
            "Enter the custody record number as it is written, for example %(example)s."
        ) % {"example": example}
    return None


def normalise_custody_number(raw: str) -> str:
    return raw.strip().upper()


def _prefixes_from_name(name: str) -> list[str]:
    """Letters a suite's custody numbers may start with, most likely first: the initials of a
    name of several words (GY, KL, BSE), or of one word its first two or three letters (AY,
    WY) or its first letter and a later one (MH for Martlesham)."""
    words = re.findall(r"[A-Za-z]+(?:'[A-Za-z]+)?", name)
    if not words:
        return []
    candidates = []
    if len(words) > 1:
        candidates.append("".join(w[0] for w in words))
    first = words[0].replace("'", "")
    candidates += [first[:2], first[:3], *(first[0] + letter for letter in first[2:])]
    return list(dict.fromkeys(c.upper() for c in candidates))


def custody_number_example(
    pattern: str, scheme_example: str, suite_name: str = "", suite_prefix: str = ""
) -> str:
    """The scheme's example custody number with the suite's own prefix, so that the hint at
    Aylsham reads AY-01234-26 and not another suite's WY-01234-26. The suite's stated prefix
    if it has one, else one found from its name; only one the scheme's format accepts, else
    the scheme's example unchanged."""
    leading = re.match(r"[A-Za-z]+", scheme_example)
    if not leading:
        return scheme_example
    candidates = [suite_prefix.strip().upper()] if suite_prefix.strip() else []
    candidates += _prefixes_from_name(suite_name)
    for prefix in candidates:
        example = prefix + scheme_example[leading.end() :]
        try:
            if re.fullmatch(pattern, example):
                return example
        except re.error:
            break
    return scheme_example


def suite_custody_number_example(scheme, suite) -> str:
    """custody_number_example for a Scheme and one of its CustodySuites."""
    return custody_number_example(
        scheme.custody_number_pattern,
        scheme.custody_number_example,
        suite.name,
        suite.custody_number_prefix,
    )


# --- No names -------------------------------------------------------------------------------
#
# Text that reaches the force or the PCC's published report names no one: detainees are custody
# numbers, staff are ranks or roles. The check cannot be sure (a place or a role looks like a
# name), so it warns and the writer may say "I have checked: this names no one". Every door asks
# here, and the browser gets the same rule as data (name_check_for_browser) to warn offline.

# A rank or title followed by a word that could be a surname: "PC Jones", "Sgt. Patel", "dr khan".
# Abbreviations are caught in any case; a whole word that is also a role ("Inspector agreed")
# only when the next word is capitalised ("Inspector Wood").
NAME_TITLES = (
    "PC", "DC", "PS", "DS", "DI", "CI", "DCI", "DCS", "Supt", "Ch Supt", "Insp", "Sgt", "Det",
    "PCSO", "Mr", "Mrs", "Ms", "Mx", "Dr", "Prof",
)  # fmt: skip
ROLE_TITLES = (
    "Inspector", "Sergeant", "Serjeant", "Constable", "Officer", "Detective", "Superintendent",
    "Nurse", "Doctor", "Sister", "Miss", "Matron",
)  # fmt: skip
# Common first names, so that "john smith" typed in lower case is caught as well.
FIRST_NAMES = (
    "adam", "ahmed", "alan", "alex", "alice", "amy", "andrew", "ann", "anna", "anne", "ben",
    "beth", "bob", "callum", "carl", "charlie", "chloe", "chris", "claire", "colin", "connor",
    "craig", "dan", "daniel", "dave", "david", "dean", "ellie", "emily", "emma", "gary", "george",
    "grace", "graham", "harry", "helen", "ian", "jack", "jake", "james", "jane", "jason", "jay",
    "jenny", "jess", "jessica", "jim", "joe", "john", "jon", "jordan", "josh", "julie", "karen",
    "kate", "kevin", "kim", "laura", "lee", "leo", "lewis", "liam", "linda", "lisa", "lucy",
    "luke", "mark", "martin", "mary", "matt", "michael", "mike", "mohammed", "muhammad", "nathan",
    "neil", "nick", "oliver", "olivia", "paul", "pete", "peter", "rachel", "richard", "rob",
    "robert", "ryan", "sam", "sarah", "scott", "sean", "simon", "sophie", "steve", "steven",
    "stuart", "susan", "tom", "tony", "wayne",
)  # fmt: skip
# Phrases of a custody suite that look like names and are not: roles, places, rooms, documents.
# Compared in lower case; a capitalised pair inside one of these is not a name.
NOT_NAMES = (
    "appropriate adult", "custody sergeant", "custody officer", "custody inspector",
    "custody suite", "custody record", "detention officer", "detention officers",
    "health care professional", "healthcare professional", "mental health", "mental health nurse",
    "duty solicitor", "police station", "police investigation centre", "investigation centre",
    "notice of rights", "rights and entitlements", "codes of practice", "pace code",
    "home office", "border force", "immigration enforcement", "liaison and diversion",
    "great yarmouth", "king's lynn", "kings lynn", "bury st edmunds", "st edmunds",
    "police and crime commissioner", "chief constable", "chief inspector", "head of custody",
    "independent custody visitor", "independent custody visitors", "custody visitor",
    "duty inspector", "forensic medical examiner", "criminal justice", "local authority",
    "the sergeant", "the inspector", "the officer", "the doctor", "the nurse",
)  # fmt: skip

_LETTERS = r"[^\W\d_]"  # a letter of any alphabet (JavaScript: \p{L} with the u flag)


def _escape(phrase: str) -> str:
    # re.escape would escape spaces too, which JavaScript's u flag refuses.
    return re.sub(r"([.^$*+?()\[\]{}|\\])", r"\\\1", phrase).replace(" ", r"\s+")


def _alternation(words) -> str:
    return "|".join(_escape(w) for w in sorted(words, key=len, reverse=True))


def _any_case(words) -> list[str]:
    return sorted({form for w in words for form in (w, w.lower(), w.upper(), w.capitalize())})


_TITLED = re.compile(rf"\b(?:{_alternation(NAME_TITLES)})\.?\s+{_LETTERS}{{2,}}", re.IGNORECASE)
_ROLE_TITLED = re.compile(rf"\b(?:{_alternation(_any_case(ROLE_TITLES))})\s+[A-Z]{_LETTERS}+")
_TWO_CAPITALS = re.compile(r"\b[A-Z][a-z]+(?:-[A-Z][a-z]+)?\s+[A-Z][a-z]+(?:-[A-Z][a-z]+)?\b")
_FIRST_AND_SURNAME = re.compile(rf"\b(?:{'|'.join(FIRST_NAMES)})\s+[^\W\d_]{{2,}}", re.IGNORECASE)
_NOT_NAMES = re.compile(
    rf"\b(?:{_alternation(NOT_NAMES)})\b",
    re.IGNORECASE,
)
# Words that follow a title or start a sentence without naming anyone ("Custody Sergeant", "The
# Cell"): a capitalised pair made only of these is not a name.
_ROLE_WORDS = frozenset(
    """the a an this that custody sergeant sergeants officer officers inspector detention cell
    cells suite room desk block police station health care healthcare professional appropriate
    adult adults nurse doctor duty solicitor staff shower toilet kitchen medical exercise yard
    mental legal advice rights notice food drink blanket blankets mattress cctv call bell
    detainee detainees visitor visitors we they he she it there no not one two all some
    interview interpreter embassy consulate code codes pace tact under over after before on in
    at of for and or but with without when while during today yesterday monday tuesday
    wednesday thursday friday saturday sunday january february march april may june july
    august september october november december said says was were is are be been had has have
    did does do agreed told asked came come gave given saw seen spoke helped refused explained
    checked offered arrived left would could will should can may might must who which also
    then so very too again said later here now on duty busy""".split()  # noqa: SIM905
)


def _without_allowed_phrases(text: str) -> str:
    # Put a full stop in a phrase's place, so the words either side of it do not make a pair.
    return _NOT_NAMES.sub(" . ", text)


def _last_word(words: str) -> str:
    return re.split(r"[\s.-]+", words.strip())[-1].lower()


def name_in(text: str, suite_names=()) -> str | None:
    """The words of free text that look like a person's name, or None.

    A rank or title and a word ("PC Jones", "sgt. patel"), two capitalised words that are not a
    place or role of a custody suite ("John Smith", not "Great Yarmouth" or "Appropriate Adult"),
    or a common first name and another word ("john smith"). `suite_names` are allowed as well.
    A pair is a name only if its last word is not a word of the suite (`_ROLE_WORDS`)."""
    cleaned = _without_allowed_phrases(text)
    for name in suite_names:
        cleaned = re.sub(rf"\b{re.escape(name)}\b", " . ", cleaned, flags=re.IGNORECASE)
    for pattern in (_TITLED, _ROLE_TITLED, _FIRST_AND_SURNAME):
        for match in pattern.finditer(cleaned):
            if _last_word(match.group(0)) not in _ROLE_WORDS:
                return match.group(0)
    for match in _TWO_CAPITALS.finditer(cleaned):
        words = [w.lower() for w in re.split(r"[\s-]+", match.group(0))]
        if words[0] not in _ROLE_WORDS and words[-1] not in _ROLE_WORDS:
            return match.group(0)
    return None


def may_contain_a_name(text: str, suite_names=()) -> bool:
    """Whether free text looks as if it names someone, so the writer can check it does not."""
    return name_in(text, suite_names) is not None


def names_problem(text: str, *, names_checked: bool, suite_names=()) -> str | None:
    """What to tell the writer of text that may name someone and was not checked, or None."""
    if names_checked or not text:
        return None
    found = name_in(text, suite_names)
    if found is None:
        return None
    return gettext(
        "“%(words)s” may be a person's name. Detainees are custody numbers and staff are ranks "
        "or roles: take any name out, or tick “I have checked: this names no one” if there is "
        "none."
    ) % {"words": found.strip()}


def _for_javascript(pattern: re.Pattern) -> dict:
    source = pattern.pattern.replace(_LETTERS, r"\p{L}")
    return {"source": source, "flags": "giu" if pattern.flags & re.IGNORECASE else "gu"}


def name_check_for_browser() -> dict:
    """The no-names rule as data for a phone to warn offline, as `name_in` does here:

    replace every match of `allowed` (and the suite's name) by " . "; then the text may name
    someone if a match of any of `patterns` ends in a word (lower-cased) not in `role_words`,
    or a match of `two_capitals` neither starts nor ends with one. Patterns are JavaScript
    RegExp sources with their flags. The server checks again when the report arrives."""
    return {
        "allowed": _for_javascript(_NOT_NAMES),
        "patterns": [_for_javascript(p) for p in (_TITLED, _ROLE_TITLED, _FIRST_AND_SURNAME)],
        "two_capitals": _for_javascript(_TWO_CAPITALS),
        "role_words": sorted(_ROLE_WORDS),
        "message": gettext(
            "This may contain a person's name. Detainees are custody numbers and staff are "
            "ranks or roles: take any name out, or tick the box if there is none."
        ),
        "override_label": gettext("I have checked: this names no one"),
    }


def reason_given(text: str | None, *, limit: int, missing: str = "", field: str = "reason") -> str:
    """A reason a service records (a card revoked, a volunteer leaving), stripped. Raises
    DomainError `reason_required` with the words `missing` when those are given and the reason
    is blank, `reason_too_long` past `limit` characters."""
    reason = (text or "").strip()
    if missing and not reason:
        raise DomainError(missing, code="reason_required", field=field)
    if len(reason) > limit:
        raise DomainError(
            gettext("Keep the reason under %(n)s characters.") % {"n": limit},
            code="reason_too_long",
            field=field,
        )
    return reason
