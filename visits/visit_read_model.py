"""A visit report as a reader may see it: the one read model that the check-your-answers page,
the report page, the PDF (page, API and e-mail) and the API's visit detail render, so they
cannot drift and none of them redacts by itself. Rendered against the checklist version the
visit was filled against, so an old report reads the same after the checklist changes.

`visible_report(viewer, visit)` decides, through visits/permissions.py, what the viewer is
given: the PCC reader gets no custody number and no detainee's answers; the force gets only
the issues referred to it; the report never hands out the Visit row itself (`VisitFacts`).
"""

import datetime
import re
from collections import defaultdict
from dataclasses import dataclass, field

from django.core.exceptions import FieldDoesNotExist
from django.db.models import F, FilteredRelation, Q
from django.db.models.fields.files import FieldFile
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext

from visits import permissions
from visits.models import (
    DETAINEE_FLAG_NAMES,
    DETAINEE_FLAGS,
    NOT_VISITED_TITLES,
    NUMBER_LABELS,
    REPORT_FIELD_LABELS,
    Answer,
    Attachment,
    Issue,
    Question,
    Visit,
)
from visits.rules import AMENDABLE_FIELDS, TIME_FIELDS
from visits.services import audit
from visits.visible_issues import HIDDEN_NUMBER, VisibleIssue, visible_issues_in_one_query

ANSWER_LABELS = dict(Answer.YesNo.choices)


@dataclass
class AnsweredQuestion:
    text: str
    answer: str
    note: str
    concern: bool  # a "no" to a question where "no" suggests an issue


@dataclass
class AnsweredSection:
    title: str
    questions: list[AnsweredQuestion]


# A detainee's recorded facts besides their custody number, as the API gives them.
DETAINEE_DETAILS = [*DETAINEE_FLAG_NAMES, "gender", "consent"]


@dataclass
class GivenAnswer:
    question: int
    value: str
    note: str


@dataclass
class DetaineeEntry:
    pk: int
    custody_number: str
    flags: list[str]
    sections: list[AnsweredSection]
    details: dict[str, object]  # DETAINEE_DETAILS by name
    answers: list[GivenAnswer]


class VisitFacts:
    """The facts of a visit that every reader of its report may see, read from the row. It
    hands out nothing else: not the detainees, answers or issues, which come redacted in the
    report, so a template or serializer cannot reach past the read model."""

    FIELDS = frozenset(
        {
            "uuid",
            "pk",
            "scheme_id",
            "suite_id",
            "suite",
            "scheme",
            "status",
            "revision",
            *Visit.RECORDED_FIELDS,
            "sergeant_signature",
            "sergeant_signed_at",
            "submitted_at",
            "detainee_checklist_id",
            "suite_checklist_id",
            "is_draft",
            "get_outcome_display",
            "get_status_display",
        }
    )

    def __init__(self, visit: Visit):
        self._visit = visit

    @property
    def visitors(self) -> list[tuple[int, str, object]]:
        """(user id, name, confirmed at or None) of each visitor on the visit."""
        return [
            (vv.user_id, vv.user.get_full_name() or vv.user.username, vv.confirmed_at)
            for vv in self._visit.visit_visitors.all()
        ]

    def __getattr__(self, name):
        if name not in VisitFacts.FIELDS:
            raise AttributeError(f"A report's reader is not given the visit's {name!r}")
        return getattr(self._visit, name)


@dataclass
class AmendedValue:
    """One value an amendment changed, as the reader may see it."""

    label: str
    before: str
    after: str


@dataclass
class VisibleAmendment:
    """An amendment as the reader may see it: a detainee's custody number and answers hidden
    from a reader who may not see them (their before and after alike)."""

    at: datetime.datetime
    by: str
    reason: str
    changes: list[AmendedValue]


@dataclass
class VisiblePhoto:
    """A photo of the suite's conditions (never of people) as every reader of the report sees
    it: the force and the PCC too, since it is part of the report they receive. A caption
    quoting a custody number has it hidden from a reader who may not see custody numbers."""

    pk: int
    number: int  # 1, 2, ... in the order taken
    caption: str
    alt: str  # the caption, or "Photo 2 of the suite" when there is none
    url: str
    thumbnail_url: str
    width: int
    height: int
    taken_at: datetime.datetime
    taken_by: str
    client_uuid: str | None
    image: FieldFile = field(repr=False)  # for the PDF, which embeds the picture itself


@dataclass
class VisitReport:
    visit: VisitFacts
    visitors: list[tuple[int, str, object]]  # (user id, name, confirmed at or None)
    numbers: list[tuple[str, int]]
    not_visited: list[tuple[str, int]]
    detainees_seen: int
    detainees: list[DetaineeEntry]  # empty when the reader may not see detainees' answers
    suite_sections: list[AnsweredSection]
    suite_answers: list[GivenAnswer]
    issues: list[VisibleIssue]
    amendments: list[VisibleAmendment] = field(default_factory=list)
    photos: list[VisiblePhoto] = field(default_factory=list)
    custody_numbers_shown: bool = True
    detainee_answers_shown: bool = True


@dataclass
class _Section:
    title: str
    questions: list[Question]


def _sections_and_answers(
    visit: Visit, *, with_detainees: bool
) -> tuple[dict[int, list[_Section]], list[Answer]]:
    """The sections and questions of the visit's two checklist versions, and the answers given
    to them on this visit (the detainees' too if `with_detainees`), in one query: each question
    LEFT JOINed to its answers, so a question nobody answered still comes, once."""
    given = Q(answers__visit=visit)
    if not with_detainees:
        given &= Q(answers__detainee__isnull=True)
    rows = (
        Question.objects.filter(
            section__version_id__in=[visit.detainee_checklist_id, visit.suite_checklist_id]
        )
        .select_related("section")
        .annotate(given=FilteredRelation("answers", condition=given))
        .annotate(
            answer_pk=F("given__id"),
            answer_detainee=F("given__detainee_id"),
            answer_value=F("given__value"),
            answer_note=F("given__note"),
        )
        .order_by("section__order", "section_id", "order", "pk")
    )
    by_version: dict[int, dict[int, _Section]] = defaultdict(dict)
    seen: set[int] = set()
    answers = []
    for row in rows:
        if row.answer_pk is not None:
            answers.append(
                Answer(
                    pk=row.answer_pk,
                    visit_id=visit.pk,
                    detainee_id=row.answer_detainee,
                    question_id=row.pk,
                    value=row.answer_value,
                    note=row.answer_note,
                )
            )
        if row.pk in seen:
            continue  # the same question again, with another detainee's answer
        seen.add(row.pk)
        section = row.section
        entry = by_version[section.version_id].setdefault(
            section.pk, _Section(section.shown_title, [])
        )
        entry.questions.append(row)
    sections = {version: list(found.values()) for version, found in by_version.items()}
    return sections, sorted(answers, key=lambda answer: answer.pk)  # in the order given


def _answer_label(question: Question, value: str) -> str:
    """An answer as the reader reads it: a yes/no in their language, a choice's option in the
    scheme's text of their language (Question.choice_label), anything else as given."""
    if question.answer_type == Question.AnswerType.CHOICE:
        return question.choice_label(value)
    return ANSWER_LABELS.get(value, value)


def _answered(sections, answers: dict[int, Answer]) -> list[AnsweredSection]:
    not_answered = gettext("Not answered")
    result = []
    for section in sections:
        rows = []
        for question in section.questions:
            answer = answers.get(question.pk)
            value = answer.value if answer else ""
            rows.append(
                AnsweredQuestion(
                    text=question.shown_text,
                    answer=str(_answer_label(question, value) or not_answered),
                    note=answer.note if answer else "",
                    concern=value == Answer.YesNo.NO and question.no_suggests_issue,
                )
            )
        result.append(AnsweredSection(section.title, rows))
    return result


def read_report(viewer, visit: Visit, *, as_pdf: bool = False, via: str = "page") -> VisitReport:
    """`visible_report`, recorded in the audit trail as read by `viewer`: every door that shows
    a report to a person (the page, the API, either PDF) reads it through here."""
    audit.record(
        actor=viewer,
        action="visit.pdf_downloaded" if as_pdf else "visit.viewed",
        obj=visit,
        scheme=visit.scheme,
        detail={"via": via},
    )
    return visible_report(viewer, visit)


def visible_report(viewer, visit: Visit) -> VisitReport:
    """What `viewer` may read of `visit`'s report, which must be within
    `permissions.scope_visits(Visit.objects.all(), viewer)`. A fixed number of queries whatever
    its size (load the visit with `Visit.objects.for_report()` to save one)."""
    show_numbers = permissions.can_see_custody_numbers(viewer, visit)
    show_answers = permissions.can_see_detainee_answers(viewer, visit)
    facts = VisitFacts(visit)
    sections, answers = _sections_and_answers(visit, with_detainees=show_answers)
    by_detainee: dict[int | None, dict[int, Answer]] = defaultdict(dict)
    for answer in answers:
        by_detainee[answer.detainee_id][answer.question_id] = answer
    detainee_sections = sections.get(visit.detainee_checklist_id, [])
    detainee_rows = list(visit.detainees.order_by("-under_18", "-vulnerable", "order", "pk"))
    detainees = [
        DetaineeEntry(
            pk=d.pk,
            custody_number=d.custody_number if show_numbers else HIDDEN_NUMBER,
            # Agreeing to speak is the usual case; declining or only being observed is said
            # first, on the page and the PDF alike.
            flags=[
                *([d.get_consent_display()] if d.consent != d.Consent.AGREED else []),
                *(str(flag.reported) for flag in DETAINEE_FLAGS if getattr(d, flag.name)),
            ],
            sections=_answered(detainee_sections, by_detainee[d.pk]),
            details={name: getattr(d, name) for name in DETAINEE_DETAILS},
            answers=_given(by_detainee[d.pk]),
        )
        for d in (detainee_rows if show_answers else [])
    ]
    issues = visible_issues_in_one_query(
        viewer, permissions.scope_issues(Issue.objects.all(), viewer).filter(visit=visit)
    )
    amendments = _visible_amendments(
        []
        if visit.is_draft or not getattr(visit, "has_amendments", True)
        else visit.amendments.select_related("actor").order_by("created_at", "pk"),
        questions=[q for found in sections.values() for s in found for q in s.questions],
        detainees=detainee_rows,
        show_numbers=show_numbers,
        show_answers=show_answers,
    )
    return VisitReport(
        visit=facts,
        visitors=facts.visitors,
        numbers=[(str(label), getattr(visit, name)) for name, label in NUMBER_LABELS.items()],
        not_visited=[
            (str(title), getattr(visit, name))
            for name, title in NOT_VISITED_TITLES.items()
            if getattr(visit, name)
        ],
        detainees_seen=len(detainee_rows),
        detainees=detainees,
        suite_sections=_answered(sections.get(visit.suite_checklist_id, []), by_detainee[None]),
        suite_answers=_given(by_detainee[None]),
        issues=issues,
        amendments=amendments,
        photos=_visible_photos(
            visit, None if show_numbers else {d.custody_number for d in detainee_rows}
        ),
        custody_numbers_shown=show_numbers,
        detainee_answers_shown=show_answers,
    )


def visible_photos(viewer, visit: Visit) -> list[VisiblePhoto]:
    """The photos of `visit`'s report as `viewer` may see them (as in `visible_report`), for a
    page that shows only them (the suite step): one query, two for a PCC reader."""
    hidden_numbers = None
    if not permissions.can_see_custody_numbers(viewer, visit):
        hidden_numbers = set(visit.detainees.values_list("custody_number", flat=True))
    # Read afresh: a photo may have been added since the visit was loaded.
    return _visible_photos(visit, hidden_numbers, fresh=True)


def _visible_photos(
    visit: Visit, hidden_numbers: set[str] | None, *, fresh: bool = False
) -> list[VisiblePhoto]:
    """The visit's photos, in the order added, in one query; these custody numbers (if any)
    hidden from their captions. None without a query for a visit loaded by
    `Visit.objects.for_report()` that has none."""
    if not fresh and not getattr(visit, "has_photos", True):
        return []
    rows = Attachment.objects.filter(visit=visit).select_related("uploaded_by")
    hidden = gettext("(hidden)")
    photos = []
    for number, row in enumerate(rows.order_by("created_at", "pk"), start=1):
        caption = row.caption
        if hidden_numbers is not None:
            caption = _without(caption, hidden_numbers, hidden)
        photos.append(
            VisiblePhoto(
                pk=row.pk,
                number=number,
                caption=caption,
                alt=caption or gettext("Photo %(number)d of the suite") % {"number": number},
                url=reverse("visit-photo", args=[visit.uuid, row.pk]),
                thumbnail_url=reverse("visit-photo-thumb", args=[visit.uuid, row.pk]),
                width=row.width,
                height=row.height,
                taken_at=row.created_at,
                taken_by=row.uploaded_by.get_full_name() or row.uploaded_by.username,
                client_uuid=str(row.client_uuid) if row.client_uuid else None,
                image=row.image,
            )
        )
    return photos


def _given(answers: dict[int, Answer]) -> list[GivenAnswer]:
    return [GivenAnswer(a.question_id, a.value, a.note) for a in answers.values()]


def _field_label(name: str) -> str:
    label = REPORT_FIELD_LABELS.get(name)
    if label:
        return str(label)
    try:
        return Visit._meta.get_field(name).verbose_name.capitalize()
    except FieldDoesNotExist:
        return name


# --- Amendments -----------------------------------------------------------------------------

OUTCOME_LABELS = dict(Visit.Outcome.choices)


def _blank_or(text) -> str:
    return gettext("(blank)") if text in ("", None) else str(text)


def _shown_field(name: str, value) -> str:
    """A report field's value as an amendment kept it (times in ISO 8601), for reading."""
    if name in TIME_FIELDS:
        if not value:
            return gettext("Not recorded")
        try:
            moment = datetime.datetime.fromisoformat(value)
            return date_format(timezone.localtime(moment), "d M Y, H:i")
        except (TypeError, ValueError, OverflowError):
            return str(value)
    if name == "outcome":
        return str(OUTCOME_LABELS.get(value, _blank_or(value)))
    return _blank_or(value)


def _shown_answer(part: str, value) -> str:
    if part == "value":
        return str(ANSWER_LABELS.get(value, value) or gettext("Not answered"))
    return _blank_or(value)


def _visible_amendments(
    amendments, *, questions, detainees, show_numbers: bool, show_answers: bool
) -> list[VisibleAmendment]:
    """Each amendment's changes, labelled and in the report's order. A reader who may not see
    detainees' answers is told only that a detainee's record changed; one who may not see
    custody numbers gets none, in a change's label, before, after or reason. Once retention has
    anonymised a detainee (visits.services.retention), no reader is shown the custody numbers or
    notes an amendment kept of them."""
    question_text = {q.pk: q.shown_text for q in questions}
    question_order = {q.pk: index for index, q in enumerate(questions)}
    number_of = {d.pk: d.custody_number for d in detainees}
    detainee_order = {d.pk: index for index, d in enumerate(detainees)}
    anonymised = {d.pk for d in detainees if d.anonymised_at}
    hidden, gone = gettext("(hidden)"), gettext("(anonymised)")
    result = []
    for amendment in amendments:
        rows: list[tuple[tuple, AmendedValue]] = []
        numbers, forgotten = set(number_of.values()), set()
        detainee_changed = False
        for path, (before, after) in amendment.changes.items():
            parts = path.split(".")
            if parts[0] == "detainees" and len(parts) >= 3:
                detainee = int(parts[1]) if parts[1].isdigit() else None
                erased = detainee in anonymised
                if parts[2] == "custody_number":
                    (forgotten if erased else numbers).update({str(before), str(after)})
                if not show_answers:
                    detainee_changed = True
                    continue
                who = number_of.get(detainee, "") if show_numbers else hidden
                order = (2, detainee_order.get(detainee, 0))
                if parts[2] == "custody_number":
                    label = gettext("Detainee %(number)s: custody record number") % {"number": who}
                    if not show_numbers:
                        before, after = hidden, hidden
                    elif erased:
                        before, after = gone, gone
                    rows.append((order + (-1, path), AmendedValue(label, before, after)))
                    continue
                question, part = _answer_path(parts[3:])
                label = gettext("Detainee %(number)s: %(question)s") % {
                    "number": who,
                    "question": question_text.get(question, path),
                }
                if part == "note":
                    label += " " + gettext("(note)")
                row = AmendedValue(label, _shown_answer(part, before), _shown_answer(part, after))
                if erased and part == "note":
                    row.before, row.after = gone, gone
                rows.append((order + (question_order.get(question, 0), path), row))
            elif parts[0] == "suite_answers" and len(parts) == 3:
                question, part = _answer_path(parts[1:])
                label = gettext("Suite checks: %(question)s") % {
                    "question": question_text.get(question, path)
                }
                if part == "note":
                    label += " " + gettext("(note)")
                row = AmendedValue(label, _shown_answer(part, before), _shown_answer(part, after))
                rows.append(((1, question_order.get(question, 0), path), row))
            else:
                order = AMENDABLE_FIELDS.index(path) if path in AMENDABLE_FIELDS else 999
                row = AmendedValue(
                    _field_label(path), _shown_field(path, before), _shown_field(path, after)
                )
                rows.append(((0, order, path), row))
        changes = [row for _order, row in sorted(rows, key=lambda r: r[0])]
        if detainee_changed:
            changes.append(AmendedValue(gettext("A detainee's record"), hidden, hidden))
        reason = _without(amendment.reason, forgotten, gone)
        if not show_numbers:
            reason = _without(reason, numbers, hidden)
        result.append(
            VisibleAmendment(
                at=amendment.created_at,
                by=amendment.actor.get_full_name() or amendment.actor.username,
                reason=reason,
                changes=changes,
            )
        )
    return result


def _answer_path(parts: list[str]) -> tuple[int | None, str]:
    """(question id, "value" or "note") from the end of an answer's path."""
    question = int(parts[0]) if parts and parts[0].isdigit() else None
    return question, parts[1] if len(parts) > 1 else "value"


def _without(text: str, numbers, hidden: str) -> str:
    """`text` with each of these custody numbers (as written, in any case) hidden."""
    for number in sorted((n for n in numbers if n and n != "None"), key=len, reverse=True):
        text = re.sub(re.escape(number), hidden, text, flags=re.IGNORECASE)
    return text
