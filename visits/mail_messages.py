"""The e-mails' messages, built when the worker sends them (visits.tasks.deliver_email): each
as its recipient may read it at the time it is sent, in their language, or None when there is
nothing left for them to read (they left the scheme, the issue went to another suite). Who is
sent what, and when it is queued, is visits.notifications.

Below the services and notifications (lint-imports holds it): what a message needs of the rota
or of training it reads from visits.rota_notices and visits.training_due.
"""

import datetime

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core.mail import EmailMessage
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.encoding import force_bytes
from django.utils.formats import date_format
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext

from visits import permissions
from visits.languages import language_of
from visits.models import (
    Application,
    Email,
    Issue,
    Membership,
    RotaPeriod,
    RotaSlot,
    SwapRequest,
    Visit,
)
from visits.pdf import render_visit_report
from visits.rota_notices import SlotChange, SlotNotice
from visits.training_due import current_visitors, due_training
from visits.visible_issues import readable_issues, visible_issue
from visits.visit_read_model import visible_report
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


# --- The visit report and issues -----------------------------------------------------------------


def build_visit_report(email: Email) -> EmailMessage | None:
    """As the reader may read it (visits.visit_read_model.visible_report): the force's copy
    holds only the issues referred to it. The PDF is rendered here, in the worker."""
    reader = _recipient(email)
    if reader is None:
        return None
    visible = permissions.scope_visits(Visit.objects.all(), reader).filter(pk=email.params["visit"])
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


def build_issue_update(email: Email) -> EmailMessage | None:
    """Each is told what they may read of the issue (visits.visible_issues)."""
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


def build_rota_published(email: Email) -> EmailMessage | None:
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


# --- Volunteers, training and recruitment --------------------------------------------------------


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


def build_training_due(email: Email) -> EmailMessage | None:
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
            for d in due_training([m])
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
    if _manager(email) is None:
        return None
    due = due_training(current_visitors([email.scheme_id]))
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


def build_application_received(email: Email) -> EmailMessage | None:
    if _manager(email) is None:
        return None
    application = Application.objects.filter(
        pk=email.params["application"], scheme_id=email.scheme_id
    ).first()
    if application is None:
        return None  # deleted since (retention)
    link = settings.SITE_URL + reverse("application-detail", args=[application.pk])
    return _render(email, "application_received", {"name": application.full_name, "link": link})


def build_welcome(email: Email) -> EmailMessage | None:
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
