"""Daily rota jobs, for cron: remind visitors of their coming slot, alert managers to slots a
week away that are not covered, and mark past slots with no visit as missed.

python manage.py send_rota_reminders          # run once a day, e.g. at 07:00

Safe to run twice, or on two machines at once: each e-mail is queued under a unique key
(Email.dedupe_key: the slot and visitor, or the slot, manager and day), so the second run
queues nothing.
"""

from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from visits.models import RotaSlot
from visits.notifications import queue_rota_reminder, queue_uncovered_alert
from visits.services import rota

REMIND_DAYS_AHEAD = 4


class Command(BaseCommand):
    help = "Remind visitors of slots a few days ahead, alert managers to uncovered slots."

    def handle(self, *args, **options):
        today = timezone.localdate()
        now = timezone.now()

        due = list(
            rota.due_reminders(today, REMIND_DAYS_AHEAD)
            .select_related("suite", "period")
            .prefetch_related("visitors")
        )
        reminders = 0
        for slot in due:
            with transaction.atomic():  # the reminders and the slot's mark together
                reminders += queue_rota_reminder(slot)
                RotaSlot.objects.filter(pk=slot.pk).update(reminded_at=now)

        gaps = list(rota.uncovered(today).select_related("suite", "period"))
        alerts = 0
        for slot in gaps:
            with transaction.atomic():
                alerts += queue_uncovered_alert(slot, today)
                RotaSlot.objects.filter(pk=slot.pk).update(uncovered_alert_at=now)

        missed = rota.mark_missed(today)
        self.stdout.write(
            f"Reminders: {reminders} e-mails queued for {len(due)} slots. Uncovered alerts: "
            f"{alerts} queued for {len(gaps)} slots. Marked missed: {missed}."
        )
