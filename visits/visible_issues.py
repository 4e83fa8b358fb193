"""What a reader may see of an issue: the one read model that the board, the issue page, its CSV,
the API, a visit report and the e-mails render. Nothing else hands an Issue to a door.

The scheme (manager, PCC reader, a coordinator for their panel) reads the whole record; the
force custody lead reads the issue as raised and the steps shared with them, never the
manager's internal notes or the re-check plan; the visitors read what they raised, its status
and outcome. The PCC reader never sees a custody number (permissions.py decides each of these).
"""

import datetime
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db.models import F, Prefetch, QuerySet
from django.utils import timezone

from visits import permissions
from visits.models import Issue, IssueEvent
from visits.permissions import IssueAudience
from visits.services import audit

User = get_user_model()

HIDDEN_NUMBER = "(hidden)"

# Steps a visitor reads on an issue they raised: how it began and how it ended.
VISITOR_EVENTS = {
    IssueEvent.Kind.RAISED,
    IssueEvent.Kind.RESOLVED_ON_VISIT,
    IssueEvent.Kind.RECHECKED,
    IssueEvent.Kind.ACCEPTED,
    IssueEvent.Kind.CLOSED,
}
CLOSING_EVENTS = {IssueEvent.Kind.ACCEPTED, IssueEvent.Kind.CLOSED}


@dataclass(frozen=True)
class VisibleEvent:
    id: int
    kind: str
    kind_label: str
    actor_name: str
    text: str
    has_attachment: bool
    shared_with_force: bool
    created_at: datetime.datetime


@dataclass(frozen=True)
class VisibleIssue:
    id: int
    audience: str
    suite: int
    suite_name: str
    visit: str | None  # the visit's uuid
    visit_date: datetime.date | None
    category: str
    category_label: str
    severity: str
    severity_label: str
    status: str
    status_label: str
    escalation_level: str
    escalation_label: str
    description: str
    custody_number: str  # HIDDEN_NUMBER for a reader who may not see it, "" when none
    recheck_next_visit: bool
    raised_by_name: str
    revision: int
    referred_at: datetime.datetime | None
    due_on: datetime.date | None
    responded_at: datetime.datetime | None
    closed_at: datetime.datetime | None
    outcome: str
    created_at: datetime.datetime
    events: tuple[VisibleEvent, ...]

    @property
    def waiting_for_force(self) -> bool:
        return self.status in Issue.WAITING_FOR_FORCE

    def overdue_on(self, day: datetime.date) -> bool:
        """One issue's side of `IssueQuerySet.overdue` (visits/models/issues.py)."""
        return self.waiting_for_force and self.due_on is not None and self.due_on < day

    @property
    def overdue(self) -> bool:
        """Overdue today: for templates, which cannot pass a day."""
        return self.overdue_on(timezone.localdate())


def for_reading(queryset: QuerySet) -> QuerySet:
    """The issue rows a read model needs, with their steps, in a fixed number of queries."""
    return queryset.select_related("suite", "raised_by", "visit").prefetch_related(
        Prefetch(
            "events",
            queryset=IssueEvent.objects.select_related("actor").order_by("created_at", "pk"),
        )
    )


def _name(user) -> str:
    return user.get_full_name() or user.username


def _event_shown(event: IssueEvent, audience: str, viewer) -> bool:
    if audience == IssueAudience.SCHEME:
        return True
    if audience == IssueAudience.FORCE:
        return event.shared_with_force
    return event.kind in VISITOR_EVENTS or event.actor_id == viewer.pk


def visible_issue(viewer, issue: Issue) -> VisibleIssue:
    """What `viewer` may read of `issue`, which must already be within
    `permissions.scope_issues(Issue.objects.all(), viewer)` (load it with `for_reading`)."""
    return _visible(viewer, issue, list(issue.events.all()))


def _visible(viewer, issue: Issue, steps: list[IssueEvent]) -> VisibleIssue:
    """`visible_issue`, given the issue's steps (all of them, in order)."""
    audience = permissions.issue_audience(viewer, issue)
    events = [e for e in steps if _event_shown(e, audience, viewer)]
    outcome = issue.outcome
    if audience == IssueAudience.FORCE:
        closing = [e for e in steps if e.kind in CLOSING_EVENTS]
        if closing and not closing[-1].shared_with_force:
            outcome = ""  # closed by an internal decision: the force reads only that it closed
    custody_number = issue.custody_number
    if custody_number and issue.scheme_id in permissions.schemes_hiding_custody_numbers(viewer):
        custody_number = HIDDEN_NUMBER
    visit = issue.visit
    return VisibleIssue(
        id=issue.pk,
        audience=audience,
        suite=issue.suite_id,
        suite_name=issue.suite.shown_name,
        visit=str(visit.uuid) if visit else None,
        visit_date=visit.visit_date if visit else None,
        category=issue.category,
        category_label=issue.get_category_display(),
        severity=issue.severity,
        severity_label=issue.get_severity_display(),
        status=issue.status,
        status_label=issue.get_status_display(),
        escalation_level=issue.escalation_level,
        escalation_label=issue.get_escalation_level_display() if issue.escalation_level else "",
        description=issue.description,
        custody_number=custody_number,
        # Which visit re-checks what is the scheme's plan, not the force's.
        recheck_next_visit=issue.recheck_next_visit and audience != IssueAudience.FORCE,
        raised_by_name=_name(issue.raised_by),
        revision=issue.revision,
        referred_at=issue.referred_at,
        due_on=issue.due_on,
        responded_at=issue.responded_at,
        closed_at=issue.closed_at,
        outcome=outcome,
        created_at=issue.created_at,
        events=tuple(
            VisibleEvent(
                id=e.pk,
                kind=e.kind,
                kind_label=e.get_kind_display(),
                actor_name=_name(e.actor),
                text=e.text,
                has_attachment=bool(e.attachment),
                shared_with_force=e.shared_with_force,
                created_at=e.created_at,
            )
            for e in events
        ),
    )


def read_issue(viewer, issue: Issue, *, via: str = "page") -> VisibleIssue:
    """`visible_issue`, recorded in the audit trail as read by `viewer`, whatever the door."""
    audit.record(
        actor=viewer, action="issue.viewed", obj=issue, scheme=issue.scheme, detail={"via": via}
    )
    return visible_issue(viewer, issue)


def visible_issues(viewer, issues) -> list[VisibleIssue]:
    """Each of `issues` (rows within the viewer's scope, loaded with `for_reading`) as
    `viewer` may read it."""
    return [visible_issue(viewer, issue) for issue in issues]


_STEP_FIELDS = ("id", "kind", "actor_id", "text", "attachment", "shared_with_force", "created_at")
_AUTHOR_FIELDS = ("username", "first_name", "last_name")


def visible_issues_in_one_query(viewer, queryset: QuerySet) -> list[VisibleIssue]:
    """`visible_issues` for a handful of issues (a visit's), read in one query instead of
    `for_reading`'s two: each issue row LEFT JOINed to its steps and their authors. A long
    list is better served by `for_reading`, whose rows do not repeat for every step."""
    rows = (
        queryset.select_related("suite", "raised_by", "visit")
        .annotate(**{f"step_{name}": F(f"events__{name}") for name in _STEP_FIELDS})
        .annotate(**{f"step_author_{name}": F(f"events__actor__{name}") for name in _AUTHOR_FIELDS})
        .order_by("pk", "events__created_at", "events__id")
    )
    issues: dict[int, tuple[Issue, list[IssueEvent]]] = {}
    for row in rows:
        issue, steps = issues.setdefault(row.pk, (row, []))
        if row.step_id is None:
            continue  # an issue with no steps yet
        step = IssueEvent(
            issue=issue, **{name: getattr(row, f"step_{name}") for name in _STEP_FIELDS}
        )
        step.actor = User(
            pk=row.step_actor_id, **{n: getattr(row, f"step_author_{n}") for n in _AUTHOR_FIELDS}
        )
        steps.append(step)
    return [_visible(viewer, issue, steps) for issue, steps in issues.values()]


def readable_issues(viewer) -> QuerySet:
    """The issues `viewer` may read, loaded for `visible_issue`: a door starts here."""
    return for_reading(permissions.scope_issues(Issue.objects.all(), viewer))
