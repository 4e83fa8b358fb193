"""Expenses (issue 22): a volunteer claims mileage and costs for one of their visits, a meeting
or a training day; the scheme manager approves or queries it and marks it paid; the finance
team gets a CSV. The only write path, every change audited.

Who: a visiting member (visitor or panel coordinator) claims, sees, corrects and withdraws
their own claims; the scheme manager sees and decides their scheme's (docs/permissions.md:
people are the manager's, so not the coordinator's). The force and the PCC reader see none.
Amounts are in pence, worked out here once (miles × the rate in force when claimed) and stored.
"""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import Q, Sum
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from visits import exports, permissions
from visits.errors import ConflictError, DomainError, NotFound, NotPermitted
from visits.images import CleanImage
from visits.models import ExpenseClaim, Membership, MileageRate, Scheme, Visit
from visits.models.people import VISITING_ROLES
from visits.services import audit

Status = ExpenseClaim.Status
Occasion = ExpenseClaim.Occasion

MAX_MILES = Decimal("1000")  # one trip; more is a slip of the keyboard
MAX_OTHER_PENCE = 100_000  # £1,000 of other costs on one claim
MAX_RATE_PENCE = 200
CLAIM_WITHIN_DAYS = 365  # schemes pay claims made within a year
RECENT_VISITS = 20  # offered on the phone's form
MAX_TEXT = 200
MAX_QUERY = 500


# --- Who sees what --------------------------------------------------------------------------------


def claiming_memberships(user):
    """The user's current visiting memberships: the schemes they may claim from."""
    return (
        Membership.objects.current()
        .filter(user=user, role__in=VISITING_ROLES)
        .select_related("scheme")
        .order_by("scheme__name")
    )


def own_claims(user):
    """The user's own claims, in every scheme they visit or visited for: a volunteer who has
    left still sees what was paid, and answers a question about a claim."""
    return ExpenseClaim.objects.for_list().filter(
        membership__user=user, membership__role__in=VISITING_ROLES
    )


def paid_total_pence(claims) -> int:
    """What has been paid of these claims (a claimant's own, say), in pence: 0 if nothing."""
    paid = claims.filter(status=ExpenseClaim.Status.PAID).aggregate(total=Sum("total_pence"))
    return paid["total"] or 0


def managed_claims(user):
    """The claims of the schemes the user manages; nothing for anyone else."""
    return ExpenseClaim.objects.for_list().filter(
        membership__scheme_id__in=permissions.managed_schemes(user)
    )


def claim_for(*, actor, pk: int) -> ExpenseClaim:
    """A claim the actor may see (their own, or one of a scheme they manage), or NotFound."""
    claim = (own_claims(actor) | managed_claims(actor)).filter(pk=pk).first()
    if claim is None:
        raise NotFound(gettext("No such claim."), code="not_found")
    return claim


def own_claim_for(*, actor, pk: int) -> ExpenseClaim:
    claim = own_claims(actor).filter(pk=pk).first()
    if claim is None:
        raise NotFound(gettext("No such claim."), code="not_found")
    return claim


def claimable_visits(user, today: datetime.date | None = None):
    """The user's recent visits (newest first, reported) in the schemes they claim from, not
    yet claimed."""
    today = today or timezone.localdate()
    claimed = ExpenseClaim.objects.exclude(status=Status.WITHDRAWN).filter(
        membership__user=user, visit__isnull=False
    )
    return (
        Visit.objects.submitted()
        .filter(
            visitors=user,
            scheme_id__in=claiming_memberships(user).values("scheme_id"),
            visit_date__lte=today,
            visit_date__gt=today - datetime.timedelta(days=CLAIM_WITHIN_DAYS),
        )
        .exclude(pk__in=claimed.values("visit_id"))
        .select_related("suite")
        .order_by("-visit_date", "-pk")[:RECENT_VISITS]
    )


def rate_in_force(scheme_id: int, day: datetime.date | None = None) -> int:
    return MileageRate.in_force(scheme_id, day or timezone.localdate())


def mileage_pence(miles: Decimal, pence_per_mile: int) -> int:
    """Miles × rate, to the nearest penny (half a penny up)."""
    return int((miles * pence_per_mile).quantize(Decimal("1"), rounding=ROUND_HALF_UP))


# --- The volunteer's side -------------------------------------------------------------------------


@dataclass
class ClaimDetails:
    """What a volunteer claims. `visit_id` for a visit; `incurred_on` and `description` for a
    meeting or training. `scheme_id` only when they visit for more than one scheme."""

    occasion: str
    miles: Decimal
    visit_id: int | None = None
    incurred_on: datetime.date | None = None
    description: str = ""
    other_pence: int = 0
    other_description: str = ""
    receipt: CleanImage | None = None
    scheme_id: int | None = None


def _membership_for(actor, details: ClaimDetails, visit: Visit | None) -> Membership:
    memberships = list(claiming_memberships(actor))
    scheme_id = visit.scheme_id if visit else details.scheme_id
    if scheme_id is None and len(memberships) == 1:
        scheme_id = memberships[0].scheme_id
    for m in memberships:
        if m.scheme_id == scheme_id:
            return m
    if not memberships:
        raise NotPermitted(
            gettext("Only a scheme's visitors claim expenses."), code="role_not_allowed"
        )
    raise DomainError(
        gettext("Choose the scheme the claim is for."), code="scheme_required", field="scheme"
    )


def _checked(actor, details: ClaimDetails, today: datetime.date) -> tuple[Visit | None, dict]:
    """The claim's fields from `details`, every rule checked; raises DomainError naming the
    inputs to fix."""
    errors: dict[str, str] = {}
    visit = None
    on = details.incurred_on
    description = (details.description or "").strip()
    if details.occasion not in Occasion.values:
        errors["occasion"] = gettext("Choose what the claim is for.")
    elif details.occasion == Occasion.VISIT:
        if details.visit_id is None:
            errors["visit"] = gettext("Choose the visit you are claiming for.")
        else:
            # Someone else's visit is refused exactly as one that does not exist.
            visit = (
                Visit.objects.filter(pk=details.visit_id, visitors=actor)
                .select_related("suite")
                .first()
            )
            if visit is None:
                errors["visit"] = gettext("That visit is not one of yours. Choose one of yours.")
            elif visit.is_draft:
                # The report says the visit happened: a claim follows it, never a draft.
                errors["visit"] = gettext("Send the visit's report first, then claim for it.")
            else:
                on = visit.visit_date
                description = ""
    else:
        if on is None:
            errors["incurred_on"] = gettext("Enter the date of the meeting or training.")
        if not description:
            errors["description"] = gettext("Say what the meeting or training was.")
    if description and len(description) > MAX_TEXT:
        errors["description"] = gettext("Keep it under %(n)s characters.") % {"n": MAX_TEXT}
    if on is not None and "visit" not in errors:
        if on > today:
            errors.setdefault(
                "incurred_on", gettext("You can only claim for a day that has passed.")
            )
        elif on <= today - datetime.timedelta(days=CLAIM_WITHIN_DAYS):
            field = "visit" if visit else "incurred_on"
            errors.setdefault(
                field, gettext("Claims must be made within a year. Ask your scheme manager.")
            )
    miles = details.miles if details.miles is not None else Decimal(0)
    if miles < 0:
        errors["miles"] = gettext("Miles cannot be negative.")
    elif miles > MAX_MILES:
        errors["miles"] = gettext("Enter at most %(n)s miles for one claim.") % {"n": MAX_MILES}
    elif miles != miles.quantize(Decimal("0.1")):
        errors["miles"] = gettext("Enter miles to one decimal place, like 12.5.")
    other = details.other_pence or 0
    other_description = (details.other_description or "").strip()
    if other < 0:
        errors["other_amount"] = gettext("Costs cannot be negative.")
    elif other > MAX_OTHER_PENCE:
        errors["other_amount"] = gettext("Claim at most £1,000 of other costs at once.")
    elif other and not other_description:
        errors["other_description"] = gettext("Say what the other costs were for.")
    if len(other_description) > MAX_TEXT:
        errors["other_description"] = gettext("Keep it under %(n)s characters.") % {"n": MAX_TEXT}
    if not errors and miles == 0 and other == 0:
        errors["miles"] = gettext("Enter the miles you drove, other costs, or both.")
    if errors:
        first = next(iter(errors.values()))
        raise DomainError(first, code="invalid_claim", fields=errors)
    return visit, {
        "occasion": details.occasion,
        "visit": visit,
        "incurred_on": on,
        "description": description,
        "miles": miles,
        "other_pence": other,
        "other_description": other_description if other else "",
    }


def _save_receipt(claim: ExpenseClaim, receipt: CleanImage) -> None:
    old = claim.receipt.name
    claim.receipt.save(f"{uuid.uuid4().hex}.jpg", ContentFile(receipt.data), save=False)
    if old:
        storage = claim.receipt.storage
        transaction.on_commit(lambda: storage.delete(old))


def _save_unique(claim: ExpenseClaim) -> None:
    try:
        with transaction.atomic():
            claim.save()
    except IntegrityError:
        raise DomainError(
            gettext("You have already claimed for this visit."),
            code="already_claimed",
            field="visit",
        ) from None


RESENT_WITHIN = datetime.timedelta(minutes=10)


def _refuse_resent(membership: Membership, fields: dict) -> None:
    """The same claim (same occasion, day, words and amounts) sent again within minutes is the
    first one sent twice, not a second claim. (A visit is claimed once in any case.)"""
    if fields["visit"] is not None:
        return
    same = ExpenseClaim.objects.filter(
        membership=membership,
        submitted_at__gte=timezone.now() - RESENT_WITHIN,
        **fields,
    ).exclude(status=ExpenseClaim.Status.WITHDRAWN)
    if same.exists():
        raise ConflictError(
            gettext("This claim was sent a moment ago: it is in your list of claims."),
            code="already_sent",
        )


def submit_claim(*, actor, details: ClaimDetails) -> ExpenseClaim:
    """A new claim by the actor for their own visit, meeting or training, at the rate in force
    today. Raises DomainError (code `invalid_claim`, each input's message in `fields`) or
    `already_claimed` for a visit they have a claim for; NotPermitted for a non-visitor."""
    today = timezone.localdate()
    visit, fields = _checked(actor, details, today)
    membership = _membership_for(actor, details, visit)
    rate = rate_in_force(membership.scheme_id, today)
    mileage = mileage_pence(fields["miles"], rate)
    with transaction.atomic():
        # One submission at a time for this volunteer, so the same claim sent twice (a double
        # tap, a phone's retry) is seen as such and not paid twice.
        Membership.objects.select_for_update().filter(pk=membership.pk).first()
        _refuse_resent(membership, fields)
        claim = ExpenseClaim(
            membership=membership,
            pence_per_mile=rate,
            mileage_pence=mileage,
            total_pence=mileage + fields["other_pence"],
            submitted_at=timezone.now(),
            **fields,
        )
        if details.receipt is not None:
            _save_receipt(claim, details.receipt)
        try:
            _save_unique(claim)
        except DomainError:
            if claim.receipt.name:  # written above, now pointed to by nothing
                claim.receipt.storage.delete(claim.receipt.name)
            raise
        audit.record(
            actor=actor,
            action="expense.submitted",
            obj=claim,
            scheme=membership.scheme,
            detail={"total_pence": claim.total_pence, "visit": visit.pk if visit else None},
        )
    return claim


def _locked(claim: ExpenseClaim) -> ExpenseClaim:
    return (
        ExpenseClaim.objects.select_for_update()
        .select_related("membership__scheme")
        .get(pk=claim.pk)
    )


def _require_owner(actor, claim: ExpenseClaim) -> None:
    if claim.membership.user_id != actor.pk:
        raise NotPermitted(
            gettext("Only the volunteer who made a claim can change it."), code="not_claimant"
        )


def edit_claim(*, actor, claim: ExpenseClaim, details: ClaimDetails) -> ExpenseClaim:
    """Correct one's own claim while it awaits a decision or was queried (a queried claim goes
    back to the manager as resubmitted). The rate stays the one in force when it was made.
    Raises ConflictError once it is approved, paid or withdrawn."""
    _require_owner(actor, claim)
    today = timezone.localdate()
    visit, fields = _checked(actor, details, today)
    if visit is not None and visit.scheme_id != claim.membership.scheme_id:
        raise DomainError(
            gettext("That visit is not one of yours. Choose one of yours."),
            code="invalid_claim",
            field="visit",
        )
    with transaction.atomic():
        locked = _locked(claim)
        if not locked.editable:
            raise ConflictError(
                gettext("This claim is %(status)s and can no longer be changed.")
                % {"status": locked.get_status_display().lower()},
                code="claim_not_editable",
            )
        before = locked.status
        for name, value in fields.items():
            setattr(locked, name, value)
        locked.mileage_pence = mileage_pence(locked.miles, locked.pence_per_mile)
        locked.total_pence = locked.mileage_pence + locked.other_pence
        if locked.status == Status.QUERIED:
            locked.status = Status.RESUBMITTED
        if details.receipt is not None:
            _save_receipt(locked, details.receipt)
        _save_unique(locked)
        audit.record(
            actor=actor,
            action="expense.edited",
            obj=locked,
            scheme=locked.membership.scheme,
            detail={"from": before, "to": locked.status, "total_pence": locked.total_pence},
        )
    return locked


def withdraw_claim(*, actor, claim: ExpenseClaim) -> ExpenseClaim:
    """Withdraw one's own claim before it is approved. Raises ConflictError after."""
    _require_owner(actor, claim)
    with transaction.atomic():
        locked = _locked(claim)
        if not locked.editable:
            raise ConflictError(
                gettext("This claim is %(status)s and can no longer be withdrawn.")
                % {"status": locked.get_status_display().lower()},
                code="claim_not_editable",
            )
        before = locked.status
        locked.status = Status.WITHDRAWN
        locked.save(update_fields=["status", "updated_at"])
        audit.record(
            actor=actor,
            action="expense.withdrawn",
            obj=locked,
            scheme=locked.membership.scheme,
            detail={"from": before},
        )
    return locked


# --- The manager's side ---------------------------------------------------------------------------


def claim_to_change(*, actor, pk: int) -> ExpenseClaim:
    """The actor's own claim: NotFound if they cannot see it, NotPermitted if they see it (the
    manager) but it is not theirs to change."""
    claim = claim_for(actor=actor, pk=pk)
    _require_owner(actor, claim)
    return claim


def claim_to_decide(*, actor, pk: int) -> ExpenseClaim:
    """A claim the actor may decide: NotFound if they cannot see it, NotPermitted if they see it
    but do not decide claims (its claimant)."""
    claim = claim_for(actor=actor, pk=pk)
    _require_deciding_role(actor, claim)
    return claim


def _require_deciding_role(actor, claim: ExpenseClaim) -> None:
    if not permissions.can_manage_scheme(actor, claim.membership.scheme_id):
        raise NotPermitted(
            gettext("Only the scheme manager decides claims."), code="role_not_allowed"
        )


def _require_manager(actor, claim: ExpenseClaim) -> None:
    _require_deciding_role(actor, claim)
    if _own(actor, claim):
        raise NotPermitted(gettext("Someone else must decide your own claim."), code="own_claim")


def _own(actor, claim: ExpenseClaim) -> bool:
    """A manager who also visits never decides their own claim."""
    return claim.membership.user_id == actor.pk


def _decide(actor, claim: ExpenseClaim, to: str, allowed: tuple, query: str = ""):
    _require_manager(actor, claim)
    with transaction.atomic():
        locked = _locked(claim)
        if locked.status not in allowed:
            raise ConflictError(
                gettext("This claim is %(status)s: it cannot be %(to)s now.")
                % {
                    "status": locked.get_status_display().lower(),
                    "to": Status(to).label.lower(),
                },
                code="wrong_status",
            )
        before = locked.status
        locked.status = to
        locked.query = query or locked.query
        locked.decided_by = actor
        locked.decided_at = timezone.now()
        locked.save(update_fields=["status", "query", "decided_by", "decided_at", "updated_at"])
        audit.record(
            actor=actor,
            action=f"expense.{to}",
            obj=locked,
            scheme=locked.membership.scheme,
            detail={"from": before},
        )
    return locked


APPROVABLE = (Status.SUBMITTED, Status.RESUBMITTED, Status.QUERIED)
QUERYABLE = (Status.SUBMITTED, Status.RESUBMITTED)


@dataclass(frozen=True)
class OpenDecisions:
    """What a manager of the claim's scheme may decide of it now: the list offers only these."""

    approve: bool
    query: bool
    own: bool  # awaiting a decision, but the manager's own: someone else must decide it


def open_decisions(actor, claim: ExpenseClaim) -> OpenDecisions:
    """The decisions `actor` (a manager of the claim's scheme) may make on `claim` now, by the
    rules approve_claim and query_claim keep (a manager who also visits never decides their
    own claim)."""
    own = _own(actor, claim)
    return OpenDecisions(
        approve=not own and claim.status in APPROVABLE,
        query=not own and claim.status in QUERYABLE,
        own=own and claim.status in APPROVABLE,
    )


def approve_claim(*, actor, claim: ExpenseClaim) -> ExpenseClaim:
    """Approve a claim awaiting a decision (or a queried one the manager has settled another
    way). Raises ConflictError on one approved, paid or withdrawn already."""
    return _decide(actor, claim, Status.APPROVED, APPROVABLE)


def query_claim(*, actor, claim: ExpenseClaim, question: str) -> ExpenseClaim:
    """Send a claim back to its volunteer with a question; they correct it and it comes back
    resubmitted. Raises DomainError without a question, ConflictError if it is not awaiting a
    decision."""
    question = (question or "").strip()
    if not question:
        raise DomainError(
            gettext("Say what the volunteer should check or explain."),
            code="question_required",
            field="question",
        )
    if len(question) > MAX_QUERY:
        raise DomainError(
            gettext("Keep the question under %(n)s characters.") % {"n": MAX_QUERY},
            code="question_too_long",
            field="question",
        )
    return _decide(actor, claim, Status.QUERIED, QUERYABLE, query=question)


def mark_paid(
    *, actor, claims: Iterable[ExpenseClaim], paid_on: datetime.date
) -> list[ExpenseClaim]:
    """Mark approved claims as paid on `paid_on`, all or none. Raises DomainError for a date
    to come, ConflictError if any is not approved (paying an unapproved claim)."""
    claims = list(claims)
    if not claims:
        raise DomainError(gettext("Choose the claims that were paid."), code="nothing_chosen")
    if paid_on > timezone.localdate():
        raise DomainError(
            gettext("The payment date cannot be in the future."),
            code="paid_in_future",
            field="paid_on",
        )
    for claim in claims:
        _require_manager(actor, claim)
    with transaction.atomic():
        locked = list(
            ExpenseClaim.objects.select_for_update()
            .filter(pk__in=[c.pk for c in claims])
            .select_related("membership__scheme", "membership__user")
            .order_by("pk")
        )
        unapproved = [c for c in locked if c.status != Status.APPROVED]
        if unapproved:
            raise ConflictError(
                gettext("Only approved claims can be paid; claim %(ids)s is not approved.")
                % {"ids": ", ".join(str(c.pk) for c in unapproved)},
                code="not_approved",
            )
        early = [c for c in locked if paid_on < c.incurred_on]
        if early:
            raise DomainError(
                gettext("A claim cannot be paid before the day it is for."),
                code="paid_before_incurred",
                field="paid_on",
            )
        now = timezone.now()
        for claim in locked:
            claim.status = Status.PAID
            claim.paid_on = paid_on
            claim.decided_by = actor
            claim.decided_at = now
            claim.save(update_fields=["status", "paid_on", "decided_by", "decided_at"])
        for scheme_id in sorted({c.membership.scheme_id for c in locked}):
            ids = [c.pk for c in locked if c.membership.scheme_id == scheme_id]
            audit.record(
                actor=actor,
                action="expense.paid",
                obj=None,
                scheme=Scheme(pk=scheme_id),
                detail={"claims": ids, "paid_on": paid_on.isoformat()},
            )
    return locked


def set_mileage_rate(
    *, actor, scheme: Scheme, pence_per_mile: int, starts_on: datetime.date
) -> MileageRate:
    """The scheme's mileage rate from `starts_on` (claims already made keep theirs). Raises
    DomainError outside 1p–200p, NotPermitted for anyone but the scheme's manager."""
    if not permissions.can_manage_scheme(actor, scheme.pk):
        raise NotPermitted(
            gettext("Only the scheme manager sets the mileage rate."), code="role_not_allowed"
        )
    if not 1 <= pence_per_mile <= MAX_RATE_PENCE:
        raise DomainError(
            gettext("Enter a rate between 1p and %(max)sp a mile.") % {"max": MAX_RATE_PENCE},
            code="invalid_rate",
            field="pence_per_mile",
        )
    with transaction.atomic():
        rate, _created = MileageRate.objects.update_or_create(
            scheme=scheme,
            starts_on=starts_on,
            defaults={"pence_per_mile": pence_per_mile, "set_by": actor},
        )
        audit.record(
            actor=actor,
            action="expense.rate_set",
            obj=rate,
            scheme=scheme,
            detail={"pence_per_mile": pence_per_mile, "starts_on": starts_on.isoformat()},
        )
    return rate


# --- What the pages show, and the finance team's CSV ---------------------------------------------


def what_for(claim: ExpenseClaim) -> str:
    """A claim's occasion as one line: the suite of a visit, or the meeting's description."""
    if claim.visit_id:
        return gettext("Visit to %(suite)s") % {"suite": claim.visit.suite.name}
    return f"{claim.get_occasion_display()}: {claim.description}"


def pounds(pence: int) -> Decimal:
    return (Decimal(pence) / 100).quantize(Decimal("0.01"))


def status_filter(queryset, status: str | None):
    """`awaiting` is submitted or resubmitted: the manager's list opens on it."""
    if status == "awaiting":
        return queryset.filter(Q(status=Status.SUBMITTED) | Q(status=Status.RESUBMITTED))
    if status in Status.values:
        return queryset.filter(status=status)
    return queryset


CSV_COLUMNS = [
    _("claim"),
    _("claimant"),
    _("scheme"),
    _("date"),
    _("what for"),
    _("miles"),
    _("pence per mile"),
    _("mileage (£)"),
    _("other costs (£)"),
    _("other costs were for"),
    _("total (£)"),
    _("status"),
    _("paid on"),
]


def claims_csv(claims: Iterable[ExpenseClaim]) -> bytes:
    """The finance team's export: who, when, what for, the amounts and whether paid. No custody
    numbers and nothing of detainees: a visit is named by its suite. Through the app's one CSV
    writer, which neutralises formulas."""

    def rows():
        yield [str(c) for c in CSV_COLUMNS]
        for c in claims:
            user = c.membership.user
            yield [
                c.pk,
                user.get_full_name() or user.username,
                c.membership.scheme.name,
                c.incurred_on.isoformat(),
                what_for(c),
                c.miles,
                c.pence_per_mile,
                pounds(c.mileage_pence),
                pounds(c.other_pence),
                c.other_description,
                pounds(c.total_pence),
                c.get_status_display(),
                c.paid_on.isoformat() if c.paid_on else "",
            ]

    return exports.csv_bytes(rows())


def audit_export(*, actor, count: int, scheme_ids: list[int]) -> None:
    """The CSV holds people's names and money: who took one, and when, is recorded."""
    with transaction.atomic():
        for scheme_id in scheme_ids:
            audit.record(
                actor=actor,
                action="expense.exported",
                scheme=Scheme(pk=scheme_id),
                detail={"claims": count},
            )
