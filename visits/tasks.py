"""Work done off the request, by the task worker (`manage.py db_worker`; django-tasks).

`queue_email` writes one Email row per recipient in the caller's transaction (a rolled-back
change queues nothing) and enqueues the delivery task when that transaction commits. The
message itself is built when it is sent (visits.mail_messages, `deliver_email`), so the
request does no SMTP and renders no PDF. docs/architecture.md, "Work off the request".
"""

import datetime
import logging

from django.core.exceptions import ObjectDoesNotExist
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django_tasks import default_task_backend, task

from visits import mail_messages
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
        return _record_failure(email, error)
    if message is None:
        email.status = Email.Status.CANCELLED
        email.last_error = mail_messages.nothing_to_send_reason()
        email.save(update_fields=["status", "last_error"])
        return "nothing to send"
    email.status = Email.Status.SENT
    email.sent_at = timezone.now()
    email.last_error = ""
    email.save(update_fields=["status", "subject", "sent_at", "last_error"])
    return "sent"


def _build(email: Email):
    try:
        return mail_messages.build(email)
    except ObjectDoesNotExist:
        return None  # what it was about is gone (deleted, or anonymised past retention)


def _record_failure(email: Email, error: Exception) -> str:
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


def queue_email(
    *,
    kind: str,
    scheme,
    to_user=None,
    to_address: str = "",
    params: dict | None = None,
    dedupe_key: str | None = None,
) -> Email | None:
    """Queue one e-mail to one recipient (a user, or a bare address), in the caller's
    transaction. With a `dedupe_key` already used, nothing is queued and None is returned:
    the database's unique index refuses the second row, so two runs at once cannot both
    queue it."""
    address = to_address or (to_user.email if to_user is not None else "")
    if not address:
        return None
    email = Email(
        kind=kind,
        scheme_id=getattr(scheme, "pk", scheme),
        to_user=to_user,
        to_address=address,
        params=params or {},
        dedupe_key=dedupe_key,
    )
    if dedupe_key is None:
        email.save()
    else:
        try:
            with transaction.atomic():  # a savepoint: the refusal leaves the caller's work
                email.save()
        except IntegrityError:
            return None
    transaction.on_commit(lambda: enqueue_delivery(email.pk), robust=True)
    return email


def enqueue_delivery(email_id: int, run_after: datetime.datetime | None = None) -> None:
    """Hand the e-mail to the task queue and note the task's id. A failure here loses
    nothing: the row stays queued and `requeue_emails` enqueues it again."""
    task = deliver_email.using(run_after=run_after) if run_after else deliver_email
    try:
        result = task.enqueue(email_id)
    except Exception:
        logger.exception("Could not enqueue e-mail %s; requeue_emails will.", email_id)
        return
    Email.objects.filter(pk=email_id).update(task_id=result.id)
