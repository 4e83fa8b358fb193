"""Subject access (UK GDPR article 15): everything a scheme holds about one of its people, as
one JSON document the scheme manager can send them. Only that scheme's records: a volunteer
in two schemes asks each. Detainees' data is not the volunteer's and stays out; the visits
they made are listed by suite, date and outcome."""

from __future__ import annotations

import base64

from django.utils import timezone
from django.utils.translation import gettext

from visits import permissions
from visits.errors import NotPermitted
from visits.models import (
    Amendment,
    Application,
    AuditEntry,
    Availability,
    CardPhoto,
    Email,
    ExpenseClaim,
    IdCard,
    Issue,
    IssueEvent,
    Membership,
    RotaSlot,
    SwapRequest,
    TrainingCompletion,
    Visit,
)
from visits.services import audit
from visits.services.expenses import what_for


def export(*, actor, person, scheme) -> dict:
    if not permissions.can_manage_scheme(actor, scheme.pk):
        raise NotPermitted(
            gettext("Only the scheme manager exports a person's data."), code="role_not_allowed"
        )
    memberships = Membership.objects.filter(user=person, scheme=scheme).select_related("panel")
    visits = (
        Visit.objects.filter(scheme=scheme, visitors=person)
        .select_related("suite")
        .order_by("visit_date")
    )
    document = {
        "exported_at": timezone.now().isoformat(),
        "exported_by": actor.get_full_name(),
        "scheme": scheme.name,
        "account": {
            "username": person.username,
            "first_name": person.first_name,
            "last_name": person.last_name,
            "email": person.email,
            "date_joined": person.date_joined.isoformat(),
            "last_login": person.last_login.isoformat() if person.last_login else None,
            "active": person.is_active,
        },
        "memberships": [
            {
                "role": m.get_role_display(),
                "status": m.get_status_display(),
                "panel": m.panel.name if m.panel else None,
                "phone": m.phone,
                "appointed_on": m.appointed_on.isoformat() if m.appointed_on else None,
                # Vetting, appointment and leaving (issue 22).
                **{
                    name: (value.isoformat() if hasattr(value, "isoformat") else value)
                    for name, value in (
                        ("vetting_level", m.get_vetting_level_display() or None),
                        ("vetting_reference", m.vetting_reference or None),
                        ("vetting_granted_on", m.vetting_granted_on),
                        ("vetting_expires_on", m.vetting_expires_on),
                        ("appointment_ends_on", m.appointment_ends_on),
                        ("appointment_renewed_on", m.appointment_renewed_on),
                        ("left_on", m.left_on),
                        ("leaving_reason", m.leaving_reason or None),
                    )
                },
                "suites": sorted(s.name for s in m.suites.all()),
                "conflicts_of_interest": [
                    {"suite": c.suite.name, "reason": c.reason}
                    for c in m.conflicts.select_related("suite")
                ],
                "calendar_feed": m.calendar_feeds.filter(revoked_at__isnull=True).exists(),
            }
            for m in memberships
        ],
        "visits": [
            {
                "suite": v.suite.name,
                "date": v.visit_date.isoformat(),
                "status": v.get_status_display(),
                "outcome": v.get_outcome_display() if v.outcome else "",
            }
            for v in visits
        ],
        "availability": [
            {
                "period": a.period.name,
                "unavailable_weeks": a.unavailable_weeks,
                "preferred_days": a.preferred_days,
                "preferred_bands": a.preferred_bands,
                "nights_ok": a.nights_ok,
                "nights_a_year": a.nights_a_year,
                "max_visits_per_month": a.max_visits_per_month,
                "max_visits_per_period": a.max_visits_per_period,
            }
            for a in Availability.objects.filter(user=person, period__scheme=scheme)
            .select_related("period")
            .order_by("period__starts_on")
        ],
        # Training (issue 22): what they completed and who recorded it.
        "training": [
            {
                "module": c.module.name,
                "completed_on": c.completed_on.isoformat(),
                "note": c.note,
                "recorded_by": c.recorded_by.get_full_name() if c.recorded_by else None,
            }
            for c in TrainingCompletion.objects.filter(membership__in=memberships)
            .select_related("module", "recorded_by")
            .order_by("completed_on", "pk")
        ],
        "rota_slots": [
            {
                "suite": s.suite.name,
                "week_starts_on": s.week_starts_on.isoformat(),
                "status": s.get_status_display(),
            }
            for s in RotaSlot.objects.filter(visitors=person, period__scheme=scheme)
            .select_related("suite")
            .order_by("week_starts_on")
        ],
        "swaps_offered": SwapRequest.objects.filter(
            offered_by=person, slot__period__scheme=scheme
        ).count(),
        # Expenses (issue 22): every claim they made in this scheme, withdrawn ones included.
        "expense_claims": [
            {
                "date": c.incurred_on.isoformat(),
                "what_for": what_for(c),
                "miles": str(c.miles),
                "pence_per_mile": c.pence_per_mile,
                "other_pence": c.other_pence,
                "other_description": c.other_description,
                "total_pence": c.total_pence,
                "status": c.get_status_display(),
                "manager_question": c.query or None,
                "paid_on": c.paid_on.isoformat() if c.paid_on else None,
                "submitted_at": c.submitted_at.isoformat(),
                "receipt_photo": bool(c.receipt),
            }
            for c in ExpenseClaim.objects.for_list()
            .filter(membership__user=person, membership__scheme=scheme)
            .order_by("incurred_on", "pk")
        ],
        "issues_raised": [
            {
                "suite": i.suite.name,
                "raised": i.created_at.isoformat(),
                "category": i.get_category_display(),
                "description": i.description,
            }
            for i in Issue.objects.filter(raised_by=person, scheme=scheme).select_related("suite")
        ],
        "issue_notes_written": [
            {"issue": e.issue_id, "at": e.created_at.isoformat(), "kind": e.kind, "text": e.text}
            for e in IssueEvent.objects.filter(actor=person, issue__scheme=scheme)
        ],
        "amendments_made": [
            {
                "visit_date": a.visit.visit_date.isoformat(),
                "at": a.created_at.isoformat(),
                "reason": a.reason,
            }
            for a in Amendment.objects.filter(actor=person, visit__scheme=scheme).select_related(
                "visit"
            )
        ],
        "api_tokens": [
            {
                "name": t.name,
                "created_at": t.created_at.isoformat(),
                "last_used_at": t.last_used_at.isoformat() if t.last_used_at else None,
                "revoked": t.revoked_at is not None,
            }
            for t in person.api_tokens.all()
        ],
        # What the scheme e-mailed them (the messages are built when sent and not kept).
        "emails": [
            {
                "queued_at": e.created_at.isoformat(),
                "to": e.to_address,
                "kind": e.get_kind_display(),
                "subject": e.subject,
                "status": e.get_status_display(),
                "sent_at": e.sent_at.isoformat() if e.sent_at else None,
            }
            for e in Email.objects.filter(scheme=scheme, to_user=person).order_by("pk")
        ],
        # Their application to volunteer, once it made them a member (issue 22); an application
        # that did not is the applicant's, not an account's, and is deleted in time (retention).
        "applications": [
            {
                "received_at": a.received_at.isoformat(),
                "status": a.get_status_display(),
                "first_name": a.first_name,
                "last_name": a.last_name,
                "email": a.email,
                "phone": a.phone,
                "postcode_area": a.postcode_area,
                "motivation": a.motivation,
                "availability": a.availability,
                "consented_at": a.consented_at.isoformat(),
                "interviewed_on": a.interviewed_on.isoformat() if a.interviewed_on else None,
                "interview_notes": a.interview_notes,
                "references": [
                    {
                        "referee_name": r.referee_name,
                        "relationship": r.relationship,
                        "received_on": r.received_on.isoformat() if r.received_on else None,
                        "satisfactory": r.satisfactory,
                        # What a referee wrote was given in confidence (a reference is exempt
                        # from subject access, DPA 2018 sch. 2 para. 24): not handed on here.
                    }
                    for r in a.references.all()
                ],
            }
            for a in Application.objects.filter(scheme=scheme, user=person)
            .prefetch_related("references")
            .order_by("received_at")
        ],
        # ID cards (issue 22): every card, and the photo printed on them as the file itself.
        "id_cards": [
            {
                "number": c.number,
                "issued_on": c.issued_on.isoformat(),
                "expires_on": c.expires_on.isoformat(),
                "revoked_on": c.revoked_on.isoformat() if c.revoked_on else None,
                "revoked_reason": c.revoked_reason or None,
            }
            for c in IdCard.objects.filter(membership__in=memberships).order_by("issued_on", "pk")
        ],
        "id_card_photos": [
            _photo_file(photo)
            for photo in CardPhoto.objects.filter(membership__in=memberships).order_by("pk")
        ],
        "audit_trail": [
            {"at": e.created_at.isoformat(), "action": e.action, "address": e.ip_address}
            for e in AuditEntry.objects.filter(actor=person, scheme=scheme).order_by("pk")
        ],
    }
    audit.record(
        actor=actor,
        action="person.subject_access_exported",
        obj=person,
        scheme=scheme,
        detail={"for": person.pk},
    )
    return document


def _photo_file(photo: CardPhoto) -> dict:
    """A card photo as a file inside the JSON document: its name, type and bytes (base64)."""
    try:
        with photo.image.open("rb") as file:
            data = file.read()
    except FileNotFoundError:
        return {"uploaded_at": photo.uploaded_at.isoformat(), "file": None}
    return {
        "uploaded_at": photo.uploaded_at.isoformat(),
        "file": {
            "name": f"id-card-photo-{photo.pk}.jpg",
            "content_type": "image/jpeg",
            "base64": base64.b64encode(data).decode("ascii"),
        },
    }
