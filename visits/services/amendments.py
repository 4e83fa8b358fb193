"""Amending a submitted report: the only way it changes once submitted, with a reason, under
the rules of the steps that recorded it, keeping each change's before and after."""

import datetime
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext, gettext_noop

from visits import rules
from visits.errors import DomainError
from visits.models import (
    Amendment,
    Answer,
    DetaineeRecord,
    Question,
    Visit,
)
from visits.rules import (
    AMENDABLE,
    CHOICE,
    COUNT,
    MOMENT,
    NUMBER_FIELDS,
    TIME_FIELDS,
    Amendable,
)
from visits.services import audit, revisions
from visits.services.visits import (
    CLOCK_SLACK,
    CUSTODY_NUMBER_MAX,
    LONGEST_VISIT,
    MAX_ID,
    YES_NO_VALUES,
    questions_of,
    save_fields,
)

# An amendment corrects a submitted report under the rules of the steps that recorded it: each
# field typed and bounded as its step takes it, and the amended report checked as the steps and
# submission check it. The page's form and the API's serializer are built from AMENDABLE, so
# their bounds cannot drift from these; what they let through is checked again here.

REASON_MAX = 2000
ANSWER_VALUE_MAX = 200
ANSWER_NOTE_MAX = 2000

# (earlier, later, said of the later, said of the earlier)
_TIME_ORDER = (
    (
        "arrived_at",
        "admitted_at",
        gettext_noop("The time admitted cannot be before the time you arrived."),
        gettext_noop("The arrival time cannot be after the time you were let in."),
    ),
    (
        "arrived_at",
        "departed_at",
        gettext_noop("The departure time cannot be before the time you arrived."),
        gettext_noop("The arrival time cannot be after the time you left."),
    ),
    (
        "admitted_at",
        "departed_at",
        gettext_noop("The departure time cannot be before the time you were let in."),
        gettext_noop("The time admitted cannot be after the time you left."),
    ),
)


@dataclass
class AnswerAmendment:
    """A new answer to a question of the report's checklists: a detainee's (`detainee`, their
    id) or the suite's (`detainee` None). `value` or `note` left None keeps what is recorded;
    both blank takes the answer off the report."""

    question: int
    value: str | None = None
    note: str | None = None
    detainee: int | None = None


@dataclass
class CustodyNumberAmendment:
    """A corrected custody record number for a detainee on the report (by id)."""

    detainee: int
    custody_number: str


class _Problems:
    """What is wrong with an amendment, by its path in the request: `reason`,
    `changes.delay_minutes`, `answers.2.value`, `custody_numbers.0.custody_number`."""

    MESSAGES = {
        "amendment_reason_missing": gettext_noop("Give a reason for the amendment."),
        "field_not_amendable": gettext_noop("Some of these cannot be amended."),
        "numbers_disagree": gettext_noop("The amended numbers do not add up."),
        "amendment_invalid": gettext_noop("Check the amendment."),
        "may_name_someone": gettext_noop(
            "The amended text may name someone: take the name out, or say it names no one."
        ),
    }

    def __init__(self):
        self.fields: dict[str, str] = {}
        self.code: str | None = None

    def add(self, path: str, message: str, code: str = "amendment_invalid") -> None:
        self.fields.setdefault(path, message)
        self.code = self.code or code

    def refuse(self) -> None:
        if self.fields:
            raise DomainError(gettext(self.MESSAGES[self.code]), code=self.code, fields=self.fields)


def _is_id(value) -> bool:
    return type(value) is int and 0 < value <= MAX_ID


def _local_day(moment: datetime.datetime) -> datetime.date | None:
    try:
        return timezone.localdate(moment)
    except (OverflowError, ValueError):
        return None


def _typed(spec: Amendable, value):
    """(what is wrong or None, the value as stored) for a new value of an amendable field."""
    if value is None:
        return (None, None) if spec.nullable else (gettext("This cannot be left empty."), None)
    if spec.kind == MOMENT:
        if not isinstance(value, datetime.datetime) or timezone.is_naive(value):
            return gettext("Give a date and a time."), None
        if _local_day(value) is None:
            return gettext("Give a real date and time."), None
        return None, value
    if spec.kind == COUNT:
        if type(value) is not int:
            return gettext("Give a whole number."), None
        if not 0 <= value <= spec.maximum:
            return gettext("Give a number from 0 to %(maximum)s.") % {"maximum": spec.maximum}, None
        return None, value
    if not isinstance(value, str):
        return gettext("Give text."), None
    value = value.strip()
    if spec.kind == CHOICE:
        if value not in spec.choices:
            return gettext("Choose one of: %(choices)s.") % {
                "choices": ", ".join(spec.choices)
            }, None
        return None, value
    if len(value) > spec.maximum:
        return gettext("Keep this to %(maximum)s characters or fewer.") % {
            "maximum": spec.maximum
        }, None
    return None, value


def _typed_changes(changes: dict, problems: _Problems) -> dict:
    typed = {}
    for name, value in changes.items():
        spec = AMENDABLE.get(name)
        if spec is None:
            problems.add(
                f"changes.{name}", gettext("This cannot be amended."), "field_not_amendable"
            )
            continue
        problem, value = _typed(spec, value)
        if problem:
            problems.add(f"changes.{name}", problem)
        else:
            typed[name] = value
    return typed


def _amended_fields(visit: Visit, typed: dict, problems: _Problems) -> dict:
    """{field: (before, after)} of the report's own fields, the amended report checked by the
    rules of the steps (and of submission) that the changed fields take part in."""

    def add(name, message, code="amendment_invalid"):
        problems.add(f"changes.{name}", message, code)

    before = {name: getattr(visit, name) for name in AMENDABLE}
    after = before | typed
    # As the steps store them: no delay, no reason for one; not abandoned, no reason for that.
    if not after["delay_minutes"]:
        for name in ("delay_reason", "delay_authorised_by"):
            if typed.get(name):
                add(name, gettext("There was no delay: give the minutes, or leave this blank."))
            after[name] = ""
    abandoned = after["outcome"] == Visit.Outcome.ABANDONED
    if not abandoned:
        if typed.get("abandoned_reason"):
            add(
                "abandoned_reason",
                gettext("Only an abandoned visit has this reason: leave it blank."),
            )
        after["abandoned_reason"] = ""
    changed = {name for name in AMENDABLE if after[name] != before[name]}

    now = timezone.now()
    for name in changed & set(TIME_FIELDS):
        if after[name] is not None and after[name] > now + CLOCK_SLACK:
            add(name, gettext("The time cannot be in the future."))
    arrived = after["arrived_at"]
    if "arrived_at" in changed and _local_day(arrived) != visit.visit_date:
        add(
            "arrived_at",
            gettext("The arrival time must be on the day of the visit, %(day)s.")
            % {"day": date_format(visit.visit_date, "j F Y")},
        )
    for earlier, later, of_later, of_earlier in _TIME_ORDER:
        first, then = after[earlier], after[later]
        if {earlier, later} & changed and first and then and then < first:
            if later in changed:
                add(later, gettext(of_later))
            else:
                add(earlier, gettext(of_earlier))
    for name in ("admitted_at", "departed_at"):
        if changed & {"arrived_at", name} and after[name] and after[name] - arrived > LONGEST_VISIT:
            add(name, gettext("A visit lasts less than a day: check the date of this time."))
    if changed & {"admitted_at", "outcome"} and after["admitted_at"] is None and not abandoned:
        add(
            "admitted_at",
            gettext("Give the time you were let in: only an abandoned visit has none."),
        )

    if after["delay_minutes"] and changed & {
        "delay_minutes",
        "delay_reason",
        "delay_authorised_by",
    }:
        if not after["delay_reason"]:
            add("delay_reason", gettext("Give the reason you were told for the delay."))
        if not after["delay_authorised_by"]:
            add(
                "delay_authorised_by",
                gettext("Give the rank and name of the Inspector who authorised the delay."),
            )
    if abandoned and changed & {"outcome", "abandoned_reason"} and not after["abandoned_reason"]:
        add("abandoned_reason", gettext("Say why the visit was abandoned."))
    if not abandoned and changed & {"outcome", "sergeant_name"}:
        if not after["sergeant_name"]:
            add("sergeant_name", gettext("Give the custody sergeant's rank and name."))
        if "outcome" in changed and not visit.sergeant_signed_at:
            add(
                "outcome",
                gettext("The custody sergeant did not sign this report: it can only be abandoned."),
            )
    if not abandoned and changed & {*NUMBER_FIELDS, "nv_access_denied_reason", "outcome"}:
        for name, message in rules.number_disagreements(after).items():
            add(name, message, "numbers_disagree")
    return {name: (before[name], after[name]) for name in AMENDABLE if name in changed}


def _answer_problem(question: Question, value: str) -> str | None:
    """What is wrong with `value` as an answer to `question` (blank is "not answered")."""
    if not value:
        return None
    kinds = Question.AnswerType
    if question.answer_type == kinds.YES_NO and value not in YES_NO_VALUES:
        return gettext(
            "“%(value)s” is not an answer to “%(question)s”: give one of %(choices)s."
        ) % {
            "value": value,
            "question": question.shown_text,
            "choices": ", ".join(Answer.YesNo.values),
        }
    if question.answer_type == kinds.NUMBER and not (
        value.isascii() and value.isdigit() and len(value) <= 9
    ):
        return gettext("“%(question)s” needs a whole number, 0 or more.") % {
            "question": question.shown_text
        }
    if question.answer_type == kinds.CHOICE and value not in question.choices:
        return gettext("“%(value)s” is not one of the answers to “%(question)s”.") % {
            "value": value,
            "question": question.shown_text,
        }
    return None


def _check_answer_shapes(answers: list, problems: _Problems) -> set[int]:
    """The indexes of answers whose shape is wrong (types, lengths, ids)."""
    bad = set()
    for index, change in enumerate(answers):
        path = f"answers.{index}"
        found = []
        if not _is_id(change.question):
            found.append((f"{path}.question", gettext("Give the id of a question.")))
        if change.detainee is not None and not _is_id(change.detainee):
            found.append(
                (
                    f"{path}.detainee",
                    gettext("Give the id of a detainee on this report, or none for the suite."),
                )
            )
        if change.value is None and change.note is None:
            found.append((path, gettext("Give the new answer, its note or both.")))
        for name, longest in (("value", ANSWER_VALUE_MAX), ("note", ANSWER_NOTE_MAX)):
            text = getattr(change, name)
            if text is not None and not (isinstance(text, str) and len(text.strip()) <= longest):
                found.append(
                    (
                        f"{path}.{name}",
                        gettext("Give text of %(maximum)s characters or fewer.")
                        % {"maximum": longest},
                    )
                )
        for where, message in found:
            problems.add(where, message)
        if found:
            bad.add(index)
    return bad


def _amended_answers(visit: Visit, answers: list, problems: _Problems) -> tuple[dict, list]:
    """({path: [before, after]}, [(detainee id, question id, value, note) to store])."""
    bad = _check_answer_shapes(answers, problems)
    if not answers:
        return {}, []
    detainees = dict(visit.detainees.values_list("pk", "anonymised_at"))
    checklists = {
        False: questions_of(visit.suite_checklist_id),
        True: questions_of(visit.detainee_checklist_id),
    }
    current = {
        (a.detainee_id, a.question_id): (a.value, a.note)
        for a in Answer.objects.filter(visit=visit)
    }
    diff, rows, seen = {}, [], set()
    for index, change in enumerate(answers):
        if index in bad:
            continue
        path = f"answers.{index}"
        if change.detainee is not None:
            if change.detainee not in detainees:
                problems.add(
                    f"{path}.detainee",
                    gettext("No detainee with id %(id)s is on this report.")
                    % {"id": change.detainee},
                )
                continue
            if detainees[change.detainee]:
                problems.add(
                    f"{path}.detainee",
                    gettext("This detainee's record has been anonymised and cannot be amended."),
                )
                continue
        question = checklists[change.detainee is not None].get(change.question)
        if question is None:
            problems.add(
                f"{path}.question",
                gettext("This question is not on the checklist this report was filled against."),
            )
            continue
        key = (change.detainee, question.pk)
        if key in seen:
            problems.add(f"{path}.question", gettext("This answer is given twice."))
            continue
        seen.add(key)
        old_value, old_note = current.get(key, ("", ""))
        value = old_value if change.value is None else change.value.strip()
        note = old_note if change.note is None else change.note.strip()
        if change.value is not None:
            problem = _answer_problem(question, value)
            if problem:
                problems.add(f"{path}.value", problem)
                continue
            if value and question.answer_type == Question.AnswerType.NUMBER:
                value = str(int(value))
        where = (
            f"suite_answers.{question.pk}"
            if change.detainee is None
            else f"detainees.{change.detainee}.answers.{question.pk}"
        )
        if value != old_value:
            diff[f"{where}.value"] = [old_value, value]
        if note != old_note:
            diff[f"{where}.note"] = [old_note, note]
        if (value, note) != (old_value, old_note):
            rows.append((change.detainee, question.pk, value, note))
    return diff, rows


def _amended_custody_numbers(
    visit: Visit, numbers: list, problems: _Problems
) -> tuple[dict, dict[int, str]]:
    """({path: [before, after]}, {detainee id: new number}); the scheme's format, once each."""
    if not numbers:
        return {}, {}
    rows = {
        pk: (number, anonymised)
        for pk, number, anonymised in visit.detainees.values_list(
            "pk", "custody_number", "anonymised_at"
        )
    }
    current = {pk: number for pk, (number, _anonymised) in rows.items()}
    after, where = dict(current), {}
    scheme = visit.scheme
    for index, change in enumerate(numbers):
        path = f"custody_numbers.{index}"
        if not _is_id(change.detainee) or change.detainee not in rows:
            problems.add(
                f"{path}.detainee",
                gettext("No detainee with id %(id)s is on this report.") % {"id": change.detainee},
            )
            continue
        if rows[change.detainee][1]:
            problems.add(
                f"{path}.detainee",
                gettext("This detainee's record has been anonymised and cannot be amended."),
            )
            continue
        if change.detainee in where:
            problems.add(f"{path}.detainee", gettext("This detainee's number is given twice."))
            continue
        raw = change.custody_number
        if not isinstance(raw, str) or len(raw.strip()) > CUSTODY_NUMBER_MAX:
            problems.add(
                f"{path}.custody_number",
                gettext("Give the custody record number, %(maximum)s characters or fewer.")
                % {"maximum": CUSTODY_NUMBER_MAX},
            )
            continue
        problem = rules.custody_number_problem(
            raw, scheme.custody_number_pattern, scheme.custody_number_example
        )
        if problem:
            problems.add(f"{path}.custody_number", problem)
            continue
        after[change.detainee] = rules.normalise_custody_number(raw)
        where[change.detainee] = f"{path}.custody_number"
    holders: dict[str, list[int]] = {}
    for pk, number in after.items():
        holders.setdefault(number, []).append(pk)
    for number, pks in holders.items():
        for pk in pks if len(pks) > 1 else ():
            if pk in where:
                problems.add(
                    where[pk], gettext("%(number)s is already on this report.") % {"number": number}
                )
    moved = {pk: number for pk, number in after.items() if number != current[pk]}
    diff = {f"detainees.{pk}.custody_number": [current[pk], new] for pk, new in moved.items()}
    return diff, moved


def _stored(value):
    """A value as Amendment.changes keeps it (JSON): times in ISO 8601, UTC."""
    if isinstance(value, datetime.datetime):
        return value.astimezone(datetime.UTC).isoformat()
    return value


def amend_visit(
    *,
    actor,
    visit: Visit,
    reason: str,
    changes: dict | None = None,
    answers=(),
    custody_numbers=(),
    expected_revision: int | None = None,
    names_checked: bool = False,
) -> Amendment | None:
    """Correct a submitted report, keeping who changed what from what to what, when and why.

    `changes` maps fields of AMENDABLE to their new values (typed: datetimes, ints, text);
    `answers` are AnswerAmendments, `custody_numbers` CustodyNumberAmendments. Every change is
    checked by the rules of the step that records it, and the amended report by those of
    submission (good practice, published to the PCC, may not name anyone unless
    `names_checked`, as when it is first written). Returns None if nothing changed. Raises
    DomainError naming every problem by its path (`changes.delay_minutes`, `answers.0.value`),
    nothing changed; ConflictError (`stale_revision`) if the report changed since
    `expected_revision`."""
    problems = _Problems()
    if not isinstance(reason, str) or not reason.strip():
        problems.add(
            "reason", gettext("Give a reason for the amendment."), "amendment_reason_missing"
        )
    elif len(reason.strip()) > REASON_MAX:
        problems.add(
            "reason",
            gettext("Keep the reason to %(maximum)s characters or fewer.")
            % {"maximum": REASON_MAX},
        )
    typed = _typed_changes(changes or {}, problems)
    answers, custody_numbers = list(answers), list(custody_numbers)
    with transaction.atomic():
        locked = Visit.objects.select_for_update().get(pk=visit.pk)
        if locked.is_draft:
            raise DomainError(gettext("A draft is edited, not amended."), code="visit_is_draft")
        revisions.check(
            locked,
            expected_revision,
            gettext(
                "Someone else amended this report since you opened it. Reload it to see their "
                "change, then make yours again if it is still needed."
            ),
        )
        fields = _amended_fields(locked, typed, problems)
        if "good_practice" in fields:
            named = rules.names_problem(
                fields["good_practice"][1],
                names_checked=names_checked,
                suite_names=[locked.suite.name],
            )
            if named:
                problems.add("changes.good_practice", named, "may_name_someone")
        answer_diff, answer_rows = _amended_answers(locked, answers, problems)
        number_diff, new_numbers = _amended_custody_numbers(locked, custody_numbers, problems)
        problems.refuse()
        diff = {name: [_stored(old), _stored(new)] for name, (old, new) in fields.items()}
        diff |= answer_diff | number_diff
        if not diff:
            return None
        save_fields(locked, {name: new for name, (_old, new) in fields.items()})
        for detainee_id, question_id, value, note in answer_rows:
            if value or note:
                Answer.objects.update_or_create(
                    visit=locked,
                    detainee_id=detainee_id,
                    question_id=question_id,
                    defaults={"value": value, "note": note},
                )
            else:
                Answer.objects.filter(
                    visit=locked, detainee_id=detainee_id, question_id=question_id
                ).delete()
        if len(new_numbers) > 1:  # numbers may swap between detainees: free them first
            for pk in new_numbers:
                DetaineeRecord.objects.filter(pk=pk).update(custody_number=f"amending-{pk}")
        for pk, number in new_numbers.items():
            DetaineeRecord.objects.filter(pk=pk).update(custody_number=number)
        amendment = Amendment.objects.create(
            visit=locked,
            actor=actor,
            reason=reason.strip(),
            changes=diff,
            revision=locked.revision,
        )
        audit.record(
            actor=actor,
            action="visit.amended",
            obj=locked,
            scheme=locked.scheme,
            detail={"fields": sorted(diff)},
        )
    return amendment
