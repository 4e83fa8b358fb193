from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from visits.models.base import Model

from .bilingual import Bilingual


class Scheme(Bilingual, Model):
    """One PCC's custody visiting scheme. Nothing of one scheme is visible from another."""

    name = models.CharField(verbose_name=_("name"), max_length=120, unique=True)
    name_cy = models.CharField(_("name in Welsh"), max_length=120, blank=True)
    # Under the Welsh Language Standards what a Welsh scheme publishes is bilingual: its checklist
    # versions are published only with every Welsh text, and its summary PDF and public figures
    # are in both languages.
    bilingual = models.BooleanField(
        _("bilingual"),
        default=False,
        help_text=_(
            "Welsh and English: checklists, suites and panels need their Welsh texts, "
            "and the summaries and public figures are published in both languages."
        ),
    )
    slug = models.SlugField(verbose_name=_("slug"), max_length=60, unique=True)
    force_name = models.CharField(
        verbose_name=_("force name"),
        max_length=120,
        help_text=_("The police force the scheme visits."),
    )
    # Custody record numbers differ by force; the scheme states its format as a regular expression.
    custody_number_pattern = models.CharField(
        verbose_name=_("custody number pattern"),
        max_length=200,
        default=r"^[A-Z0-9][A-Z0-9/\-]{3,23}$",
        help_text=_("Regular expression a custody record number must match (upper case)."),
    )
    custody_number_example = models.CharField(
        verbose_name=_("custody number example"), max_length=40, default="AB/12345/26"
    )
    response_days_routine = models.PositiveSmallIntegerField(
        verbose_name=_("response days routine"),
        default=20,
        help_text=_("Working days the force has to answer a routine issue."),
    )
    response_days_urgent = models.PositiveSmallIntegerField(
        verbose_name=_("response days urgent"),
        default=2,
        help_text=_("Working days the force has to answer an urgent issue."),
    )
    detainee_data_retention_days = models.PositiveIntegerField(
        verbose_name=_("detainee data retention days"),
        default=3 * 365,
        help_text=_("How long detainee-level answers are kept before anonymising."),
    )
    trainee_mentored_visits = models.PositiveSmallIntegerField(
        verbose_name=_("trainee mentored visits"),
        default=12,
        help_text=_("Visits a trainee makes alongside an experienced visitor."),
    )
    created_at = models.DateTimeField(verbose_name=_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("scheme")
        verbose_name_plural = _("schemes")

    def __str__(self) -> str:
        return self.name


class Panel(Bilingual, Model):
    """A group of visitors, usually one per custody suite, run by a panel coordinator."""

    scheme = models.ForeignKey(
        Scheme, verbose_name=_("scheme"), on_delete=models.PROTECT, related_name="panels"
    )
    name = models.CharField(verbose_name=_("name"), max_length=120)
    name_cy = models.CharField(_("name in Welsh"), max_length=120, blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("panel")
        verbose_name_plural = _("panels")
        constraints = [
            models.UniqueConstraint(fields=["scheme", "name"], name="panel_name_unique_in_scheme")
        ]

    def __str__(self) -> str:
        return self.name


class CustodySuite(Bilingual, Model):
    scheme = models.ForeignKey(
        Scheme, verbose_name=_("scheme"), on_delete=models.PROTECT, related_name="suites"
    )
    panel = models.ForeignKey(
        Panel,
        verbose_name=_("panel"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="suites",
    )
    name = models.CharField(verbose_name=_("name"), max_length=120)
    name_cy = models.CharField(_("name in Welsh"), max_length=120, blank=True)
    address = models.TextField(verbose_name=_("address"), blank=True)
    cells = models.PositiveSmallIntegerField(verbose_name=_("cells"), default=0)
    active = models.BooleanField(
        verbose_name=_("active"), default=True, help_text=_("Inactive suites are not on the rota.")
    )
    visits_per_week = models.PositiveSmallIntegerField(
        verbose_name=_("visits per week"), default=1, validators=[MinValueValidator(1)]
    )
    custody_number_prefix = models.CharField(
        verbose_name=_("custody number prefix"),
        max_length=10,
        blank=True,
        help_text=_(
            "The letters this suite's custody record numbers start with (AY for Aylsham). "
            "If blank, found from the suite's name and the scheme's format."
        ),
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("custody suite")
        verbose_name_plural = _("custody suites")
        constraints = [
            models.UniqueConstraint(fields=["scheme", "name"], name="suite_name_unique_in_scheme")
        ]

    def __str__(self) -> str:
        return self.name
