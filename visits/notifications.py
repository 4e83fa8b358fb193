"""E-mail: who is told what, queued in the transaction of the change (visits.tasks.queue_email).
The services call these; the messages themselves are built when the worker sends them
(visits.mail_messages, visits.tasks.deliver_email).

Each `queue_*` function writes one Email row per recipient.
"""

import datetime

from django.contrib.auth import get_user_model

from visits.mail_messages import issues_waiting
from visits.models import Email, Issue, Membership, Role, RotaSlot, SwapRequest, Visit
from visits.tasks import queue_email

Kind = Email.Kind


# --- The visit report ---------------------------------------------------------------------------


def visit_report_readers(visit: Visit) -> list:
    """The scheme's managers and, unless it is a TACT report, the suite's force custody leads:
    the users (with an address) who are sent the report on submission."""
    members = Membership.objects.current().filter(scheme_id=visit.scheme_id)
    readers = members.filter(role=Role.MANAGER)
    if not visit.involves_tact:
        readers = readers | members.filter(role=Role.FORCE, suites=visit.suite_id)
    users = {m.user for m in readers.select_related("user") if m.user.email}
    return sorted(users, key=lambda user: user.email)


def queue_visit_report(visit: Visit) -> list[Email]:
    """Each reader is sent the report, with its PDF, as they may read it when it is sent."""
    queued = [
        queue_email(
            kind=Kind.VISIT_REPORT,
            scheme=visit.scheme_id,
            to_user=reader,
            params={"visit": visit.pk},
        )
        for reader in visit_report_readers(visit)
    ]
    return [email for email in queued if email]


# --- Issues -------------------------------------------------------------------------------------


def _visitors_of(issue) -> list:
    users = {issue.raised_by}
    if issue.visit_id:
        users |= set(issue.visit.visitors.all())
    return [user for user in users if user.email]


def managers_of(scheme_id) -> list:
    members = Membership.objects.current().filter(scheme_id=scheme_id, role=Role.MANAGER)
    return sorted(
        (m.user for m in members.select_related("user") if m.user.email), key=lambda u: u.email
    )


def manager_emails(scheme_id) -> list[str]:
    return [user.email for user in managers_of(scheme_id)]


ISSUE_ACTIONS = ("refer", "escalate", "respond", "accept", "close")


def queue_issue_update(issue: Issue, action: str) -> list[Email]:
    """Tell the people an issue's step concerns: the force lead when it is referred or
    escalated, the managers when the force responds, the visitors when it closes."""
    if action in ("refer", "escalate"):
        readers = [issue.referred_to] if issue.referred_to and issue.referred_to.email else []
    elif action == "respond":
        readers = managers_of(issue.scheme_id)
    elif action in ("accept", "close"):
        readers = _visitors_of(issue)
    else:
        return []
    queued = [
        queue_email(
            kind=Kind.ISSUE_UPDATE,
            scheme=issue.scheme_id,
            to_user=reader,
            params={"issue": issue.pk, "action": action},
        )
        for reader in sorted(readers, key=lambda user: user.email)
    ]
    return [email for email in queued if email]


def _queue_to_managers(scheme_id, kind, params: dict) -> list[Email]:
    """The same e-mail to each of the scheme's managers (the ones queued: a manager with no
    address is skipped by queue_email)."""
    emails = (
        queue_email(kind=kind, scheme=scheme_id, to_user=manager, params=params)
        for manager in managers_of(scheme_id)
    )
    return [email for email in emails if email is not None]


# --- The daily issue digest and the force's reminders (send_issue_digest) ------------------------


def queue_issue_digests(scheme, today: datetime.date) -> int:
    """A digest to each manager and a reminder to each force lead with issues waiting, once a
    day each: the day's dedupe key is the sent mark."""
    waiting = issues_waiting(scheme.pk, today)
    queued = 0
    if any(waiting.values()):
        for manager in managers_of(scheme.pk):
            queued += bool(
                queue_email(
                    kind=Kind.ISSUE_DIGEST,
                    scheme=scheme,
                    to_user=manager,
                    params={"date": today.isoformat()},
                    dedupe_key=f"issue-digest:{scheme.pk}:{manager.pk}:{today}",
                )
            )
    leads = {
        issue.referred_to
        for issue in waiting["overdue"] + waiting["due_soon"]
        if issue.referred_to_id and issue.referred_to.email
    }
    for lead in sorted(leads, key=lambda user: user.email):
        queued += bool(
            queue_email(
                kind=Kind.FORCE_REMINDER,
                scheme=scheme,
                to_user=lead,
                params={"date": today.isoformat()},
                dedupe_key=f"force-reminder:{scheme.pk}:{lead.pk}:{today}",
            )
        )
    return queued


# --- Rota ----------------------------------------------------------------------------------------
# Rota messages go to visitors and managers only, never to a force custody lead.


def _users(user_ids) -> list:
    users = get_user_model().objects.filter(pk__in=user_ids).exclude(email="")
    return sorted(users, key=lambda user: user.email)


def _queue_rota(kind, scheme_id, users, params, dedupe=None) -> list[Email]:
    queued = [
        queue_email(
            kind=kind,
            scheme=scheme_id,
            to_user=user,
            params=params,
            dedupe_key=f"{dedupe}:{user.pk}" if dedupe else None,
        )
        for user in users
    ]
    return [email for email in queued if email]


def queue_rota_publishing(preview) -> list[Email]:
    """Publishing (a `rota.PublishPreview`): each visitor in it their slots, or what changed
    for them, exactly as the manager confirmed; each manager a note of who was told. The
    lists are kept in the e-mail's params, so the e-mail says what the confirmation said."""
    period = preview.period
    queued = []
    for telling in preview.visitors:
        if preview.first:
            kind = Kind.ROTA_PUBLISHED
            params = {"period": period.pk, "slots": [n.as_params() for n in telling.slots]}
        else:
            kind = Kind.ROTA_SLOT_CHANGED
            params = {"period": period.pk, "changes": [c.as_params() for c in telling.changes]}
        queued += _queue_rota(kind, period.scheme_id, _users([telling.user.pk]), params)
    told = [t.user.get_full_name() for t in preview.visitors]
    summary = {
        "period": period.pk,
        "manager": True,
        "first": preview.first,
        "told": told,
        "empty": len(preview.empty_slots),
    }
    queued += _queue_rota(Kind.ROTA_PUBLISHED, period.scheme_id, preview.managers, summary)
    return queued


def queue_rota_message(kind: str, *args) -> list[Email]:
    """`offered`/`taken` (swap id): the slot's people and the managers. (Publishing and hand
    changes: `queue_rota_publishing`.)"""
    swap = SwapRequest.objects.select_related("slot__period").get(pk=args[0])
    slot = swap.slot
    partner_ids = [u for u in slot.visitors.values_list("pk", flat=True) if u != swap.offered_by_id]
    managers = {user.pk for user in managers_of(slot.period.scheme_id)}
    if kind == "offered":
        told, email_kind = set(partner_ids) | managers, Kind.SWAP_OFFERED
    elif kind == "taken":
        told, email_kind = {swap.offered_by_id, *partner_ids} | managers, Kind.SWAP_TAKEN
    else:
        return []
    return _queue_rota(email_kind, slot.period.scheme_id, _users(told), {"swap": swap.pk})


# --- The daily rota reminders (send_rota_reminders) ---------------------------------------------


def queue_rota_reminder(slot: RotaSlot) -> int:
    """A reminder to each visitor on the slot, once per slot and visitor."""
    users = [user for user in slot.visitors.all() if user.email]
    dedupe = f"rota-reminder:{slot.pk}"
    return len(
        _queue_rota(Kind.ROTA_REMINDER, slot.period.scheme_id, users, {"slot": slot.pk}, dedupe)
    )


def queue_uncovered_alert(slot: RotaSlot, today: datetime.date) -> int:
    """An alert to each manager, once a day per slot and manager."""
    reason = "offer" if slot.offers else "short"
    managers = managers_of(slot.period.scheme_id)
    dedupe = f"uncovered-slot:{slot.pk}:{today}"
    params = {"slot": slot.pk, "reason": reason}
    return len(_queue_rota(Kind.UNCOVERED_SLOT, slot.period.scheme_id, managers, params, dedupe))


# --- Volunteers: expiry reminders and leavers (visits.services.volunteers) ------------------------


def queue_expiry_reminder(expiry) -> int:
    """Remind the volunteer and each manager that a vetting or appointment lapses soon: once
    per reminder (60 or 14 days before), per expiry date (a renewal starts afresh)."""
    m = expiry.membership
    params = {
        "membership": m.pk,
        "what": expiry.what,
        "on": expiry.on.isoformat(),
        "days_before": expiry.days_before,
    }
    queued = 0
    for user in [m.user, *managers_of(m.scheme_id)]:
        key = f"expiry:{m.pk}:{expiry.what}:{expiry.on}:{expiry.days_before}:{user.pk}"
        queued += bool(
            queue_email(
                kind=Kind.EXPIRY_REMINDER,
                scheme=m.scheme_id,
                to_user=user,
                params=params,
                dedupe_key=key,
            )
        )
    return queued


def queue_volunteer_left(membership: Membership, slots: list) -> list[Email]:
    """Tell the scheme's managers who left and which rota slots it left short."""
    params = {"membership": membership.pk, "slots": [slot.pk for slot in slots]}
    return _queue_to_managers(membership.scheme_id, Kind.VOLUNTEER_LEFT, params)


# --- Training due (visits.services.training) ---------------------------------------------------


def queue_training_due(item, today: datetime.date) -> int:
    """Tell a volunteer a module is due: once per module and due date ("never done" once)."""
    m = item.membership
    due_on = item.due_on.isoformat() if item.due_on else "never"
    email = queue_email(
        kind=Kind.TRAINING_DUE,
        scheme=m.scheme_id,
        to_user=m.user,
        params={"membership": m.pk, "module": item.module.pk, "due_on": due_on},
        dedupe_key=f"training:{m.pk}:{item.module.pk}:{due_on}",
    )
    return int(email is not None)


def queue_training_digests(scheme_id: int, today: datetime.date) -> int:
    """Send each manager of the scheme the list of who is due what, once a week."""
    year, week, _weekday = today.isocalendar()
    return sum(
        queue_email(
            kind=Kind.TRAINING_DIGEST,
            scheme=scheme_id,
            to_user=manager,
            params={"scheme": scheme_id},
            dedupe_key=f"training-digest:{scheme_id}:{manager.pk}:{year}-W{week:02d}",
        )
        is not None
        for manager in managers_of(scheme_id)
    )


# --- Recruitment (issue 22) ---------------------------------------------------------------------


def queue_application_received(application) -> list[Email]:
    """Tell the scheme's managers that someone applied (the details stay in the app)."""
    params = {"application": application.pk}
    return _queue_to_managers(application.scheme_id, Kind.APPLICATION_RECEIVED, params)


def queue_welcome(membership: Membership, application) -> Email | None:
    """Welcome a new trainee; the link to set a password is made when the e-mail is sent."""
    return queue_email(
        kind=Kind.WELCOME,
        scheme=membership.scheme_id,
        to_user=membership.user,
        params={"membership": membership.pk, "application": application.pk},
    )
