"""The life of an issue, defined once: which action moves it from which states, to which state,
and who may take it. The services enforce it; pages and the API only offer what it allows.

raised ──► resolved on the visit                      (on the visit, by its visitors)
raised ──► triaged ──► referred ──► responded ──► closed (accepted)
                          │             └──► escalated ──► responded ...
                          └──► escalated (overdue)
any open ──► closed (no further action);  closed ──► reopened (triaged)
"""

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from visits.models import Issue, IssueEvent, Role

S = Issue.Status
OPEN = (S.RAISED, S.TRIAGED, S.REFERRED, S.RESPONDED, S.ESCALATED)


@dataclass(frozen=True)
class Transition:
    action: str
    label: str  # lazy: translated when shown
    from_states: tuple[str, ...]
    to_state: str | None  # None: the state does not change (a comment)
    roles: tuple[str, ...]
    event: str
    needs_text: bool = False
    # True: the step is always shared with the force (it is addressed to them, or theirs);
    # False: a note internal to the scheme unless the manager marks it to share.
    shared_with_force: bool = False


TRANSITIONS = {
    t.action: t
    for t in [
        Transition(
            "triage", _("Triage"), (S.RAISED,), S.TRIAGED, (Role.MANAGER,), IssueEvent.Kind.TRIAGED
        ),
        Transition(
            "refer",
            _("Refer to the force"),
            (S.RAISED, S.TRIAGED),
            S.REFERRED,
            (Role.MANAGER,),
            IssueEvent.Kind.REFERRED,
            shared_with_force=True,
        ),
        Transition(
            "respond",
            _("Respond"),
            (S.REFERRED, S.ESCALATED),
            S.RESPONDED,
            (Role.FORCE,),
            IssueEvent.Kind.RESPONDED,
            needs_text=True,
            shared_with_force=True,
        ),
        Transition(
            "accept",
            _("Accept the response and close"),
            (S.RESPONDED,),
            S.CLOSED,
            (Role.MANAGER,),
            IssueEvent.Kind.ACCEPTED,
            shared_with_force=True,
        ),
        Transition(
            "escalate",
            _("Escalate"),
            (S.REFERRED, S.RESPONDED, S.ESCALATED),
            S.ESCALATED,
            (Role.MANAGER,),
            IssueEvent.Kind.ESCALATED,
            needs_text=True,
            shared_with_force=True,
        ),
        Transition(
            "close",
            _("Close with no further action"),
            (S.RAISED, S.TRIAGED, S.REFERRED, S.ESCALATED),
            S.CLOSED,
            (Role.MANAGER,),
            IssueEvent.Kind.CLOSED,
            needs_text=True,
        ),
        Transition(
            "reopen",
            _("Reopen"),
            (S.CLOSED, S.RESOLVED_ON_VISIT),
            S.TRIAGED,
            (Role.MANAGER,),
            IssueEvent.Kind.REOPENED,
            needs_text=True,
        ),
        Transition(
            "comment",
            _("Add a comment"),
            (*OPEN, S.CLOSED, S.RESOLVED_ON_VISIT),
            None,
            (Role.MANAGER, Role.FORCE),
            IssueEvent.Kind.COMMENTED,
            needs_text=True,
        ),
    ]
}

ESCALATION_LADDER = [Issue.EscalationLevel.HEAD_OF_CUSTODY, Issue.EscalationLevel.PCC]


def allowed_from(status: str) -> list[Transition]:
    return [t for t in TRANSITIONS.values() if status in t.from_states]
