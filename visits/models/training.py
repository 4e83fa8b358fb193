"""Training (issue 22): the modules a scheme requires and who completed which, when.

What is due (never done, or its renewal come) is worked out once, in
visits.training_due.due_training; pages, the API and the reminders all read that.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from visits.models.base import Model

from .people import Membership
from .schemes import Scheme


class TrainingModuleQuerySet(models.QuerySet):
    def active(self):
        return self.filter(retired_at__isnull=True)


class TrainingModule(Model):
    """A course a scheme asks its visitors to take, once or renewed every so many months."""

    class RequiredFor(models.TextChoices):
        ALL = "all", _("Every visitor, trainees included")
        EXPERIENCED = "experienced", _("Experienced visitors (after graduating)")
        TACT = "tact", _("Visitors of detainees held under the Terrorism Act (TACT)")

    scheme = models.ForeignKey(Scheme, on_delete=models.CASCADE, related_name="training_modules")
    # The standard modules carry a key ("induction", "tact"...); the manager's own have none.
    key = models.SlugField(max_length=30, blank=True)
    name = models.CharField(_("name"), max_length=120)
    description = models.CharField(_("description"), max_length=300, blank=True)
    required_for = models.CharField(
        _("required for"), max_length=12, choices=RequiredFor.choices, default=RequiredFor.ALL
    )
    renew_every_months = models.PositiveSmallIntegerField(
        _("renew every (months)"),
        null=True,
        blank=True,
        help_text=_("Leave empty for a course taken once."),
    )
    retired_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = TrainingModuleQuerySet.as_manager()

    class Meta:
        ordering = ["scheme_id", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["scheme", "name"],
                condition=Q(retired_at__isnull=True),
                name="one_active_training_module_per_name",
            ),
            models.UniqueConstraint(
                fields=["scheme", "key"],
                condition=~Q(key=""),
                name="one_standard_training_module_per_key",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class TrainingCompletion(Model):
    """A volunteer completed a module on a day, as recorded by the scheme manager."""

    membership = models.ForeignKey(
        Membership, on_delete=models.CASCADE, related_name="training_completions"
    )
    module = models.ForeignKey(TrainingModule, on_delete=models.PROTECT, related_name="completions")
    completed_on = models.DateField(_("completed on"))
    note = models.CharField(_("note"), max_length=200, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-completed_on", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["membership", "module", "completed_on"],
                name="one_completion_per_module_per_day",
            )
        ]

    def __str__(self) -> str:
        return f"{self.membership.user} – {self.module} ({self.completed_on})"
