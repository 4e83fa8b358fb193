"""Recording a visit: start, each step of the report, submit (amendments: amendments.py).

Every function takes the acting user first and raises DomainError (or ConflictError for a
stale revision) when a rule is broken; nothing is changed then. Whether the actor may act on
the visit at all is the caller's question (visits.permissions); these ask whether the step is
allowed now.
"""

import datetime
import uuid as uuid_module
from dataclasses import dataclass, field, make_dataclass, replace

from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import Count, F
from django.utils import timezone
from django.utils.translation import gettext

from visits import notifications, permissions, rules
from visits.errors import ConflictError, DomainError
from visits.models import (
    DETAINEE_FLAG_NAMES,
    Answer,
    Attachment,
    ChecklistTemplate,
    Conflict,
    CustodySuite,
    DetaineeRecord,
    Issue,
    IssueEvent,
    Membership,
    Question,
    RotaSlot,
    Visit,
    VisitVisitor,
)
from visits.rules import NUMBER_FIELDS
from visits.services import audit, checklists, revisions, training, volunteers
from visits.workdays import monday_of

User = get_user_model()

YES_NO_VALUES = {choice.value for choice in Answer.YesNo}
CUSTODY_NUMBER_MAX = 40
# A time may run this far ahead of the server's clock (a phone's clock is fast), as at the start.
CLOCK_SLACK = datetime.timedelta(minutes=10)
# Let in and gone within a day of arriving: a later time is a typing slip, and would count
# days of volunteering in the national return.
LONGEST_VISIT = datetime.timedelta(hours=24)


# --- Start --------------------------------------------------------------------------------------


# The largest id a row can have: a larger number names nobody, and is not sent to the database.
MAX_ID = 2**63 - 1


def person_id(person) -> int:
    """A person given as a user or as a user id (as the API receives them)."""
    return int(getattr(person, "pk", person))


def uuid_taken() -> ConflictError:
    """A client-made visit UUID that a visit (or a copy) the actor is not on already has.

    The same words whoever's it is, in whichever scheme: nothing about that visit is told."""
    return ConflictError(
        gettext(
            "The id this visit was sent with is already in use. "
            "Record the visit again to send it with a new one."
        ),
        code="uuid_taken",
    )


def _visiting_in(scheme_id: int, ids) -> dict:
    """{user id: membership} for those of `ids` who are visiting members of the scheme now."""
    wanted = [pk for pk in ids if 0 < pk <= MAX_ID]
    members = (
        Membership.objects.visiting()
        .filter(scheme_id=scheme_id, user_id__in=wanted)
        .select_related("user")
    )
    return {m.user_id: m for m in members}


def _not_a_co_visitor(actor, pk: int, suite: CustodySuite) -> DomainError:
    """Refuse someone as a co-visitor at this suite without telling the actor anything they
    could not see: a person the actor may list (visits.permissions.scope_memberships) is named;
    anyone else, in another scheme, not visiting, or nobody at all, is the same id sentence."""
    visible = (
        permissions.scope_memberships(Membership.objects.current(), actor)
        .filter(user_id=pk)
        .select_related("user")
        .first()
        if 0 < pk <= MAX_ID
        else None
    )
    if visible is not None:
        message = gettext("%(name)s does not visit in the scheme of %(suite)s.") % {
            "name": visible.user.get_full_name() or visible.user.username,
            "suite": suite.name,
        }
    else:
        message = gettext("No visitor with id %(id)s can visit with you.") % {"id": pk}
    return DomainError(message, code="visitor_not_in_scheme", field="co_visitors")


def start_visit(
    *,
    actor,
    suite: CustodySuite,
    co_visitors,
    arrived_at: datetime.datetime,
    client_uuid: uuid_module.UUID | None = None,
    checklist_versions: dict[str, int] | None = None,
) -> Visit:
    """Open a draft report for a pair (or more) of visitors arriving at a suite.

    `co_visitors` are the other visitors, as users or user ids. Idempotent on `client_uuid`:
    starting the same visit again returns the one stored. `checklist_versions` (kind ->
    version id) names the versions a phone filled in offline; without it the scheme's current
    ones are used.
    Raises DomainError if fewer than two visitors, a visitor is not in the scheme or has a
    conflict with the suite, the suite is inactive, or the scheme has no published checklist;
    ConflictError if `client_uuid` is a visit the actor is not on. A co-visitor the actor may
    not see is refused in the same words as an id that matches nobody.
    """
    if client_uuid:
        existing = Visit.objects.filter(uuid=client_uuid).first()
        if existing:
            if not existing.visit_visitors.filter(user=actor).exists():
                raise uuid_taken()
            return existing
    partner_ids = [pk for pk in dict.fromkeys(map(person_id, co_visitors)) if pk != actor.pk]
    if not partner_ids:
        raise DomainError(
            gettext("Visits are made in pairs: choose the visitor you are with."),
            code="needs_two_visitors",
            field="co_visitors",
        )
    if not suite.active:
        raise DomainError(
            gettext("%(suite)s is not an active suite.") % {"suite": suite.name},
            code="suite_inactive",
            field="suite",
        )
    found = _visiting_in(suite.scheme_id, [actor.pk, *partner_ids])
    if actor.pk not in found:
        raise DomainError(
            gettext("You are not a visitor in the scheme of %(suite)s.") % {"suite": suite.name},
            code="visitor_not_in_scheme",
            field="suite",
        )
    for pk in partner_ids:
        if pk not in found:
            raise _not_a_co_visitor(actor, pk, suite)
    # Vetting and appointment must cover the day of the visit, for each of the pair.
    arrival_day = timezone.localdate(arrived_at)
    volunteers.refuse_barred([found[actor.pk]], arrival_day, field="suite")
    volunteers.refuse_barred(
        [found[pk] for pk in partner_ids], arrival_day, field="co_visitors", say_why=False
    )
    visitors = [actor, *(found[pk].user for pk in partner_ids)]
    # Everyone here visits in the suite's scheme, so the actor may see who they are.
    conflicted = Conflict.objects.filter(suite=suite, membership__user__in=visitors).select_related(
        "membership__user"
    )
    for conflict in conflicted:
        raise DomainError(
            gettext("%(name)s has a conflict with %(suite)s and cannot visit it.")
            % {"name": conflict.membership.user.get_full_name(), "suite": suite.name},
            code="visitor_conflict",
            field="co_visitors",
        )
    if arrived_at > timezone.now() + CLOCK_SLACK:
        raise DomainError(
            gettext("The arrival time cannot be in the future."),
            code="arrival_in_future",
            field="arrived_at",
        )
    if timezone.localdate(arrived_at) < rules.EARLIEST_DATE:
        # The doors refuse such a date already; this is for every other caller.
        raise DomainError(
            rules.date_out_of_range(timezone.localdate(arrived_at)),
            code="arrival_too_early",
            field="arrived_at",
        )
    versions = checklist_versions or {}
    detainee_list, suite_list = (
        checklists.version_for_visit(suite.scheme_id, kind, versions.get(kind))
        for kind in (ChecklistTemplate.Kind.DETAINEE, ChecklistTemplate.Kind.SUITE)
    )
    if not detainee_list or not suite_list:
        raise DomainError(
            gettext("Your scheme has no published checklists yet. Ask your scheme manager."),
            code="no_checklist",
        )
    try:
        with transaction.atomic():
            visit = Visit.objects.create(
                uuid=client_uuid or uuid_module.uuid4(),
                scheme_id=suite.scheme_id,
                suite=suite,
                created_by=actor,
                visit_date=timezone.localdate(arrived_at),
                arrived_at=arrived_at,
                detainee_checklist=detainee_list,
                suite_checklist=suite_list,
                rota_slot=_matching_slot(suite, visitors, arrived_at),
            )
            VisitVisitor.objects.bulk_create(VisitVisitor(visit=visit, user=u) for u in visitors)
            audit.record(actor=actor, action="visit.started", obj=visit, scheme=suite.scheme)
    except IntegrityError:
        # The same client UUID arrived twice at once: the other request stored it.
        return Visit.objects.get(uuid=client_uuid)
    return visit


def _matching_slot(suite, visitors, arrived_at) -> RotaSlot | None:
    """The planned rota slot this visit fulfils: same suite and week, one of its visitors."""
    return (
        RotaSlot.objects.filter(
            suite=suite,
            week_starts_on=monday_of(timezone.localdate(arrived_at)),
            status=RotaSlot.Status.PLANNED,
            visitors__in=visitors,
            visit__isnull=True,
        )
        .order_by("pk")
        .first()
    )


# --- Steps --------------------------------------------------------------------------------------


def _lock_draft(visit: Visit, expected_revision: int | None) -> Visit:
    """Re-read the visit under a lock; refuse a submitted one or a stale revision."""
    locked = Visit.objects.select_for_update().get(pk=visit.pk)
    if not locked.is_draft:
        raise DomainError(
            gettext(
                "This report has been submitted and can no longer be edited. "
                "Make an amendment, with a reason, instead."
            ),
            code="visit_submitted",
        )
    revisions.check(
        locked,
        expected_revision,
        gettext("Someone else changed this report since you opened it. Reload it and try again."),
    )
    return locked


def save_fields(visit: Visit, fields: dict) -> Visit:
    """Save a locked report's changed fields and move its revision on (steps and amendments)."""
    for name, value in fields.items():
        setattr(visit, name, value)
    visit.revision = F("revision") + 1
    visit.save(update_fields=[*fields, "revision", "updated_at"])
    visit.refresh_from_db(fields=["revision"])
    return visit


def record_admission(
    *,
    actor,
    visit: Visit,
    admitted_at: datetime.datetime,
    delay_minutes: int = 0,
    delay_reason: str = "",
    delay_authorised_by: str = "",
    expected_revision: int | None = None,
) -> Visit:
    """When the visitors were let in, and why they were kept waiting if they were.

    Raises DomainError if admitted before arriving, or a delay lacks its reason or officer."""
    problems = {}
    if admitted_at < visit.arrived_at:
        problems["admitted_at"] = gettext(
            "The time admitted cannot be before the time you arrived."
        )
    elif admitted_at > timezone.now() + CLOCK_SLACK:
        problems["admitted_at"] = gettext("The time admitted cannot be in the future.")
    elif admitted_at - visit.arrived_at > LONGEST_VISIT:
        problems["admitted_at"] = gettext(
            "A visit lasts less than a day: check the date of this time."
        )
    if delay_minutes:
        if not delay_reason.strip():
            problems["delay_reason"] = gettext("Give the reason you were told for the delay.")
        if not delay_authorised_by.strip():
            problems["delay_authorised_by"] = gettext(
                "Give the rank and name of the Inspector who authorised the delay."
            )
    if problems:
        raise DomainError(
            gettext("Check the admission details."), code="admission_invalid", fields=problems
        )
    with transaction.atomic():
        locked = _lock_draft(visit, expected_revision)
        if locked.departed_at and admitted_at > locked.departed_at:
            raise DomainError(
                gettext("The time admitted cannot be after the time you left."),
                code="admission_invalid",
                field="admitted_at",
            )
        return save_fields(
            locked,
            {
                "admitted_at": admitted_at,
                "delay_minutes": delay_minutes,
                "delay_reason": delay_reason.strip() if delay_minutes else "",
                "delay_authorised_by": delay_authorised_by.strip() if delay_minutes else "",
            },
        )


def record_numbers(
    *, actor, visit: Visit, numbers: dict, expected_revision: int | None = None
) -> Visit:
    """The numbers at the time of the visit. Raises DomainError naming the figures that
    disagree (in custody = offered + not visited; offered = visited + observed + declined)."""
    values = {name: int(numbers.get(name) or 0) for name in NUMBER_FIELDS}
    values["nv_access_denied_reason"] = (numbers.get("nv_access_denied_reason") or "").strip()
    if any(value < 0 for name, value in values.items() if name in NUMBER_FIELDS):
        raise DomainError(gettext("Numbers cannot be negative."), code="numbers_negative")
    problems = rules.number_disagreements(values)
    if problems:
        raise DomainError(
            gettext("The numbers do not add up."), code="numbers_disagree", fields=problems
        )
    with transaction.atomic():
        return save_fields(_lock_draft(visit, expected_revision), values)


# What is recorded of one detainee; never a name: their custody number, each of the
# DETAINEE_FLAGS (False unless given), gender, consent and their answers
# (question id -> (value, note)).
DetaineeDetails = make_dataclass(
    "DetaineeDetails",
    [
        ("custody_number", str),
        *((name, bool, False) for name in DETAINEE_FLAG_NAMES),
        ("gender", str, ""),
        ("consent", str, DetaineeRecord.Consent.AGREED),
        ("answers", dict[int, tuple[str, str]], field(default_factory=dict)),
    ],
    namespace={"__module__": __name__},
)


def save_detainee(
    *,
    actor,
    visit: Visit,
    details: DetaineeDetails,
    detainee: DetaineeRecord | None = None,
    expected_revision: int | None = None,
) -> DetaineeRecord:
    """Add a detainee seen on the visit, or change one, with their checklist answers.

    A detainee who declined to speak to the visitors has no checklist: answers sent for them
    are not kept. Raises DomainError for a custody number not in the scheme's format (or like
    a name), one already on this visit, an unknown consent, an answer to a question not on
    the visit's checklist, or a TACT detainee when a visitor lacks current TACT training."""
    if details.consent not in DetaineeRecord.Consent.values:
        raise DomainError(
            gettext("Say whether the detainee agreed to speak to you."),
            code="consent_invalid",
            field="consent",
        )
    if details.consent == DetaineeRecord.Consent.DECLINED:
        details = replace(details, answers={})
    problem = rules.custody_number_problem(
        details.custody_number,
        visit.scheme.custody_number_pattern,
        rules.suite_custody_number_example(visit.scheme, visit.suite),
    )
    if problem:
        raise DomainError(problem, code="custody_number_invalid", field="custody_number")
    number = rules.normalise_custody_number(details.custody_number)
    duplicate = visit.detainees.filter(custody_number=number)
    if detainee:
        duplicate = duplicate.exclude(pk=detainee.pk)
    if duplicate.exists():
        raise DomainError(
            gettext("%(number)s is already on this report.") % {"number": number},
            code="custody_number_repeated",
            field="custody_number",
        )
    questions = questions_of(visit.detainee_checklist_id)
    _check_answers(details.answers, questions)
    if details.tact:
        # Issue 22: a TACT detainee is visited only by visitors with current TACT training.
        training.refuse_tact_untrained(actor=actor, visit=visit)
    attributes = {
        name: getattr(details, name) for name in (*DETAINEE_FLAG_NAMES, "gender", "consent")
    }
    with transaction.atomic():
        locked = _lock_draft(visit, expected_revision)
        if detainee is None:
            detainee = DetaineeRecord(visit=locked, order=locked.detainees.count())
        detainee.custody_number = number
        for name, value in attributes.items():
            setattr(detainee, name, value)
        detainee.save()
        _replace_answers(locked, detainee, details.answers)
        save_fields(locked, {"involves_tact": locked.detainees.filter(tact=True).exists()})
    return detainee


def remove_detainee(*, actor, visit: Visit, detainee: DetaineeRecord) -> None:
    """Take a detainee (and their answers) off a draft report."""
    with transaction.atomic():
        locked = _lock_draft(visit, None)
        detainee.delete()
        save_fields(locked, {"involves_tact": locked.detainees.filter(tact=True).exists()})


def save_suite_answers(
    *,
    actor,
    visit: Visit,
    answers: dict[int, tuple[str, str]],
    expected_revision: int | None = None,
) -> Visit:
    """The suite checklist's answers (question id -> (value, note)), replacing earlier ones."""
    _check_answers(answers, questions_of(visit.suite_checklist_id))
    with transaction.atomic():
        locked = _lock_draft(visit, expected_revision)
        _replace_answers(locked, None, answers)
        return save_fields(locked, {})


def questions_of(version_id) -> dict[int, Question]:
    return {q.pk: q for q in Question.objects.filter(section__version_id=version_id)}


def _check_answers(answers: dict, questions: dict[int, Question]) -> None:
    for question_id, (value, _note) in answers.items():
        question = questions.get(question_id)
        if question is None:
            raise DomainError(
                gettext("An answer is for a question not on this checklist."),
                code="answer_question_unknown",
            )
        if (
            value
            and question.answer_type == Question.AnswerType.YES_NO
            and (value not in YES_NO_VALUES)
        ):
            raise DomainError(
                gettext("'%(value)s' is not an answer to “%(question)s”.")
                % {"value": value, "question": question.shown_text},
                code="answer_invalid",
                field=f"q_{question_id}",
            )
        if value and question.answer_type == Question.AnswerType.NUMBER:
            try:
                int(value)
            except ValueError:
                raise DomainError(
                    gettext("“%(question)s” needs a number.") % {"question": question.shown_text},
                    code="answer_invalid",
                    field=f"q_{question_id}",
                ) from None


def _replace_answers(visit: Visit, detainee: DetaineeRecord | None, answers: dict) -> None:
    Answer.objects.filter(visit=visit, detainee=detainee).delete()
    Answer.objects.bulk_create(
        Answer(visit=visit, detainee=detainee, question_id=qid, value=value, note=note.strip())
        for qid, (value, note) in answers.items()
        if value or note.strip()
    )


# --- Issues and good practice -------------------------------------------------------------------


@dataclass(frozen=True)
class SuggestedIssue:
    """An issue the answers point at: a "no" to a question flagged as suggesting one."""

    question_id: int
    category: str
    description: str
    custody_number: str


def suggested_issues(visit: Visit) -> list[SuggestedIssue]:
    """Flagged "no" answers on this visit that no issue has been raised for yet."""
    raised = set(visit.issues.values_list("question_id", "custody_number"))
    answers = (
        Answer.objects.filter(visit=visit, value=Answer.YesNo.NO, question__no_suggests_issue=True)
        .select_related("question", "detainee")
        .order_by("detainee__order", "question__section__order", "question__order")
    )
    suggestions = []
    for answer in answers:
        number = answer.detainee.custody_number if answer.detainee else ""
        if (answer.question_id, number) in raised:
            continue
        # The issue's description, in the visitor's language (record.js writes the same).
        text = gettext("No: %(question)s.") % {"question": answer.question.shown_text}
        if answer.note:
            text += f" {answer.note}"
        suggestions.append(
            SuggestedIssue(answer.question_id, answer.question.issue_category, text, number)
        )
    return suggestions


def refuse_names(text: str, *, visit: Visit, names_checked: bool, field: str) -> None:
    """Refuse free text that may name someone (visits.rules.name_in) unless the writer has
    checked that it names no one: it reaches the force and the PCC's published report."""
    problem = rules.names_problem(text, names_checked=names_checked, suite_names=[visit.suite.name])
    if problem:
        raise DomainError(problem, code="may_name_someone", field=field)


def raise_issue(
    *,
    actor,
    visit: Visit,
    category: str,
    description: str,
    severity: str = "routine",
    resolved_on_visit: bool = False,
    recheck_next_visit: bool = False,
    custody_number: str = "",
    question_id: int | None = None,
    names_checked: bool = False,
) -> Issue:
    """Record an issue found on the visit, resolved there with the sergeant or not.

    The same issue sent again (same category, description, custody number and question) while
    the report is a draft returns the one already there: a double tap adds one. `question_id`,
    if given, must be a question of the visit's checklists: any other (another scheme's, or
    none at all) is refused in the same words. A description that may name someone is
    refused (`may_name_someone`) unless `names_checked`."""
    if not description.strip():
        raise DomainError(
            gettext("Describe the issue."), code="issue_description_missing", field="description"
        )
    refuse_names(description, visit=visit, names_checked=names_checked, field="description")
    if question_id is not None and not (
        0 < question_id <= MAX_ID
        and Question.objects.filter(
            pk=question_id,
            section__version_id__in=[visit.detainee_checklist_id, visit.suite_checklist_id],
        ).exists()
    ):
        raise DomainError(
            gettext("The issue is for a question not on this report's checklists."),
            code="issue_question_unknown",
            field="question_id",
        )
    if custody_number:
        problem = rules.custody_number_problem(
            custody_number,
            visit.scheme.custody_number_pattern,
            rules.suite_custody_number_example(visit.scheme, visit.suite),
        )
        if problem:
            raise DomainError(problem, code="custody_number_invalid", field="custody_number")
    with transaction.atomic():
        locked = _lock_draft(visit, None)
        already = locked.issues.filter(
            category=category,
            description=description.strip(),
            custody_number=rules.normalise_custody_number(custody_number),
            question_id=question_id,
        ).first()
        if already:
            return already
        issue = Issue.objects.create(
            scheme_id=locked.scheme_id,
            suite_id=locked.suite_id,
            visit=locked,
            question_id=question_id,
            category=category,
            severity=severity,
            description=description.strip(),
            raised_by=actor,
            custody_number=rules.normalise_custody_number(custody_number),
            recheck_next_visit=recheck_next_visit,
            status=Issue.Status.RESOLVED_ON_VISIT if resolved_on_visit else Issue.Status.RAISED,
            closed_at=timezone.now() if resolved_on_visit else None,
        )
        IssueEvent.objects.create(
            issue=issue,
            kind=IssueEvent.Kind.RAISED,
            actor=actor,
            text=issue.description,
            shared_with_force=True,  # the force reads the issue as raised once referred
        )
        if resolved_on_visit:
            IssueEvent.objects.create(
                issue=issue,
                kind=IssueEvent.Kind.RESOLVED_ON_VISIT,
                actor=actor,
                text=gettext("Resolved with the custody sergeant."),
            )
        save_fields(locked, {})
    return issue


def withdraw_issue(*, actor, visit: Visit, issue: Issue) -> None:
    """Take an issue off a draft report. It was never reported; it is kept, withdrawn, until
    the report is submitted, so that restore_issue can put it back."""
    with transaction.atomic():
        locked = _lock_draft(visit, None)
        Issue.objects.filter(pk=issue.pk, visit=locked).update(withdrawn_at=timezone.now())
        save_fields(locked, {})


def restore_issue(*, actor, visit: Visit, issue_id: int) -> Issue:
    """Put back an issue taken off this draft report ("Undo").

    Raises DomainError if there is no such withdrawn issue on this report (in the same words
    whatever the id), or if the same issue has been added again since."""
    with transaction.atomic():
        locked = _lock_draft(visit, None)
        issue = (
            Issue.with_withdrawn.filter(
                pk=issue_id if 0 < issue_id <= MAX_ID else 0,
                visit=locked,
                withdrawn_at__isnull=False,
            )
            .select_for_update()
            .first()
        )
        if issue is None:
            raise DomainError(
                gettext("There is no issue taken off this report to put back."),
                code="issue_not_withdrawn",
            )
        again = locked.issues.filter(
            category=issue.category,
            description=issue.description,
            custody_number=issue.custody_number,
            question_id=issue.question_id,
        ).first()
        if again:
            return again
        issue.withdrawn_at = None
        issue.save(update_fields=["withdrawn_at"])
        save_fields(locked, {})
    return issue


def withdrawn_issues(visit: Visit):
    """Issues taken off this draft report, most recent first, for "Undo"."""
    return Issue.with_withdrawn.filter(visit=visit, withdrawn_at__isnull=False).order_by(
        "-withdrawn_at", "-pk"
    )


MAX_PHOTOS = 30  # on one report: more is a slip (the same photo sent again and again)


def add_photo(
    *, actor, visit: Visit, photo, caption: str = "", client_uuid: uuid_module.UUID | None = None
) -> Attachment:
    """Attach a photo of suite conditions to a draft, already re-encoded by
    visits.images.clean_photo. Idempotent on `client_uuid`: a photo sent again with the id its
    client made for it is the one stored, never a second. Raises DomainError on a submitted
    report or past MAX_PHOTOS."""
    with transaction.atomic():
        locked = _lock_draft(visit, None)
        if client_uuid is not None:
            earlier = locked.attachments.filter(client_uuid=client_uuid).first()
            if earlier is not None:
                return earlier
        if locked.attachments.count() >= MAX_PHOTOS:
            raise DomainError(
                gettext("A report holds at most %(max)d photos. Remove one to add another.")
                % {"max": MAX_PHOTOS},
                code="too_many_photos",
                field="photo",
            )
        attachment = Attachment(
            visit=locked,
            width=photo.width,
            height=photo.height,
            caption=caption.strip(),
            client_uuid=client_uuid,
            uploaded_by=actor,
        )
        name = uuid_module.uuid4().hex
        attachment.image.save(f"{name}.jpg", ContentFile(photo.data), save=False)
        attachment.thumbnail.save(f"{name}-thumb.jpg", ContentFile(photo.thumbnail), save=False)
        attachment.save()
        save_fields(locked, {})
        audit.record(
            actor=actor,
            action="visit.photo_added",
            obj=locked,
            scheme=visit.scheme,
            detail={"photo": attachment.pk},
        )
    return attachment


def remove_photo(*, actor, visit: Visit, photo: Attachment) -> None:
    """Take a photo off a draft report, files and all (it was never reported). Raises
    DomainError on a submitted report."""
    with transaction.atomic():
        locked = _lock_draft(visit, None)
        files = [photo.image, photo.thumbnail]
        photo_id = photo.pk
        photo.delete()
        save_fields(locked, {})
        audit.record(
            actor=actor,
            action="visit.photo_removed",
            obj=locked,
            scheme=visit.scheme,
            detail={"photo": photo_id},
        )
        # The files go only once the row's removal is committed.
        transaction.on_commit(lambda: [f.storage.delete(f.name) for f in files if f.name])


def record_good_practice(*, actor, visit: Visit, text: str, names_checked: bool = False) -> Visit:
    """Good practice seen. Refused (`may_name_someone`) if it may name someone, unless
    `names_checked`: it is published in the PCC's reports."""
    refuse_names(text, visit=visit, names_checked=names_checked, field="good_practice")
    with transaction.atomic():
        return save_fields(_lock_draft(visit, None), {"good_practice": text.strip()})


# --- Sign-off, submission, amendment ------------------------------------------------------------


@dataclass
class SignOff:
    departed_at: datetime.datetime
    outcome: str
    abandoned_reason: str = ""
    sergeant_name: str = ""
    sergeant_comments: str = ""
    signature_png: bytes | None = None  # drawn on the screen, already re-encoded
    sergeant_confirmed: bool = False  # signed by confirming, where nothing was drawn
    confirmed_by: list = field(default_factory=list)  # visitors who confirm (users or ids)

    FIELDS = (
        "departed_at",
        "outcome",
        "abandoned_reason",
        "sergeant_name",
        "sergeant_comments",
        "sergeant_confirmed",
    )

    @classmethod
    def from_data(cls, data: dict, *, signature_png: bytes | None, confirmed_by) -> "SignOff":
        """From a form's or a serializer's validated data (same field names in both doors)."""
        return cls(
            **{name: data[name] for name in cls.FIELDS},
            signature_png=signature_png,
            confirmed_by=list(confirmed_by),
        )


def record_sign_off(
    *, actor, visit: Visit, sign_off: SignOff, expected_revision: int | None = None
) -> Visit:
    """Departure, outcome, the sergeant's comments and signature, the visitors' confirmation.

    Raises DomainError if the departure is before the arrival or admission (as stored now),
    the outcome is missing, an abandoned visit has no reason, or a confirmation is from
    someone not on the visit (in the same words whoever they are, or if nobody)."""
    confirmed_ids = list(dict.fromkeys(map(person_id, sign_off.confirmed_by)))
    with transaction.atomic():
        locked = _lock_draft(visit, expected_revision)
        problems = {}
        on_visit = set(locked.visit_visitors.values_list("user_id", flat=True))
        stranger = next((pk for pk in confirmed_ids if pk not in on_visit), None)
        if stranger is not None:
            problems["confirmed_by"] = gettext(
                "No visitor with id %(id)s is on this report to confirm it."
            ) % {"id": stranger}
        if sign_off.departed_at < locked.arrived_at:
            problems["departed_at"] = gettext(
                "The departure time cannot be before the time you arrived."
            )
        elif locked.admitted_at and sign_off.departed_at < locked.admitted_at:
            problems["departed_at"] = (
                "The departure time cannot be before the time you were let in."
            )
        elif sign_off.departed_at > timezone.now() + CLOCK_SLACK:
            problems["departed_at"] = gettext("The departure time cannot be in the future.")
        elif sign_off.departed_at - locked.arrived_at > LONGEST_VISIT:
            problems["departed_at"] = gettext(
                "A visit lasts less than a day: check the date of this time."
            )
        if sign_off.outcome not in Visit.Outcome.values:
            problems["outcome"] = gettext("Choose the outcome of the visit.")
        if sign_off.outcome == Visit.Outcome.ABANDONED and not sign_off.abandoned_reason.strip():
            problems["abandoned_reason"] = gettext("Say why the visit was abandoned.")
        if problems:
            raise DomainError(
                gettext("Check the sign-off details."), code="sign_off_invalid", fields=problems
            )
        fields = {
            "departed_at": sign_off.departed_at,
            "outcome": sign_off.outcome,
            "abandoned_reason": sign_off.abandoned_reason.strip()
            if sign_off.outcome == Visit.Outcome.ABANDONED
            else "",
            "sergeant_name": sign_off.sergeant_name.strip(),
            "sergeant_comments": sign_off.sergeant_comments.strip(),
        }
        if sign_off.signature_png:
            storage, old_name = locked.sergeant_signature.storage, locked.sergeant_signature.name
            locked.sergeant_signature.save(
                f"{locked.uuid}.png", ContentFile(sign_off.signature_png), save=False
            )
            if old_name:  # signed again on the draft: the old drawing belongs to nothing now
                transaction.on_commit(lambda: storage.delete(old_name))
            fields["sergeant_signature"] = locked.sergeant_signature
            fields["sergeant_signed_at"] = timezone.now()
        elif sign_off.sergeant_confirmed and not locked.sergeant_signed_at:
            fields["sergeant_signed_at"] = timezone.now()
        now = timezone.now()
        locked.visit_visitors.filter(user_id__in=confirmed_ids, confirmed_at__isnull=True).update(
            confirmed_at=now
        )
        locked.visit_visitors.exclude(user_id__in=confirmed_ids).update(confirmed_at=None)
        return save_fields(locked, fields)


def submission_problems(visit: Visit) -> dict[str, str]:
    """What still stops a draft from being submitted, keyed by the step that fixes it."""
    problems = {}
    abandoned = visit.outcome == Visit.Outcome.ABANDONED
    visitors = list(visit.visit_visitors.all())  # prefetched on report pages
    if len(visitors) < 2:
        problems["start"] = gettext("A report needs at least two visitors.")
    if not visit.admitted_at and not abandoned:
        problems["admission"] = gettext("Record the time you were let in.")
    numbers = {name: getattr(visit, name) for name in NUMBER_FIELDS}
    numbers["nv_access_denied_reason"] = visit.nv_access_denied_reason
    if not abandoned and rules.number_disagreements(numbers):
        problems["numbers"] = gettext("The numbers at the time of the visit do not add up.")
    elif not abandoned:
        consents = dict(
            visit.detainees.exclude(consent=DetaineeRecord.Consent.AGREED)
            .order_by()
            .values_list("consent")
            .annotate(count=Count("pk"))
        )
        disagreements = rules.consent_disagreements(numbers, consents)
        if disagreements:
            problems["numbers"] = " ".join(disagreements.values())
    if not visit.departed_at or not visit.outcome:
        problems["sign-off"] = gettext("Record the departure time and the outcome.")
    elif not abandoned and not (visit.sergeant_name and visit.sergeant_signed_at):
        problems["sign-off"] = gettext("The custody sergeant must give their name and sign.")
    elif any(v.confirmed_at is None for v in visitors):
        problems["sign-off"] = gettext("Every visitor must confirm the report.")
    return problems


def submit_visit(*, actor, visit: Visit, notify: bool = True) -> Visit:
    """Submit a finished draft; from then on it changes only by amendment.

    Idempotent: submitting again returns the visit as stored. Raises DomainError listing
    what is missing. The report's e-mails are queued in the same transaction."""
    with transaction.atomic():
        locked = Visit.objects.select_for_update().get(pk=visit.pk)
        if not locked.is_draft:
            return locked
        problems = submission_problems(locked)
        if problems:
            raise DomainError(
                gettext("The report is not finished yet."), code="visit_incomplete", fields=problems
            )
        # Issues taken off the draft were never reported: nothing is kept of them.
        Issue.with_withdrawn.filter(visit=locked, withdrawn_at__isnull=False).delete()
        save_fields(
            locked,
            {
                "status": Visit.Status.SUBMITTED,
                "submitted_at": timezone.now(),
                "submitted_by": actor,
            },
        )
        if locked.rota_slot_id:
            RotaSlot.objects.filter(pk=locked.rota_slot_id).update(status=RotaSlot.Status.DONE)
        if notify:  # queued with the submission, sent (PDF and all) by the worker
            notifications.queue_visit_report(locked)
        audit.record(actor=actor, action="visit.submitted", obj=locked, scheme=locked.scheme)
    return locked
