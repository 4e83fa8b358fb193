"""Training and graduation (issue 22): the modules a scheme requires, who completed which and
when, what is due, when a trainee is ready to become an experienced visitor, and the TACT rule.

What is due is decided once, in visits/training_due.py (`due_training`): the manager's pages,
the volunteer's own record, the API and the daily reminders all read it. docs/volunteers.md,
"Training and graduation", says the rules in words.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass, field

from django.db import IntegrityError, transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext

from visits import permissions, rules
from visits.errors import DomainError, NotFound, NotPermitted
from visits.models import (
    Membership,
    Scheme,
    TrainingCompletion,
    TrainingModule,
    Visit,
    VisitorStatus,
)
from visits.models.people import VISITING_ROLES
from visits.services import audit
from visits.training_due import (
    DueTraining,
    current_visitors,
    day_text,
    due_among,
    due_training,
    latest_completions,
    modules_by_scheme,
    runs_out_on,
)

RequiredFor = TrainingModule.RequiredFor

MAX_NOTE = 200
MAX_REASON = 300

# The modules a scheme starts with (`install_default_modules`); the manager adds their own.
DEFAULT_MODULES = (
    ("induction", "Induction", RequiredFor.ALL, None),
    ("safeguarding", "Safeguarding", RequiredFor.ALL, 36),
    ("refresher", "Refresher", RequiredFor.EXPERIENCED, 12),
    ("tact", "TACT visiting", RequiredFor.TACT, 36),
)


# --- Who may see it ------------------------------------------------------------------------------


def _require_manager(actor, scheme_id: int) -> None:
    if not permissions.can_manage_scheme(actor, scheme_id):
        raise NotPermitted(
            gettext("Only the scheme manager records training."), code="role_not_allowed"
        )


def modules_for(actor):
    """The modules of the schemes the actor manages, retired ones included; nobody else's."""
    return TrainingModule.objects.filter(
        scheme_id__in=permissions.managed_schemes(actor)
    ).select_related("scheme")


def completions_for(actor):
    """The training records of the volunteers of the schemes the actor manages."""
    return TrainingCompletion.objects.filter(
        membership__scheme_id__in=permissions.managed_schemes(actor),
        membership__role__in=VISITING_ROLES,
    ).select_related("module", "membership__user", "recorded_by")


def own_completions(user):
    """The user's own training records, in the schemes they still visit in."""
    return TrainingCompletion.objects.filter(
        membership__in=Membership.objects.current().filter(user=user, role__in=VISITING_ROLES)
    ).select_related("module", "membership__scheme")


# --- Graduation ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Graduation:
    """How far a trainee is from becoming an experienced visitor."""

    membership: Membership
    visits_done: int  # visits before the app plus submitted visits in it
    visits_needed: int
    training_missing: list[TrainingModule] = field(default_factory=list)

    @property
    def ready(self) -> bool:
        return self.visits_done >= self.visits_needed and not self.training_missing

    @property
    def what_is_missing(self) -> list[str]:
        lines = []
        if self.visits_done < self.visits_needed:
            lines.append(
                gettext("%(done)s of %(needed)s mentored visits made")
                % {"done": self.visits_done, "needed": self.visits_needed}
            )
        for module in self.training_missing:
            lines.append(gettext("%(module)s not done or not current") % {"module": module.name})
        return lines


def _submitted_visits(memberships) -> dict[int, int]:
    """membership id -> visits submitted with them on it, in that scheme (one query). While
    a member is a trainee, every such visit is a mentored one: the rota pairs a trainee with
    an experienced visitor, and graduating ends the count."""
    by_scheme = defaultdict(set)
    for m in memberships:
        by_scheme[m.scheme_id].add(m.user_id)
    if not by_scheme:
        return {}
    counts = {}
    rows = (
        Visit.objects.filter(
            status=Visit.Status.SUBMITTED,
            scheme_id__in=by_scheme,
            visit_visitors__user_id__in={u for users in by_scheme.values() for u in users},
        )
        .values("scheme_id", "visit_visitors__user_id")
        .annotate(n=Count("pk", distinct=True))
    )
    for row in rows:
        counts[(row["scheme_id"], row["visit_visitors__user_id"])] = row["n"]
    return {m.pk: counts.get((m.scheme_id, m.user_id), 0) for m in memberships}


def graduations(memberships, today=None, due: list[DueTraining] | None = None) -> list[Graduation]:
    """Each trainee among `memberships` with their visits and missing training: four queries
    however many (the members, their visits, the modules, the completions), one when `due`
    (their `due_training`) is given."""
    today = today or timezone.localdate()
    trainees = [
        m
        for m in memberships
        if m.status == VisitorStatus.TRAINEE and m.role in VISITING_ROLES and not m.left_on
    ]
    if not trainees:
        return []
    visits = _submitted_visits(trainees)
    missing = defaultdict(list)
    for item in due_training(trainees, today) if due is None else due:
        # Graduating asks for every visitor's modules done and current today.
        if item.module.required_for == RequiredFor.ALL and item.overdue(today):
            missing[item.membership.pk].append(item.module)
    return [
        Graduation(
            m,
            visits_done=m.visits_before_app + visits[m.pk],
            visits_needed=m.scheme.trainee_mentored_visits,
            training_missing=missing[m.pk],
        )
        for m in trainees
    ]


def graduation_of(membership: Membership) -> Graduation | None:
    found = graduations([membership])
    return found[0] if found else None


def ready_to_graduate(memberships) -> set[int]:
    """The ids of the trainees among `memberships` ready to graduate (for the list's flag)."""
    return {g.membership.pk for g in graduations(memberships) if g.ready}


def graduate(*, actor, membership: Membership, override_reason: str = "") -> Membership:
    """Make a trainee an experienced visitor. Raises DomainError `not_ready_to_graduate`
    (saying what is missing) unless they are ready or the manager gives a reason to override,
    `not_a_trainee` if they are not a trainee; NotPermitted for anyone but the manager."""
    _require_manager(actor, membership.scheme_id)
    override_reason = rules.reason_given(override_reason, limit=MAX_REASON, field="override_reason")
    with transaction.atomic():
        # Locked: a second click waits, then finds them graduated.
        locked = Membership.objects.select_for_update().select_related("scheme", "user")
        locked = locked.get(pk=membership.pk)
        if locked.status != VisitorStatus.TRAINEE or locked.left_on:
            raise DomainError(
                gettext("%(name)s is not a trainee.")
                % {"name": locked.user.get_full_name() or locked.user.username},
                code="not_a_trainee",
            )
        progress = graduation_of(locked)
        if not progress.ready and not override_reason:
            raise DomainError(
                gettext(
                    "Not ready to graduate yet: %(missing)s. Give a reason to graduate them anyway."
                )
                % {"missing": "; ".join(progress.what_is_missing)},
                code="not_ready_to_graduate",
                field="override_reason",
            )
        locked.status = VisitorStatus.ACTIVE
        locked.save(update_fields=["status"])
        audit.record(
            actor=actor,
            action="volunteer.graduated",
            obj=locked,
            scheme=locked.scheme,
            detail={
                "visits": progress.visits_done,
                "visits_needed": progress.visits_needed,
                "training_missing": [m.name for m in progress.training_missing],
                "override_reason": override_reason if not progress.ready else "",
            },
        )
    membership.status = VisitorStatus.ACTIVE
    return membership


# --- Modules ------------------------------------------------------------------------------------


def install_default_modules(*, scheme) -> list[TrainingModule]:
    """Give a scheme the standard modules it lacks (safe to run again). Returns those made."""
    made = []
    for key, name, required_for, months in DEFAULT_MODULES:
        if TrainingModule.objects.filter(scheme=scheme, key=key).exists():
            continue
        made.append(
            TrainingModule.objects.create(
                scheme=scheme,
                key=key,
                name=name,
                required_for=required_for,
                renew_every_months=months,
            )
        )
    return made


@dataclass
class NewModule:
    name: str
    required_for: str = RequiredFor.ALL
    renew_every_months: int | None = None
    description: str = ""


def add_module(*, actor, scheme_id: int, new: NewModule) -> TrainingModule:
    """Add a module of the manager's own. Raises DomainError for an empty or repeated name,
    an unknown `required_for` or a renewal interval outside 1 to 120 months."""
    _require_manager(actor, scheme_id)
    name = new.name.strip()
    if not name:
        raise DomainError(gettext("Give the module a name."), code="name_required", field="name")
    if new.required_for not in RequiredFor.values:
        raise DomainError(
            gettext("Choose who the module is for."),
            code="required_for_invalid",
            field="required_for",
        )
    if new.renew_every_months is not None and not 1 <= new.renew_every_months <= 120:
        raise DomainError(
            gettext("Renewal must be between 1 and 120 months, or left empty."),
            code="renewal_out_of_range",
            field="renew_every_months",
        )
    taken = gettext("The scheme already has a module called “%(name)s”.") % {"name": name}
    if TrainingModule.objects.active().filter(scheme_id=scheme_id, name__iexact=name).exists():
        raise DomainError(taken, code="module_name_taken", field="name")
    try:
        with transaction.atomic():
            module = TrainingModule.objects.create(
                scheme_id=scheme_id,
                name=name[:120],
                description=new.description.strip()[:300],
                required_for=new.required_for,
                renew_every_months=new.renew_every_months,
            )
            audit.record(
                actor=actor,
                action="training.module_added",
                obj=module,
                scheme=module.scheme,
                detail={
                    "name": module.name,
                    "required_for": module.required_for,
                    "renew_every_months": module.renew_every_months,
                },
            )
    except IntegrityError:  # the same name sent twice at once
        raise DomainError(taken, code="module_name_taken", field="name") from None
    return module


def retire_module(*, actor, module: TrainingModule) -> TrainingModule:
    """Stop asking for a module: it is no longer due, nor needed to graduate or for TACT
    visits. Its records stay. Retiring twice does nothing more."""
    _require_manager(actor, module.scheme_id)
    with transaction.atomic():
        updated = TrainingModule.objects.filter(pk=module.pk, retired_at__isnull=True).update(
            retired_at=timezone.now()
        )
        if updated:
            audit.record(
                actor=actor,
                action="training.module_retired",
                obj=module,
                scheme=module.scheme,
                detail={"name": module.name},
            )
    module.refresh_from_db()
    return module


# --- Completions --------------------------------------------------------------------------------


def record_completion(
    *,
    actor,
    membership: Membership,
    module: TrainingModule,
    completed_on: datetime.date,
    note: str = "",
) -> TrainingCompletion:
    """Record that a volunteer completed a module on a day. Raises DomainError for a module of
    another scheme or retired, a day in the future or before 2000, or the same record twice."""
    _require_manager(actor, membership.scheme_id)
    if membership.role not in VISITING_ROLES:
        raise NotFound(gettext("No such volunteer."), code="not_found")
    if module.scheme_id != membership.scheme_id or module.retired_at:
        raise DomainError(
            gettext("Choose one of the scheme's current modules."),
            code="module_invalid",
            field="module",
        )
    if completed_on > timezone.localdate():
        raise DomainError(
            gettext("The date cannot be in the future."),
            code="date_in_future",
            field="completed_on",
        )
    if completed_on.year < 2000:
        raise DomainError(
            gettext("Check the year: the date is before 2000."),
            code="date_too_early",
            field="completed_on",
        )
    note = note.strip()
    if len(note) > MAX_NOTE:
        raise DomainError(
            gettext("Keep the note under %(n)s characters.") % {"n": MAX_NOTE},
            code="note_too_long",
            field="note",
        )
    repeated = gettext("%(module)s on %(date)s is already recorded.") % {
        "module": module.name,
        "date": day_text(completed_on),
    }
    try:
        with transaction.atomic():
            completion = TrainingCompletion.objects.create(
                membership=membership,
                module=module,
                completed_on=completed_on,
                note=note,
                recorded_by=actor,
            )
            audit.record(
                actor=actor,
                action="training.completion_recorded",
                obj=membership,
                scheme=membership.scheme,
                detail={
                    "completion": completion.pk,
                    "module": module.name,
                    "completed_on": completed_on.isoformat(),
                },
            )
    except IntegrityError:
        raise DomainError(repeated, code="completion_repeated", field="completed_on") from None
    return completion


def remove_completion(*, actor, completion: TrainingCompletion) -> None:
    """Remove a training record made in error; the audit trail keeps what it said."""
    membership = completion.membership
    _require_manager(actor, membership.scheme_id)
    with transaction.atomic():
        deleted, _ = TrainingCompletion.objects.filter(pk=completion.pk).delete()
        if deleted:
            audit.record(
                actor=actor,
                action="training.completion_removed",
                obj=membership,
                scheme=membership.scheme,
                detail={
                    "completion": completion.pk,
                    "module": completion.module.name,
                    "completed_on": completion.completed_on.isoformat(),
                },
            )


# --- TACT ---------------------------------------------------------------------------------------


def tact_modules(scheme_id: int):
    return TrainingModule.objects.active().filter(
        scheme_id=scheme_id, required_for=RequiredFor.TACT
    )


def _holds_tact(modules: list[TrainingModule], done, day: datetime.date) -> set[int]:
    """The membership ids, among `done` (membership id, module id, completed on), holding one
    of the TACT `modules` current on `day`."""
    by_pk = {m.pk: m for m in modules if m.required_for == RequiredFor.TACT}
    return {
        member_id
        for member_id, module_id, on in done
        if module_id in by_pk
        and on <= day
        and (runs_out_on(by_pk[module_id], on) or datetime.date.max) > day
    }


def holds_tact_training(memberships, day: datetime.date) -> dict[int, bool]:
    """membership id -> whether they hold a TACT module current on `day`. A scheme with no
    active TACT module does not ask for one: everyone holds it. Two queries."""
    members = list(memberships)
    modules = modules_by_scheme({m.scheme_id for m in members})
    done = TrainingCompletion.objects.filter(
        membership__in=members, module__required_for=RequiredFor.TACT
    ).values_list("membership_id", "module_id", "completed_on")
    current = _holds_tact([mod for mods in modules.values() for mod in mods], list(done), day)
    asks = {
        scheme_id
        for scheme_id, mods in modules.items()
        if any(mod.required_for == RequiredFor.TACT for mod in mods)
    }
    return {m.pk: m.scheme_id not in asks or m.pk in current for m in members}


def refuse_tact_untrained(*, actor, visit: Visit) -> None:
    """Raise DomainError `tact_training_required` unless every visitor on the visit holds a
    current TACT module on the day (TACT visits are arranged, so the pair is chosen for it).
    The actor is told about themselves; a partner's training is theirs and the manager's."""
    members = Membership.objects.filter(
        scheme_id=visit.scheme_id, user__in=visit.visitors.all(), role__in=VISITING_ROLES
    ).select_related("user")
    holds = holds_tact_training(members, visit.visit_date)
    untrained = [m for m in members if not holds[m.pk]]
    if not untrained:
        return
    if any(m.user_id == actor.pk for m in untrained):
        message = gettext(
            "You do not have current TACT training, which a visit to a detainee held under the "
            "Terrorism Act needs. Leave this detainee to a TACT-trained visitor, and ask your "
            "scheme manager."
        )
    else:
        message = gettext(
            "A visitor on this report does not have current TACT training, which a visit to a "
            "detainee held under the Terrorism Act needs. Leave this detainee to a TACT-trained "
            "visitor; your scheme manager can say more."
        )
    raise DomainError(message, code="tact_training_required", field="tact")


# --- One volunteer's training, for their page and their own record -------------------------------


@dataclass(frozen=True)
class TrainingRecord:
    membership: Membership
    completions: list[TrainingCompletion]
    due: list[DueTraining]
    graduation: Graduation | None
    modules: list[TrainingModule]  # the scheme's current ones, for the form
    holds_tact: bool


def training_of(membership: Membership, today: datetime.date | None = None) -> TrainingRecord:
    """One volunteer's training: three queries (their records, the scheme's modules, and a
    trainee's visits)."""
    today = today or timezone.localdate()
    completions = list(
        membership.training_completions.select_related("module", "recorded_by").order_by(
            "-completed_on", "-pk"
        )
    )
    modules = modules_by_scheme([membership.scheme_id])
    latest = {}
    for c in completions:
        key = (membership.pk, c.module_id)
        latest[key] = max(latest.get(key, c.completed_on), c.completed_on)
    due = due_among([membership], modules, latest, today)
    scheme_modules = modules[membership.scheme_id]
    asks_tact = any(mod.required_for == RequiredFor.TACT for mod in scheme_modules)
    done = [(membership.pk, c.module_id, c.completed_on) for c in completions]
    graduation = graduations([membership], today, due)
    return TrainingRecord(
        membership=membership,
        completions=completions,
        due=due,
        graduation=graduation[0] if graduation else None,
        modules=scheme_modules,
        holds_tact=not asks_tact or membership.pk in _holds_tact(scheme_modules, done, today),
    )


# --- Reminders ----------------------------------------------------------------------------------


def due_reminders(today: datetime.date) -> list[DueTraining]:
    """Every current visitor's due training, in every scheme, for the daily reminder."""
    members = (
        Membership.objects.current(today)
        .filter(role__in=VISITING_ROLES)
        .select_related("user", "scheme")
    )
    return due_training(members, today)


# --- The scheme's training page -----------------------------------------------------------------


@dataclass(frozen=True)
class SchemeTraining:
    scheme: object
    modules: list[TrainingModule]  # current first, then retired
    due: list[DueTraining]
    trainees: list[Graduation]


def overview(*, actor, today: datetime.date | None = None) -> list[SchemeTraining]:
    """The training of every scheme the actor manages: modules, who is due what, trainees and
    how near they are to graduating. Five queries however many volunteers."""
    today = today or timezone.localdate()
    schemes = list(
        Scheme.objects.filter(pk__in=permissions.managed_schemes(actor)).order_by("name")
    )
    all_modules = list(
        TrainingModule.objects.filter(scheme__in=schemes).order_by("retired_at", "name")
    )
    active = defaultdict(list)
    for module in all_modules:
        if module.retired_at is None:
            active[module.scheme_id].append(module)
    members = list(current_visitors([s.pk for s in schemes]))
    due = due_among(members, active, latest_completions([m.pk for m in members]), today)
    trainees = graduations(members, today, due)
    return [
        SchemeTraining(
            scheme=scheme,
            modules=[m for m in all_modules if m.scheme_id == scheme.pk],
            due=[d for d in due if d.membership.scheme_id == scheme.pk],
            trainees=[g for g in trainees if g.membership.scheme_id == scheme.pk],
        )
        for scheme in schemes
    ]
