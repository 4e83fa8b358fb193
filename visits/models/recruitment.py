"""Recruitment (issue 22): someone's application to a scheme, from the public form to the offer
that makes them a trainee visitor. Only visits.services.recruitment changes these rows."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from visits.models.base import Model

from .people import Membership
from .schemes import Scheme


class ApplicationStatus(models.TextChoices):
    RECEIVED = "received", _("Received")
    SHORTLISTED = "shortlisted", _("Shortlisted")
    INTERVIEWED = "interviewed", _("Interviewed")
    REFERENCES = "references", _("Taking up references")
    OFFERED = "offered", _("Offered")
    ACCEPTED = "accepted", _("Accepted")
    DECLINED = "declined", _("Declined the offer")
    WITHDRAWN = "withdrawn", _("Withdrawn")
    REJECTED = "rejected", _("Not taken forward")


# An application in one of these is closed: nothing more happens to it, and retention counts
# from the day it closed (an accepted one becomes part of the volunteer's record and stays).
CLOSED_STATUSES = frozenset(
    {
        ApplicationStatus.ACCEPTED,
        ApplicationStatus.DECLINED,
        ApplicationStatus.WITHDRAWN,
        ApplicationStatus.REJECTED,
    }
)


class ApplicationQuerySet(models.QuerySet):
    def for_list(self):
        return self.select_related("scheme").annotate(reference_count=models.Count("references"))


class Application(Model):
    """An application to be a visitor of one scheme."""

    scheme = models.ForeignKey(Scheme, on_delete=models.PROTECT, related_name="applications")
    first_name = models.CharField(_("first name"), max_length=100)
    last_name = models.CharField(_("last name"), max_length=100)
    email = models.EmailField(_("e-mail address"))
    phone = models.CharField(_("phone"), max_length=30)
    postcode_area = models.CharField(_("postcode area"), max_length=8)
    motivation = models.TextField(_("why they want to volunteer"))
    availability = models.TextField(_("availability"))
    # The eligibility declarations (Home Office Code of Practice on ICV): an adult, independent
    # of the police and of the criminal justice system. The form takes only a "yes" to each.
    declares_adult = models.BooleanField(_("is 18 or over"), default=False)
    declares_not_police = models.BooleanField(
        _("is not a serving police officer, special constable or member of police staff"),
        default=False,
    )
    declares_not_justice = models.BooleanField(
        _("is not a magistrate or otherwise directly involved in the criminal justice system"),
        default=False,
    )
    consented_at = models.DateTimeField(_("consented to the privacy notice at"))
    status = models.CharField(
        max_length=12, choices=ApplicationStatus.choices, default=ApplicationStatus.RECEIVED
    )
    received_at = models.DateTimeField(default=timezone.now)
    status_changed_at = models.DateTimeField(default=timezone.now)
    # Set when the application closes (CLOSED_STATUSES); retention counts from it.
    closed_at = models.DateTimeField(null=True, blank=True)
    interviewed_on = models.DateField(_("interviewed on"), null=True, blank=True)
    interview_notes = models.TextField(_("interview notes"), blank=True)
    offered_at = models.DateTimeField(null=True, blank=True)
    # Once accepted: the account and the trainee membership the offer made (or linked).
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="applications",
    )
    membership = models.ForeignKey(
        Membership, on_delete=models.SET_NULL, null=True, blank=True, related_name="applications"
    )

    objects = ApplicationQuerySet.as_manager()

    class Meta:
        ordering = ["-received_at"]
        indexes = [models.Index(fields=["scheme", "status"]), models.Index(fields=["closed_at"])]

    def __str__(self) -> str:
        return f"{self.full_name} ({self.get_status_display()}, {self.scheme})"

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    @property
    def is_closed(self) -> bool:
        return self.status in CLOSED_STATUSES


class Reference(Model):
    """A referee for an application, and what they said once the reference came back."""

    application = models.ForeignKey(
        Application, on_delete=models.CASCADE, related_name="references"
    )
    referee_name = models.CharField(_("referee's name"), max_length=120)
    relationship = models.CharField(_("relationship to the applicant"), max_length=120)
    received_on = models.DateField(_("received on"), null=True, blank=True)
    # None until the reference is received and judged.
    satisfactory = models.BooleanField(_("satisfactory"), null=True, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return gettext("%(referee)s for %(applicant)s") % {
            "referee": self.referee_name,
            "applicant": self.application.full_name,
        }
