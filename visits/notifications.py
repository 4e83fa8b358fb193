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


def _managers_of(scheme_id) -> list[str]:
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
        to = _managers_of(issue.scheme_id)
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
