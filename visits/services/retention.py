"""Keeping detainee-level data no longer than the scheme says (UK GDPR storage limitation).

Past a scheme's `detainee_data_retention_days`, a submitted report's detainee records lose
what could point to a person: the custody number, gender and ethnicity, and the free-text notes
on their answers; issues about one detainee lose the custody number. What the summaries count
is kept (each record's flags and answer values, the visit's numbers), so every figure for a
past quarter stays the same. Nothing the reports count is deleted, so they still add up; second
records from a phone (copies) go whole, with their photos' files.

Applications to volunteer that closed without an appointment (declined, withdrawn, not taken
forward) are deleted whole, with their references, settings.APPLICATION_RETENTION_MONTHS after
they closed (issue 22); an accepted one stays with the volunteer's record."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.db.models import CharField, Value
from django.db.models.functions import Cast, Concat
from django.utils import timezone

from visits.models import Answer, CopyPhoto, DetaineeRecord, Issue, Scheme, Visit, VisitCopy
from visits.services import audit, recruitment


@dataclass
class Anonymised:
    scheme: str
    older_than: datetime.date
    visits: int = 0
    detainees: int = 0
    notes: int = 0
    issues: int = 0
    copies: int = 0  # second records from a phone (phone_reports), deleted whole
    applications: int = 0  # applications to volunteer closed long ago (recruitment), deleted

    def __str__(self) -> str:
        return (
            f"{self.scheme}: reports from before {self.older_than:%d %B %Y}: "
            f"{self.detainees} detainee records in {self.visits} reports, {self.notes} answer "
            f"notes and {self.issues} issues anonymised"
            + (
                f"; {self.applications} applications to volunteer deleted"
                if self.applications
                else ""
            )
        )


def apply(*, today: datetime.date | None = None, dry_run: bool = False) -> list[Anonymised]:
    """Anonymise what every scheme holds past its retention period; say what was (or, with
    `dry_run`, would be) done, scheme by scheme."""
    today = today or timezone.localdate()
    return [_apply_to(scheme, today, dry_run) for scheme in Scheme.objects.order_by("name")]


def _apply_to(scheme: Scheme, today: datetime.date, dry_run: bool) -> Anonymised:
    cutoff = today - datetime.timedelta(days=scheme.detainee_data_retention_days)
    visits = Visit.objects.filter(
        scheme=scheme, status=Visit.Status.SUBMITTED, visit_date__lt=cutoff
    )
    detainees = DetaineeRecord.objects.filter(visit__in=visits, anonymised_at__isnull=True)
    notes = Answer.objects.filter(visit__in=visits, detainee__isnull=False).exclude(note="")
    issues = Issue.objects.filter(visit__in=visits).exclude(custody_number="")
    copies = VisitCopy.objects.filter(visit__in=visits)
    applications = recruitment.expired_applications(
        scheme, timezone.now(), settings.APPLICATION_RETENTION_MONTHS
    )
    done = Anonymised(
        scheme=scheme.name,
        older_than=cutoff,
        visits=visits.filter(detainees__in=detainees).distinct().count(),
        detainees=detainees.count(),
        notes=notes.count(),
        issues=issues.count(),
        copies=copies.count(),
        applications=applications.count(),
    )
    if dry_run or not (
        done.detainees or done.notes or done.issues or done.copies or done.applications
    ):
        return done
    with transaction.atomic():
        # Their references go with them (cascade).
        applications.delete()
        notes.update(note="")
        issues.update(custody_number="")
        # A copy's photos go with it: their rows by cascade, their files (local disk or the
        # bucket) once that is committed, so a rolled-back run deletes nothing.
        files = [
            (field.storage, field.name)
            for photo in CopyPhoto.objects.filter(copy__in=copies)
            for field in (photo.image, photo.thumbnail)
            if field.name
        ]
        copies.delete()
        transaction.on_commit(lambda: [storage.delete(name) for storage, name in files])
        # Unique within its report, and saying what happened to it.
        detainees.update(
            custody_number=Concat(Value("anonymised-"), Cast("pk", output_field=CharField())),
            gender="",
            ethnicity="",
            anonymised_at=timezone.now(),
        )
        audit.record(
            actor=None,
            action="retention.applied",
            scheme=scheme,
            detail={
                "older_than": cutoff.isoformat(),
                "visits": done.visits,
                "detainees": done.detainees,
                "notes": done.notes,
                "issues": done.issues,
                "copies": done.copies,
                "applications": done.applications,
            },
        )
    return done
