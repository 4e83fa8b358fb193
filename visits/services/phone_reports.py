"""A whole report sent at once from a phone's outbox: from arrival to submission in one go.

A visitor may record a visit with no signal, and the phone sends it when it can: perhaps
several times (a dropped connection, a retry after an answer that never arrived, two tabs),
perhaps after the other visitor of the pair has sent their own record of the same visit.

- The phone's UUID for the visit makes sending safe to repeat: the second time finds the
  report already stored and returns it; there is never a second visit. Sent again with changes
  (an edit made on the phone after it was sent), the new version is kept beside the first as a
  `VisitCopy` with its differences, to be settled by amendment: an edit is never dropped.
- Every step goes through the same services as the pages and the step-by-step API, inside one
  transaction: a report is stored whole and submitted, or not at all, with the first broken rule
  named by where it is in the report (`detainees.1.custody_number`).
- If the other visitor already recorded this visit (same suite and day, they list this visitor
  and this visitor lists them), this report is kept whole beside theirs as a `VisitCopy`, with
  where the two differ, for the visitors and the manager to settle by amendment. Nothing is lost
  and nothing is overwritten.
"""

import datetime
import json
import uuid as uuid_module
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from visits import permissions, rules
from visits.errors import ConflictError, DomainError
from visits.images import ImageRejected, clean_photo
from visits.models import (
    DETAINEE_FLAG_NAMES,
    NUMBER_LABELS,
    REPORT_FIELD_LABELS,
    CopyPhoto,
    CustodySuite,
    Visit,
    VisitCopy,
)
from visits.services import audit
from visits.services import issues as issue_service
from visits.services import visits as visit_service

# How far apart two records' arrival times may be and still be the same visit.
SAME_VISIT_WINDOW = datetime.timedelta(hours=3)


@dataclass
class PhonePhoto:
    """A photo sent with a report: the phone's id for it, its caption and its file's bytes
    (re-encoded and stripped of metadata by visits.images.clean_photo before it is stored)."""

    client_uuid: uuid_module.UUID
    caption: str
    data: bytes = field(repr=False)


@dataclass
class WholeReport:
    """Everything a phone recorded of one visit, already checked for shape."""

    suite: CustodySuite
    co_visitors: list  # the other visitors, as users or user ids
    arrived_at: datetime.datetime
    sign_off: visit_service.SignOff
    checklist_versions: dict[str, int] = field(default_factory=dict)
    admission: dict | None = None  # record_admission's arguments; None if never let in
    numbers: dict = field(default_factory=dict)
    detainees: list[visit_service.DetaineeDetails] = field(default_factory=list)
    suite_answers: dict = field(default_factory=dict)
    issues: list[dict] = field(default_factory=list)  # raise_issue's arguments
    rechecks: list[dict] = field(default_factory=list)  # {"issue": id, "fixed": bool, "note"}
    good_practice: str = ""
    good_practice_names_checked: bool = False  # as an issue's `names_checked`
    photos: list[PhonePhoto] = field(default_factory=list)
    as_sent: dict = field(default_factory=dict)  # the JSON, kept whole in a copy


@dataclass(frozen=True)
class Receipt:
    """What became of a report sent from a phone."""

    CREATED = "created"
    ALREADY_STORED = "already_stored"
    KEPT_AS_COPY = "kept_as_copy"

    outcome: str
    visit: Visit
    message: str


OUTCOMES = [Receipt.CREATED, Receipt.ALREADY_STORED, Receipt.KEPT_AS_COPY]


def receive(*, actor, client_uuid: uuid_module.UUID, report: WholeReport) -> Receipt:
    """Store and submit a phone's report, once, however often it is sent.

    Raises DomainError (nothing stored) for a broken rule, ConflictError if the UUID is someone
    else's (in the same words whoever's, saying nothing of their visit) or names a visit being
    filled in step by step."""
    earlier = _earlier_receipt(actor, client_uuid, report)
    if earlier:
        return earlier
    photos = _cleaned_photos(report)
    with transaction.atomic():
        first = _recorded_by_partner(actor, report)
        if first:
            return _keep_copy(actor, client_uuid, report, first, photos)
        with _part("start"):
            visit = visit_service.start_visit(
                actor=actor,
                suite=report.suite,
                co_visitors=report.co_visitors,
                arrived_at=report.arrived_at,
                client_uuid=client_uuid,
                checklist_versions=report.checklist_versions,
            )
        if not visit.is_draft:
            # Another request with this UUID stored it while this one waited.
            return _already_stored(visit)
        _fill_in(actor, visit, report, photos)
        visit = visit_service.submit_visit(actor=actor, visit=visit)
    return Receipt(
        Receipt.CREATED, visit, "Sent. The report is stored and on its way to the scheme."
    )


def _already_stored(visit: Visit) -> Receipt:
    return Receipt(
        Receipt.ALREADY_STORED, visit, "This report had already arrived: it is stored once."
    )


def _earlier_receipt(actor, client_uuid, report: WholeReport) -> Receipt | None:
    """The answer to an earlier sending of this UUID, if there was one: the same receipt for the
    same report, and the changes kept beside the first for a report edited since."""
    visit = Visit.objects.filter(uuid=client_uuid).first()
    if visit:
        if not visit.visit_visitors.filter(user=actor).exists():
            raise visit_service.uuid_taken()
        if visit.is_draft:
            raise ConflictError(
                gettext("This visit is being filled in step by step: finish it there."),
                code="visit_in_progress",
            )
        if not _changes(visit, report):
            return _already_stored(visit)
        return _keep_edit(actor, client_uuid, report, visit)
    copy = VisitCopy.objects.filter(client_uuid=client_uuid).select_related("visit").first()
    if copy:
        if copy.sent_by_id != actor.pk:
            raise visit_service.uuid_taken()
        if copy.report == _without_photo_bytes(report.as_sent):
            return _copy_receipt(copy)
        return _keep_edit(actor, client_uuid, report, copy.visit)
    return None


def _keep_edit(actor, client_uuid, report: WholeReport, visit: Visit) -> Receipt:
    """A report changed on the phone after it was sent: kept whole beside the stored one, once.

    The copy's key is made from the phone's UUID and the report's content, so the same edit sent
    again (a lost answer) finds its copy, and a further edit makes another."""
    content = json.dumps(report.as_sent, sort_keys=True, default=str)
    edit_uuid = uuid_module.uuid5(client_uuid, content)
    photos = _cleaned_photos(report)
    with transaction.atomic():
        copy, created = VisitCopy.objects.get_or_create(
            client_uuid=edit_uuid,
            defaults={
                "visit": visit,
                "sent_by": actor,
                "report": _without_photo_bytes(report.as_sent),
                "differences": _changes(visit, report),
            },
        )
        if created:
            _keep_photos(copy, report, photos)
            audit.record(
                actor=actor,
                action="visit.edit_kept",
                obj=visit,
                scheme=visit.scheme,
                detail={"differences": len(copy.differences)},
            )
    return Receipt(
        Receipt.KEPT_AS_COPY,
        visit,
        "Sent again with your changes. The report first sent is kept as it was, and the "
        f"changed one beside it ({len(copy.differences)} "
        f"{'difference' if len(copy.differences) == 1 else 'differences'}) for the scheme "
        "manager to settle by amendment. Nothing is lost.",
    )


def _changes(visit: Visit, report: WholeReport) -> list[list[str]]:
    """`differences`, and also the notes, detainee flags and issue details a visitor may have
    corrected after sending: an edit found no different would be dropped."""
    found = differences(visit, report)
    detainees = {d.custody_number: d for d in visit.detainees.prefetch_related("answers")}
    flags = [*DETAINEE_FLAG_NAMES, "gender", "consent"]
    for details in report.detainees:
        number = rules.normalise_custody_number(details.custody_number)
        stored = detainees.get(number)
        if stored is None:
            continue  # already among the differences
        if any(getattr(stored, f) != getattr(details, f) for f in flags):
            found.append([f"Detainee {number}", "as recorded", "details differ"])
        notes = {a.question_id: a.note.strip() for a in stored.answers.all() if a.note.strip()}
        sent = {q: note.strip() for q, (_value, note) in details.answers.items() if note.strip()}
        if notes != sent:
            found.append([f"Detainee {number}", "notes", "notes differ"])
    suite_notes = {
        a.question_id: a.note.strip()
        for a in visit.answers.filter(detainee__isnull=True)
        if a.note.strip()
    }
    sent_notes = {q: n.strip() for q, (_v, n) in report.suite_answers.items() if n.strip()}
    if suite_notes != sent_notes:
        found.append(["Suite checks", "notes", "notes differ"])
    raised = {
        i.description.strip(): (i.category, i.severity, i.custody_number)
        for i in visit.issues.all()
    }
    for issue in report.issues:
        here = raised.get(issue["description"].strip())
        there = (issue.get("category"), issue.get("severity", "routine"))
        if here and here[:2] != there:
            found.append(["Issue", f"{here[0]}, {here[1]}", f"{there[0]}, {there[1]}"])
    for description in raised.keys() - {i["description"].strip() for i in report.issues}:
        found.append(["Issue", description, "not in the copy"])
    return found


@contextmanager
def _part(name: str) -> Iterator[None]:
    """Name the part of the report a broken rule is in, so the phone can point at the field."""
    try:
        yield
    except DomainError as error:
        fields = {f"{name}.{key}": message for key, message in error.fields.items()}
        fields = fields or {name: error.message}
        raise type(error)(error.message, code=error.code, fields=fields) from error


def _cleaned_photos(report: WholeReport) -> list:
    """Each photo re-encoded and stripped of metadata, before the transaction: Pillow's work is
    not done while the report's locks (and the audit trail's) are held."""
    cleaned = []
    for index, photo in enumerate(report.photos):
        try:
            cleaned.append(clean_photo(photo.data))
        except ImageRejected as rejected:
            field_name = f"photos.{index}.image"
            raise DomainError(str(rejected), code="image_rejected", field=field_name) from None
    return cleaned


def _fill_in(actor, visit: Visit, report: WholeReport, photos: list) -> None:
    if report.admission:
        with _part("admission"):
            visit_service.record_admission(actor=actor, visit=visit, **report.admission)
    with _part("numbers"):
        visit_service.record_numbers(actor=actor, visit=visit, numbers=report.numbers)
    for index, details in enumerate(report.detainees):
        with _part(f"detainees.{index}"):
            visit_service.save_detainee(actor=actor, visit=visit, details=details)
    with _part("suite"):
        visit_service.save_suite_answers(actor=actor, visit=visit, answers=report.suite_answers)
    for index, issue in enumerate(report.issues):
        with _part(f"issues.{index}"):
            visit_service.raise_issue(actor=actor, visit=visit, **issue)
    for index, (photo, clean) in enumerate(zip(report.photos, photos, strict=True)):
        with _part(f"photos.{index}"):
            visit_service.add_photo(
                actor=actor,
                visit=visit,
                photo=clean,
                caption=photo.caption,
                client_uuid=photo.client_uuid,
            )
    for index, recheck in enumerate(report.rechecks):
        with _part(f"rechecks.{index}"):
            _record_recheck(actor, visit, recheck)
    if report.good_practice.strip():
        # Its field is already the report's own: `good_practice`.
        visit_service.record_good_practice(
            actor=actor,
            visit=visit,
            text=report.good_practice,
            names_checked=report.good_practice_names_checked,
        )
    with _part("sign_off"):
        visit_service.record_sign_off(actor=actor, visit=visit, sign_off=report.sign_off)


def _record_recheck(actor, visit: Visit, recheck: dict) -> None:
    # Only an issue this visit may re-check: the same list the step-by-step issues page shows.
    issue = issue_service.awaiting_recheck(visit).filter(pk=recheck["issue"]).first()
    late = False
    if issue is None:
        # Marked fixed at another visit while this report waited on the phone: what this pair
        # saw is still kept, and the report is not refused for it.
        issue = issue_service.recheck_already_settled(visit, recheck["issue"])
        late = issue is not None
    if issue is None:
        raise issue_service.recheck_not_expected()
    issue_service.record_recheck(
        actor=actor,
        visit=visit,
        issue=issue,
        fixed=recheck["fixed"],
        note=recheck["note"],
        late=late,
    )


# --- The same visit from the other visitor's phone -------------------------------------------


def _recorded_by_partner(actor, report: WholeReport) -> Visit | None:
    """A visit the other visitor already recorded: same suite and day, close in time, theirs
    naming this visitor and this report naming them."""
    partners = [pk for pk in map(visit_service.person_id, report.co_visitors) if pk != actor.pk]
    partners = [pk for pk in partners if 0 < pk <= visit_service.MAX_ID]
    return (
        Visit.objects.select_for_update()
        .filter(
            suite=report.suite,
            visit_date=timezone.localdate(report.arrived_at),
            arrived_at__range=(
                report.arrived_at - SAME_VISIT_WINDOW,
                report.arrived_at + SAME_VISIT_WINDOW,
            ),
            visit_visitors__user=actor,
            created_by__in=partners,
        )
        .order_by("pk")
        .first()
    )


def _keep_copy(actor, client_uuid, report: WholeReport, visit: Visit, photos: list) -> Receipt:
    copy = VisitCopy.objects.create(
        visit=visit,
        client_uuid=client_uuid,
        sent_by=actor,
        report=_without_photo_bytes(report.as_sent),
        differences=differences(visit, report),
    )
    _keep_photos(copy, report, photos)
    audit.record(
        actor=actor,
        action="visit.copy_kept",
        obj=visit,
        scheme=visit.scheme,
        detail={"differences": len(copy.differences)},
    )
    return _copy_receipt(copy)


def _keep_photos(copy: VisitCopy, report: WholeReport, photos: list) -> None:
    """The copy's photos, kept with it (CopyPhoto), not on the report: the phone forgets them
    once the server has answered, so they must be kept here whole."""
    for photo, clean in zip(report.photos, photos, strict=True):
        kept = CopyPhoto(copy=copy, caption=photo.caption.strip(), client_uuid=photo.client_uuid)
        name = uuid_module.uuid4().hex
        kept.image.save(f"{name}.jpg", ContentFile(clean.data), save=False)
        kept.thumbnail.save(f"{name}-thumb.jpg", ContentFile(clean.thumbnail), save=False)
        kept.save()


def _without_photo_bytes(as_sent: dict) -> dict:
    """The report as sent, its photos' bytes left out: a copy keeps their ids and captions in
    its JSON (the images themselves are its CopyPhotos), not megabytes of base64."""
    photos = as_sent.get("photos") if isinstance(as_sent, dict) else None
    if not isinstance(photos, list):
        return as_sent
    kept = [
        {k: v for k, v in photo.items() if k != "image"} if isinstance(photo, dict) else photo
        for photo in photos
    ]
    return {**as_sent, "photos": kept}


def _copy_receipt(copy: VisitCopy) -> Receipt:
    first_by = copy.visit.created_by.get_full_name() or copy.visit.created_by.username
    if copy.differences:
        what = (
            f"Yours differs in {len(copy.differences)} "
            f"{'place' if len(copy.differences) == 1 else 'places'}, and is kept beside it "
            "as a proposed amendment for the two of you and the scheme manager to settle."
        )
    else:
        what = "Yours says the same, and is kept beside it."
    return Receipt(
        Receipt.KEPT_AS_COPY,
        copy.visit,
        f"{first_by} had already sent this visit from their phone. {what} Nothing is lost.",
    )


# The fields a phone's report is compared on, named as the report names them.
SCALAR_LABELS = [
    (name, REPORT_FIELD_LABELS[name])
    for name in (
        "admitted_at",
        "delay_minutes",
        "delay_reason",
        *NUMBER_LABELS,
        "good_practice",
        "departed_at",
        "outcome",
        "abandoned_reason",
        "sergeant_name",
        "sergeant_comments",
    )
]


def _shown(value) -> str:
    if isinstance(value, datetime.datetime):
        return timezone.localtime(value).strftime("%H:%M")
    return "" if value is None else str(value)


def _answers_text(answers: dict) -> dict[int, str]:
    return {qid: value for qid, (value, _note) in answers.items() if value}


def differences(visit: Visit, report: WholeReport) -> list[list[str]]:
    """Where a phone's report differs from the stored one: [what, in the report, in the copy]."""
    sent = {
        **(report.admission or {}),
        **report.numbers,
        "good_practice": report.good_practice.strip(),
        **{name: getattr(report.sign_off, name) for name in visit_service.SignOff.FIELDS},
    }
    found = []
    for name, label in SCALAR_LABELS:
        if name not in sent:
            continue
        here, there = _shown(getattr(visit, name)), _shown(sent[name]).strip()
        if here != there:
            found.append([str(label), here or "(blank)", there or "(blank)"])

    stored = {
        d.custody_number: {a.question_id: a.value for a in d.answers.all() if a.value}
        for d in visit.detainees.prefetch_related("answers")
    }
    for details in report.detainees:
        number = rules.normalise_custody_number(details.custody_number)
        answers = _answers_text(details.answers)
        if number not in stored:
            found.append([f"Detainee {number}", "not on the report", f"{len(answers)} answers"])
        elif stored[number] != answers:
            changed = sum(
                stored[number].get(q) != answers.get(q) for q in {*stored[number], *answers}
            )
            found.append([f"Detainee {number}", "answered", f"{changed} answers differ"])
    sent_numbers = {rules.normalise_custody_number(d.custody_number) for d in report.detainees}
    for number in stored.keys() - sent_numbers:
        found.append([f"Detainee {number}", "seen", "not in the copy"])

    suite_stored = {
        a.question_id: a.value for a in visit.answers.filter(detainee__isnull=True) if a.value
    }
    suite_sent = _answers_text(report.suite_answers)
    if suite_stored != suite_sent:
        questions = {*suite_stored, *suite_sent}
        changed = sum(suite_stored.get(q) != suite_sent.get(q) for q in questions)
        found.append(["Suite checks", "answered", f"{changed} answers differ"])

    stored_photos = visit.attachments.count()
    if len(report.photos) != stored_photos:
        found.append(
            ["Photos", f"{stored_photos} on the report", f"{len(report.photos)} in the copy"]
        )

    raised = {issue.description.strip() for issue in visit.issues.all()}
    for issue in report.issues:
        if issue["description"].strip() not in raised:
            found.append(["Issue", "not raised", issue["description"].strip()])
    return found


def copies_to_settle(user, visit: Visit) -> list[VisitCopy]:
    """Second records of the visit from the partner's phone, for those who settle them (visits
    from `Visit.objects.for_report()` know whether they have any without a query)."""
    if not (visit.has_copies and permissions.can_settle_copy(user, visit)):
        return []
    return list(visit.copies.select_related("sent_by", "dealt_with_by").prefetch_related("photos"))


def mark_copy_dealt_with(*, actor, copy: VisitCopy) -> VisitCopy:
    """The differences have been settled (by amendment, or found not to matter)."""
    if copy.status != VisitCopy.Status.DEALT_WITH:
        copy.status = VisitCopy.Status.DEALT_WITH
        copy.dealt_with_by = actor
        copy.save(update_fields=["status", "dealt_with_by"])
        audit.record(
            actor=actor, action="visit.copy_dealt_with", obj=copy.visit, scheme=copy.visit.scheme
        )
    return copy
