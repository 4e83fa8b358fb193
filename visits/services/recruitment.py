"""Recruitment (issue 22): an application from the public form to the offer that makes its
applicant a trainee visitor, every step audited.

    received → shortlisted → interviewed → references → offered → accepted
    (and, while open: rejected or withdrawn; once offered: declined)

`accept_offer` is the one step that creates the account (or links an existing one with the same
e-mail address) and the TRAINEE membership; a new account gets a one-time set-password link by
e-mail (visits.mail_messages.build_welcome). Only the scheme's manager sees an application:
everyone else is told nothing (NotFound, a 404 at the doors)."""

from __future__ import annotations

import calendar
import datetime
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext

from visits import notifications, permissions
from visits.errors import ConflictError, DomainError, NotFound, NotPermitted
from visits.models import (
    CLOSED_STATUSES,
    Application,
    ApplicationStatus,
    Membership,
    Reference,
    Role,
    Scheme,
    VisitorStatus,
)
from visits.models.people import VISITING_ROLES
from visits.services import audit

S = ApplicationStatus
# Where an application may go from each open status. Interviewed, offered and accepted are
# reached only through their own steps (record_interview, make_offer, accept_offer).
NEXT = {
    S.RECEIVED: {S.SHORTLISTED, S.REJECTED, S.WITHDRAWN},
    S.SHORTLISTED: {S.INTERVIEWED, S.REJECTED, S.WITHDRAWN},
    S.INTERVIEWED: {S.REFERENCES, S.REJECTED, S.WITHDRAWN},
    S.REFERENCES: {S.OFFERED, S.REJECTED, S.WITHDRAWN},
    S.OFFERED: {S.ACCEPTED, S.DECLINED, S.WITHDRAWN},
}
OWN_STEP = {S.INTERVIEWED, S.OFFERED, S.ACCEPTED}
# Schemes take up two references before an offer (ICV-DOMAIN.md, "from application to leaving").
REFERENCES_NEEDED = 2


@dataclass(frozen=True)
class Applicant:
    """What the public form hands over, already shaped and typed."""

    first_name: str
    last_name: str
    email: str
    phone: str
    postcode_area: str
    motivation: str
    availability: str
    declares_adult: bool
    declares_not_police: bool
    declares_not_justice: bool
    consented: bool


# --- The public form ----------------------------------------------------------------------------


def scheme_taking_applications(slug: str) -> Scheme:
    """The scheme whose form this is, or NotFound."""
    scheme = Scheme.objects.filter(slug=slug).first()
    if scheme is None:
        raise NotFound(gettext("No such scheme."), code="not_found")
    return scheme


def receive_application(*, scheme: Scheme, applicant: Applicant, notify: bool = True):
    """Keep an application and queue a note to the scheme's managers. Raises DomainError
    without consent to the privacy notice or any of the eligibility declarations."""
    if not applicant.consented:
        raise DomainError(
            gettext("Tick the box to say you have read the privacy notice."),
            code="consent_required",
            field="consent",
        )
    missing = {
        name: gettext("You can apply only if this is true.")
        for name in ("declares_adult", "declares_not_police", "declares_not_justice")
        if not getattr(applicant, name)
    }
    if missing:
        raise DomainError(
            gettext("You can apply only if each of the statements is true."),
            code="not_eligible",
            fields=missing,
        )
    now = timezone.now()
    with transaction.atomic():
        application = Application.objects.create(
            scheme=scheme,
            first_name=applicant.first_name.strip(),
            last_name=applicant.last_name.strip(),
            email=applicant.email.strip(),
            phone=applicant.phone.strip(),
            postcode_area=applicant.postcode_area.strip().upper(),
            motivation=applicant.motivation.strip(),
            availability=applicant.availability.strip(),
            declares_adult=True,
            declares_not_police=True,
            declares_not_justice=True,
            consented_at=now,
            received_at=now,
            status_changed_at=now,
        )
        if notify:
            notifications.queue_application_received(application)
        # Who applied stays out of the trail (it outlives the application): the row's id is enough.
        audit.record(
            actor=None, action="application.received", obj=application, scheme=scheme, detail={}
        )
    return application


# --- Who sees what ------------------------------------------------------------------------------


def scope_applications(user):
    """The applications to the schemes the user manages; nobody else's."""
    return Application.objects.filter(scheme_id__in=permissions.managed_schemes(user))


def application_list(*, actor) -> list[Application]:
    """Every application to the actor's schemes, open ones first, with their reference counts
    (one query)."""
    rows = list(scope_applications(actor).for_list().order_by("-received_at", "-pk"))
    order = {status: index for index, status in enumerate(S.values)}
    return sorted(rows, key=lambda a: order[a.status])


def application_for(*, actor, pk: int) -> Application:
    """One application the actor manages, or NotFound (the force, the PCC reader, visitors and
    other schemes are told nothing)."""
    application = (
        scope_applications(actor).select_related("scheme", "membership__user").filter(pk=pk)
    )
    application = application.first()
    if application is None:
        raise NotFound(gettext("No such application."), code="not_found")
    return application


def schemes_managed_by(user) -> list[Scheme]:
    """The schemes whose applications the user deals with (none: the pages are a 404)."""
    ids = permissions.managed_schemes(user)
    return list(Scheme.objects.filter(pk__in=ids).order_by("name")) if ids else []


def reference_of(application: Application, pk: int) -> Reference | None:
    return application.references.filter(pk=pk).first()


def application_page(application: Application) -> dict:
    """What the manager's page of one application shows: the application, its references, why
    no offer can be made yet, and the next steps open from where it is."""
    references = list(application.references.all())
    application._prefetched_objects_cache = {"references": references}
    moves = NEXT.get(application.status, set())
    return {
        "application": application,
        "references": references,
        "offer_blocked": references_ready(application) if S.OFFERED in moves else None,
        "next_moves": [status for status in S.values if status in moves],
        "may_interview": application.status
        in (S.SHORTLISTED, S.INTERVIEWED, S.REFERENCES, S.OFFERED),
        "may_add_references": not application.is_closed,
        "may_send_welcome": _awaits_password(application),
        "welcome_link_days": max(1, settings.PASSWORD_RESET_TIMEOUT // 86400),
    }


def _awaits_password(application: Application) -> bool:
    """An accepted applicant whose account still has no password (the link expired or was lost)."""
    membership = application.membership
    return (
        application.status == S.ACCEPTED
        and membership is not None
        and not membership.user.has_usable_password()
    )


def retention_months() -> int:
    return settings.APPLICATION_RETENTION_MONTHS


def _require_manager(actor, application: Application) -> None:
    if not permissions.can_manage_scheme(actor, application.scheme_id):
        raise NotPermitted(
            gettext("Only the scheme manager deals with applications."), code="role_not_allowed"
        )


def _locked(application: Application) -> Application:
    """The application read again under a row lock: a second click waits, then sees the first."""
    fresh = Application.objects.select_for_update().get(pk=application.pk)
    for name in ("status", "status_changed_at", "closed_at", "offered_at", "user_id"):
        setattr(application, name, getattr(fresh, name))
    application.membership_id = fresh.membership_id
    return application


def _refuse_move(application: Application, to: str) -> None:
    if application.status == to:
        raise ConflictError(
            gettext("The application is already at this stage: %(status)s.")
            % {"status": application.get_status_display()},
            code="already_there",
        )
    if application.status in CLOSED_STATUSES:
        raise ConflictError(
            gettext("This application is closed (%(status)s).")
            % {"status": application.get_status_display()},
            code="application_closed",
        )
    if to not in NEXT.get(application.status, ()):
        raise DomainError(
            gettext("An application that is “%(now)s” cannot become “%(to)s”.")
            % {"now": application.get_status_display(), "to": S(to).label},
            code="invalid_move",
        )


def _set_status(application: Application, to: str, now) -> list[str]:
    application.status = to
    application.status_changed_at = now
    fields = ["status", "status_changed_at"]
    if to in CLOSED_STATUSES:
        application.closed_at = now
        fields.append("closed_at")
    return fields


# --- The steps ----------------------------------------------------------------------------------


def move_status(*, actor, application: Application, to: str) -> Application:
    """Shortlist, take up references, reject, or record that the applicant withdrew or declined.
    Raises DomainError for a move that makes no sense from where the application is."""
    _require_manager(actor, application)
    if to not in S.values:
        raise DomainError(gettext("Choose what happens next."), code="invalid_move")
    if to in OWN_STEP:
        raise DomainError(
            gettext("Record the interview, make the offer or accept it with its own form."),
            code="needs_its_own_step",
        )
    with transaction.atomic():
        _locked(application)
        _refuse_move(application, to)
        before = application.status
        application.save(update_fields=_set_status(application, to, timezone.now()))
        audit.record(
            actor=actor,
            action="application.moved",
            obj=application,
            scheme=application.scheme,
            detail={"from": before, "to": to},
        )
    return application


def record_interview(
    *, actor, application: Application, interviewed_on: datetime.date, notes: str
) -> Application:
    """Record the interview (a shortlisted applicant becomes interviewed; later, the notes and
    date can be corrected). Raises DomainError for an interview in the future or before the
    application came in, or for an application not yet shortlisted or closed."""
    _require_manager(actor, application)
    if interviewed_on > timezone.localdate():
        raise DomainError(
            gettext("Record the interview once it has taken place."),
            code="interview_in_future",
            field="interviewed_on",
        )
    if interviewed_on < timezone.localtime(application.received_at).date():
        raise DomainError(
            gettext("The interview cannot come before the application."),
            code="interview_before_application",
            field="interviewed_on",
        )
    with transaction.atomic():
        _locked(application)
        fields = ["interviewed_on", "interview_notes"]
        if application.status == S.SHORTLISTED:
            fields += _set_status(application, S.INTERVIEWED, timezone.now())
        elif application.status not in (S.INTERVIEWED, S.REFERENCES, S.OFFERED):
            raise DomainError(
                gettext("Shortlist the application before recording an interview."),
                code="not_shortlisted",
                field="interviewed_on",
            )
        application.interviewed_on = interviewed_on
        application.interview_notes = notes.strip()
        application.save(update_fields=fields)
        audit.record(
            actor=actor,
            action="application.interviewed",
            obj=application,
            scheme=application.scheme,
            detail={"interviewed_on": interviewed_on.isoformat()},
        )
    return application


def add_reference(
    *, actor, application: Application, referee_name: str, relationship: str
) -> Reference:
    """Note a referee to ask. Raises DomainError once the application is closed."""
    _require_manager(actor, application)
    if not referee_name.strip():
        raise DomainError(
            gettext("Give the referee's name."), code="name_required", field="referee_name"
        )
    with transaction.atomic():
        _locked(application)
        if application.status in CLOSED_STATUSES:
            raise ConflictError(gettext("This application is closed."), code="application_closed")
        reference = Reference.objects.create(
            application=application,
            referee_name=referee_name.strip(),
            relationship=relationship.strip(),
        )
        audit.record(
            actor=actor,
            action="application.reference_added",
            obj=application,
            scheme=application.scheme,
            detail={"reference": reference.pk},
        )
    return reference


def record_reference(
    *,
    actor,
    reference: Reference,
    received_on: datetime.date,
    satisfactory: bool,
    notes: str,
) -> Reference:
    """Record what a referee said. Raises DomainError for a date in the future or a closed
    application."""
    application = reference.application
    _require_manager(actor, application)
    if received_on > timezone.localdate():
        raise DomainError(
            gettext("The date received cannot be in the future."),
            code="received_in_future",
            field="received_on",
        )
    with transaction.atomic():
        _locked(application)
        if application.status in CLOSED_STATUSES:
            raise ConflictError(gettext("This application is closed."), code="application_closed")
        reference.received_on = received_on
        reference.satisfactory = satisfactory
        reference.notes = notes.strip()
        reference.save(update_fields=["received_on", "satisfactory", "notes"])
        audit.record(
            actor=actor,
            action="application.reference_recorded",
            obj=application,
            scheme=application.scheme,
            detail={"reference": reference.pk, "satisfactory": satisfactory},
        )
    return reference


def references_ready(application: Application) -> str | None:
    """Why the references do not yet allow an offer, or None when they do: at least
    REFERENCES_NEEDED, and every one received and satisfactory."""
    references = list(application.references.all())
    if len(references) < REFERENCES_NEEDED:
        return gettext("An offer needs %(n)s references; this application has %(has)s.") % {
            "n": REFERENCES_NEEDED,
            "has": len(references),
        }
    if any(r.received_on is None for r in references):
        return gettext("Every reference must have come back before an offer.")
    if not all(r.satisfactory for r in references):
        return gettext("A reference was not satisfactory: an offer cannot be made.")
    return None


def make_offer(*, actor, application: Application) -> Application:
    """Offer the applicant a place. Raises DomainError unless references are being taken up
    and enough of them came back satisfactory."""
    _require_manager(actor, application)
    with transaction.atomic():
        _locked(application)
        _refuse_move(application, S.OFFERED)
        why_not = references_ready(application)
        if why_not:
            raise DomainError(why_not, code="references_not_satisfactory")
        now = timezone.now()
        fields = _set_status(application, S.OFFERED, now)
        application.offered_at = now
        application.save(update_fields=[*fields, "offered_at"])
        audit.record(
            actor=actor,
            action="application.offered",
            obj=application,
            scheme=application.scheme,
            detail={},
        )
    return application


def accept_offer(*, actor, application: Application) -> Membership:
    """The applicant accepts: in one step, their account (a new one, or the existing one with
    the same e-mail address) and a TRAINEE visiting membership of the scheme; a new account is
    sent a one-time link to set its password. Raises DomainError for an application not
    offered, already accepted, or whose applicant already visits for this scheme."""
    _require_manager(actor, application)
    with transaction.atomic():
        _locked(application)
        if application.status == S.ACCEPTED:
            raise ConflictError(
                gettext("This offer has already been accepted."), code="already_accepted"
            )
        _refuse_move(application, S.ACCEPTED)
        user, created = _account_for(application)
        earlier = Membership.objects.filter(
            user=user, scheme_id=application.scheme_id, role__in=VISITING_ROLES
        ).first()
        if earlier is not None and earlier.status != VisitorStatus.LEFT:
            raise ConflictError(
                gettext("%(email)s already has a visitor's account in this scheme.")
                % {"email": application.email},
                code="already_member",
            )
        if earlier is not None:
            # A former visitor who applies again comes back as a trainee, their history kept.
            earlier.status, earlier.left_on, earlier.leaving_reason = (
                VisitorStatus.TRAINEE,
                None,
                "",
            )
            earlier.phone = application.phone or earlier.phone
            earlier.save(update_fields=["status", "left_on", "leaving_reason", "phone"])
            membership = earlier
        else:
            membership = Membership.objects.create(
                user=user,
                scheme_id=application.scheme_id,
                role=Role.VISITOR,
                status=VisitorStatus.TRAINEE,
                phone=application.phone,
            )
        fields = _set_status(application, S.ACCEPTED, timezone.now())
        application.user = user
        application.membership = membership
        application.save(update_fields=[*fields, "user", "membership"])
        notifications.queue_welcome(membership, application)
        audit.record(
            actor=actor,
            action="application.accepted",
            obj=application,
            scheme=application.scheme,
            detail={"membership": membership.pk, "user": user.pk, "new_account": created},
        )
    return membership


def send_welcome_again(*, actor, application: Application):
    """Queue the welcome e-mail again, with a fresh link to set a password (the first one lasts
    PASSWORD_RESET_TIMEOUT). Raises DomainError once the password is set, or before acceptance."""
    _require_manager(actor, application)
    if not _awaits_password(application):
        raise DomainError(
            gettext("Only an accepted applicant who has not yet set a password is sent this."),
            code="no_welcome_due",
        )
    with transaction.atomic():
        email = notifications.queue_welcome(application.membership, application)
        audit.record(
            actor=actor,
            action="application.welcome_sent_again",
            obj=application,
            scheme=application.scheme,
            detail={"email": email.pk if email else None},
        )
    return email


def _account_for(application: Application):
    """The active account with the applicant's e-mail address, or a new one without a usable
    password (they set one through the welcome e-mail's link). Returns (user, created)."""
    User = get_user_model()
    existing = list(User.objects.filter(email__iexact=application.email, is_active=True)[:2])
    if len(existing) > 1:
        raise ConflictError(
            gettext("More than one account uses %(email)s; ask the administrator to merge them.")
            % {"email": application.email},
            code="ambiguous_account",
        )
    if existing:
        account = existing[0]
        # The address is the applicant's word, never checked: an account that is anything but
        # a volunteer's (staff, a manager, the force's custody lead, the PCC's reader) is never
        # made a visitor by it, which would show them the rota and what visitors see.
        if (
            account.is_staff
            or account.is_superuser
            or account.memberships.exclude(role__in=VISITING_ROLES).exists()
        ):
            raise ConflictError(
                gettext(
                    "%(email)s belongs to an account that is not a volunteer's. Check the "
                    "address with the applicant: they need an address of their own."
                )
                % {"email": application.email},
                code="account_not_a_volunteers",
            )
        return account, False
    user = User(
        username=_free_username(application),
        first_name=application.first_name[:150],
        last_name=application.last_name[:150],
        email=application.email,
    )
    user.set_unusable_password()
    user.save()
    return user, True


def _free_username(application: Application) -> str:
    User = get_user_model()
    base = slugify(f"{application.first_name}.{application.last_name}").replace("-", ".")
    base = (base or "volunteer")[:140]
    candidate, n = base, 1
    while User.objects.filter(username=candidate).exists():
        n += 1
        candidate = f"{base}{n}"
    return candidate


# --- Retention ----------------------------------------------------------------------------------


def months_before(moment: datetime.datetime, months: int) -> datetime.datetime:
    """The same day and time `months` calendar months earlier (the month's last day if shorter)."""
    month_index = moment.year * 12 + moment.month - 1 - months
    year, month = divmod(month_index, 12)
    day = min(moment.day, calendar.monthrange(year, month + 1)[1])
    return moment.replace(year=year, month=month + 1, day=day)


def expired_applications(scheme: Scheme, now: datetime.datetime, months: int):
    """Applications that closed without an appointment more than `months` months ago, and
    those nobody closed, received more than `months` months ago (spam left in the list
    included): kept no longer than a closed one."""
    cutoff = months_before(now, months)
    closed = Q(status__in=CLOSED_STATUSES, closed_at__lt=cutoff)
    never_closed = ~Q(status__in=CLOSED_STATUSES) & Q(received_at__lt=cutoff)
    return (
        Application.objects.filter(scheme=scheme)
        .filter(closed | never_closed)
        .exclude(status=S.ACCEPTED)
    )
