"""Daily volunteers job, for the scheduler: remind volunteers and their managers ahead of each
vetting and appointment expiry (60 and 14 days before), and mark as left those whose leaving
date has come.

python manage.py send_volunteer_reminders     # once a day, e.g. at 06:30

Safe to run twice, or on two machines at once: each reminder is queued under a unique key
(Email.dedupe_key: the membership, what lapses, its date, the reminder and the recipient), so
the second run queues nothing.
"""

from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from visits.notifications import queue_expiry_reminder
from visits.services import volunteers


class Command(BaseCommand):
    help = "Remind volunteers and managers of coming vetting and appointment expiries."

    def handle(self, *args, **options):
        today = timezone.localdate()
        left = volunteers.apply_leavings(today)
        due = volunteers.due_expiries(today)
        queued = 0
        for expiry in due:
            with transaction.atomic():
                queued += queue_expiry_reminder(expiry)
        self.stdout.write(
            f"Expiry reminders: {queued} e-mails queued for {len(due)} expiries. "
            f"Marked as left: {left}."
        )
