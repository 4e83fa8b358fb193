"""Daily issue e-mails, for cron: a digest to each scheme manager, reminders to force leads.

python manage.py send_issue_digest            # run once a day, e.g. at 07:00

Safe to run twice, or on two machines at once: each e-mail is queued under a key of its day
and recipient (Email.dedupe_key, unique), so the second run queues nothing.
"""

from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from visits.models import Scheme
from visits.notifications import queue_issue_digests


class Command(BaseCommand):
    help = "Queue a digest of issues for each scheme manager, and reminders for force leads."

    def handle(self, *args, **options):
        today = timezone.localdate()
        queued = 0
        for scheme in Scheme.objects.order_by("pk"):
            with transaction.atomic():
                queued += queue_issue_digests(scheme, today)
        self.stdout.write(f"Queued {queued} e-mail{'s' if queued != 1 else ''}.")
