from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from visits.models.base import Model

from .checklists import IssueCategory, Question
from .schemes import CustodySuite, Scheme
from .visits import Visit


def reported_q() -> models.Q:
    """Issues that have left the visitors' hands: raised on a submitted report, or alone.
    Issues on a draft report stay with its visitors."""
    return models.Q(visit__isnull=True) | models.Q(visit__status="submitted")


class IssueQuerySet(models.QuerySet):
    def open(self):
        return self.exclude(status__in=Issue.CLOSED_STATUSES)

    def reported(self):
        return self.filter(reported_q())

    def waiting_for_force(self):
        return self.filter(waiting_for_force_q())

    def overdue(self, today):
        """Waiting for the force past the day their answer was due: the one definition of
        "overdue" (the board, the API filter, home, the digest, the summaries)."""
        return self.filter(overdue_q(today))


def waiting_for_force_q() -> models.Q:
    """Referred or escalated, and not yet answered."""
    return models.Q(status__in=Issue.WAITING_FOR_FORCE)


def overdue_q(today) -> models.Q:
    """Waiting for the force and due before `today` (see `IssueQuerySet.overdue`)."""
    return waiting_for_force_q() & models.Q(due_on__lt=today)


class IssueManager(models.Manager.from_queryset(IssueQuerySet)):
    """Issues on a report. One taken off a draft report (withdrawn) is kept only so that it can
    be put back, and is deleted when the report is submitted: no one else ever counts it."""

    def get_queryset(self):
        return super().get_queryset().filter(withdrawn_at__isnull=True)


class Issue(Model):
    """Something wrong found on a visit, followed from the sergeant to the force's answer."""

    class Status(models.TextChoices):
        RAISED = "raised", _("Raised")
        RESOLVED_ON_VISIT = "resolved_on_visit", _("Resolved on the visit")
        TRIAGED = "triaged", _("Triaged")
        REFERRED = "referred", _("Referred to the force")
        RESPONDED = "responded", _("Force responded")
        ESCALATED = "escalated", _("Escalated")
        CLOSED = "closed", _("Closed")

    class Severity(models.TextChoices):
        ROUTINE = "routine", _("Routine")
        URGENT = "urgent", _("Urgent")

    class EscalationLevel(models.TextChoices):
        NONE = "", _("Not escalated")
        HEAD_OF_CUSTODY = "head_of_custody", _("Head of Custody")
        PCC = "pcc", _("Police and Crime Commissioner")

    CLOSED_STATUSES = (Status.RESOLVED_ON_VISIT, Status.CLOSED)
    WAITING_FOR_FORCE = (Status.REFERRED, Status.ESCALATED)

    scheme = models.ForeignKey(
        Scheme, verbose_name=_("scheme"), on_delete=models.PROTECT, related_name="issues"
    )
    suite = models.ForeignKey(
        CustodySuite, verbose_name=_("suite"), on_delete=models.PROTECT, related_name="issues"
    )
    visit = models.ForeignKey(
        Visit,
        verbose_name=_("visit"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="issues",
    )
    question = models.ForeignKey(
        Question,
        verbose_name=_("question"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    custody_number = models.CharField(
        verbose_name=_("custody number"),
        max_length=40,
        blank=True,
        help_text=_("Only where the issue concerns one detainee."),
    )
    category = models.CharField(
        verbose_name=_("category"), max_length=20, choices=IssueCategory.choices
    )
    severity = models.CharField(
        verbose_name=_("severity"),
        max_length=10,
        choices=Severity.choices,
        default=Severity.ROUTINE,
    )
    description = models.TextField(verbose_name=_("description"))
    status = models.CharField(
        verbose_name=_("status"), max_length=20, choices=Status.choices, default=Status.RAISED
    )
    escalation_level = models.CharField(
        verbose_name=_("escalation level"),
        max_length=20,
        choices=EscalationLevel.choices,
        default="",
        blank=True,
    )
    recheck_next_visit = models.BooleanField(verbose_name=_("recheck next visit"), default=False)
    raised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("raised by"),
        on_delete=models.PROTECT,
        related_name="issues_raised",
    )
    referred_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("referred to"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="issues_referred",
    )
    referred_at = models.DateTimeField(verbose_name=_("referred at"), null=True, blank=True)
    due_on = models.DateField(verbose_name=_("due on"), null=True, blank=True)
    responded_at = models.DateTimeField(verbose_name=_("responded at"), null=True, blank=True)
    # Kept by the issue services whenever referred_at or responded_at changes, so summaries
    # count response times in the database: the local day of the response, and the working
    # days from the local day of referral to it (negative if answered before a re-referral).
    responded_on = models.DateField(
        verbose_name=_("responded on"), null=True, blank=True, editable=False
    )
    response_working_days = models.SmallIntegerField(
        verbose_name=_("response working days"), null=True, blank=True, editable=False
    )
    closed_at = models.DateTimeField(verbose_name=_("closed at"), null=True, blank=True)
    outcome = models.TextField(
        verbose_name=_("outcome"), blank=True, help_text=_("What came of it, told to the visitors.")
    )
    # Goes up with every step; a writer names the one it read (see services.revisions).
    revision = models.PositiveIntegerField(verbose_name=_("revision"), default=1)
    # Taken off a draft report by its visitors; "Undo" clears it (services.visits.restore_issue).
    withdrawn_at = models.DateTimeField(verbose_name=_("withdrawn at"), null=True, blank=True)
    created_at = models.DateTimeField(verbose_name=_("created at"), auto_now_add=True)

    objects = IssueManager()
    # Withdrawn ones too: only for putting one back, and for deleting them on submission.
    with_withdrawn = IssueQuerySet.as_manager()

    class Meta:
        verbose_name = _("issue")
        verbose_name_plural = _("issues")
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["scheme", "status"]),
            models.Index(fields=["suite", "status"]),
            models.Index(fields=["due_on"]),
            # The issue board's order within a scheme (views.issues.filtered_issues): a page,
            # the last of 37,000 issues too, is read off the index instead of sorted.
            models.Index(
                fields=["scheme", "due_on", "-created_at", "id"], name="issue_board_order"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_category_display()} at {self.suite}"


class IssueEvent(Model):
    """One step in an issue's life. Events are only ever added, never changed or deleted."""

    class Kind(models.TextChoices):
        RAISED = "raised", _("Raised")
        RESOLVED_ON_VISIT = "resolved_on_visit", _("Resolved on the visit")
        TRIAGED = "triaged", _("Triaged")
        REFERRED = "referred", _("Referred")
        RESPONDED = "responded", _("Responded")
        ACCEPTED = "accepted", _("Accepted and closed")
        ESCALATED = "escalated", _("Escalated")
        CLOSED = "closed", _("Closed")
        REOPENED = "reopened", _("Reopened")
        COMMENTED = "commented", _("Comment")
        RECHECKED = "rechecked", _("Re-checked on a visit")

    issue = models.ForeignKey(
        Issue, verbose_name=_("issue"), on_delete=models.CASCADE, related_name="events"
    )
    kind = models.CharField(verbose_name=_("kind"), max_length=20, choices=Kind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("actor"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    text = models.TextField(verbose_name=_("text"), blank=True)
    attachment = models.FileField(
        verbose_name=_("attachment"), upload_to="issue-files/%Y/", blank=True
    )
    # The force custody lead reads only the steps shared with them: the issue as raised, the
    # referral, their own answers and the escalation. The manager's notes stay internal unless
    # marked to share (visits/visible_issues.py).
    shared_with_force = models.BooleanField(verbose_name=_("shared with force"), default=False)
    created_at = models.DateTimeField(verbose_name=_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("issue event")
        verbose_name_plural = _("issue events")
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} by {self.actor}"
