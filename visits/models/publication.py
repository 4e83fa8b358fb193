from django.conf import settings
from django.db import models

from visits.models.base import Model

from .schemes import Scheme


class PublishedQuarterQuerySet(models.QuerySet):
    def live(self):
        """The quarters the public may read now (published and not withdrawn)."""
        return self.filter(withdrawn_at__isnull=True)


class PublishedQuarter(Model):
    """A quarter whose figures the scheme manager has made public (visits.services.publication
    is the only writer). Withdrawing keeps the row, so publishing again reuses it; the audit
    trail holds every publication and withdrawal."""

    scheme = models.ForeignKey(Scheme, on_delete=models.PROTECT, related_name="published_quarters")
    period = models.CharField(max_length=7, help_text='A quarter\'s key, like "2026-Q3".')
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    published_at = models.DateTimeField()
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    withdrawn_at = models.DateTimeField(null=True, blank=True)

    objects = PublishedQuarterQuerySet.as_manager()

    class Meta:
        ordering = ["scheme", "-period"]
        constraints = [
            models.UniqueConstraint(
                fields=["scheme", "period"], name="one_publication_per_quarter"
            ),
            models.CheckConstraint(
                condition=models.Q(period__regex=r"^[0-9]{4}-Q[1-4]$"),
                name="published_period_is_a_quarter",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.scheme}: {self.period}"

    @property
    def is_live(self) -> bool:
        return self.withdrawn_at is None
