"""Moving an issue through its workflow (visits/issue_workflow.py): one function, `act`.

Every step is an IssueEvent with actor, time and text; nothing is ever deleted. E-mails go out
after the transaction commits.
"""

import datetime

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext

from visits import notifications, permissions
from visits.errors import ConflictError, DomainError, NotPermitted
from visits.issue_workflow import ESCALATION_LADDER, TRANSITIONS
from visits.models import Issue, IssueEvent, Membership, Role, Visit
from visits.services import audit, revisions
from visits.workdays import add_working_days, response_time


def due_date(issue: Issue, start: datetime.date) -> datetime.date:
    """When the force must answer: the scheme's working days, fewer for urgent issues."""
    scheme = issue.scheme
    days = (
        scheme.response_days_urgent
        if issue.severity == Issue.Severity.URGENT
        else (scheme.response_days_routine)
    )
    return add_working_days(start, days)


def _force_lead_for(issue: Issue):
    lead = (
        Membership.objects.current()
        .filter(scheme_id=issue.scheme_id, role=Role.FORCE, suites=issue.suite_id)
        .select_related("user")
        .order_by("pk")
        .first()
    )
    if lead is None:
        raise DomainError(
            gettext("No force custody lead covers %(suite)s. Add one in the scheme's people.")
            % {"suite": issue.suite.name},
            code="no_force_lead",
        )
    return lead.user


def act(
    *,
    actor,
    issue: Issue,
    action: str,
    text: str = "",
    attachment=None,
    severity: str | None = None,
    notify: bool = True,
    expected_revision: int | None = None,
    shared_with_force: bool = False,
) -> Issue:
    """Take `action` on `issue` (see TRANSITIONS) and record it as an event, internal to the
    scheme unless the step is the force's business or `shared_with_force` is asked for.

    Raises DomainError for an unknown action or missing text, ConflictError when the issue's
    state does not allow the action or `expected_revision` is stale, NotPermitted when the
    actor's role does not."""
    transition = TRANSITIONS.get(action)
    if transition is None:
        raise DomainError(
            gettext("“%(action)s” is not something that can be done to an issue.")
            % {"action": action},
            code="unknown_action",
        )
    with transaction.atomic():
        issue = Issue.objects.select_for_update().select_related("scheme", "suite").get(pk=issue.pk)
        if issue.status not in transition.from_states:
            raise ConflictError(
                gettext("This issue is %(status)s, so “%(action)s” is not possible now.")
                % {"status": issue.get_status_display().lower(), "action": transition.label},
                code="transition_not_allowed",
            )
        if not permissions.can_take_issue_action(actor, issue, transition):
            raise NotPermitted(
                gettext("Your role cannot %(action)s this issue.")
                % {"action": transition.label.lower()},
                code="role_not_allowed",
            )
        revisions.check(issue, expected_revision)
        if transition.needs_text and not text.strip():
            raise DomainError(
                gettext("Write a few words to go with this step."),
                code="text_required",
                field="text",
            )
        now = timezone.now()
        today = timezone.localdate()
        if severity:
            issue.severity = severity
        if action == "refer":
            issue.referred_to = _force_lead_for(issue)
            issue.referred_at = now
            issue.due_on = due_date(issue, today)
        elif action == "respond":
            issue.responded_at = now
        elif action == "escalate":
            position = (
                ESCALATION_LADDER.index(issue.escalation_level) + 1
                if issue.escalation_level in ESCALATION_LADDER
                else 0
            )
            issue.escalation_level = ESCALATION_LADDER[min(position, len(ESCALATION_LADDER) - 1)]
            issue.due_on = due_date(issue, today)
        elif action in ("accept", "close"):
            issue.closed_at = now
            issue.outcome = text.strip() or _last_response(issue)
        elif action == "reopen":
            issue.closed_at = None
        if transition.to_state:
            issue.status = transition.to_state
        issue.revision += 1
        issue.responded_on, issue.response_working_days = response_time(
            issue.referred_at, issue.responded_at
        )
        issue.save()
        event = IssueEvent(
            issue=issue,
            kind=transition.event,
            actor=actor,
            text=text.strip(),
            # What the force writes is theirs to read again.
            shared_with_force=transition.shared_with_force
            or shared_with_force
            or Role.FORCE in permissions.roles_in(actor, issue.scheme_id),
        )
        if attachment is not None:
            event.attachment.save(attachment.name, attachment, save=False)
        event.save()
        if notify:  # queued with the step, sent by the worker (visits.services.mail)
            notifications.queue_issue_update(issue, action)
        audit.record(actor=actor, action=f"issue.{action}", obj=issue, scheme=issue.scheme)
    return issue


def _last_response(issue: Issue) -> str:
    event = issue.events.filter(kind=IssueEvent.Kind.RESPONDED).order_by("-created_at").first()
    return event.text if event else ""


def recheck_not_expected() -> DomainError:
    return DomainError(
        gettext("This issue is not waiting for a re-check at this suite."),
        code="recheck_not_expected",
        field="fixed",
    )


def record_recheck(
    *, actor, visit: Visit, issue: Issue, fixed: bool, note: str = "", late: bool = False
) -> Issue:
    """On a later visit to the same suite, the visitors say whether an issue is now fixed.

    A fixed issue leaves the re-check list; one not fixed stays for the visit after. `late`: a
    re-check written on a phone with no signal of an issue another visit has since marked
    fixed (recheck_already_settled): kept as what was seen, changing nothing else."""
    waiting = issue.recheck_next_visit or late
    if not visit.is_draft or issue.suite_id != visit.suite_id or not waiting:
        raise recheck_not_expected()
    with transaction.atomic():
        issue = Issue.objects.select_for_update().get(pk=issue.pk)
        day = date_format(visit.visit_date, "j F Y")
        if fixed:
            text = gettext("Fixed at the visit of %(day)s") % {"day": day}
        else:
            text = gettext("Not fixed at the visit of %(day)s") % {"day": day}
        if late and not issue.recheck_next_visit:
            text += " " + gettext("(sent after another visit had marked it fixed)")
            fixed = False  # nothing more to take off the list
        if note.strip():
            text += f": {note.strip()}"
        IssueEvent.objects.create(
            issue=issue, kind=IssueEvent.Kind.RECHECKED, actor=actor, text=text
        )
        if fixed:
            issue.recheck_next_visit = False
            issue.save(update_fields=["recheck_next_visit"])
    return issue


def record_rechecks(*, actor, visit: Visit, outcomes: dict[int, tuple[bool | None, str]]) -> int:
    """Several re-checks at once, from one form: issue id -> (fixed, note), where fixed None is
    "not looked at" and records nothing. All or none: raises DomainError (nothing recorded) if
    an issue is no longer waiting for a re-check at this suite (another pair may have just
    recorded it fixed). Returns how many were recorded."""
    wanted = {pk: outcome for pk, outcome in outcomes.items() if outcome[0] is not None}
    with transaction.atomic():
        waiting = {issue.pk: issue for issue in awaiting_recheck(visit).filter(pk__in=wanted)}
        for pk, (fixed, note) in wanted.items():
            if pk not in waiting:
                raise DomainError(
                    gettext(
                        "An issue is no longer waiting for a re-check at this suite: someone "
                        "may have just recorded it. Check the list again."
                    ),
                    code="recheck_not_expected",
                    field=f"recheck_{pk}",
                )
            record_recheck(actor=actor, visit=visit, issue=waiting[pk], fixed=fixed, note=note)
    return len(wanted)


def awaiting_recheck_at(suites) -> QuerySet[Issue]:
    """Issues from submitted reports at these suites (ids or a queryset) that asked to be
    re-checked on the next visit: what a visitor recording there is shown to re-check."""
    return Issue.objects.filter(
        suite_id__in=suites, recheck_next_visit=True, visit__status=Visit.Status.SUBMITTED
    ).order_by("created_at", "pk")


def recheck_already_settled(visit: Visit, issue_id: int) -> Issue | None:
    """An issue at this visit's suite that was waiting for a re-check and has since been
    re-checked fixed at another visit: what a report typed with no signal may still carry."""
    return (
        Issue.objects.filter(
            pk=issue_id,
            suite_id=visit.suite_id,
            visit__status=Visit.Status.SUBMITTED,
            recheck_next_visit=False,
            events__kind=IssueEvent.Kind.RECHECKED,
        )
        .exclude(visit=visit)
        .distinct()
        .first()
    )


def awaiting_recheck(visit: Visit) -> QuerySet[Issue]:
    """Issues from earlier reports on this suite that asked to be re-checked."""
    return awaiting_recheck_at([visit.suite_id]).exclude(visit=visit)
