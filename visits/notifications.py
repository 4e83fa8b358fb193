"""E-mail. Called after the transaction commits, so nothing is sent for a change rolled back."""

from django.core.mail import EmailMessage

from visits.models import Membership, Role, Visit


def visit_report_recipients(visit: Visit) -> list[str]:
    """The scheme's managers and, unless it is a TACT report, the suite's force custody leads."""
    members = Membership.objects.current().filter(scheme_id=visit.scheme_id)
    managers = members.filter(role=Role.MANAGER)
    addresses = set(managers.values_list("user__email", flat=True))
    if not visit.involves_tact:
        leads = members.filter(role=Role.FORCE, suites=visit.suite_id)
        addresses |= set(leads.values_list("user__email", flat=True))
    return sorted(a for a in addresses if a)


def send_visit_report(visit_id: int) -> int:
    from visits.pdf import render_visit_report
    from visits.reports import build_visit_report

    visit = Visit.objects.select_related("suite", "scheme").get(pk=visit_id)
    recipients = visit_report_recipients(visit)
    if not recipients:
        return 0
    pdf = render_visit_report(build_visit_report(visit))
    when = f"{visit.visit_date:%d %B %Y}"
    message = EmailMessage(
        subject=f"Custody visit report: {visit.suite.name}, {when}",
        body=(
            f"Independent custody visitors visited {visit.suite.name} on {when}.\n"
            f"Outcome: {visit.get_outcome_display()}.\n\n"
            "The report is attached. It identifies detainees by custody record number only; "
            "keep it as OFFICIAL-SENSITIVE.\n"
        ),
        to=recipients,
    )
    message.attach(
        f"visit-{visit.suite.name}-{visit.visit_date}.pdf".replace(" ", "-"), pdf, "application/pdf"
    )
    return message.send()


def _visitors_of(issue) -> list[str]:
    addresses = {issue.raised_by.email}
    if issue.visit_id:
        addresses |= set(issue.visit.visitors.values_list("email", flat=True))
    return sorted(a for a in addresses if a)


def manager_emails(scheme_id) -> list[str]:
    members = Membership.objects.current().filter(scheme_id=scheme_id, role=Role.MANAGER)
    return sorted(a for a in members.values_list("user__email", flat=True) if a)


def send_issue_update(issue_id: int, action: str) -> int:
    """Tell the people an issue's step concerns: the force lead when it is referred or
    escalated, the managers when the force responds, the visitors when it closes."""
    from django.conf import settings
    from django.urls import reverse

    from visits.models import Issue

    issue = Issue.objects.select_related("suite", "raised_by", "referred_to", "visit").get(
        pk=issue_id
    )
    link = settings.SITE_URL + reverse("issue-detail", args=[issue.pk])
    about = f"{issue.get_category_display()} at {issue.suite.name}"
    if action in ("refer", "escalate") and issue.referred_to and issue.referred_to.email:
        level = (
            f" (escalated to {issue.get_escalation_level_display()})"
            if (action == "escalate")
            else ""
        )
        subject = f"Issue for your response{level}: {about}"
        body = f"{issue.description}\n\nPlease respond by {issue.due_on:%A %d %B %Y}:\n{link}\n"
        to = [issue.referred_to.email]
    elif action == "respond":
        subject = f"The force has responded: {about}"
        body = f"Read the response and accept it or escalate:\n{link}\n"
        to = manager_emails(issue.scheme_id)
    elif action in ("accept", "close"):
        subject = f"An issue you raised is closed: {about}"
        body = (
            f"You raised: {issue.description}\n\nOutcome: {issue.outcome or 'No further action.'}"
            f"\n\n{link}\n"
        )
        to = _visitors_of(issue)
    else:
        return 0
    if not to:
        return 0
    return EmailMessage(subject=subject, body=body, to=to).send()


# --- Rota ---------------------------------------------------------------------------------------
# Rota messages go to visitors and managers only, never to a force custody lead, and say the
# suite and the week, never a planned day or time.


def emails_of(user_ids) -> list[str]:
    from django.contrib.auth import get_user_model

    users = get_user_model().objects.filter(pk__in=user_ids)
    return sorted(a for a in users.values_list("email", flat=True) if a)


def slot_line(slot) -> str:
    return f"{slot.suite.name}, week beginning {slot.week_starts_on:%A %d %B %Y}"


def send_rota_message(kind: str, *args) -> int:
    from django.conf import settings
    from django.urls import reverse

    from visits.models import RotaPeriod, RotaSlot, SwapRequest

    link = settings.SITE_URL + reverse("my-rota")
    if kind == "published":
        period = RotaPeriod.objects.get(pk=args[0])
        slots = (
            period.slots.filter(status=RotaSlot.Status.PLANNED)
            .select_related("suite")
            .prefetch_related("visitors")
        )
        mine: dict[int, list] = {}
        for slot in slots:
            for user in slot.visitors.all():
                mine.setdefault(user.pk, []).append(slot)
        messages = []
        for user_id, own in mine.items():
            lines = "\n".join(f"- {slot_line(s)} ({s.get_time_band_display()})" for s in own)
            body = (
                f"The rota for {period.name} is published. Your visits:\n{lines}\n\n"
                "Agree the day and time with your partner, and keep them to yourselves.\n"
                f"{link}\n"
            )
            to = emails_of([user_id])
            if to:
                messages.append(
                    EmailMessage(subject=f"Your custody visits: {period.name}", body=body, to=to)
                )
        return send_all(messages)
    if kind == "slot_changed":
        slot = RotaSlot.objects.select_related("suite", "period").get(pk=args[0])
        to = emails_of(args[1])
        body = f"The rota changed for {slot_line(slot)}. See your rota:\n{link}\n"
        return EmailMessage(subject="Your rota has changed", body=body, to=to).send() if to else 0
    swap = SwapRequest.objects.select_related("slot__suite", "slot__period", "offered_by").get(
        pk=args[0]
    )
    slot = swap.slot
    partner_ids = [u for u in slot.visitors.values_list("pk", flat=True) if u != swap.offered_by_id]
    managers = manager_emails(slot.period.scheme_id)
    if kind == "offered":
        subject = f"A rota slot is offered: {slot_line(slot)}"
        body = (
            f"{swap.offered_by.get_full_name()} has offered their place in {slot_line(slot)}. "
            f"They stay on it until someone takes it.\n{swap.note}\n{link}\n"
        )
        to = sorted(set(emails_of(partner_ids)) | set(managers))
    elif kind == "taken":
        taker = swap.taken_by
        subject = f"Slot covered: {slot_line(slot)}"
        body = (
            f"{taker.get_full_name()} has taken the place of "
            f"{swap.offered_by.get_full_name()} in {slot_line(slot)}.\n{link}\n"
        )
        to = sorted(set(emails_of([swap.offered_by_id, *partner_ids])) | set(managers))
    else:
        return 0
    return EmailMessage(subject=subject, body=body, to=to).send() if to else 0


def send_all(messages) -> int:
    from django.core.mail import get_connection

    if not messages:
        return 0
    with get_connection() as connection:
        return connection.send_messages(messages)
