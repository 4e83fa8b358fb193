"""Two-factor authentication: a time-based code from an authenticator app (TOTP, django-otp)
and ten single-use recovery codes. Required for scheme managers, PCC readers and force custody
leads (ICV_TWO_FACTOR_REQUIRED), offered to everyone else; once someone has set it up, every
sign-in asks for a code.

Setting it up is an *attempt* that belongs to one session: each time the setup page opens it
makes a fresh secret and keeps it in that session only (nothing is saved until a code from the
app confirms it). So a secret is shown to one session only: someone who signs in with a stolen
password and copies the key from the setup page gets a key nobody else will ever confirm, and
once the account has two-factor every other attempt, in any session, is refused. A session
keeps its last few attempts, not only the newest, because pages are also fetched without
anyone looking (the service worker warms its cache after each page, and is redirected here):
the page a person is reading must not be outdated by those."""

from __future__ import annotations

import base64
import secrets
import time

import segno
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice, default_key

from visits import permissions
from visits.models import Role
from visits.services import audit

ROLES_THAT_MUST = (Role.MANAGER, Role.PCC, Role.FORCE)
RECOVERY_CODES = 10
DEVICE_NAME = "Authenticator app"
# Set at sign-in for someone who neither has two-factor nor needs it, so that their pages are
# not asked again on every request (icv.middleware.TwoFactorMiddleware).
NOT_NEEDED = "two_factor_not_needed"
# The session's setup attempts: {"user": pk, "attempts": [[id, key in hex], ...]}, newest last;
# the id is the attempt's name in the setup form.
SETUP_ATTEMPTS = "two_factor_setup"
ATTEMPTS_KEPT = 10


def note_sign_in(sender, request, user, **kwargs):
    """On sign-in: decide once whether this session will ever be asked for a code, and forget
    any setup attempt the session had (a sign-in starts a new one)."""
    if request is not None and hasattr(request, "session"):
        request.session[NOT_NEEDED] = not is_set_up(user) and not required_for(user)
        request.session.pop(SETUP_ATTEMPTS, None)


def required_for(user) -> bool:
    return settings.ICV_TWO_FACTOR_REQUIRED and any(
        m.role in ROLES_THAT_MUST for m in permissions.memberships_of(user)
    )


def is_set_up(user) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def _unsaved_device(user, key: str) -> TOTPDevice:
    return TOTPDevice(user=user, name=DEVICE_NAME, key=key, confirmed=False)


def start_setup(session, user) -> tuple[str, TOTPDevice]:
    """A new attempt for this session: a fresh secret, kept in the session and nowhere else.
    Returns the attempt's id (the setup form sends it back) and an unsaved device, only for
    showing the secret."""
    attempt_id = secrets.token_urlsafe(12)
    key = default_key()
    kept = session.get(SETUP_ATTEMPTS)
    attempts = kept["attempts"] if _belongs_to(kept, user) else []
    session[SETUP_ATTEMPTS] = {
        "user": user.pk,
        "attempts": [*attempts, [attempt_id, key]][-ATTEMPTS_KEPT:],
    }
    return attempt_id, _unsaved_device(user, key)


def setup_in_progress(session, user, attempt_id: str | None) -> TOTPDevice | None:
    """The attempt named, if this session made it for this user (unsaved), or None: another
    session's, or one forgotten since (signing in again, or many newer attempts)."""
    kept = session.get(SETUP_ATTEMPTS)
    if not attempt_id or not _belongs_to(kept, user):
        return None
    for made_id, key in kept["attempts"]:
        if made_id == attempt_id:
            return _unsaved_device(user, key)
    return None


def _belongs_to(kept, user) -> bool:
    return (
        isinstance(kept, dict)
        and kept.get("user") == user.pk
        and isinstance(kept.get("attempts"), list)
    )


def secret_of(device: TOTPDevice) -> str:
    """The secret in the form authenticator apps take when typed in (base32, in groups)."""
    secret = base64.b32encode(device.bin_key).decode()
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def qr_code(device: TOTPDevice) -> str:
    """The setup address as an SVG data URI (our CSP allows data: images, nothing remote)."""
    return segno.make(device.config_url, error="m").svg_data_uri(scale=5, border=2)


def _code_matches(device: TOTPDevice, code: str) -> bool:
    """Whether `code` is the app's current code for `device`; on a match, remembers its time
    step so that the same code cannot be given again. Saves nothing."""
    token = code.replace(" ", "").strip()
    if not token.isdigit():
        return False
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time()
    if not totp.verify(int(token), device.tolerance, device.last_t + 1):
        return False
    device.last_t = totp.t()
    device.drift = totp.drift
    return True


def confirm(
    *, session, user, attempt_id: str | None, code: str
) -> tuple[TOTPDevice, list[str]] | None:
    """Turn on two-factor with this session's attempt if `code` comes from the app: return the
    device and new recovery codes, or None (no such attempt in this session, a wrong code, or
    two-factor already on: another attempt came first). Only the secret of an attempt this
    session made is ever saved, and then all its attempts are forgotten."""
    device = setup_in_progress(session, user, attempt_id)
    if device is None or not _code_matches(device, code):
        return None
    with transaction.atomic():
        # One confirmation at a time per person: a second attempt waits, then finds it on.
        get_user_model().objects.select_for_update().filter(pk=user.pk).exists()
        if is_set_up(user):
            session.pop(SETUP_ATTEMPTS, None)
            return None
        # Unconfirmed devices are never confirmed later (earlier versions kept one per person).
        TOTPDevice.objects.filter(user=user, confirmed=False).delete()
        device.confirmed = True
        device.set_last_used_timestamp(commit=False)
        device.save()
        audit.record(actor=user, action="account.two_factor_on", obj=user)
        codes = new_recovery_codes(user)
    session.pop(SETUP_ATTEMPTS, None)  # every other attempt of this session goes too
    return device, codes


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
