from django.conf import settings
from django.db import models

from .schemes import CustodySuite, Panel, Scheme


class Role(models.TextChoices):
    VISITOR = "visitor", "Visitor"
    COORDINATOR = "coordinator", "Panel coordinator"
    MANAGER = "manager", "Scheme manager"
    PCC = "pcc", "PCC reader"
    FORCE = "force", "Force custody lead"


# Roles whose holders go on visits (a panel coordinator is an experienced visitor).
VISITING_ROLES = (Role.VISITOR, Role.COORDINATOR)


class VisitorStatus(models.TextChoices):
    TRAINEE = "trainee", "Trainee"
    ACTIVE = "active", "Active"
    PAUSED = "paused", "Paused"
    LEFT = "left", "Left"


class MembershipQuerySet(models.QuerySet):
    def current(self):
        """Memberships that still grant access: a visitor who has left has none."""
        return self.exclude(status=VisitorStatus.LEFT)

    def visiting(self):
        return self.current().filter(role__in=VISITING_ROLES)


class Membership(models.Model):
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
        help_text="The panel a visitor belongs to, or a coordinator runs.",
    )
    # Visitor fields; other roles keep the defaults.
    status = models.CharField(
        max_length=10, choices=VisitorStatus.choices, default=VisitorStatus.ACTIVE
    )
    appointed_on = models.DateField(null=True, blank=True)
    visits_before_app = models.PositiveIntegerField(
        default=0, help_text="Visits made before the scheme started using this app."
    )
    phone = models.CharField(max_length=30, blank=True)
    # Force custody leads see only the suites they cover.
    suites = models.ManyToManyField(
        CustodySuite,
        blank=True,
        related_name="force_leads",
        help_text="For a force custody lead: the suites whose reports and issues they receive.",
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


class Conflict(models.Model):
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


class ApiToken(models.Model):
    """A personal API token. Only a hash is stored; the token is shown once, when made."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(max_length=80)
    prefix = models.CharField(max_length=12, help_text="The first characters, to recognise it.")
    token_hash = models.CharField(max_length=128, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"


class CalendarFeed(models.Model):
    """A visitor's secret, revocable iCal URL: suite and week only, never a planned time."""

    membership = models.ForeignKey(
        Membership, on_delete=models.CASCADE, related_name="calendar_feeds"
    )
    token = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"Calendar feed of {self.membership.user}"
