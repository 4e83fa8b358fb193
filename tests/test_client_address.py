"""The client's address, as our own proxies saw it (icv.middleware.client_address): one function
for the sign-in lockout (django-axes), the audit trail and, through the same count, the API's
throttling. The lockout and the audit entry end to end are in tests/test_login.py."""

import os
import subprocess
import sys

import pytest
from django.test import RequestFactory

from icv.middleware import client_address

PROXY = "10.0.0.2"


def address(trusted, forwarded=None, remote=PROXY, settings=None):
    settings.TRUSTED_PROXIES = trusted
    meta = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        meta["HTTP_X_FORWARDED_FOR"] = forwarded
    return client_address(RequestFactory().get("/", **meta))


@pytest.mark.parametrize(
    ("trusted", "forwarded", "expected"),
    [
        # 0, the default: the header is ignored whatever it says.
        (0, None, PROXY),
        (0, "203.0.113.5", PROXY),
        (0, "198.51.100.1, 203.0.113.5", PROXY),
        # One proxy: the right-most address, the one it added. The client's own are to its left.
        (1, "203.0.113.5", "203.0.113.5"),
        (1, "198.51.100.1, 203.0.113.5", "203.0.113.5"),
        (1, "198.51.100.1,203.0.113.5", "203.0.113.5"),
        (1, "not an address, <script>, 203.0.113.5", "203.0.113.5"),
        # Two proxies: the second from the right (the outer proxy's view of the client).
        (2, "198.51.100.1, 203.0.113.5, 10.0.0.9", "203.0.113.5"),
        # Fewer addresses than proxies: it did not come through them; the socket's address.
        (1, None, PROXY),
        (1, "", PROXY),
        (2, "203.0.113.5", PROXY),
        (3, "198.51.100.1, 203.0.113.5", PROXY),
        # The one picked is not an IP address: the socket's, never the garbage (nor a neighbour).
        (1, "198.51.100.1, unknown", PROXY),
        (1, "198.51.100.1, ", PROXY),
        (1, "198.51.100.1, 203.0.113.5; DROP TABLE", PROXY),
        (1, "198.51.100.1, 999.1.1.1", PROXY),
        (1, "198.51.100.1, fe80::1%eth0", PROXY),
        (2, "198.51.100.1, garbage, 10.0.0.9", PROXY),
        # Addresses in the forms proxies write them: IPv6, with a port, IPv4 as IPv6.
        (1, "2001:DB8::1", "2001:db8::1"),
        (1, "[2001:db8::1]:443", "2001:db8::1"),
        (1, "[2001:db8::1]", "2001:db8::1"),
        (1, "203.0.113.5:51234", "203.0.113.5"),
        (1, "::ffff:203.0.113.5", "203.0.113.5"),
        (1, "203.0.113.5:port", PROXY),
        (1, "[2001:db8::1]x", PROXY),
    ],
)
def test_the_address_our_proxies_saw(settings, trusted, forwarded, expected):
    assert address(trusted, forwarded, settings=settings) == expected


def test_a_socket_address_that_is_not_one_is_none(settings):
    assert address(0, remote="", settings=settings) is None
    assert address(0, remote="unix:/run/gunicorn.sock", settings=settings) is None
    assert address(1, "garbage", remote="", settings=settings) is None


def test_django_axes_asks_the_same_function(settings):
    from axes.helpers import get_client_ip_address

    settings.TRUSTED_PROXIES = 1
    request = RequestFactory().get(
        "/", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="198.51.100.1, 203.0.113.5"
    )
    assert get_client_ip_address(request) == "203.0.113.5"


def test_the_api_throttle_counts_by_the_same_address(client, db, settings):
    """DRF counts anonymous requests and failed tokens by address (NUM_PROXIES, set from
    ICV_TRUSTED_PROXIES): a new made-up X-Forwarded-For per request is still counted."""
    from django.core.cache import cache

    assert settings.REST_FRAMEWORK["NUM_PROXIES"] == settings.TRUSTED_PROXIES == 0
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"anon": "2/minute", "user": "3/minute"},
    }
    cache.clear()
    guesses = [
        client.get(
            "/api/me/",
            HTTP_AUTHORIZATION="Bearer icv_guess",
            HTTP_X_FORWARDED_FOR=f"198.51.100.{n}",
        ).status_code
        for n in range(3)
    ]
    assert guesses == [401, 401, 429]
    cache.clear()


def run_settings(env: dict, data_dir) -> subprocess.CompletedProcess:
    code = (
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.TRUSTED_PROXIES, s.REST_FRAMEWORK['NUM_PROXIES'], "
        "getattr(s, 'SECURE_PROXY_SSL_HEADER', None))"
    )
    base = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "DJANGO_SETTINGS_MODULE": "icv.settings",
        "ICV_SECRET_KEY": "x" * 60,
        "ICV_DEBUG": "true",
        "ICV_DATA_DIR": str(data_dir),
    }
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=base | env
    )


def test_the_settings_read_from_the_environment(tmp_path):
    assert run_settings({}, tmp_path).stdout.split() == ["0", "0", "None"]
    both = run_settings({"ICV_TRUSTED_PROXIES": "1", "ICV_BEHIND_PROXY": "true"}, tmp_path).stdout
    assert both.split() == ["1", "1", "('HTTP_X_FORWARDED_PROTO',", "'https')"]
    # The two are separate: trusting X-Forwarded-Proto trusts no address, and the other way.
    assert run_settings({"ICV_BEHIND_PROXY": "true"}, tmp_path).stdout.split()[:2] == ["0", "0"]
    assert run_settings({"ICV_TRUSTED_PROXIES": "2"}, tmp_path).stdout.split() == ["2", "2", "None"]
    for wrong in ("-1", "one", "1.5"):
        refused = run_settings({"ICV_TRUSTED_PROXIES": wrong}, tmp_path)
        assert refused.returncode != 0 and "ICV_TRUSTED_PROXIES" in refused.stderr
