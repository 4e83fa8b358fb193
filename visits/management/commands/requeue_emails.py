"""The e-mail sweep, for cron or the scheduler: every few minutes.

python manage.py requeue_emails

Enqueues again the e-mails that are due but have no task waiting (lost between commit and
enqueue, lost with a server, or a retry under the immediate backend, which cannot wait), and
those a worker claimed more than 15 minutes ago and never finished. Safe to run anywhere, at
any time: the worker claims each e-mail atomically, so one enqueued twice is sent once.
"""

from django.core.management.base import BaseCommand

from visits.services.mail import requeue_lost


class Command(BaseCommand):
    help = "Enqueue again the e-mails whose delivery task was lost; print how many."

    def handle(self, *args, **options):
        count = requeue_lost()
        self.stdout.write(f"Re-enqueued {count} e-mail{'s' if count != 1 else ''}.")
