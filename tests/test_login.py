"""Login protection: lockout after repeated failures and its end, Argon2 in production, the
password validators, idle sessions, and the address the lockout counts behind a proxy (the
function itself: tests/test_client_address.py)."""

import io

import time_machine
from django.conf import settings
from django.core.management import call_command
from django.utils import timezone

from visits.models import AuditEntry

LOGIN = "/accounts/login/"


def sign_in(client, password, username="visitor", address="192.0.2.10"):
    return client.post(LOGIN, {"username": username, "password": password}, REMOTE_ADDR=address)


def test_repeated_failures_lock_the_account_from_that_address_until_reset(client, db):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        response = sign_in(client, "wrong")
        assert response.status_code == 200  # the form again, with its error
        assert "enter a correct username and password" in response.content.decode()
    locked = sign_in(client, "wrong")
    assert locked.status_code == 429
    assert "Signing in is paused" in locked.content.decode()
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    assert f"signing in is paused for {minutes} minutes" in locked.content.decode()  # not "PT15M"
    # Even the right password waits now...
    assert sign_in(client, settings.DEMO_PASSWORD).status_code == 429
    # ...but not from another address, nor for another user.
    assert sign_in(client, settings.DEMO_PASSWORD, address="192.0.2.99").status_code == 302
    client.logout()
    assert sign_in(client, settings.DEMO_PASSWORD, username="partner").status_code == 302
    client.logout()
    call_command("axes_reset_username", "visitor", stdout=io.StringIO())
    assert sign_in(client, settings.DEMO_PASSWORD).status_code == 302


def test_the_lock_lifts_after_the_cool_off(client, db):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        sign_in(client, "wrong")
    assert sign_in(client, settings.DEMO_PASSWORD).status_code == 429
    later = timezone.now() + settings.AXES_COOLOFF_TIME + timezone.timedelta(minutes=1)
    with time_machine.travel(later, tick=False):
        assert sign_in(client, settings.DEMO_PASSWORD).status_code == 302


def test_a_success_resets_the_count(client, db):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        sign_in(client, "wrong")
    assert sign_in(client, settings.DEMO_PASSWORD).status_code == 302
    client.logout()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        sign_in(client, "wrong")
    assert sign_in(client, settings.DEMO_PASSWORD).status_code == 302


def test_production_hashes_with_argon2_and_validates_passwords():
    import subprocess
    import sys

    code = (
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.PASSWORD_HASHERS[0]); print(len(s.AUTH_PASSWORD_VALIDATORS))"
    )
    env = {
        "PATH": "/usr/bin:/bin",
        "DJANGO_SETTINGS_MODULE": "icv.settings",
        "ICV_SECRET_KEY": "x" * 60,
        "ICV_ALLOWED_HOSTS": "icv.example.org",
    }
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True
    ).stdout.split()
    assert out == ["django.contrib.auth.hashers.Argon2PasswordHasher", "4"]


def test_a_weak_password_is_refused(db):
    import pytest
    from django.contrib.auth.password_validation import validate_password
    from django.core.exceptions import ValidationError

    for weak in ("password", "12345678", "short"):
        with pytest.raises(ValidationError):
            validate_password(weak)
    validate_password("correct horse battery staple 7")


def test_failed_sign_ins_do_not_write_the_audit_trail_per_attempt(client, db):
    """Lockouts are recorded by django-axes (AccessAttempt); the trail stays for data."""
    before = AuditEntry.objects.count()
    sign_in(client, "wrong")
    assert AuditEntry.objects.count() == before


# --- Behind a proxy: the address the lockout and the audit trail use ------------------------------

PROXY = "10.0.0.2"  # the proxy's own address, as the app's socket sees it


def sign_in_through_proxy(client, password, forwarded, username="visitor"):
    return client.post(
        LOGIN,
        {"username": username, "password": password},
        REMOTE_ADDR=PROXY,
        HTTP_X_FORWARDED_FOR=forwarded,
    )


def test_behind_one_proxy_a_made_up_address_per_guess_is_still_locked_out(client, db, settings):
    """The client writes whatever it likes into X-Forwarded-For; our proxy adds the address it
    was connected from on the right. Only that one counts, so a new made-up address per guess
    does not reset the count, and the audit trail records the address the proxy saw."""
    from axes.models import AccessAttempt

    settings.BEHIND_PROXY = True  # as in production; says nothing about addresses any more
    settings.TRUSTED_PROXIES = 1
    client_seen = "203.0.113.5"
    for guess in range(settings.AXES_FAILURE_LIMIT - 1):
        forged = f"198.51.100.{guess}, {client_seen}"
        assert sign_in_through_proxy(client, "wrong", forged).status_code == 200
    locked = sign_in_through_proxy(client, "wrong", f"198.51.100.99, {client_seen}")
    assert locked.status_code == 429
    # Neither the right password nor any made-up address gets through now...
    for forged in (f"192.0.2.77, {client_seen}", f"not-an-address, {client_seen}"):
        assert sign_in_through_proxy(client, settings.DEMO_PASSWORD, forged).status_code == 429
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {client_seen}
    # ...but another client behind the same proxy signs in, and what it does is audited with
    # its address as the proxy saw it, not the one it claims.
    other = "203.0.113.6"
    signed_in = sign_in_through_proxy(client, settings.DEMO_PASSWORD, f"192.0.2.1, {other}")
    assert signed_in.status_code == 302
    client.post(
        "/account/tokens/",
        {"name": "tracker"},
        REMOTE_ADDR=PROXY,
        HTTP_X_FORWARDED_FOR="192.0.2.1, " + other,
    )
    entry = AuditEntry.objects.filter(action="token.created").latest("pk")
    assert entry.ip_address == other


def test_without_trusted_proxies_the_header_is_ignored(client, db, settings):
    from axes.models import AccessAttempt

    settings.BEHIND_PROXY = True
    settings.TRUSTED_PROXIES = 0
    for guess in range(settings.AXES_FAILURE_LIMIT):
        sign_in_through_proxy(client, "wrong", f"198.51.100.{guess}")
    assert sign_in_through_proxy(client, settings.DEMO_PASSWORD, "192.0.2.8").status_code == 429
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {PROXY}
    assert (
        sign_in_through_proxy(client, settings.DEMO_PASSWORD, "192.0.2.8", "partner").status_code
        == 302
    )
    client.post(
        "/account/tokens/", {"name": "tracker"}, REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="192.0.2.8"
    )
    assert AuditEntry.objects.filter(action="token.created").latest("pk").ip_address == PROXY
