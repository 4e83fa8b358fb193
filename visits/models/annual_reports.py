from django.db import models
from django.utils.translation import gettext_lazy as _

from visits.models.base import Model

from .schemes import Scheme

# The sections the scheme manager writes, in the order the report prints them: (field, heading).
ANNUAL_REPORT_SECTIONS = (
    ("foreword", _("Foreword")),
    ("findings", _("What visitors found")),
    ("force_responses", _("The force's responses")),
    ("examples_of_change", _("Examples of change")),
    ("thanks", _("Thanks to our volunteers")),
)
# The foreword may be left out; a report is published with every other section written.
OPTIONAL_SECTIONS = frozenset({"foreword"})
SECTION_MAX_LENGTH = 10_000


class AnnualReport(Model):
    """A scheme's annual report for a calendar year: the sections its manager writes. The year's
    figures are never stored here; they are the summary of the year (visits.summaries), counted
    when the report is read. Written only through visits.services.annual_reports."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PUBLISHED = "published", _("Published")

    scheme = models.ForeignKey(
        Scheme, verbose_name=_("scheme"), on_delete=models.PROTECT, related_name="annual_reports"
    )
    year = models.PositiveSmallIntegerField(verbose_name=_("year"))
    foreword = models.TextField(verbose_name=_("foreword"), blank=True)
    findings = models.TextField(verbose_name=_("findings"), blank=True)
    force_responses = models.TextField(verbose_name=_("force responses"), blank=True)
    examples_of_change = models.TextField(verbose_name=_("examples of change"), blank=True)
    thanks = models.TextField(verbose_name=_("thanks"), blank=True)
    status = models.CharField(
        verbose_name=_("status"), max_length=12, choices=Status.choices, default=Status.DRAFT
    )
    published_at = models.DateTimeField(verbose_name=_("published at"), null=True, blank=True)
    # Raised by every save: an edit made from an older revision is refused, not silently lost.
    revision = models.PositiveIntegerField(verbose_name=_("revision"), default=0)
    updated_at = models.DateTimeField(verbose_name=_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("annual report")
        verbose_name_plural = _("annual reports")
        ordering = ["scheme", "-year"]
        constraints = [
            models.UniqueConstraint(fields=["scheme", "year"], name="annual_report_once_a_year")
        ]

    def __str__(self) -> str:
        return f"{self.scheme} {self.year}"

    @property
    def is_published(self) -> bool:
        return self.status == self.Status.PUBLISHED

    def sections(self) -> list[tuple[str, str, str]]:
        """(field, heading, text) of every section, in print order."""
        return [(name, str(label), getattr(self, name)) for name, label in ANNUAL_REPORT_SECTIONS]
