"""Volunteers' vetting, appointment and leaving (issue 22): recorded by the scheme manager,
held by every door through one rule (`Membership.visiting_bar`), reminded ahead of each expiry.

The rota (`services.rota`: assign, move_pair, build_problem, take) and the visits
(`services.visits.start_visit`) call `refuse_barred` or read `barred_weeks`, so no door can put
a lapsed visitor on a slot or let them start a visit.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy

from visits import notifications, permissions, rules
from visits.errors import DomainError, NotFound
from visits.models import (
    Membership,
    RotaSlot,
    SwapRequest,
    VisitingBar,
    VisitorStatus,
)
from visits.models.people import VISITING_ROLES, format_day
from visits.services import audit, cards

# Reminders go this many days before a vetting or an appointment lapses; each once.
REMIND_DAYS_BEFORE = (60, 14)
# The volunteers list flags what lapses within this many days.
EXPIRING_SOON_DAYS = 60
MAX_REASON = 200


# --- The rule, as every door asks it ------------------------------------------------------------


def week_of(monday: datetime.date) -> tuple[datetime.date, datetime.date]:
    """A rota slot's week: the pair may visit on any of its days, so all of them must hold."""
    return monday, monday + datetime.timedelta(days=6)


def refuse_barred(
    memberships, first_day: datetime.date, last_day=None, field=None, say_why=True
) -> None:
    """Raise a DomainError (the bar's code, a sentence naming who and why) if any of these
    members may not visit on some day from `first_day` to `last_day`. With `say_why=False`
    (a visitor naming their partners) it says only who cannot: someone's vetting and
    appointment are theirs and the manager's, not another visitor's."""
    for membership in memberships:
        bar = membership.visiting_bar(first_day, last_day)
        if bar is None:
            continue
        if say_why:
            raise DomainError(bar.message, code=bar.code, field=field)
        name = membership.user.get_full_name() or membership.user.username
        raise DomainError(
            gettext(
                "%(name)s cannot be recorded on a visit that day; the scheme manager can say why."
            )
            % {"name": name},
            code="partner_cannot_visit",
            field=field,
        )


def barred_weeks(membership: Membership, weeks: list[datetime.date]) -> frozenset:
    """The Mondays of `weeks` in which this member may not visit (for the rota solver)."""
    return frozenset(w for w in weeks if membership.visiting_bar(*week_of(w)) is not None)


# --- Who the manager may see ---------------------------------------------------------------------


def scope_volunteers(user):
    """The visiting memberships of the schemes the user manages, leavers included (their
    history stays); nobody else's. Everyone else gets nothing here (a 404 at the doors)."""
    return Membership.objects.filter(
        scheme_id__in=permissions.managed_schemes(user), role__in=VISITING_ROLES
    ).select_related("user", "scheme", "panel")


def own_records(user):
    """The user's own visiting memberships that still grant access."""
    return Membership.objects.visiting_of(user)


@dataclass(frozen=True)
class VolunteerRecord:
    """What a volunteer's page, the list, the API and their own record show: the membership's
    vetting, appointment and leaving, and the flags worked out once here."""

    membership: Membership
    bar_today: VisitingBar | None
    expiring: list[str]  # sentences: "Vetting expires on 3 May 2026"

    @property
    def lapsed(self) -> bool:
        return self.bar_today is not None and self.membership.status != VisitorStatus.LEFT

    @property
    def has_left(self) -> bool:
        m = self.membership
        return m.status == VisitorStatus.LEFT or bool(m.left_on)


def record_of(membership: Membership, today: datetime.date | None = None) -> VolunteerRecord:
    today = today or timezone.localdate()
    soon = today + datetime.timedelta(days=EXPIRING_SOON_DAYS)
    expiring = []
    m = membership
    if m.vetting_expires_on and today < m.vetting_expires_on <= soon:
        expiring.append(
            gettext("Vetting expires on %(date)s") % {"date": format_day(m.vetting_expires_on)}
        )
    if m.appointment_ends_on and today < m.appointment_ends_on <= soon:
        expiring.append(
            gettext("Appointment ends on %(date)s") % {"date": format_day(m.appointment_ends_on)}
        )
    return VolunteerRecord(m, m.visiting_bar(today), expiring)


def volunteer_list(*, actor, today: datetime.date | None = None) -> list[VolunteerRecord]:
    """Every volunteer of the actor's managed schemes, current first, each with their flags."""
    members = scope_volunteers(actor).order_by(
        "scheme__name", "user__last_name", "user__first_name"
    )
    records = [record_of(m, today) for m in members]
    return sorted(records, key=lambda r: r.has_left)


def volunteer_for(*, actor, pk: int) -> Membership:
    """One volunteer the actor manages, or NotFound (a 404: the force, the PCC reader, other
    schemes and visitors are told nothing)."""
    membership = scope_volunteers(actor).filter(pk=pk).first()
    if membership is None:
        raise NotFound(gettext("No such volunteer."), code="not_found")
    return membership


def _require_manager(actor, membership: Membership) -> None:
    permissions.require_volunteer_manager(
        actor,
        membership,
        gettext_lazy("Only the scheme manager records vetting, appointment and leaving."),
    )


# --- Recording vetting and appointment ----------------------------------------------------------


@dataclass
class Vetting:
    level: str
    reference: str
    granted_on: datetime.date | None
    expires_on: datetime.date | None


@dataclass
class Appointment:
    appointed_on: datetime.date | None
    ends_on: datetime.date | None
    renewed_on: datetime.date | None = None


def record_vetting(*, actor, membership: Membership, vetting: Vetting) -> Membership:
    """Record a volunteer's vetting (a renewal is a new record over the old). Raises
    DomainError if it expires before it was granted."""
    _require_manager(actor, membership)
    if vetting.granted_on and vetting.expires_on and vetting.expires_on <= vetting.granted_on:
        raise DomainError(
            gettext("The vetting must expire after the date it was granted."),
            code="expires_before_granted",
            field="expires_on",
        )
    with transaction.atomic():
        before = _vetting_of(membership)
        membership.vetting_level = vetting.level
        membership.vetting_reference = vetting.reference.strip()[:60]
        membership.vetting_granted_on = vetting.granted_on
        membership.vetting_expires_on = vetting.expires_on
        membership.save(
            update_fields=[
                "vetting_level",
                "vetting_reference",
                "vetting_granted_on",
                "vetting_expires_on",
            ]
        )
        # Off the rota from the day the vetting lapses: no slot, published or not, keeps
        # someone who may not visit that week.
        slots = []
        if vetting.expires_on:
            slots = _off_the_rota_from(membership, vetting.expires_on, timezone.localdate())
        # The reference itself stays out of the audit trail: what changed and when is enough.
        audit.record(
            actor=actor,
            action="volunteer.vetting_recorded",
            obj=membership,
            scheme=membership.scheme,
            detail={
                "before": before,
                "after": _vetting_of(membership),
                "slots": [s.pk for s in slots],
            },
        )
    return membership


def _vetting_of(m: Membership) -> dict:
    return {
        "level": m.vetting_level,
        "granted_on": m.vetting_granted_on.isoformat() if m.vetting_granted_on else None,
        "expires_on": m.vetting_expires_on.isoformat() if m.vetting_expires_on else None,
    }


def record_appointment(*, actor, membership: Membership, appointment: Appointment) -> Membership:
    """Record a volunteer's appointment term (a renewal moves its end). Raises DomainError if
    the term ends before it starts, or was renewed before the appointment."""
    _require_manager(actor, membership)
    start, end, renewed = appointment.appointed_on, appointment.ends_on, appointment.renewed_on
    if start and end and end <= start:
        raise DomainError(
            gettext("The appointment must end after the date of appointment."),
            code="ends_before_appointed",
            field="ends_on",
        )
    if start and renewed and renewed < start:
        raise DomainError(
            gettext("A renewal cannot come before the appointment."),
            code="renewed_before_appointed",
            field="renewed_on",
        )
    with transaction.atomic():
        membership.appointed_on = start
        membership.appointment_ends_on = end
        membership.appointment_renewed_on = renewed
        membership.save(
            update_fields=["appointed_on", "appointment_ends_on", "appointment_renewed_on"]
        )
        slots = _off_the_rota_from(membership, end, timezone.localdate()) if end else []
        audit.record(
            actor=actor,
            action="volunteer.appointment_recorded",
            obj=membership,
            scheme=membership.scheme,
            detail={
                "appointed_on": start.isoformat() if start else None,
                "ends_on": end.isoformat() if end else None,
                "renewed_on": renewed.isoformat() if renewed else None,
                "slots": [s.pk for s in slots],
            },
        )
    return membership


# --- Leaving ------------------------------------------------------------------------------------


def record_leaving(
    *, actor, membership: Membership, left_on: datetime.date, reason: str
) -> list[RotaSlot]:
    """Record that a volunteer leaves on `left_on`. From that day they have no access (and
    from today, if it is past, they are marked as left; `apply_leavings` does it on the day
    otherwise); they come off every rota slot whose week is not over and reaches that day,
    their open swap offers are withdrawn, and the managers are told which slots are now
    uncovered. Their visits and past slots stay. Returns the slots they came off."""
    _require_manager(actor, membership)
    reason = rules.reason_given(
        reason, limit=MAX_REASON, missing=gettext("Say why they are leaving.")
    )
    if membership.appointed_on and left_on < membership.appointed_on:
        raise DomainError(
            gettext("The leaving date cannot come before the appointment."),
            code="left_before_appointed",
            field="left_on",
        )
    today = timezone.localdate()
    user_id = membership.user_id
    with transaction.atomic():
        # Locked and read again: a second submit of the form waits, then finds them gone.
        now = Membership.objects.select_for_update().values("status", "left_on")
        now = now.get(pk=membership.pk)
        if now["status"] == VisitorStatus.LEFT or now["left_on"]:
            raise DomainError(
                gettext("This volunteer has already left."), code="already_left", field="left_on"
            )
        membership.left_on = left_on
        membership.leaving_reason = reason
        fields = ["left_on", "leaving_reason"]
        if left_on <= today:
            membership.status = VisitorStatus.LEFT
            fields.append("status")
        membership.save(update_fields=fields)
        slots = _off_the_rota_from(membership, left_on, today)
        SwapRequest.objects.filter(
            offered_by_id=user_id,
            status=SwapRequest.Status.OPEN,
            slot__period__scheme_id=membership.scheme_id,
        ).update(status=SwapRequest.Status.WITHDRAWN, resolved_at=timezone.now())
        # Their ID card stops opening doors on the leaving date (issue 22).
        cards.revoke_on_leaving(actor=actor, membership=membership, left_on=left_on)
        audit.record(
            actor=actor,
            action="volunteer.left",
            obj=membership,
            scheme=membership.scheme,
            detail={"left_on": left_on.isoformat(), "slots": [s.pk for s in slots]},
        )
        notifications.queue_volunteer_left(membership, slots)
    return slots


def _off_the_rota_from(membership: Membership, day: datetime.date, today) -> list[RotaSlot]:
    """Take the member off every planned slot whose week reaches `day` (the first day they may
    not visit) and is not over yet, their offers of those slots withdrawn. Returns the slots."""
    user_id = membership.user_id
    slots = list(
        RotaSlot.objects.select_for_update()
        .filter(
            period__scheme_id=membership.scheme_id,
            visitors=user_id,
            status=RotaSlot.Status.PLANNED,
            week_starts_on__gte=max(day, today) - datetime.timedelta(days=6),
        )
        .select_related("suite", "period")
        .order_by("week_starts_on")
    )
    for slot in slots:
        slot.visitors.remove(user_id)
    if slots:
        # The pair's plan is off; the slot's change shows when the rota is published again.
        RotaSlot.objects.filter(pk__in=[s.pk for s in slots]).update(planned_for=None)
        SwapRequest.objects.filter(
            offered_by_id=user_id, status=SwapRequest.Status.OPEN, slot__in=slots
        ).update(status=SwapRequest.Status.WITHDRAWN, resolved_at=timezone.now())
    return slots


def apply_leavings(today: datetime.date) -> int:
    """Mark as left those whose leaving date has come (access already ended on the day:
    `MembershipQuerySet.current`). Safe to run twice."""
    return (
        Membership.objects.filter(left_on__lte=today)
        .exclude(status=VisitorStatus.LEFT)
        .update(status=VisitorStatus.LEFT)
    )


# --- Reminders and figures ----------------------------------------------------------------------


@dataclass(frozen=True)
class Expiry:
    membership: Membership
    what: str  # "vetting" or "appointment"
    on: datetime.date
    days_before: int  # the reminder due: 60 or 14


def due_expiries(today: datetime.date) -> list[Expiry]:
    """Each vetting and appointment of a current volunteer that lapses within the furthest
    reminder, with the nearest reminder now due (one recorded 10 days before gets only the
    14-day one)."""
    horizon = today + datetime.timedelta(days=max(REMIND_DAYS_BEFORE))
    members = (
        Membership.objects.current(today)
        .filter(role__in=VISITING_ROLES)
        .filter(
            Q(vetting_expires_on__gt=today, vetting_expires_on__lte=horizon)
            | Q(appointment_ends_on__gt=today, appointment_ends_on__lte=horizon)
        )
        .select_related("user", "scheme")
    )
    due = []
    for m in members:
        for what, on in (("vetting", m.vetting_expires_on), ("appointment", m.appointment_ends_on)):
            if on is None or not today < on <= horizon:
                continue
            days_left = (on - today).days
            days_before = min(d for d in REMIND_DAYS_BEFORE if days_left <= d)
            due.append(Expiry(m, what, on, days_before))
    return due
