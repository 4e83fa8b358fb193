"""Two-factor authentication: required for managers, PCC readers and force leads, offered to
visitors; setup with an authenticator app, the code after the password, recovery codes."""

import datetime

import pytest
import time_machine
from django.conf import settings
from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.conftest import persona
from visits.models import AuditEntry

pytestmark = pytest.mark.two_factor


def sign_in(client, username):
    response = client.post(
        "/accounts/login/", {"username": username, "password": settings.DEMO_PASSWORD}
    )
    assert response.status_code == 302
    return response


def code_for(user) -> str:
    device = TOTPDevice.objects.filter(user=user).latest("pk")
    return f"{totp(device.bin_key):06d}"


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
    client.get("/accounts/two-factor/setup/")
    wrong = client.post("/accounts/two-factor/setup/", {"code": "000000", "next": "/issues/"})
    assert wrong.status_code == 400 and "That code is not right" in wrong.content.decode()
    # After a wrong code django-otp makes the next try wait (1 s, then 2, 4...).
    with time_machine.travel(timezone.now() + datetime.timedelta(seconds=3)):
        done = client.post(
            "/accounts/two-factor/setup/", {"code": code_for(manager), "next": "/issues/"}
        )
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
    client.get("/accounts/two-factor/setup/")
    client.post("/accounts/two-factor/setup/", {"code": code_for(visitor)})
    client.post("/accounts/logout/")
    sign_in(client, "visitor")
    assert client.get("/").url.startswith("/accounts/two-factor/verify/")


def test_api_tokens_are_not_sessions_and_pass(client, db):
    from visits.services import tokens

    _row, secret = tokens.create_token(actor=persona("force"), name="tracker")
    response = client.get("/api/issues/", HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert response.status_code == 200


def test_next_cannot_send_you_elsewhere(client, db):
    manager = persona("manager")
    sign_in(client, "manager")
    client.get("/accounts/two-factor/setup/")
    done = client.post(
        "/accounts/two-factor/setup/",
        {"code": code_for(manager), "next": "https://evil.example.org/"},
    )
    assert done.context["next"] == "/"
