"""Expenses (issue 22): a volunteer's claim for mileage and costs of a visit or a meeting, and
the scheme's mileage rate. Written only by visits.services.expenses."""

import datetime

from django.conf import settings
from django.db import models
from django.utils.formats import date_format
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from visits.models.base import Model

from .people import Membership
from .schemes import Scheme
from .visits import Visit

# HMRC's approved rate for a volunteer's car, the first 10,000 miles of a year: what a scheme
# pays until its manager sets its own.
DEFAULT_PENCE_PER_MILE = 45


class MileageRate(Model):
    """A scheme's mileage rate from a date on. A claim keeps the rate in force on the day it was
    submitted, so a later change of rate never alters a claim already made."""

    scheme = models.ForeignKey(Scheme, on_delete=models.CASCADE, related_name="mileage_rates")
    pence_per_mile = models.PositiveSmallIntegerField(_("pence per mile"))
    starts_on = models.DateField(_("in force from"))
    set_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["scheme", "-starts_on"]
        constraints = [
            models.UniqueConstraint(
                fields=["scheme", "starts_on"], name="one_mileage_rate_per_scheme_and_day"
            )
        ]

    def __str__(self) -> str:
        return gettext("%(pence)sp a mile from %(date)s") % {
            "pence": self.pence_per_mile,
            "date": date_format(self.starts_on, "j M Y"),
        }

    @classmethod
    def in_force(cls, scheme_id: int, day: datetime.date) -> int:
        """Pence per mile in `scheme_id` on `day`: its latest rate from then or before, or the
        default when the scheme has set none."""
        rate = (
            cls.objects.filter(scheme_id=scheme_id, starts_on__lte=day)
            .order_by("-starts_on")
            .values_list("pence_per_mile", flat=True)
            .first()
        )
        return DEFAULT_PENCE_PER_MILE if rate is None else rate


class ExpenseClaimQuerySet(models.QuerySet):
    def for_list(self):
        return self.select_related("membership__user", "membership__scheme", "visit__suite")


class ExpenseClaim(Model):
    """One claim by a volunteer: miles driven and other costs, for one of their visits or for a
    meeting or training day. Amounts are in pence, worked out once when claimed (and again
    when the volunteer corrects it) and stored, so the page, the CSV and the API agree."""

    class Occasion(models.TextChoices):
        VISIT = "visit", _("A custody visit")
        MEETING = "meeting", _("A meeting")
        TRAINING = "training", _("Training")

    class Status(models.TextChoices):
        SUBMITTED = "submitted", _("Submitted")
        QUERIED = "queried", _("Queried")
        RESUBMITTED = "resubmitted", _("Resubmitted")
        APPROVED = "approved", _("Approved")
        PAID = "paid", _("Paid")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    membership = models.ForeignKey(
        Membership, on_delete=models.PROTECT, related_name="expense_claims"
    )
    occasion = models.CharField(_("what for"), max_length=10, choices=Occasion.choices)
    visit = models.ForeignKey(
        Visit, on_delete=models.PROTECT, null=True, blank=True, related_name="expense_claims"
    )
    # The visit's date for a visit; the meeting's or training's otherwise.
    incurred_on = models.DateField(_("date"))
    description = models.CharField(_("description"), max_length=200, blank=True)
    miles = models.DecimalField(_("miles"), max_digits=6, decimal_places=1, default=0)
    pence_per_mile = models.PositiveSmallIntegerField(_("pence per mile"))
    mileage_pence = models.PositiveIntegerField(default=0)
    other_pence = models.PositiveIntegerField(_("other costs in pence"), default=0)
    other_description = models.CharField(_("other costs were for"), max_length=200, blank=True)
    total_pence = models.PositiveIntegerField(default=0)
    # Re-encoded and stripped of every metadata (visits.images.clean_photo); served only
    # through a permission-checked view.
    receipt = models.ImageField(upload_to="receipts/%Y/%m/", blank=True)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.SUBMITTED)
    query = models.CharField(_("the manager's question"), max_length=500, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    paid_on = models.DateField(_("paid on"), null=True, blank=True)
    submitted_at = models.DateTimeField()
    updated_at = models.DateTimeField(auto_now=True)

    objects = ExpenseClaimQuerySet.as_manager()

    class Meta:
        ordering = ["-incurred_on", "-pk"]
        indexes = [models.Index(fields=["status", "incurred_on"])]
        constraints = [
            # One live claim per visit and volunteer: a second is a slip (a double tap).
            models.UniqueConstraint(
                fields=["membership", "visit"],
                condition=~models.Q(status="withdrawn") & models.Q(visit__isnull=False),
                name="one_live_claim_per_visit",
            ),
            models.CheckConstraint(
                condition=models.Q(total_pence=models.F("mileage_pence") + models.F("other_pence")),
                name="claim_total_adds_up",
            ),
        ]

    def __str__(self) -> str:
        return gettext("Claim %(number)s (%(status)s)") % {
            "number": self.pk,
            "status": self.get_status_display(),
        }

    @property
    def awaiting_decision(self) -> bool:
        return self.status in (self.Status.SUBMITTED, self.Status.RESUBMITTED)

    @property
    def editable(self) -> bool:
        """The volunteer may still change or withdraw it."""
        return self.status in (self.Status.SUBMITTED, self.Status.QUERIED, self.Status.RESUBMITTED)
