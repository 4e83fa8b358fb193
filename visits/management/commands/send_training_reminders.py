"""Daily training job, for the scheduler: tell each volunteer when a module falls due (never
done, or its renewal within 30 days), and send each scheme's managers the list of who is due
what once a week.

python manage.py send_training_reminders     # once a day, e.g. at 06:45

Safe to run twice, or on two machines at once: each e-mail is queued under a unique key
(Email.dedupe_key: the volunteer, the module and its due date; the manager and the week), so
the second run queues nothing.
"""

from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from visits.notifications import queue_training_digests, queue_training_due
from visits.services import training


class Command(BaseCommand):
    help = "Remind volunteers of training due, and send managers a weekly list."

    def handle(self, *args, **options):
        today = timezone.localdate()
        due = training.due_reminders(today)
        queued = 0
        with transaction.atomic():
            for item in due:
                queued += queue_training_due(item, today)
            for scheme_id in sorted({item.membership.scheme_id for item in due}):
                queued += queue_training_digests(scheme_id, today)
        self.stdout.write(
            f"Training reminders: {queued} e-mails queued for {len(due)} modules due."
        )
