"""Work done off the request, by the task worker (`manage.py db_worker`; django-tasks).

docs/architecture.md, "Work off the request".
"""

import datetime
import logging

from django.core.exceptions import ObjectDoesNotExist
from django.db.models import F
from django.utils import timezone
from django_tasks import default_task_backend, task

from visits.models import Email

logger = logging.getLogger(__name__)

# Waits before each retry: seven attempts over about 24 hours, then the e-mail has failed.
RETRY_AFTER = [
    datetime.timedelta(minutes=1),
    datetime.timedelta(minutes=5),
    datetime.timedelta(minutes=30),
    datetime.timedelta(hours=2),
    datetime.timedelta(hours=6),
    datetime.timedelta(hours=15),
]


def _reason(error: Exception) -> str:
    """What went wrong, short enough to show the manager. Exceptions from the mail server and
    its connection name the server, never its credentials."""
    text = str(error).strip() or type(error).__name__
    return f"{type(error).__name__}: {text}"[:300]


@task()
def deliver_email(email_id: int) -> str:
    """Send one queued e-mail. Claims it first (a conditional UPDATE from queued or retrying to
    sending: of two workers handed the same e-mail, one sends it), builds it as its reader may
    now read it, sends it, and records sent, or the failure and when to try again."""
    from visits import notifications
    from visits.services.mail import enqueue_delivery

    now = timezone.now()
    claimed = Email.objects.filter(
        pk=email_id,
        status__in=(Email.Status.QUEUED, Email.Status.RETRYING),
        next_attempt_at__lte=now,
    ).update(status=Email.Status.SENDING, claimed_at=now, attempts=F("attempts") + 1)
    if not claimed:
        return "not due, or taken by another worker"
    # The recipient's profile with them: the language the message is written in.
    email = Email.objects.select_related("scheme", "to_user__profile").get(pk=email_id)
    message = None
    try:
        message = _build(email)
        if message is not None:
            email.subject = message.subject[:250]
            message.send()
    except Exception as error:  # any failure: the e-mail is kept and tried again later
        logger.warning("E-mail %s not sent: %s", email_id, _reason(error), exc_info=True)
        return _record_failure(email, error, enqueue_delivery)
    if message is None:
        email.status = Email.Status.CANCELLED
        email.last_error = notifications.nothing_to_send_reason()
        email.save(update_fields=["status", "last_error"])
        return "nothing to send"
    email.status = Email.Status.SENT
    email.sent_at = timezone.now()
    email.last_error = ""
    email.save(update_fields=["status", "subject", "sent_at", "last_error"])
    return "sent"


def _build(email: Email):
    from visits import notifications

    try:
        return notifications.build(email)
    except ObjectDoesNotExist:
        return None  # what it was about is gone (deleted, or anonymised past retention)


def _record_failure(email: Email, error: Exception, enqueue_delivery) -> str:
    email.last_error = _reason(error)
    if email.attempts > len(RETRY_AFTER):
        email.status = Email.Status.FAILED
        email.save(update_fields=["status", "subject", "last_error"])
        return "failed"
    email.status = Email.Status.RETRYING
    email.next_attempt_at = timezone.now() + RETRY_AFTER[email.attempts - 1]
    email.save(update_fields=["status", "subject", "last_error", "next_attempt_at"])
    # A queue that can wait (the database backend) holds the retry until it is due; one
    # that cannot (the immediate backend) leaves it to the `requeue_emails` sweep.
    if default_task_backend.supports_defer:
        enqueue_delivery(email.pk, run_after=email.next_attempt_at)
    return "retrying"
