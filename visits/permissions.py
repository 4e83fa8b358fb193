"""Who may see and do what: the one source for pages, the API, templates and the admin.

Access comes only from a user's current memberships, one per scheme and role. The
`scope_*` functions narrow a queryset to what the user may see (a view answers 404
for anything outside it); the `can_*` predicates say whether a user who can see an
object may change it (a view answers 403 when not). The table they implement is in
docs/permissions.md and ../shared/ARCHITECTURE.md.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db.models import Q, QuerySet
from django.utils.translation import gettext

from visits.errors import NotFound, NotPermitted
from visits.models import (
    CustodySuite,
    Issue,
    Membership,
    Role,
    RotaPeriod,
    Scheme,
    Visit,
    VisitVisitor,
)
from visits.models.issues import reported_q
from visits.models.people import VISITING_ROLES

NOTHING = Q(pk__in=[])

V, C, M, P, F = Role.VISITOR, Role.COORDINATOR, Role.MANAGER, Role.PCC, Role.FORCE

# The capabilities, as docs/permissions.md names them.
RECORD = "record visits"
ROTA = "see the rota (their own pairs; a coordinator's panel; the manager all)"
MANAGE = "plan the rota, manage suites, people and checklists"
VISIT_PATTERN = "learn when visits happen (planned counts, weeks, days, times of day)"
REFERENCE = "read panels and checklists"
SUMMARIES = "read summaries"
NATIONAL_RETURN = "download the national return"
INTERNAL_NOTES = "read an issue's internal notes (a coordinator: their panel's)"

# What each role may do in a scheme, as the code checks it: `may(user, capability, scheme)`
# and `schemes_where_may(user, capability)`. Scoping (which visits, issues, suites) is the
# scope_* functions below; this table is the rest. docs/permissions.md shows it as
# `capability_table()` renders it, and tests/test_permissions.py holds the two together.
CAPABILITIES: dict[str, frozenset[str]] = {
    RECORD: frozenset({V, C}),
    ROTA: frozenset({V, C, M}),
    MANAGE: frozenset({M}),
    VISIT_PATTERN: frozenset({V, C, M, P}),
    REFERENCE: frozenset({V, C, M, P}),
    SUMMARIES: frozenset({C, M, P, F}),
    NATIONAL_RETURN: frozenset({M, P}),
    INTERNAL_NOTES: frozenset({C, M, P}),
}
ROLE_ORDER = (V, C, M, P, F)


def capability_table() -> str:
    """CAPABILITIES as the Markdown table in docs/permissions.md."""
    labels = dict(Role.choices)
    lines = [
        "| capability | " + " | ".join(str(labels[r]) for r in ROLE_ORDER) + " |",
        "|---" * (len(ROLE_ORDER) + 1) + "|",
    ]
    for capability, roles in CAPABILITIES.items():
        cells = ["yes" if role in roles else "-" for role in ROLE_ORDER]
        lines.append(f"| {capability} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _capability(name: str) -> frozenset[str]:
    return CAPABILITIES[name]


def memberships_of(user) -> list[Membership]:
    """The user's current memberships, fetched once per request and kept on the user object."""
    if not user.is_authenticated:
        return []
    cached = getattr(user, "_icv_memberships", None)
    if cached is None:
        cached = list(
            Membership.objects.current().filter(user=user).select_related("scheme", "panel")
        )
        user._icv_memberships = cached
    return cached


def roles_in(user, scheme: Scheme | int) -> set[str]:
    scheme_id = scheme if isinstance(scheme, int) else scheme.pk
    return {m.role for m in memberships_of(user) if m.scheme_id == scheme_id}


def schemes_where(user, *roles: str) -> list[int]:
    """Ids of the schemes in which the user holds any of `roles` (any role if none given)."""
    return sorted({m.scheme_id for m in memberships_of(user) if not roles or m.role in roles})


def may(user, capability: str, scheme: Scheme | int) -> bool:
    """Whether the user's roles in `scheme` hold `capability` (a key of CAPABILITIES)."""
    return bool(roles_in(user, scheme) & _capability(capability))


def schemes_where_may(user, capability: str) -> list[int]:
    """Ids of the schemes in which the user's roles hold `capability`."""
    return schemes_where(user, *_capability(capability))


def recording_schemes(user) -> list[int]:
    """Ids of the schemes whose visits the user records (as a visitor or panel coordinator)."""
    return schemes_where_may(user, RECORD)


def can_record_visits(user) -> bool:
    """Recording a visit (the pages, the phone page, the API) is for visiting members only."""
    return bool(recording_schemes(user))


def coordinated_panels(user) -> list[int]:
    """Ids of the panels the user coordinates."""
    return [m.panel_id for m in memberships_of(user) if m.role == Role.COORDINATOR and m.panel_id]


def is_manager(user, scheme: Scheme | int) -> bool:
    return Role.MANAGER in roles_in(user, scheme)


# --- Scoping -----------------------------------------------------------------------------------


def _own_visit_ids(user):
    return VisitVisitor.objects.filter(user=user).values("visit_id")


def scope_visits(queryset: QuerySet, user) -> QuerySet:
    """Visits: one's own; a coordinator's panel; all for a manager; submitted ones for the PCC
    reader and (their suites only) the force lead. TACT visits: the manager and the visitors on
    them only."""
    q = NOTHING
    for m in memberships_of(user):
        in_scheme = Q(scheme_id=m.scheme_id)
        not_tact = Q(involves_tact=False)
        submitted = Q(status=Visit.Status.SUBMITTED)
        if m.role == Role.MANAGER:
            q |= in_scheme
        elif m.role in (Role.VISITOR, Role.COORDINATOR):
            q |= in_scheme & Q(pk__in=_own_visit_ids(user))
            if m.role == Role.COORDINATOR and m.panel_id:
                q |= in_scheme & submitted & not_tact & Q(suite__panel_id=m.panel_id)
        elif m.role == Role.PCC:
            q |= in_scheme & submitted & not_tact
        elif m.role == Role.FORCE:
            q |= in_scheme & submitted & not_tact & Q(suite__in=m.suites.values("pk"))
    return queryset.filter(q)


def scope_issues(queryset: QuerySet, user) -> QuerySet:
    """Issues: those a visitor raised (or were raised on their visits); a coordinator's panel;
    all for the manager and PCC reader; for a force lead, those referred for their suites."""
    q = NOTHING
    reported = reported_q()
    for m in memberships_of(user):
        in_scheme = Q(scheme_id=m.scheme_id)
        if m.role in (Role.MANAGER, Role.PCC):
            q |= in_scheme & reported
        elif m.role in (Role.VISITOR, Role.COORDINATOR):
            q |= in_scheme & (Q(raised_by=user) | Q(visit__in=_own_visit_ids(user)))
            if m.role == Role.COORDINATOR and m.panel_id:
                q |= in_scheme & reported & Q(suite__panel_id=m.panel_id)
        elif m.role == Role.FORCE:
            q |= in_scheme & Q(referred_at__isnull=False) & Q(suite__in=m.suites.values("pk"))
    return queryset.filter(q)


def scope_rota_slots(queryset: QuerySet, user) -> QuerySet:
    """Rota slots: a visitor's own pairs, a coordinator's panel, everything for the manager.
    The PCC reader and the force lead never see the rota."""
    q = NOTHING
    published = Q(period__status__in=[RotaPeriod.Status.PUBLISHED, RotaPeriod.Status.CLOSED])
    for m in memberships_of(user):
        in_scheme = Q(period__scheme_id=m.scheme_id)
        if m.role == Role.MANAGER:
            q |= in_scheme
        elif m.role in (Role.VISITOR, Role.COORDINATOR):
            q |= in_scheme & published & Q(visitors=user)
            if m.role == Role.COORDINATOR and m.panel_id:
                q |= in_scheme & published & Q(suite__panel_id=m.panel_id)
    return queryset.filter(q).distinct()


def scope_rota_periods(queryset: QuerySet, user) -> QuerySet:
    """Rota periods: the manager's schemes' all, drafts included; a visitor's or coordinator's
    once open for availability or published. Never the PCC reader's or the force's."""
    q = NOTHING
    for m in memberships_of(user):
        if m.role == Role.MANAGER:
            q |= Q(scheme_id=m.scheme_id)
        elif m.role in (Role.VISITOR, Role.COORDINATOR):
            q |= Q(scheme_id=m.scheme_id) & ~Q(status=RotaPeriod.Status.DRAFT)
    return queryset.filter(q)


def scope_swaps(queryset: QuerySet, user) -> QuerySet:
    """Offers of rota slots: every offer on a published rota of a scheme whose rota one is on
    or manages (a visitor must see others' offers to take one)."""
    return queryset.filter(
        slot__period__scheme_id__in=schemes_where(
            user, Role.VISITOR, Role.COORDINATOR, Role.MANAGER
        ),
        slot__period__status=RotaPeriod.Status.PUBLISHED,
    )


def scope_suites(queryset: QuerySet, user) -> QuerySet:
    """Suites: every suite of one's schemes, but a force lead only the suites they cover."""
    q = NOTHING
    for m in memberships_of(user):
        if m.role == Role.FORCE:
            q |= Q(scheme_id=m.scheme_id, pk__in=m.suites.values("pk"))
        else:
            q |= Q(scheme_id=m.scheme_id)
    return queryset.filter(q)


def scope_memberships(queryset: QuerySet, user) -> QuerySet:
    """People: the manager sees everyone in the scheme; visitors and coordinators see the
    visiting members (to pick a co-visitor); everyone sees themselves."""
    q = Q(user=user) if user.is_authenticated else NOTHING
    for m in memberships_of(user):
        if m.role == Role.MANAGER:
            q |= Q(scheme_id=m.scheme_id)
        elif m.role in (Role.VISITOR, Role.COORDINATOR):
            q |= Q(scheme_id=m.scheme_id, role__in=[Role.VISITOR, Role.COORDINATOR])
    return queryset.filter(q)


def scope_schemes(queryset: QuerySet, user) -> QuerySet:
    return queryset.filter(pk__in=schemes_where(user))


# --- Predicates: may a user who can see this object change it? ---------------------------------


def can_manage_scheme(user, scheme: Scheme | int) -> bool:
    """Suites, people, checklists and rota generation are the scheme manager's."""
    return may(user, MANAGE, scheme)


def require_volunteer_manager(actor, membership: Membership, message) -> None:
    """The services' check before a manager acts on a volunteer (cards, vetting, appointment):
    NotPermitted with `message` (the action's own words) unless the actor manages the
    volunteer's scheme; NotFound if the membership is not a visiting one."""
    if not can_manage_scheme(actor, membership.scheme_id):
        raise NotPermitted(str(message), code="role_not_allowed")
    if membership.role not in VISITING_ROLES:
        raise NotFound(gettext("No such volunteer."), code="not_found")


def managed_schemes(user) -> list[int]:
    return schemes_where_may(user, MANAGE)


def can_plan_slot(user, slot) -> bool:
    """The day and time a pair agree is for the pair and the scheme manager only."""
    if is_manager(user, slot.period.scheme_id):
        return True
    return any(u.pk == user.pk for u in slot.visitors.all())


def can_edit_suite(user, suite) -> bool:
    return is_manager(user, suite.scheme_id)


def can_edit_visit(user, visit: Visit) -> bool:
    """A draft is edited by the visitors on it; a submitted report only through amendments."""
    return visit.is_draft and visit.has_visitor(user)


def can_settle_copy(user, visit: Visit) -> bool:
    """A second record of a visit from the other visitor's phone (VisitCopy) holds custody
    numbers: the visitors on the visit and the scheme manager see it and settle it."""
    return visit.has_visitor(user) or is_manager(user, visit.scheme_id)


def can_amend_visit(user, visit: Visit) -> bool:
    if visit.is_draft:
        return False
    return is_manager(user, visit.scheme_id) or visit.has_visitor(user)


def can_see_custody_numbers(user, visit: Visit) -> bool:
    """The PCC reader sees reports with custody numbers hidden."""
    return visit.scheme_id not in schemes_hiding_custody_numbers(user)


def schemes_hiding_custody_numbers(user) -> set[int]:
    """Schemes where the user is only a PCC reader, so custody numbers are hidden from them
    (in reports, issues, lists and downloads alike)."""
    roles: dict[int, set[str]] = {}
    for m in memberships_of(user):
        roles.setdefault(m.scheme_id, set()).add(m.role)
    return {scheme_id for scheme_id, held in roles.items() if held == {Role.PCC}}


def can_see_detainee_answers(user, visit: Visit) -> bool:
    """Who each detainee was and what they said is not the PCC reader's: they read the
    report's figures, the suite checks and the issues."""
    return can_see_custody_numbers(user, visit)


class IssueAudience:
    """How much of an issue a reader is given (visits/visible_issues.py)."""

    SCHEME = "scheme"  # the manager, the PCC reader, a coordinator for their panel: all of it
    FORCE = "force"  # what was referred and shared with the force
    VISITOR = "visitor"  # the issue they raised, its status and outcome


def issue_audience(user, issue: Issue) -> str:
    """The most a user may read of `issue`: the scheme's whole record, the force's part, or
    the visitors' part. Asks for `issue.suite` (select it with the issue)."""
    roles = roles_in(user, issue.scheme_id)
    notes = roles & _capability(INTERNAL_NOTES)
    if notes - {Role.COORDINATOR}:
        return IssueAudience.SCHEME
    if notes and issue.suite.panel_id in coordinated_panels(user):
        return IssueAudience.SCHEME
    if Role.FORCE in roles:
        return IssueAudience.FORCE
    return IssueAudience.VISITOR


def can_take_issue_action(user, issue: Issue, transition) -> bool:
    """Whether the user holds a role the workflow allows for this step on this issue. A force
    lead acts only on issues referred for a suite they cover."""
    roles = roles_in(user, issue.scheme_id)
    if Role.FORCE in roles:
        covers = any(
            m.role == Role.FORCE
            and m.scheme_id == issue.scheme_id
            and m.suites.filter(pk=issue.suite_id).exists()
            for m in memberships_of(user)
        )
        if not (covers and issue.referred_at):
            roles = roles - {Role.FORCE}
    return bool(roles & set(transition.roles))


def can_see_rota(user, scheme: Scheme | int) -> bool:
    return may(user, ROTA, scheme)


def rota_schemes(user) -> list[int]:
    """Ids of the schemes whose rota the user is on or manages."""
    return schemes_where_may(user, ROTA)


def reference_schemes(user) -> list[int]:
    """Ids of the schemes whose panels and checklists the user reads (not the force's)."""
    return schemes_where_may(user, REFERENCE)


def can_read_summaries(user, scheme: Scheme | int) -> bool:
    return may(user, SUMMARIES, scheme)


def summary_schemes(user) -> list[Scheme]:
    """The schemes whose summaries the user reads, by name."""
    schemes = {m.scheme for m in memberships_of(user) if can_read_summaries(user, m.scheme_id)}
    return sorted(schemes, key=lambda scheme: scheme.name)


def scope_summary_suites(queryset: QuerySet, user) -> QuerySet:
    """The suites whose figures the user reads: the manager and the PCC reader, the scheme's;
    a force lead, the suites they cover; a coordinator, their panel's."""
    q = NOTHING
    for m in memberships_of(user):
        in_scheme = Q(scheme_id=m.scheme_id)
        if m.role in (Role.MANAGER, Role.PCC):
            q |= in_scheme
        elif m.role == Role.FORCE:
            q |= in_scheme & Q(pk__in=m.suites.values("pk"))
        elif m.role == Role.COORDINATOR:
            q |= in_scheme & Q(panel_id=m.panel_id)
    return queryset.filter(q)


def can_see_visit_pattern(user, scheme: Scheme | int) -> bool:
    """When visits happen and are planned (planned counts, weeks, days, times of day) is never
    the force's to learn: it would tell them when the next visit is due."""
    return may(user, VISIT_PATTERN, scheme)


def can_download_national_return(user, scheme: Scheme | int) -> bool:
    """The scheme's whole-scheme return is for the manager and the PCC reader."""
    return may(user, NATIONAL_RETURN, scheme)


def recording_choices(user):
    """The suites a user may start a visit at, and the people they may visit with."""
    schemes = recording_schemes(user)
    suites = scope_suites(CustodySuite.objects.all(), user).filter(
        scheme_id__in=schemes, active=True
    )
    partners = (
        get_user_model()
        .objects.filter(memberships__in=Membership.objects.visiting().filter(scheme_id__in=schemes))
        .exclude(pk=user.pk)
        .distinct()
        .order_by("first_name", "last_name")
    )
    return suites, partners
