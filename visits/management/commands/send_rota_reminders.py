"""Daily rota jobs, for cron: remind visitors of their coming slot, alert managers to slots a
week away that are not covered, and mark past slots with no visit as missed.

python manage.py send_rota_reminders          # run once a day, e.g. at 07:00
"""

from django.conf import settings
from django.core.mail import EmailMessage
from django.core.management.base import BaseCommand
from django.urls import reverse
from django.utils import timezone

from visits.models import RotaSlot
from visits.notifications import manager_emails, send_all, slot_line
from visits.services import rota

REMIND_DAYS_AHEAD = 4


class Command(BaseCommand):
    help = "Remind visitors of slots a few days ahead, alert managers to uncovered slots."

    def handle(self, *args, **options):
        today = timezone.localdate()
        now = timezone.now()
        link = settings.SITE_URL + reverse("my-rota")

        reminders = []
        due = list(
            rota.due_reminders(today, REMIND_DAYS_AHEAD)
            .select_related("suite")
            .prefetch_related("visitors")
        )
        for slot in due:
            people = list(slot.visitors.all())
            for user in people:
                partner = ", ".join(p.get_full_name() for p in people if p.pk != user.pk)
                body = (
                    f"A reminder of your custody visit: {slot_line(slot)}"
                    f"{f', with {partner}' if partner else ''}.\n"
                    "If you cannot go, offer your slot for a swap as soon as you can:\n"
                    f"{link}\n"
                )
                if user.email:
                    reminders.append(
                        EmailMessage(
                            subject="Your custody visit is coming up", body=body, to=[user.email]
                        )
                    )
        sent = send_all(reminders)
        RotaSlot.objects.filter(pk__in=[s.pk for s in due]).update(reminded_at=now)

        alerts = []
        gaps = list(rota.uncovered(today).select_related("suite", "period"))
        for slot in gaps:
            why = "an offered place nobody has taken" if slot.offers else "fewer than two visitors"
            to = manager_emails(slot.period.scheme_id)
            if to:
                alerts.append(
                    EmailMessage(
                        subject=f"Uncovered rota slot: {slot_line(slot)}",
                        body=f"{slot_line(slot)} has {why}.\n{settings.SITE_URL}"
                        f"{reverse('rota-period', args=[slot.period_id])}\n",
                        to=to,
                    )
                )
        alerted = send_all(alerts)
        RotaSlot.objects.filter(pk__in=[s.pk for s in gaps]).update(uncovered_alert_at=now)

        missed = rota.mark_missed(today)
        self.stdout.write(
            f"Reminders: {sent} e-mails for {len(due)} slots. Uncovered alerts: {alerted} for "
            f"{len(gaps)} slots. Marked missed: {missed}."
        )
