from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from visits.models.base import Model

from .schemes import Scheme


class EmailQuerySet(models.QuerySet):
    def due(self, now=None):
        """Waiting to be sent and due now: a worker (or the sweep) may take them."""
        now = now or timezone.now()
        return self.filter(
            status__in=(Email.Status.QUEUED, Email.Status.RETRYING), next_attempt_at__lte=now
        )


class Email(Model):
    """One e-mail to one recipient, written in the same transaction as the change that causes
    it and sent later by the worker (visits.tasks.deliver_email). The message is built when it
    is sent, from `kind` and the ids in `params`, as the recipient may then read it
    (visits.notifications); `dedupe_key`, unique, is the "sent mark" of the daily e-mails."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        RETRYING = "retrying", _("Waiting to retry")
        FAILED = "failed", _("Failed")
        # Nothing left to send when it was built: the reader may no longer read it.
        CANCELLED = "cancelled", _("Not needed")

    class Kind(models.TextChoices):
        VISIT_REPORT = "visit_report", _("Visit report")
        ISSUE_UPDATE = "issue_update", _("Issue notice")
        ROTA_PUBLISHED = "rota_published", _("Rota published")
        ROTA_SLOT_CHANGED = "rota_slot_changed", _("Rota changed")
        SWAP_OFFERED = "swap_offered", _("Rota slot offered")
        SWAP_TAKEN = "swap_taken", _("Rota slot taken")
        ISSUE_DIGEST = "issue_digest", _("Issues digest")
        FORCE_REMINDER = "force_reminder", _("Reminder to the force")
        ROTA_REMINDER = "rota_reminder", _("Rota reminder")
        UNCOVERED_SLOT = "uncovered_slot", _("Uncovered slot alert")
        EXPIRY_REMINDER = "expiry_reminder", _("Vetting or appointment expiry reminder")
        VOLUNTEER_LEFT = "volunteer_left", _("Volunteer left: rota slots uncovered")
        TRAINING_DUE = "training_due", _("Training due")
        TRAINING_DIGEST = "training_digest", _("Training due: weekly list for the manager")
        # Recruitment (issue 22)
        APPLICATION_RECEIVED = "application_received", _("New application to volunteer")
        WELCOME = "welcome", _("Welcome: set your password")

    scheme = models.ForeignKey(
        Scheme, verbose_name=_("scheme"), on_delete=models.CASCADE, related_name="+"
    )
    kind = models.CharField(verbose_name=_("kind"), max_length=30, choices=Kind.choices)
    to_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("to user"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    to_address = models.EmailField(verbose_name=_("to address"))
    # Filled when the message is built (it may depend on what the reader may then read).
    subject = models.CharField(verbose_name=_("subject"), max_length=250, blank=True)
    params = models.JSONField(verbose_name=_("params"), default=dict, blank=True)
    status = models.CharField(
        verbose_name=_("status"), max_length=12, choices=Status.choices, default=Status.QUEUED
    )
    attempts = models.PositiveSmallIntegerField(verbose_name=_("attempts"), default=0)
    last_error = models.CharField(verbose_name=_("last error"), max_length=300, blank=True)
    created_at = models.DateTimeField(verbose_name=_("created at"), default=timezone.now)
    next_attempt_at = models.DateTimeField(verbose_name=_("next attempt at"), default=timezone.now)
    claimed_at = models.DateTimeField(verbose_name=_("claimed at"), null=True, blank=True)
    sent_at = models.DateTimeField(verbose_name=_("sent at"), null=True, blank=True)
    # The task that will send it (django-tasks result id); the sweep re-enqueues it if lost.
    task_id = models.CharField(verbose_name=_("task id"), max_length=64, blank=True)
    dedupe_key = models.CharField(
        verbose_name=_("dedupe key"), max_length=200, unique=True, null=True, blank=True
    )

    objects = EmailQuerySet.as_manager()

    class Meta:
        verbose_name = _("email")
        verbose_name_plural = _("emails")
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["scheme", "-created_at"], name="email_scheme_newest"),
            models.Index(fields=["status", "next_attempt_at"], name="email_due"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} to {self.to_address} ({self.status})"
