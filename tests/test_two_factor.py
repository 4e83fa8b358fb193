"""Two-factor authentication: required for managers, PCC readers and force leads, offered to
visitors; setup with an authenticator app (a new key for every setup page, kept in that
session only), the code after the password, recovery codes."""

import base64
import binascii
import datetime
import html
import re
from dataclasses import dataclass

import pytest
import time_machine
from django.conf import settings
from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.conftest import persona
from visits.models import AuditEntry
from visits.services import two_factor

pytestmark = pytest.mark.two_factor

SETUP = "/accounts/two-factor/setup/"
VERIFY = "/accounts/two-factor/verify/"


def sign_in(client, username):
    response = client.post(
        "/accounts/login/", {"username": username, "password": settings.DEMO_PASSWORD}
    )
    assert response.status_code == 302
    return response


@dataclass
class SetupPage:
    """What the setup page shows, read off the HTML as a person (or an attacker) would."""

    secret: str  # base32, as typed into an app
    attempt: str  # the form's hidden field

    @property
    def key(self) -> bytes:
        return base64.b32decode(self.secret)

    def code(self) -> str:
        """What an app set up with this page's key shows now."""
        return f"{totp(self.key):06d}"


def open_setup(client, **query) -> SetupPage:
    response = client.get(SETUP, query)
    assert response.status_code == 200
    return read_setup(response)


def read_setup(response) -> SetupPage:
    content = response.content.decode()
    secret = re.search(r'<code class="secret">([A-Z2-7 ]+)</code>', content).group(1)
    attempt = re.search(r'name="attempt" value="([^"]+)"', content).group(1)
    return SetupPage(secret=secret.replace(" ", ""), attempt=html.unescape(attempt))


def turn_on(client, page: SetupPage, code: str | None = None, **extra):
    data = {"code": page.code() if code is None else code, "attempt": page.attempt, **extra}
    return client.post(SETUP, data)


def devices_with_key(key: bytes):
    return TOTPDevice.objects.filter(key=binascii.hexlify(key).decode())


@pytest.mark.parametrize("username", ["manager", "pcc", "force"])
def test_these_roles_must_set_it_up_before_anything_else(client, db, username):
    sign_in(client, username)
    response = client.get("/issues/")
    assert response.status_code == 302
    assert response.url.startswith("/accounts/two-factor/setup/?next=%2Fissues%2F")
    api = client.get("/api/issues/")
    assert api.status_code == 403 and api.json()["code"] == "two_factor_required"
    page = client.get(response.url)
    assert page.status_code == 200
    assert 'src="data:image/svg+xml' in page.content.decode()


def test_visitors_may_but_need_not(client, db):
    sign_in(client, "visitor")
    assert client.get("/").status_code == 200
    assert "Set up two-factor authentication" in client.get("/account/tokens/").content.decode()


def test_setup_then_every_sign_in_asks_for_a_code(client, db):
    manager = persona("manager")
    sign_in(client, "manager")
    page = open_setup(client)
    wrong = turn_on(client, page, "000000", next="/issues/")
    assert wrong.status_code == 400 and "That code is not right" in wrong.content.decode()
    # A wrong code shows the same attempt's key again: the app just set up still matches.
    assert read_setup(wrong) == page
    with time_machine.travel(timezone.now() + datetime.timedelta(seconds=3)):
        done = turn_on(client, page, next="/issues/")
    assert done.status_code == 200
    codes = done.context["codes"]
    assert len(codes) == 10 and len(set(codes)) == 10
    assert client.get("/issues/").status_code == 200  # verified for this session
    # Setting up again would make a second secret: it says it is on instead.
    assert client.get("/accounts/two-factor/setup/").url == "/account/tokens/"
    assert AuditEntry.objects.filter(action="account.two_factor_on", actor=manager).exists()

    client.post("/accounts/logout/")
    sign_in(client, "manager")
    asked = client.get("/visits/")
    assert asked.url.startswith("/accounts/two-factor/verify/")
    bad = client.post("/accounts/two-factor/verify/", {"code": "123456", "next": "/visits/"})
    assert bad.status_code == 400
    # A recovery code works once.
    with time_machine.travel(timezone.now() + datetime.timedelta(seconds=3)):
        ok = client.post("/accounts/two-factor/verify/", {"code": codes[0], "next": "/visits/"})
    assert ok.status_code == 302 and ok.url == "/visits/"
    client.post("/accounts/logout/")
    sign_in(client, "manager")
    again = client.post("/accounts/two-factor/verify/", {"code": codes[0]})
    assert again.status_code == 400
    assert AuditEntry.objects.filter(action="account.recovery_code_used").count() == 1


def test_a_visitor_who_turned_it_on_is_asked_too(client, db):
    visitor = persona("visitor")
    sign_in(client, "visitor")
    assert turn_on(client, open_setup(client)).status_code == 200
    assert two_factor.is_set_up(visitor)
    client.post("/accounts/logout/")
    sign_in(client, "visitor")
    assert client.get("/").url.startswith("/accounts/two-factor/verify/")


def test_api_tokens_are_not_sessions_and_pass(client, db):
    from visits.services import tokens

    _row, secret = tokens.create_token(actor=persona("force"), name="tracker")
    response = client.get("/api/issues/", HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert response.status_code == 200


def test_next_cannot_send_you_elsewhere(client, db):
    sign_in(client, "manager")
    done = turn_on(client, open_setup(client), next="https://evil.example.org/")
    assert done.context["next"] == "/"


# --- A setup key is made for one page of one session ---------------------------------------------


def test_a_password_only_attacker_s_copied_key_never_works(client, db):
    """The attack: someone who knows only the password signs in, copies the key from the setup
    page, and waits for the real user to set up. The real user's page shows a key of its own,
    so the copied one is never confirmed: not from the attacker's page, not at a sign-in."""
    from django.test import Client

    manager = persona("manager")
    attacker = Client()
    sign_in(attacker, "manager")
    copied = open_setup(attacker)

    sign_in(client, "manager")
    real = open_setup(client)
    assert real.secret != copied.secret
    assert turn_on(client, real).status_code == 200
    assert two_factor.is_set_up(manager)
    assert not devices_with_key(copied.key).exists()
    assert devices_with_key(real.key).filter(confirmed=True).count() == 1

    # Later (a new time step, so that no code is refused only as a replay of the last)...
    with time_machine.travel(timezone.now() + datetime.timedelta(minutes=2)):
        # ...the attacker's page, still open in their session, is answered: refused, it is on.
        late = turn_on(attacker, copied)
        assert late.status_code == 302 and late.url.startswith(VERIFY)
        # And signing in again, the copied key's code is not a second factor.
        attacker.post("/accounts/logout/")
        sign_in(attacker, "manager")
        asked = attacker.post(VERIFY, {"code": copied.code(), "next": "/issues/"})
        assert asked.status_code == 400
        assert attacker.get("/issues/").url.startswith(VERIFY)
        assert two_factor.verify(user=manager, code=copied.code()) is None
    assert TOTPDevice.objects.filter(user=manager).count() == 1
    assert AuditEntry.objects.filter(action="account.two_factor_on", actor=manager).count() == 1


def test_each_setup_page_shows_a_new_key(client, db):
    manager = persona("manager")
    sign_in(client, "manager")
    pages = [open_setup(client) for _ in range(3)]
    assert len({p.secret for p in pages}) == 3
    assert len({p.attempt for p in pages}) == 3
    # Nothing is saved while setting up: the keys live in the session only.
    assert not TOTPDevice.objects.filter(user=manager).exists()
    # Each page's form takes its own key's code, not another page's.
    mixed = turn_on(client, pages[2], pages[1].code())
    assert mixed.status_code == 400 and not two_factor.is_set_up(manager)
    assert read_setup(mixed) == pages[2]
    # Pages fetched meanwhile without anyone looking (the service worker warms its cache after
    # each page, and is sent here) do not outdate the one being read.
    open_setup(client, next="/visits/record/")
    open_setup(client, next="/outbox/")
    assert turn_on(client, pages[1]).status_code == 200
    assert TOTPDevice.objects.get(user=manager).bin_key == pages[1].key
    # Once it is on, the session's other pages are refused (it says it is on).
    other = turn_on(client, pages[2])
    assert other.status_code == 302 and other.url == "/account/tokens/"
    assert TOTPDevice.objects.filter(user=manager).count() == 1


def test_a_page_left_behind_by_many_newer_ones_has_expired(client, db):
    manager = persona("manager")
    sign_in(client, "manager")
    first = open_setup(client)
    for _ in range(two_factor.ATTEMPTS_KEPT):
        open_setup(client)
    stale = turn_on(client, first)
    assert stale.status_code == 400
    assert "That key has expired" in stale.content.decode()
    shown = read_setup(stale)
    assert shown.secret != first.secret
    assert not two_factor.is_set_up(manager)
    assert turn_on(client, shown).status_code == 200


def test_signing_in_again_makes_a_new_key(client, db):
    manager = persona("manager")
    sign_in(client, "manager")
    before = open_setup(client)
    client.post("/accounts/logout/")
    sign_in(client, "manager")  # the same browser, signing in again
    assert turn_on(client, before).status_code == 400
    after = open_setup(client)
    assert after.secret != before.secret
    # Each session has its own, and one session's attempt is unknown to another.
    from django.test import Client

    other = Client()
    sign_in(other, "manager")
    assert open_setup(other).secret not in (before.secret, after.secret)
    assert turn_on(other, after).status_code == 400
    assert not two_factor.is_set_up(manager)


def test_a_key_left_unconfirmed_by_earlier_versions_never_works(client, db):
    """Earlier versions saved one unconfirmed device per person and showed its key to every
    session: such a key is never confirmed, never accepted, and goes when two-factor is on."""
    manager = persona("manager")
    leftover = TOTPDevice.objects.create(user=manager, name="Authenticator app", confirmed=False)
    sign_in(client, "manager")
    page = open_setup(client)
    assert page.key != leftover.bin_key
    assert turn_on(client, page, f"{totp(leftover.bin_key):06d}").status_code == 400
    assert not two_factor.is_set_up(manager)
    assert turn_on(client, page).status_code == 200
    assert not TOTPDevice.objects.filter(pk=leftover.pk).exists()
    with time_machine.travel(timezone.now() + datetime.timedelta(minutes=2)):
        assert two_factor.verify(user=manager, code=f"{totp(leftover.bin_key):06d}") is None
