from django.conf import settings
from django.db import models
from django.utils.formats import date_format
from django.utils.translation import gettext, override
from django.utils.translation import gettext_lazy as _

from visits.models.base import Model
from visits.periods import Period

from .schemes import CustodySuite, Scheme


class TimeBand(models.TextChoices):
    WEEKDAY_DAY = "weekday_day", _("Weekday daytime")
    EVENING = "evening", _("Evening")
    WEEKEND = "weekend", _("Weekend")
    NIGHT = "night", _("Night (22:00 to 06:00)")


class RotaPeriod(Model):
    """A period (normally a quarter) of a scheme's rota."""

    class Status(models.TextChoices):
        COLLECTING = "collecting", _("Collecting availability")
        DRAFT = "draft", _("Draft rota")
        PUBLISHED = "published", _("Published")
        CLOSED = "closed", _("Closed")

    scheme = models.ForeignKey(
        Scheme, verbose_name=_("scheme"), on_delete=models.PROTECT, related_name="rota_periods"
    )
    name = models.CharField(
        verbose_name=_("name"), max_length=60, help_text=_("For example: October to December 2026.")
    )
    starts_on = models.DateField(verbose_name=_("starts on"), help_text=_("A Monday."))
    ends_on = models.DateField(verbose_name=_("ends on"), help_text=_("A Sunday."))
    availability_closes_on = models.DateField(verbose_name=_("availability closes on"))
    status = models.CharField(
        verbose_name=_("status"), max_length=12, choices=Status.choices, default=Status.COLLECTING
    )
    seed = models.PositiveIntegerField(
        verbose_name=_("seed"), default=0, help_text=_("Makes the solver's result repeatable.")
    )
    published_at = models.DateTimeField(verbose_name=_("published at"), null=True, blank=True)
    # What the visitors were last told, slot by slot ({slot id: {"visitors": [ids], ...}}), so
    # that publishing again tells only those whose slots changed since.
    told = models.JSONField(verbose_name=_("told"), default=dict, blank=True)

    class Meta:
        verbose_name = _("rota period")
        verbose_name_plural = _("rota periods")
        ordering = ["scheme", "-starts_on"]
        constraints = [
            models.UniqueConstraint(fields=["scheme", "starts_on"], name="one_period_per_start"),
            models.CheckConstraint(
                condition=models.Q(ends_on__gt=models.F("starts_on")),
                name="period_ends_after_start",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.scheme}: {self.name}"

    @property
    def shown_name(self) -> str:
        """The name in the reader's language when it is its quarter's own ("October to December
        2026", as opening a quarter names it, in the language of whoever opened it); a name the
        manager wrote stays as written."""
        quarter = Period.containing(self.starts_on)
        standard = set()
        for code, _language in settings.LANGUAGES:
            with override(code):
                standard.add(quarter.label)
        return quarter.label if self.name in standard else self.name


class RotaSlot(Model):
    """One visit to make: a suite, a week, a pair. The pair agree the day and time privately."""

    class Status(models.TextChoices):
        PLANNED = "planned", _("Planned")
        DONE = "done", _("Done")
        MISSED = "missed", _("Missed")
        CANCELLED = "cancelled", _("Cancelled")

    period = models.ForeignKey(
        RotaPeriod, verbose_name=_("period"), on_delete=models.CASCADE, related_name="slots"
    )
    suite = models.ForeignKey(
        CustodySuite, verbose_name=_("suite"), on_delete=models.PROTECT, related_name="rota_slots"
    )
    week_starts_on = models.DateField(verbose_name=_("week starts on"))
    time_band = models.CharField(
        verbose_name=_("time band"), max_length=12, choices=TimeBand.choices
    )
    visitors = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("visitors"), blank=True, related_name="rota_slots"
    )
    status = models.CharField(
        verbose_name=_("status"), max_length=10, choices=Status.choices, default=Status.PLANNED
    )
    # Secret: seen by the pair and the scheme manager only, never by the force.
    planned_for = models.DateTimeField(verbose_name=_("planned for"), null=True, blank=True)
    unfilled_reason = models.TextField(verbose_name=_("unfilled reason"), blank=True)
    reminded_at = models.DateTimeField(verbose_name=_("reminded at"), null=True, blank=True)
    uncovered_alert_at = models.DateTimeField(
        verbose_name=_("uncovered alert at"), null=True, blank=True
    )
    # Goes up with every change of pair, time or status (see services.revisions).
    revision = models.PositiveIntegerField(verbose_name=_("revision"), default=1)

    class Meta:
        verbose_name = _("rota slot")
        verbose_name_plural = _("rota slots")
        ordering = ["week_starts_on", "suite__name"]
        indexes = [models.Index(fields=["period", "week_starts_on"])]

    def __str__(self) -> str:
        return gettext("%(suite)s, week of %(week)s") % {
            "suite": self.suite,
            "week": date_format(self.week_starts_on, "d M Y"),
        }


class Availability(Model):
    """What a visitor can do in a rota period."""

    period = models.ForeignKey(
        RotaPeriod, verbose_name=_("period"), on_delete=models.CASCADE, related_name="availability"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="availability",
    )
    unavailable_weeks = models.JSONField(
        verbose_name=_("unavailable weeks"),
        default=list,
        blank=True,
        help_text=_("Mondays, ISO dates."),
    )
    preferred_days = models.JSONField(
        verbose_name=_("preferred days"), default=list, blank=True, help_text=_("0 = Monday.")
    )
    preferred_bands = models.JSONField(verbose_name=_("preferred bands"), default=list, blank=True)
    nights_ok = models.BooleanField(verbose_name=_("nights ok"), default=False)
    # The promise is one night visit a year; a willing visitor may ask for more.
    nights_a_year = models.PositiveSmallIntegerField(verbose_name=_("nights a year"), default=1)
    max_visits_per_month = models.PositiveSmallIntegerField(
        verbose_name=_("max visits per month"), default=2
    )
    # Many visitors think in visits a quarter: empty means only the monthly maximum applies.
    max_visits_per_period = models.PositiveSmallIntegerField(
        verbose_name=_("max visits per period"), null=True, blank=True
    )
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("entered by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    revision = models.PositiveIntegerField(verbose_name=_("revision"), default=1)
    updated_at = models.DateTimeField(verbose_name=_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("availability")
        verbose_name_plural = _("availabilities")
        constraints = [
            models.UniqueConstraint(fields=["period", "user"], name="one_availability_per_period")
        ]

    def __str__(self) -> str:
        return gettext("Availability of %(person)s for %(name)s") % {
            "person": self.user,
            "name": self.period.name,
        }


class SwapRequest(Model):
    """A visitor offering their place in a slot; another eligible visitor may take it."""

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        TAKEN = "taken", _("Taken")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    slot = models.ForeignKey(
        RotaSlot, verbose_name=_("slot"), on_delete=models.CASCADE, related_name="swap_requests"
    )
    offered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("offered by"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    taken_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("taken by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    status = models.CharField(
        verbose_name=_("status"), max_length=10, choices=Status.choices, default=Status.OPEN
    )
    note = models.CharField(verbose_name=_("note"), max_length=200, blank=True)
    created_at = models.DateTimeField(verbose_name=_("created at"), auto_now_add=True)
    resolved_at = models.DateTimeField(verbose_name=_("resolved at"), null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.offered_by} offers {self.slot}"
