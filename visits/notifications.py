"""E-mail: who is told what (queued in the transaction of the change, visits.services.mail),
and the messages, built when the worker sends them (visits.tasks.deliver_email).

Each `queue_*` function writes one Email row per recipient; `build(email)` makes the message
as that recipient may read it at the time it is sent, or returns None when there is nothing
left for them to read (they left the scheme, the issue went to another suite).
"""

import datetime

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMessage
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.formats import date_format
from django.utils.translation import gettext

from visits import permissions
from visits.models import Email, Issue, Membership, Role, RotaPeriod, RotaSlot, SwapRequest, Visit
from visits.services.languages import language_of
from visits.services.mail import queue_email
from visits.workdays import add_working_days

Kind = Email.Kind


def nothing_to_send_reason() -> str:
    return gettext("Nothing to send: the recipient may no longer read it, or it no longer applies.")


def build(email: Email) -> EmailMessage | None:
    """The message for one queued e-mail, built now, or None if there is nothing to send; in
    the language its recipient chose (visits.services.languages), its attachments included."""
    with translation.override(language_of(email.to_user)):
        return BUILDERS[email.kind](email)


def _message(email: Email, subject: str, body: str) -> EmailMessage:
    return EmailMessage(subject=subject, body=body, to=[email.to_address])


def _render(email: Email, template: str, context: dict) -> EmailMessage:
    """The message from templates/mail/<template>_subject.txt and _body.txt, in the language
    active when it is built. A body template ends with the file's own newline, which is not
    part of the message; a subject is one line."""
    subject = render_to_string(f"mail/{template}_subject.txt", context)
    body = render_to_string(f"mail/{template}_body.txt", context)
    return _message(email, " ".join(subject.split()), body.removesuffix("\n"))


def _long_date(day: datetime.date) -> str:
    """A date as the e-mails have always written it (Monday 05 May 2025), localised."""
    return date_format(day, "l d F Y")


def _recipient(email: Email):
    """The user an e-mail is for, or None if they are gone or have no address now."""
    user = email.to_user
    return user if user is not None and user.is_active else None


def _rota_reader(email: Email):
    """The recipient, if they may still read the scheme's rota when it is sent (a visitor who
    has left, or someone now the force's custody lead, may not)."""
    user = _recipient(email)
    return user if user is not None and permissions.can_see_rota(user, email.scheme_id) else None


def _manager(email: Email):
    """The recipient, if they still manage the scheme when it is sent."""
    user = _recipient(email)
    return user if user is not None and permissions.is_manager(user, email.scheme_id) else None


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


def build_visit_report(email: Email) -> EmailMessage | None:
    """As the reader may read it (visits.visit_read_model.visible_report): the force's copy
    holds only the issues referred to it. The PDF is rendered here, in the worker."""
    from visits.pdf import render_visit_report
    from visits.visit_read_model import visible_report

    reader = _recipient(email)
    if reader is None:
        return None
    visible = Visit.objects.visible_to(reader).filter(pk=email.params["visit"])
    if not visible.exists():
        return None
    visit = (
        Visit.objects.for_report().select_related("suite", "scheme").get(pk=email.params["visit"])
    )
    report = visible_report(reader, visit)
    pdf = render_visit_report(report)
    message = _render(
        email,
        "visit_report",
        {
            "suite": visit.suite.shown_name,
            "when": date_format(visit.visit_date, "d F Y"),
            "outcome": visit.get_outcome_display(),
            "photos": len(report.photos),
        },
    )
    message.attach(
        f"visit-{visit.suite.name}-{visit.visit_date}.pdf".replace(" ", "-"),
        pdf,
        "application/pdf",
    )
    return message


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


def build_issue_update(email: Email) -> EmailMessage | None:
    """Each is told what they may read of the issue (visits.visible_issues)."""
    from visits.visible_issues import readable_issues, visible_issue

    reader = _recipient(email)
    if reader is None:
        return None
    issue_id, action = email.params["issue"], email.params["action"]
    row = readable_issues(reader).filter(pk=issue_id).first()
    if row is None:
        return None  # no longer theirs to read (left the scheme, or another suite)
    link = settings.SITE_URL + reverse("issue-detail", args=[issue_id])
    seen = visible_issue(reader, row)
    about = gettext("%(category)s at %(suite)s") % {
        "category": seen.category_label,
        "suite": seen.suite_name,
    }
    context = {"action": action, "about": about, "link": link, "description": seen.description}
    if action in ("refer", "escalate"):
        context |= {"level": seen.escalation_label, "due": _long_date(seen.due_on)}
    elif action not in ("respond",):
        context["outcome"] = seen.outcome
    return _render(email, "issue_update", context)


# --- The daily issue digest and the force's reminders (send_issue_digest) -----------------------

REMIND_DAYS = 2  # working days before the due date


def issues_waiting(scheme_id: int, today: datetime.date):
    """The scheme's reported issues: those overdue and due soon from the force, and the
    numbers to triage and to review."""
    soon = add_working_days(today, REMIND_DAYS)
    issues = (
        Issue.objects.reported().filter(scheme_id=scheme_id).select_related("suite", "referred_to")
    )
    return {
        "overdue": list(issues.overdue(today)),
        "due_soon": list(issues.waiting_for_force().filter(due_on__gte=today, due_on__lte=soon)),
        "to_triage": issues.filter(status=Issue.Status.RAISED).count(),
        "responded": issues.filter(status=Issue.Status.RESPONDED).count(),
    }


def _issue_line(issue: Issue) -> str:
    values = {
        "category": issue.get_category_display(),
        "suite": issue.suite.shown_name,
        "link": settings.SITE_URL + reverse("issue-detail", args=[issue.pk]),
    }
    if issue.due_on:
        values["date"] = date_format(issue.due_on, "d M Y")
        return gettext("- %(category)s at %(suite)s, due %(date)s: %(link)s") % values
    return gettext("- %(category)s at %(suite)s: %(link)s") % values


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


def build_issue_digest(email: Email) -> EmailMessage | None:
    today = datetime.date.fromisoformat(email.params["date"])
    waiting = issues_waiting(email.scheme_id, today)
    overdue, due_soon = waiting["overdue"], waiting["due_soon"]
    if _manager(email) is None or not any(waiting.values()):
        return None
    return _render(
        email,
        "issue_digest",
        {
            "scheme": email.scheme.shown_name,
            "today": _long_date(today),
            "to_triage": waiting["to_triage"],
            "responded": waiting["responded"],
            "overdue": [_issue_line(issue) for issue in overdue],
            "due_soon": [_issue_line(issue) for issue in due_soon],
            "remind_days": REMIND_DAYS,
        },
    )


def build_force_reminder(email: Email) -> EmailMessage | None:
    today = datetime.date.fromisoformat(email.params["date"])
    waiting = issues_waiting(email.scheme_id, today)
    from visits.visible_issues import readable_issues

    reader = _recipient(email)
    if reader is None:
        return None
    readable = set(readable_issues(reader).values_list("pk", flat=True))
    late_pks = {issue.pk for issue in waiting["overdue"]}
    mine = [
        issue
        for issue in waiting["overdue"] + waiting["due_soon"]
        if issue.referred_to_id == email.to_user_id and issue.pk in readable
    ]
    if not mine:
        return None
    late = sum(1 for issue in mine if issue.pk in late_pks)
    return _render(
        email,
        "force_reminder",
        {"count": len(mine), "late": late, "lines": [_issue_line(issue) for issue in mine]},
    )


# --- Rota ---------------------------------------------------------------------------------------
# Rota messages go to visitors and managers only, never to a force custody lead, and say the
# suite and the week, never a planned day or time.


def slot_line(slot) -> str:
    return gettext("%(suite)s, week beginning %(date)s") % {
        "suite": slot.suite.shown_name,
        "date": _long_date(slot.week_starts_on),
    }


def _rota_link() -> str:
    return settings.SITE_URL + reverse("my-rota")


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


def build_rota_published(email: Email) -> EmailMessage | None:
    from visits.services.rota import SlotNotice

    period = RotaPeriod.objects.filter(pk=email.params["period"]).first()
    if period is None:
        return None
    if email.params.get("manager"):
        return _rota_manager_note(email, period) if _manager(email) else None
    if _rota_reader(email) is None:
        return None
    if "slots" in email.params:
        own = [SlotNotice.from_params(n) for n in email.params["slots"]]
        lines = [notice.line() for notice in own]
    else:  # queued before the e-mail kept its own list of slots
        own = list(
            period.slots.filter(status=RotaSlot.Status.PLANNED, visitors=email.to_user_id)
            .select_related("suite")
            .order_by("week_starts_on", "suite__name")
        )
        lines = [
            gettext("%(slot)s (%(band)s)")
            % {"slot": slot_line(s), "band": s.get_time_band_display()}
            for s in own
        ]
    if not own:
        return None
    return _render(
        email, "rota_published", {"period": period.shown_name, "lines": lines, "link": _rota_link()}
    )


def _rota_manager_note(email: Email, period: RotaPeriod) -> EmailMessage:
    return _render(
        email,
        "rota_manager_note",
        {
            "period": period.shown_name,
            "first": email.params.get("first"),
            "told": email.params.get("told", []),
            "empty": email.params.get("empty", 0),
            "link": settings.SITE_URL + reverse("rota-period", args=[period.pk]),
        },
    )


def build_slot_changed(email: Email) -> EmailMessage | None:
    from visits.services.rota import SlotChange

    if _rota_reader(email) is None:
        return None
    if "changes" not in email.params:  # one slot's change, queued before publishing again
        slot = RotaSlot.objects.select_related("suite").filter(pk=email.params["slot"]).first()
        if slot is None:
            return None
        return _render(email, "rota_slot_changed", {"slot": slot_line(slot), "link": _rota_link()})
    period = RotaPeriod.objects.filter(pk=email.params["period"]).first()
    changes = [SlotChange.from_params(c) for c in email.params["changes"]]
    if period is None or not changes:
        return None
    return _render(
        email,
        "rota_slot_changed",
        {
            "period": period.shown_name,
            "lines": [change.line() for change in changes],
            "link": _rota_link(),
        },
    )


def build_swap(email: Email) -> EmailMessage | None:
    swap = SwapRequest.objects.select_related("slot__suite", "offered_by", "taken_by").get(
        pk=email.params["swap"]
    )
    if _rota_reader(email) is None:
        return None
    context = {
        "slot": slot_line(swap.slot),
        "offered_by": swap.offered_by.get_full_name(),
        "note": swap.note,
        "link": _rota_link(),
    }
    if email.kind == Kind.SWAP_OFFERED:
        return _render(email, "swap_offered", context)
    context["taken_by"] = swap.taken_by.get_full_name()
    return _render(email, "swap_taken", context)


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


def build_rota_reminder(email: Email) -> EmailMessage | None:
    slot = RotaSlot.objects.select_related("suite").get(pk=email.params["slot"])
    people = list(slot.visitors.all())
    user = _rota_reader(email)
    if user is None or user not in people:
        return None
    partner = ", ".join(p.get_full_name() for p in people if p.pk != user.pk)
    return _render(
        email,
        "rota_reminder",
        {"slot": slot_line(slot), "partner": partner, "link": _rota_link()},
    )


def build_uncovered_alert(email: Email) -> EmailMessage | None:
    slot = RotaSlot.objects.select_related("suite").get(pk=email.params["slot"])
    if _manager(email) is None:
        return None
    link = settings.SITE_URL + reverse("rota-period", args=[slot.period_id])
    return _render(
        email,
        "uncovered_slot",
        {"slot": slot_line(slot), "reason": email.params.get("reason"), "link": link},
    )


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


def _expiry_still_due(m: Membership, what: str, on: str) -> bool:
    recorded = m.vetting_expires_on if what == "vetting" else m.appointment_ends_on
    return recorded is not None and recorded.isoformat() == on


def build_expiry_reminder(email: Email) -> EmailMessage | None:
    m = (
        Membership.objects.current()
        .select_related("user")
        .filter(pk=email.params["membership"])
        .first()
    )
    user = _recipient(email)
    # Renewed, left, or no longer theirs to be told: nothing to send.
    if (
        m is None
        or user is None
        or not _expiry_still_due(m, email.params["what"], email.params["on"])
    ):
        return None
    context = {
        "date": date_format(datetime.date.fromisoformat(email.params["on"]), "j F Y"),
        "vetting": email.params["what"] == "vetting",
        "own": user.pk == m.user_id,
    }
    if context["own"]:
        context["link"] = settings.SITE_URL + reverse("own-record")
    elif _manager(email) is not None:
        context["name"] = m.user.get_full_name() or m.user.username
        context["link"] = settings.SITE_URL + reverse("volunteer-detail", args=[m.pk])
    else:
        return None
    return _render(email, "expiry_reminder", context)


def queue_volunteer_left(membership: Membership, slots: list) -> list[Email]:
    """Tell the scheme's managers who left and which rota slots it left short."""
    params = {"membership": membership.pk, "slots": [slot.pk for slot in slots]}
    return [
        email
        for manager in managers_of(membership.scheme_id)
        if (
            email := queue_email(
                kind=Kind.VOLUNTEER_LEFT,
                scheme=membership.scheme_id,
                to_user=manager,
                params=params,
            )
        )
    ]


def build_volunteer_left(email: Email) -> EmailMessage | None:
    if _manager(email) is None:
        return None
    m = Membership.objects.select_related("user").filter(pk=email.params["membership"]).first()
    if m is None or m.left_on is None:
        return None
    name = m.user.get_full_name() or m.user.username
    slots = RotaSlot.objects.filter(pk__in=email.params["slots"]).select_related("suite")
    context = {"name": name, "date": date_format(m.left_on, "j F Y")}
    if slots:
        context["slots"] = [slot_line(slot) for slot in slots.order_by("week_starts_on")]
        context["link"] = settings.SITE_URL + reverse("rota-period", args=[slots[0].period_id])
    return _render(email, "volunteer_left", context)


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


def build_training_due(email: Email) -> EmailMessage | None:
    from visits.services import training

    user = _recipient(email)
    m = (
        Membership.objects.current()
        .select_related("user", "scheme")
        .filter(pk=email.params["membership"])
        .first()
    )
    if user is None or m is None or m.user_id != user.pk:
        return None
    due_on = email.params["due_on"]
    item = next(
        (
            d
            for d in training.due_training([m])
            if d.module.pk == email.params["module"]
            and (d.due_on.isoformat() if d.due_on else "never") == due_on
        ),
        None,
    )
    if item is None:  # done meanwhile, or the module retired
        return None
    return _render(
        email,
        "training_due",
        {
            "module": item.module.name,
            "reason": item.reason,
            "link": settings.SITE_URL + reverse("own-record"),
        },
    )


def build_training_digest(email: Email) -> EmailMessage | None:
    from visits.services import training

    if _manager(email) is None:
        return None
    due = training.due_training(training.current_visitors([email.scheme_id]))
    if not due:
        return None
    rows = [
        {
            "name": item.membership.user.get_full_name() or item.membership.user.username,
            "module": item.module.name,
            "reason": item.reason,
        }
        for item in due
    ]
    link = settings.SITE_URL + reverse("training-overview")
    return _render(email, "training_digest", {"due": rows, "link": link})


# --- Recruitment (issue 22) ---------------------------------------------------------------------


def queue_application_received(application) -> list[Email]:
    """Tell the scheme's managers that someone applied (the details stay in the app)."""
    return [
        email
        for manager in managers_of(application.scheme_id)
        if (
            email := queue_email(
                kind=Kind.APPLICATION_RECEIVED,
                scheme=application.scheme_id,
                to_user=manager,
                params={"application": application.pk},
            )
        )
    ]


def build_application_received(email: Email) -> EmailMessage | None:
    from visits.models import Application

    if _manager(email) is None:
        return None
    application = Application.objects.filter(
        pk=email.params["application"], scheme_id=email.scheme_id
    ).first()
    if application is None:
        return None  # deleted since (retention)
    link = settings.SITE_URL + reverse("application-detail", args=[application.pk])
    return _render(email, "application_received", {"name": application.full_name, "link": link})


def queue_welcome(membership: Membership, application) -> Email | None:
    """Welcome a new trainee; the link to set a password is made when the e-mail is sent."""
    return queue_email(
        kind=Kind.WELCOME,
        scheme=membership.scheme_id,
        to_user=membership.user,
        params={"membership": membership.pk, "application": application.pk},
    )


def build_welcome(email: Email) -> EmailMessage | None:
    from django.contrib.auth.tokens import default_token_generator
    from django.utils.encoding import force_bytes
    from django.utils.http import urlsafe_base64_encode

    user = _recipient(email)
    membership = (
        Membership.objects.current()
        .select_related("scheme")
        .filter(pk=email.params["membership"], user=user)
        .first()
    )
    if user is None or membership is None:
        return None
    has_password = user.has_usable_password()
    if has_password:
        link = settings.SITE_URL + reverse("login")
    else:
        # Django's password-reset token: it stops working once the password is set (the
        # token covers the password's hash), or after PASSWORD_RESET_TIMEOUT.
        uid = urlsafe_base64_encode(force_bytes(user.pk))
        token = default_token_generator.make_token(user)
        link = settings.SITE_URL + reverse("set-password", args=[uid, token])
    return _render(
        email,
        "welcome",
        {
            "scheme": membership.scheme.shown_name,
            "username": user.get_username(),
            "has_password": has_password,
            "link": link,
        },
    )


BUILDERS = {
    Kind.VISIT_REPORT: build_visit_report,
    Kind.ISSUE_UPDATE: build_issue_update,
    Kind.ISSUE_DIGEST: build_issue_digest,
    Kind.FORCE_REMINDER: build_force_reminder,
    Kind.ROTA_PUBLISHED: build_rota_published,
    Kind.ROTA_SLOT_CHANGED: build_slot_changed,
    Kind.SWAP_OFFERED: build_swap,
    Kind.SWAP_TAKEN: build_swap,
    Kind.ROTA_REMINDER: build_rota_reminder,
    Kind.UNCOVERED_SLOT: build_uncovered_alert,
    Kind.EXPIRY_REMINDER: build_expiry_reminder,
    Kind.VOLUNTEER_LEFT: build_volunteer_left,
    Kind.TRAINING_DUE: build_training_due,
    Kind.TRAINING_DIGEST: build_training_digest,
    Kind.APPLICATION_RECEIVED: build_application_received,
    Kind.WELCOME: build_welcome,
}
