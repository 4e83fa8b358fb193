"""The rules of a visit report, as plain functions: forms, the API and services all call these.

Each returns what is wrong in words a volunteer can act on; none touches the database.
"""

import datetime
import re
from collections.abc import Mapping

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
    return f"Give a date from {EARLIEST_DATE:%d %B %Y} to {LATEST_DATE:%d %B %Y}."


NOT_VISITED_LABELS = {
    "nv_asleep": "asleep",
    "nv_in_interview": "in interview",
    "nv_with_professional": "with a solicitor, appropriate adult or health professional",
    "nv_at_hospital": "at hospital",
    "nv_in_shower_or_medical": "in the shower or medical room",
    "nv_unsafe": "unsafe to visit",
    "nv_access_denied": "access denied by an Inspector",
    "nv_known_to_visitor": "known to a visitor",
    "nv_released": "released or transferred during the visit",
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
        problems["in_custody"] = (
            f"In custody ({in_custody}) must equal offered a visit ({offered}) plus not visited "
            f"({not_visited}), which is {offered + not_visited}."
        )
    if offered != seen:
        problems["offered"] = (
            f"Offered a visit ({offered}) must equal visited ({get('visited')}) plus observed "
            f"only ({get('observed_only')}) plus declined ({get('declined')}), which is {seen}."
        )
    ages = get("adults") + get("under_18")
    if ages and ages != in_custody:
        problems["adults"] = (
            f"Adults ({get('adults')}) plus under 18 ({get('under_18')}) is {ages}, "
            f"but {in_custody} are in custody."
        )
    held = get("held_pace") + get("held_immigration") + get("held_tact") + get("held_other")
    if held and held != in_custody:
        problems["held_pace"] = (
            f"PACE ({get('held_pace')}), immigration ({get('held_immigration')}), TACT "
            f"({get('held_tact')}) and other ({get('held_other')}) add up to {held}, "
            f"but {in_custody} are in custody."
        )
    if get("male") + get("female") > in_custody:
        problems["male"] = (
            f"Male ({get('male')}) plus female ({get('female')}) is more than the "
            f"{in_custody} in custody."
        )
    if get("nv_access_denied") and not (n.get("nv_access_denied_reason") or "").strip():
        problems["nv_access_denied_reason"] = (
            "Give the reason the Inspector gave for denying access."
        )
    return problems


# Words of letters only, two or more of them: "John Smith", "smith john". A custody number
# always carries digits; a name never needs them.
_NAME_LIKE = re.compile(r"^[^\W\d_]{2,}(?:[\s,.'-]+[^\W\d_]{2,})+$")


def custody_number_problem(raw: str, pattern: str, example: str) -> str | None:
    """What is wrong with a custody record number, or None. Names are refused outright."""
    value = raw.strip()
    if not value:
        return "Enter the custody record number."
    if _NAME_LIKE.match(value) or not any(ch.isdigit() for ch in value):
        return (
            "This looks like a name. Enter the custody record number only, for example "
            f"{example}. Never record a detainee's name."
        )
    if not re.fullmatch(pattern, value.upper()):
        return f"Enter the custody record number as it is written, for example {example}."
    return None


def normalise_custody_number(raw: str) -> str:
    return raw.strip().upper()


# "Mr Smith", "Mrs. Jones", or two capitalised words in a row ("John Smith"). A warning, not a
# refusal: "Great Yarmouth" is a place, and the writer can say so.
_TITLED = re.compile(r"\b(?:Mr|Mrs|Ms|Miss|Mx|Dr)\.?\s+[A-Z][a-z]+")
_TWO_CAPITALS = re.compile(r"\b[A-Z][a-z]+\s+[A-Z][a-z]+\b")


def may_contain_a_name(text: str) -> bool:
    """Whether free text looks as if it names someone, so the writer can check it does not."""
    return bool(_TITLED.search(text) or _TWO_CAPITALS.search(text.strip()))


def name_check_for_browser() -> dict:
    """The same check for the phone to run as the volunteer types: regular expression sources
    (case-sensitive, as here) and phrases that never count as a name."""
    return {"patterns": [_TITLED.pattern, _TWO_CAPITALS.pattern], "allowed": []}
