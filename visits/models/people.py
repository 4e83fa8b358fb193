import datetime
from dataclasses import dataclass

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import formats, timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from visits.models.base import Model

from .schemes import CustodySuite, Panel, Scheme


class Role(models.TextChoices):
    VISITOR = "visitor", _("Visitor")
    COORDINATOR = "coordinator", _("Panel coordinator")
    MANAGER = "manager", _("Scheme manager")
    PCC = "pcc", _("PCC reader")
    FORCE = "force", _("Force custody lead")


# Roles whose holders go on visits (a panel coordinator is an experienced visitor).
VISITING_ROLES = (Role.VISITOR, Role.COORDINATOR)


class VisitorStatus(models.TextChoices):
    TRAINEE = "trainee", _("Trainee")
    ACTIVE = "active", _("Active")
    PAUSED = "paused", _("Paused")
    LEFT = "left", _("Left")


class VettingLevel(models.TextChoices):
    NPPV1 = "nppv1", _("NPPV level 1")
    NPPV2 = "nppv2", _("NPPV level 2")
    NPPV3 = "nppv3", _("NPPV level 3")
    CTC = "ctc", _("Counter-terrorist check")
    SCHEME = "scheme", _("The scheme's own level")


@dataclass(frozen=True)
class VisitingBar:
    """Why a member may not visit on a day: a domain error's code and a sentence saying why."""

    code: str
    message: str


def format_day(day: datetime.date) -> str:
    return formats.date_format(day, "j F Y")


class MembershipQuerySet(models.QuerySet):
    def current(self, today: datetime.date | None = None):
        """Memberships that still grant access: a visitor who has left has none, from the
        leaving date on (even before the daily job marks them as left)."""
        today = today or timezone.localdate()
        return self.exclude(status=VisitorStatus.LEFT).exclude(left_on__lte=today)

    def visiting_of(self, user):
        """`user`'s own visiting memberships that still grant access (their volunteer record,
        their ID cards), with what their pages show of each."""
        return (
            self.current()
            .filter(user=user, role__in=VISITING_ROLES)
            .select_related("user", "scheme", "panel")
        )

    def able_to_visit(self, first_day: datetime.date, last_day: datetime.date | None = None):
        """Members whose vetting and appointment hold on every day from `first_day` to
        `last_day` (the same rule as `Membership.visiting_bar`, as a filter). A date not
        recorded is not checked: schemes record vetting as they take it up. Only the ends are
        checked, not the starts (granted, appointed): reports of past visits are still entered
        after the event, and older records predate these dates."""
        last_day = last_day or first_day
        return self.exclude(status=VisitorStatus.LEFT).exclude(
            Q(left_on__lte=last_day)
            | Q(vetting_expires_on__lte=last_day)
            | Q(appointment_ends_on__lte=last_day)
        )

    def visiting(self):
        return self.current().filter(role__in=VISITING_ROLES)


class Membership(Model):
    """A user's role in one scheme. All access is granted through memberships."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    scheme = models.ForeignKey(Scheme, on_delete=models.PROTECT, related_name="memberships")
    role = models.CharField(max_length=20, choices=Role.choices)
    panel = models.ForeignKey(
        Panel,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="memberships",
        help_text=_("The panel a visitor belongs to, or a coordinator runs."),
    )
    # Visitor fields; other roles keep the defaults.
    status = models.CharField(
        max_length=10, choices=VisitorStatus.choices, default=VisitorStatus.ACTIVE
    )
    appointed_on = models.DateField(null=True, blank=True)
    visits_before_app = models.PositiveIntegerField(
        default=0, help_text=_("Visits made before the scheme started using this app.")
    )
    phone = models.CharField(max_length=30, blank=True)
    # Vetting and appointment (issue 22). Each "expires"/"ends" date is the first day without:
    # from that day on the visitor may not be rostered, take a swap or start a visit.
    vetting_level = models.CharField(
        _("vetting level"), max_length=10, choices=VettingLevel.choices, blank=True
    )
    vetting_reference = models.CharField(_("vetting reference"), max_length=60, blank=True)
    vetting_granted_on = models.DateField(_("vetting granted on"), null=True, blank=True)
    vetting_expires_on = models.DateField(_("vetting expires on"), null=True, blank=True)
    appointment_ends_on = models.DateField(_("appointment ends on"), null=True, blank=True)
    appointment_renewed_on = models.DateField(_("appointment renewed on"), null=True, blank=True)
    # Leaving: set only by visits.services.volunteers.record_leaving.
    left_on = models.DateField(_("left on"), null=True, blank=True)
    leaving_reason = models.CharField(_("reason for leaving"), max_length=200, blank=True)
    # Force custody leads see only the suites they cover.
    suites = models.ManyToManyField(
        CustodySuite,
        blank=True,
        related_name="force_leads",
        help_text=_("For a force custody lead: the suites whose reports and issues they receive."),
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = MembershipQuerySet.as_manager()

    class Meta:
        ordering = ["scheme__name", "user__last_name", "user__first_name"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "scheme", "role"], name="one_membership_per_role_per_scheme"
            )
        ]

    def __str__(self) -> str:
        name = self.user.get_full_name() or self.user.username
        return f"{name} ({self.get_role_display()}, {self.scheme})"

    @property
    def is_visiting(self) -> bool:
        return self.role in VISITING_ROLES

    def visiting_bar(
        self, first_day: datetime.date, last_day: datetime.date | None = None
    ) -> VisitingBar | None:
        """Why this member may not visit on some day from `first_day` to `last_day` (a rota
        slot's week, or the day of a visit), or None when they may. The one rule of vetting,
        appointment and leaving; `MembershipQuerySet.able_to_visit` is the same as a filter."""
        last_day = last_day or first_day
        today = timezone.localdate()

        def name() -> str:  # only when barred: the user may not be loaded
            return self.user.get_full_name() or self.user.username

        def said(past: str, future: str, day: datetime.date) -> str:
            return (past if day <= today else future) % {"name": name(), "date": format_day(day)}

        if self.status == VisitorStatus.LEFT or (self.left_on and self.left_on <= last_day):
            day = self.left_on or today
            return VisitingBar(
                "visitor_left",
                said(
                    gettext("%(name)s left the scheme on %(date)s."),
                    gettext("%(name)s leaves the scheme on %(date)s."),
                    day,
                ),
            )
        if self.vetting_expires_on and self.vetting_expires_on <= last_day:
            return VisitingBar(
                "vetting_lapsed",
                said(
                    gettext("%(name)s's vetting expired on %(date)s."),
                    gettext("%(name)s's vetting expires on %(date)s."),
                    self.vetting_expires_on,
                ),
            )
        if self.appointment_ends_on and self.appointment_ends_on <= last_day:
            return VisitingBar(
                "appointment_lapsed",
                said(
                    gettext("%(name)s's appointment ended on %(date)s."),
                    gettext("%(name)s's appointment ends on %(date)s."),
                    self.appointment_ends_on,
                ),
            )
        return None


class Conflict(Model):
    """A visitor who must not visit a suite (a relative or friend among its staff, say)."""

    membership = models.ForeignKey(Membership, on_delete=models.CASCADE, related_name="conflicts")
    suite = models.ForeignKey(CustodySuite, on_delete=models.CASCADE, related_name="conflicts")
    reason = models.CharField(max_length=200, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["membership", "suite"], name="one_conflict_per_suite")
        ]

    def __str__(self) -> str:
        return f"{self.membership.user} ↔ {self.suite}"


class Profile(Model):
    """What a person chose for themselves, whatever their memberships: the language of their
    pages, e-mails and PDFs. No row, or a blank language, means the browser's preference (and
    English for what is sent)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="profile"
    )
    language = models.CharField(
        _("language"), max_length=10, choices=settings.LANGUAGES, blank=True
    )

    def __str__(self):
        return f"{self.user} ({self.language or 'browser'})"


class ApiToken(Model):
    """A personal API token. Only a hash is stored; the token is shown once, when made."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(max_length=80)
    prefix = models.CharField(max_length=12, help_text=_("The first characters, to recognise it."))
    token_hash = models.CharField(max_length=128, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"


class CalendarFeed(Model):
    """A visitor's secret, revocable iCal URL: suite and week only, never a planned time."""

    membership = models.ForeignKey(
        Membership, on_delete=models.CASCADE, related_name="calendar_feeds"
    )
    token = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return gettext("Calendar feed of %(user)s") % {"user": self.membership.user}
