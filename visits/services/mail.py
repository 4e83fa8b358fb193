"""Outgoing e-mail: queued in the transaction of the change that causes it, sent by a worker.

`queue_email` writes one Email row per recipient in the caller's transaction (a rolled-back
change queues nothing) and enqueues the delivery task when that transaction commits. The
message itself is built when it is sent (visits.notifications, visits.tasks.deliver_email),
so the request does no SMTP and renders no PDF. docs/architecture.md, "Work off the request".
"""

import datetime
import logging

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext

from visits import permissions
from visits.errors import ConflictError, NotPermitted
from visits.models import Email
from visits.services import audit

logger = logging.getLogger(__name__)

# A worker that claimed an e-mail and has not finished after this long has died.
STUCK_AFTER = datetime.timedelta(minutes=15)
# The record of a finished e-mail (to whom, its subject, what became of it) is kept this long
# for the manager's page and subject access, then deleted (storage limitation): a year and a
# quarter, so the last year's e-mails can always be looked back on.
KEEP_FINISHED = datetime.timedelta(days=455)


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
    from visits.tasks import deliver_email

    task = deliver_email.using(run_after=run_after) if run_after else deliver_email
    try:
        result = task.enqueue(email_id)
    except Exception:
        logger.exception("Could not enqueue e-mail %s; requeue_emails will.", email_id)
        return
    Email.objects.filter(pk=email_id).update(task_id=result.id)


def task_is_pending(task_id: str) -> bool:
    """Whether the task queue still holds this task, waiting or running."""
    from django_tasks import TaskResultStatus, default_task_backend
    from django_tasks.exceptions import TaskResultDoesNotExist

    if not task_id or not default_task_backend.supports_get_result:
        return False
    try:
        result = default_task_backend.get_result(task_id)
    except TaskResultDoesNotExist:
        return False
    return result.status in (TaskResultStatus.READY, TaskResultStatus.RUNNING)


def requeue_lost(now: datetime.datetime | None = None) -> int:
    """The periodic sweep: enqueue again the e-mails that are due but whose task is gone
    (never enqueued, lost with a server, or a queue that cannot wait, such as the immediate
    backend's retries), and those a worker claimed and never finished. Returns how many."""
    now = now or timezone.now()
    stuck = Email.objects.filter(status=Email.Status.SENDING, claimed_at__lt=now - STUCK_AFTER)
    stuck.update(
        status=Email.Status.RETRYING,
        next_attempt_at=now,
        last_error=gettext("The worker stopped while sending it; it is sent again."),
    )
    count = 0
    due = Email.objects.due(now).order_by("next_attempt_at", "pk").only("pk", "task_id")
    for email in due.iterator():
        if task_is_pending(email.task_id):
            continue
        enqueue_delivery(email.pk)
        count += 1
    return count


def prune_finished(now: datetime.datetime | None = None) -> int:
    """Delete the records of e-mails finished (sent, failed or not needed) longer ago than
    KEEP_FINISHED; e-mails still waiting are never pruned. Returns how many."""
    before = (now or timezone.now()) - KEEP_FINISHED
    finished = (Email.Status.SENT, Email.Status.FAILED, Email.Status.CANCELLED)
    deleted, _ = Email.objects.filter(status__in=finished, created_at__lt=before).delete()
    return deleted


def send_again(*, actor, email: Email) -> Email:
    """Queue a failed e-mail again, as new, for its scheme's manager. Raises NotPermitted for
    anyone else, ConflictError unless it failed."""
    if not permissions.is_manager(actor, email.scheme_id):
        raise NotPermitted(
            gettext("Only the scheme manager sends e-mails again."), code="not_manager"
        )
    with transaction.atomic():
        locked = Email.objects.select_for_update().get(pk=email.pk)
        if locked.status != Email.Status.FAILED:
            raise ConflictError(
                gettext("Only an e-mail that failed can be sent again."), code="email_not_failed"
            )
        reason = locked.last_error
        locked.status = Email.Status.QUEUED
        locked.attempts = 0
        locked.next_attempt_at = timezone.now()
        locked.last_error = ""
        locked.save(update_fields=["status", "attempts", "next_attempt_at", "last_error"])
        audit.record(
            actor=actor,
            action="email.sent_again",
            obj=locked,
            scheme=locked.scheme,
            detail={"kind": locked.kind, "last_error": reason},
        )
        transaction.on_commit(lambda: enqueue_delivery(locked.pk), robust=True)
    return locked


def emails_of_schemes(scheme_ids: list[int], status: str = ""):
    """The schemes' e-mails, newest first, for their manager's page."""
    emails = Email.objects.filter(scheme_id__in=scheme_ids).order_by("-created_at", "-pk")
    return emails.filter(status=status) if status else emails
