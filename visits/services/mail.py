"""Outgoing e-mail, after it is queued (visits.tasks.queue_email): the sweep that enqueues again
what is due, the pruning of old records, and the manager's "send again".
docs/architecture.md, "Work off the request".
"""

import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext
from django_tasks import TaskResultStatus, default_task_backend
from django_tasks.exceptions import TaskResultDoesNotExist

from visits import permissions
from visits.errors import ConflictError, NotPermitted
from visits.models import Email
from visits.services import audit
from visits.tasks import enqueue_delivery

# A worker that claimed an e-mail and has not finished after this long has died.
STUCK_AFTER = datetime.timedelta(minutes=15)
# The record of a finished e-mail (to whom, its subject, what became of it) is kept this long
# for the manager's page and subject access, then deleted (storage limitation): a year and a
# quarter, so the last year's e-mails can always be looked back on.
KEEP_FINISHED = datetime.timedelta(days=455)


def task_is_pending(task_id: str) -> bool:
    """Whether the task queue still holds this task, waiting or running."""
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
