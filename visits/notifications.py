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
