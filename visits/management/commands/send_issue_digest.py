"""Daily issue e-mails, for cron: a digest to each scheme manager, reminders to force leads.

python manage.py send_issue_digest            # run once a day, e.g. at 07:00
"""

from django.conf import settings
from django.core.mail import EmailMessage
from django.core.management.base import BaseCommand
from django.urls import reverse
from django.utils import timezone

from visits.models import Issue, Membership, Role, Scheme
from visits.workdays import add_working_days

WAITING = (Issue.Status.REFERRED, Issue.Status.ESCALATED)
REMIND_DAYS = 2  # working days before the due date


def _line(issue: Issue) -> str:
    link = settings.SITE_URL + reverse("issue-detail", args=[issue.pk])
    due = f", due {issue.due_on:%d %b %Y}" if issue.due_on else ""
    return f"- {issue.get_category_display()} at {issue.suite.name}{due}: {link}"


class Command(BaseCommand):
    help = "E-mail each scheme manager a digest of issues, and remind force leads of due dates."

    def handle(self, *args, **options):
        today = timezone.localdate()
        soon = add_working_days(today, REMIND_DAYS)
        sent = 0
        for scheme in Scheme.objects.order_by("pk"):
            issues = (
                Issue.objects.reported()
                .filter(scheme=scheme)
                .select_related("suite", "referred_to")
            )
            overdue = list(issues.filter(status__in=WAITING, due_on__lt=today))
            due_soon = list(issues.filter(status__in=WAITING, due_on__gte=today, due_on__lte=soon))
            to_triage = issues.filter(status=Issue.Status.RAISED).count()
            responded = issues.filter(status=Issue.Status.RESPONDED).count()
            managers = self._emails(scheme, Role.MANAGER)
            if managers and (overdue or due_soon or to_triage or responded):
                body = [
                    f"Issues in {scheme.name} on {today:%A %d %B %Y}.",
                    "",
                    f"To triage: {to_triage}. Force responses to review: {responded}.",
                    "",
                ]
                if overdue:
                    body += [f"Overdue force responses ({len(overdue)}):", *map(_line, overdue), ""]
                if due_soon:
                    body += [
                        f"Due in the next {REMIND_DAYS} working days ({len(due_soon)}):",
                        *map(_line, due_soon),
                    ]
                sent += EmailMessage(
                    subject=f"Issues digest: {len(overdue)} overdue, {to_triage} to triage",
                    body="\n".join(body),
                    to=managers,
                ).send()
            sent += self._remind_force(scheme, overdue + due_soon)
        self.stdout.write(f"Sent {sent} e-mail{'s' if sent != 1 else ''}.")

    def _emails(self, scheme, role) -> list[str]:
        members = Membership.objects.current().filter(scheme=scheme, role=role)
        return sorted(e for e in members.values_list("user__email", flat=True) if e)

    def _remind_force(self, scheme, issues) -> int:
        by_lead: dict[str, list[Issue]] = {}
        for issue in issues:
            if issue.referred_to_id and issue.referred_to.email:
                by_lead.setdefault(issue.referred_to.email, []).append(issue)
        sent = 0
        for email, waiting in by_lead.items():
            late = sum(1 for i in waiting if i.due_on < timezone.localdate())
            sent += EmailMessage(
                subject=f"{len(waiting)} issue(s) for your response"
                + (f", {late} overdue" if late else ""),
                body="These issues from independent custody visits wait for your response:\n\n"
                + "\n".join(map(_line, waiting)),
                to=[email],
            ).send()
        return sent
