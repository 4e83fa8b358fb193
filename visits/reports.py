"""A visit report as it is read: one structure for the check-your-answers page, the report page
and the PDF, so the three cannot drift. Rendered against the checklist version the visit was
filled against, so an old report reads the same after the checklist changes.
"""

from collections import defaultdict
from dataclasses import dataclass, field

from visits.models import Answer, Question, Visit
from visits.rules import NOT_VISITED_LABELS

HIDDEN_NUMBER = "(hidden)"

NUMBER_LABELS = [
    ("in_custody", "In custody at the time of the visit"),
    ("adults", "Adults"),
    ("under_18", "Under 18"),
    ("male", "Male"),
    ("female", "Female"),
    ("held_pace", "Held under PACE"),
    ("held_immigration", "Held under immigration powers"),
    ("held_tact", "Held under the Terrorism Act"),
    ("held_other", "Held for another reason"),
    ("offered", "Offered a visit"),
    ("visited", "Visited (spoken to)"),
    ("observed_only", "Observed only"),
    ("declined", "Declined"),
]

DETAINEE_FLAGS = [
    ("under_18", "Under 18"),
    ("vulnerable", "Vulnerable"),
    ("consent_to_record_check", "Consented to a custody record check"),
    ("appropriate_adult_needed", "Appropriate adult needed"),
    ("appropriate_adult_present", "Appropriate adult present"),
    ("interpreter_needed", "Interpreter needed"),
    ("interpreter_used", "Interpreter used"),
    ("mental_health_concern", "Mental health concern"),
    ("tact", "Held under the Terrorism Act"),
]

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


@dataclass
class DetaineeEntry:
    pk: int
    custody_number: str
    flags: list[str]
    sections: list[AnsweredSection]


@dataclass
class VisitReport:
    visit: Visit
    visitors: list[tuple[str, object]]  # (name, confirmed at or None)
    numbers: list[tuple[str, int]]
    not_visited: list[tuple[str, int]]
    detainees: list[DetaineeEntry]
    suite_sections: list[AnsweredSection]
    issues: list[dict]
    amendments: list[dict] = field(default_factory=list)
    custody_numbers_shown: bool = True


@dataclass
class _Section:
    title: str
    questions: list[Question]


def _sections_of(*version_ids) -> dict[int, list[_Section]]:
    """The sections and questions of several checklist versions, in one query."""
    by_version: dict[int, dict[int, _Section]] = defaultdict(dict)
    questions = (
        Question.objects.filter(section__version_id__in=version_ids)
        .select_related("section")
        .order_by("section__order", "section_id", "order", "pk")
    )
    for question in questions:
        section = question.section
        entry = by_version[section.version_id].setdefault(section.pk, _Section(section.title, []))
        entry.questions.append(question)
    return {version: list(sections.values()) for version, sections in by_version.items()}


def _answered(sections, answers: dict[int, Answer]) -> list[AnsweredSection]:
    result = []
    for section in sections:
        rows = []
        for question in section.questions:
            answer = answers.get(question.pk)
            value = answer.value if answer else ""
            rows.append(
                AnsweredQuestion(
                    text=question.text,
                    answer=ANSWER_LABELS.get(value, value) or "Not answered",
                    note=answer.note if answer else "",
                    concern=value == Answer.YesNo.NO and question.no_suggests_issue,
                )
            )
        result.append(AnsweredSection(section.title, rows))
    return result


def build_visit_report(visit: Visit, *, show_custody_numbers: bool = True) -> VisitReport:
    """Everything a report shows, in a fixed number of queries whatever its size.

    Prefetch `visit_visitors__user` on the visit to save a query (`Visit.objects.for_report`)."""
    visitors = [
        (vv.user.get_full_name() or vv.user.username, vv.confirmed_at)
        for vv in visit.visit_visitors.all()
    ]
    sections = _sections_of(visit.detainee_checklist_id, visit.suite_checklist_id)
    by_detainee: dict[int | None, dict[int, Answer]] = defaultdict(dict)
    for answer in Answer.objects.filter(visit=visit):
        by_detainee[answer.detainee_id][answer.question_id] = answer
    detainee_sections = sections.get(visit.detainee_checklist_id, [])
    detainees = [
        DetaineeEntry(
            pk=d.pk,
            custody_number=d.custody_number if show_custody_numbers else HIDDEN_NUMBER,
            flags=[label for name, label in DETAINEE_FLAGS if getattr(d, name)],
            sections=_answered(detainee_sections, by_detainee[d.pk]),
        )
        for d in visit.detainees.order_by("-under_18", "-vulnerable", "order", "pk")
    ]
    issues = [
        {
            "pk": issue.pk,
            "category": issue.get_category_display(),
            "severity": issue.get_severity_display(),
            "description": issue.description,
            "custody_number": (issue.custody_number if show_custody_numbers else HIDDEN_NUMBER)
            if issue.custody_number
            else "",
            "status": issue.get_status_display(),
            "resolved_on_visit": issue.status == issue.Status.RESOLVED_ON_VISIT,
            "recheck": issue.recheck_next_visit,
        }
        for issue in visit.issues.order_by("pk")
    ]
    amendments = [
        {
            "at": a.created_at,
            "by": a.actor.get_full_name() or a.actor.username,
            "reason": a.reason,
            "changes": [
                (_field_label(name), old, new) for name, (old, new) in sorted(a.changes.items())
            ],
        }
        for a in (
            []
            if visit.is_draft
            else visit.amendments.select_related("actor").order_by("created_at")
        )
    ]
    return VisitReport(
        visit=visit,
        visitors=visitors,
        numbers=[(label, getattr(visit, name)) for name, label in NUMBER_LABELS],
        not_visited=[
            (label.capitalize(), getattr(visit, name))
            for name, label in NOT_VISITED_LABELS.items()
            if getattr(visit, name)
        ],
        detainees=detainees,
        suite_sections=_answered(sections.get(visit.suite_checklist_id, []), by_detainee[None]),
        issues=issues,
        amendments=amendments,
        custody_numbers_shown=show_custody_numbers,
    )


def _field_label(name: str) -> str:
    labels = dict(NUMBER_LABELS) | {k: v.capitalize() for k, v in NOT_VISITED_LABELS.items()}
    return labels.get(name) or Visit._meta.get_field(name).verbose_name.capitalize()
