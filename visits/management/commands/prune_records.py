"""Housekeeping, for the scheduler once a day: records kept only as long as they are useful.

python manage.py prune_records

Deletes the records of e-mails finished more than KEEP_FINISHED ago (visits.services.mail)
and the task queue's results of tasks finished more than a week ago (django-tasks-db keeps
one row per task; an e-mail's own record is what the manager reads).
"""

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

from visits.services.mail import prune_finished

TASK_RESULTS_KEPT_DAYS = 7


class Command(BaseCommand):
    help = "Delete old e-mail records and finished task results; print how many."

    def handle(self, *args, **options):
        emails = prune_finished()
        self.stdout.write(f"Deleted {emails} old e-mail record{'s' if emails != 1 else ''}.")
        if settings.TASKS["default"]["BACKEND"] == "django_tasks_db.DatabaseBackend":
            call_command(
                "prune_db_task_results",
                min_age_days=TASK_RESULTS_KEPT_DAYS,
                stdout=self.stdout,
                stderr=self.stderr,
            )
