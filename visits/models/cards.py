"""ID cards (issue 22): the card a visitor shows at the custody suite's door, its photo, and
the rule of when a card is valid. Changed only through visits.services.cards."""

import datetime

from django.conf import settings
from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from visits.models.base import Model

from .people import VISITING_ROLES, Membership


def card_expiry(membership: Membership) -> datetime.date | None:
    """The first day a card issued now is no longer valid: the end of the appointment's term,
    or the vetting's expiry if that comes first. None when neither is recorded (no card then:
    a card must say when it ends)."""
    ends = [d for d in (membership.appointment_ends_on, membership.vetting_expires_on) if d]
    return min(ends) if ends else None


class CardPhoto(Model):
    """A visitor's portrait for their card, uploaded by the scheme manager: re-encoded, stripped
    of all metadata and cropped to 3:4 (visits.images.clean_portrait). One per membership; a new
    upload replaces it. Served only through permission-checked views."""

    membership = models.OneToOneField(
        Membership, on_delete=models.CASCADE, related_name="card_photo"
    )
    image = models.ImageField(upload_to="cards/photos/%Y/")
    uploaded_at = models.DateTimeField(auto_now=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )

    def __str__(self) -> str:
        return gettext("Card photo of %(user)s") % {"user": self.membership.user}


class IdCardQuerySet(models.QuerySet):
    def unrevoked(self, day: datetime.date):
        """Cards not revoked by `day` (one revoked from a later day, a leaver's, still holds)."""
        return self.filter(models.Q(revoked_on__isnull=True) | models.Q(revoked_on__gt=day))


class IdCard(Model):
    """One printed card. Its number is for people (printed, read out at the door); its token is
    the secret in the QR code's check URL and is never shown elsewhere."""

    membership = models.ForeignKey(Membership, on_delete=models.CASCADE, related_name="id_cards")
    number = models.CharField(_("card number"), max_length=20, unique=True)
    token = models.CharField(max_length=64, unique=True)
    issued_on = models.DateField(_("issued on"))
    # The first day the card is no longer valid (as vetting_expires_on: `card_expiry`).
    expires_on = models.DateField(_("expires on"))
    # The first day the card is no longer valid because it was revoked (today when revoked by
    # hand; a leaver's leaving date, which may be ahead).
    revoked_on = models.DateField(_("revoked on"), null=True, blank=True)
    revoked_reason = models.CharField(_("reason for revoking"), max_length=200, blank=True)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = IdCardQuerySet.as_manager()

    class Meta:
        ordering = ["-issued_on", "-pk"]

    def __str__(self) -> str:
        return gettext("ID card %(number)s") % {"number": self.number}

    def revoked_by(self, day: datetime.date) -> bool:
        return self.revoked_on is not None and self.revoked_on <= day

    def is_valid_on(self, day: datetime.date) -> bool:
        """The one rule of the check page, the manager's page and the API: issued, not expired,
        not revoked, and its holder still able to visit that day (vetting or appointment cut
        short after the card was printed, or left, makes it invalid at once)."""
        return (
            self.issued_on <= day < self.expires_on
            and not self.revoked_by(day)
            and self.membership.visiting_bar(day) is None
            # An account switched off (how someone is stopped at once) or no longer a visitor's.
            and self.membership.user.is_active
            and self.membership.role in VISITING_ROLES
        )
