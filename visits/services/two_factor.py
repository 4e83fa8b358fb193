"""Two-factor authentication: a time-based code from an authenticator app (TOTP, django-otp)
and ten single-use recovery codes. Required for scheme managers, PCC readers and force custody
leads (ICV_TWO_FACTOR_REQUIRED), offered to everyone else; once someone has set it up, every
sign-in asks for a code."""

from __future__ import annotations

import base64

import segno
from django.conf import settings
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from visits import permissions
from visits.models import Role
from visits.services import audit

ROLES_THAT_MUST = (Role.MANAGER, Role.PCC, Role.FORCE)
RECOVERY_CODES = 10
# Set at sign-in for someone who neither has two-factor nor needs it, so that their pages are
# not asked again on every request (icv.middleware.TwoFactorMiddleware).
NOT_NEEDED = "two_factor_not_needed"


def note_sign_in(sender, request, user, **kwargs):
    """On sign-in: decide once whether this session will ever be asked for a code."""
    if request is not None and hasattr(request, "session"):
        request.session[NOT_NEEDED] = not is_set_up(user) and not required_for(user)


def required_for(user) -> bool:
    return settings.ICV_TWO_FACTOR_REQUIRED and any(
        m.role in ROLES_THAT_MUST for m in permissions.memberships_of(user)
    )


def is_set_up(user) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def pending_device(user) -> TOTPDevice:
    """The authenticator being set up: the same secret until it is confirmed."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    return device or TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=False)


def secret_of(device: TOTPDevice) -> str:
    """The secret in the form authenticator apps take when typed in (base32, in groups)."""
    secret = base64.b32encode(device.bin_key).decode()
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def qr_code(device: TOTPDevice) -> str:
    """The setup address as an SVG data URI (our CSP allows data: images, nothing remote)."""
    return segno.make(device.config_url, error="m").svg_data_uri(scale=5, border=2)


def confirm(*, user, device: TOTPDevice, code: str) -> list[str] | None:
    """Turn on two-factor if `code` comes from the app; return new recovery codes, or None."""
    if not device.verify_token(code.replace(" ", "")):
        return None
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    TOTPDevice.objects.filter(user=user, confirmed=False).delete()
    audit.record(actor=user, action="account.two_factor_on", obj=user)
    return new_recovery_codes(user)


def new_recovery_codes(user) -> list[str]:
    """Ten single-use codes for when the phone is lost; old ones stop working."""
    device, _ = StaticDevice.objects.get_or_create(user=user, name="Recovery codes")
    device.token_set.all().delete()
    codes = [StaticToken.random_token() for _ in range(RECOVERY_CODES)]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=c) for c in codes)
    return codes


def verify(*, user, code: str):
    """The device that accepts `code` (the app's, or a recovery code, used up), or None."""
    code = code.replace(" ", "").strip()
    for device in (
        *TOTPDevice.objects.filter(user=user, confirmed=True),
        *StaticDevice.objects.filter(user=user, confirmed=True),
    ):
        if device.verify_token(code):
            if isinstance(device, StaticDevice):
                audit.record(actor=user, action="account.recovery_code_used", obj=user)
            return device
    return None
