"""E-mail. Called after the transaction commits, so nothing is sent for a change rolled back."""

from django.core.mail import EmailMessage
from django.utils.translation import ngettext

from visits.models import Membership, Role, Visit


def visit_report_readers(visit: Visit) -> list:
    """The scheme's managers and, unless it is a TACT report, the suite's force custody leads:
    the users (with an address) who are sent the report on submission."""
    members = Membership.objects.current().filter(scheme_id=visit.scheme_id)
    readers = members.filter(role=Role.MANAGER)
    if not visit.involves_tact:
        readers = readers | members.filter(role=Role.FORCE, suites=visit.suite_id)
    users = {m.user for m in readers.select_related("user") if m.user.email}
    return sorted(users, key=lambda user: user.email)


def send_visit_report(visit_id: int) -> int:
    """Each reader is sent the report as they may read it (visits.reports.visible_report):
    the force's copy holds only the issues referred to it."""
    from visits.pdf import render_visit_report
    from visits.reports import visible_report

    visit = Visit.objects.for_report().select_related("suite", "scheme").get(pk=visit_id)
    when = f"{visit.visit_date:%d %B %Y}"
    messages = []
    for reader in visit_report_readers(visit):
        if not Visit.objects.visible_to(reader).filter(pk=visit.pk).exists():
            continue
        report = visible_report(reader, visit)
        pdf = render_visit_report(report)
        photos = ""
        if report.photos:
            photos = ngettext(
                "%(count)d photo of the suite's conditions is in the PDF.\n",
                "%(count)d photos of the suite's conditions are in the PDF.\n",
                len(report.photos),
            ) % {"count": len(report.photos)}
        message = EmailMessage(
            subject=f"Custody visit report: {visit.suite.name}, {when}",
            body=(
                f"Independent custody visitors visited {visit.suite.name} on {when}.\n"
                f"Outcome: {visit.get_outcome_display()}.\n\n"
                "The report is attached. It identifies detainees by custody record number only; "
                "keep it as OFFICIAL-SENSITIVE.\n" + photos
            ),
            to=[reader.email],
        )
        message.attach(
            f"visit-{visit.suite.name}-{visit.visit_date}.pdf".replace(" ", "-"),
            pdf,
            "application/pdf",
        )
        messages.append(message)
    return send_all(messages)


def _visitors_of(issue) -> list:
    users = {issue.raised_by}
    if issue.visit_id:
        users |= set(issue.visit.visitors.all())
    return [user for user in users if user.email]


def managers_of(scheme_id) -> list:
    members = Membership.objects.current().filter(scheme_id=scheme_id, role=Role.MANAGER)
    return [m.user for m in members.select_related("user") if m.user.email]


def manager_emails(scheme_id) -> list[str]:
    return sorted(user.email for user in managers_of(scheme_id))


def send_issue_update(issue_id: int, action: str) -> int:
    """Tell the people an issue's step concerns: the force lead when it is referred or
    escalated, the managers when the force responds, the visitors when it closes. Each is
    told what they may read of it (visits.visible_issues)."""
    from django.conf import settings
    from django.urls import reverse

    from visits.models import Issue
    from visits.visible_issues import readable_issues, visible_issue

    issue = Issue.objects.select_related("referred_to", "visit").get(pk=issue_id)
    if action in ("refer", "escalate"):
        readers = [issue.referred_to] if issue.referred_to and issue.referred_to.email else []
    elif action == "respond":
        readers = managers_of(issue.scheme_id)
    elif action in ("accept", "close"):
        readers = _visitors_of(issue)
    else:
        return 0
    link = settings.SITE_URL + reverse("issue-detail", args=[issue.pk])
    messages = []
    for reader in sorted(readers, key=lambda user: user.email):
        row = readable_issues(reader).filter(pk=issue.pk).first()
        if row is None:
            continue  # no longer theirs to read (left the scheme, or another suite)
        seen = visible_issue(reader, row)
        about = f"{seen.category_label} at {seen.suite_name}"
        if action in ("refer", "escalate"):
            level = f" (escalated to {seen.escalation_label})" if action == "escalate" else ""
            subject = f"Issue for your response{level}: {about}"
            body = f"{seen.description}\n\nPlease respond by {seen.due_on:%A %d %B %Y}:\n{link}\n"
        elif action == "respond":
            subject = f"The force has responded: {about}"
            body = f"Read the response and accept it or escalate:\n{link}\n"
        else:
            subject = f"An issue you raised is closed: {about}"
            body = (
                f"You raised: {seen.description}\n\n"
                f"Outcome: {seen.outcome or 'No further action.'}\n\n{link}\n"
            )
        messages.append(EmailMessage(subject=subject, body=body, to=[reader.email]))
    return send_all(messages)


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
