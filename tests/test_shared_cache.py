"""Limits and sign-ins hold across processes: two real gunicorn servers on one database, with the
cache at its production default (the database cache, its table made by `migrate`). Requests
alternate between them, as a load balancer would send them: the API throttle and the
failed-token throttle answer 429 at the shared limit, not twice it; a lockout earned on one
holds on the other; a session signed in on one works on the other. And ICV_CACHE_URL's forms.
"""

import re

import pytest
import requests
from django.core.cache.backends.redis import RedisCache
from django.core.exceptions import ImproperlyConfigured

from icv.settings import cache_from_url
from tests.processes import start_gunicorn, stop, wait_until_serving

API_USER_LIMIT = 6
FAILED_TOKEN_LIMIT = 4
LOGIN_FAILURE_LIMIT = 3


@pytest.fixture
def two_servers(process_env, tmp_path):
    env = process_env | {
        "ICV_API_RATE_USER": f"{API_USER_LIMIT}/minute",
        "ICV_API_RATE_ANON": f"{FAILED_TOKEN_LIMIT}/minute",
        "ICV_LOGIN_FAILURE_LIMIT": str(LOGIN_FAILURE_LIMIT),
    }
    assert "ICV_CACHE_URL" not in env  # the default, as a deployment gets it
    started = []
    try:
        for n in (1, 2):
            log = tmp_path / f"gunicorn-{n}.log"
            started.append((start_gunicorn(env, log), log))
        for server, log in started:
            wait_until_serving(server, log)
        yield [server.url for server, _ in started]
    finally:
        for server, _ in started:
            stop(server.process)


def sign_in(session: requests.Session, base: str, username: str, password: str):
    page = session.get(f"{base}/accounts/login/", timeout=10)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    return session.post(
        f"{base}/accounts/login/",
        data={"username": username, "password": password, "csrfmiddlewaretoken": token},
        allow_redirects=False,
        timeout=10,
    )


def alternate(servers, count):
    """`count` turns, alternating between the two servers: 1, 2, 1, 2, ..."""
    return [servers[n % 2] for n in range(count)]


def test_throttles_lockouts_and_sessions_hold_across_two_server_processes(two_servers):
    one, two = two_servers

    # A session signed in on one server is signed in on the other.
    vera = requests.Session()
    assert sign_in(vera, one, "visitor", "demo").status_code == 302
    elsewhere = requests.Session()
    elsewhere.cookies.set("sessionid", vera.cookies["sessionid"])
    me = elsewhere.get(f"{two}/api/me/", timeout=10)
    assert me.status_code == 200 and me.json()["username"] == "visitor"
    assert requests.get(f"{two}/api/me/", timeout=10).status_code in (401, 403)

    # The API's per-user limit is one limit, whichever server answers.
    peter = requests.Session()
    assert sign_in(peter, two, "partner", "demo").status_code == 302
    answers = [peter.get(f"{base}/api/me/", timeout=10) for base in alternate(two_servers, 7)]
    assert [a.status_code for a in answers] == [200] * API_USER_LIMIT + [429]
    assert answers[-1].json()["code"] == "throttled"

    # Guessing tokens: refused, then throttled at the shared limit for this address.
    guesses = [
        requests.get(
            f"{base}/api/visits/", headers={"Authorization": "Bearer icv_guess"}, timeout=10
        )
        for base in alternate(two_servers, FAILED_TOKEN_LIMIT + 1)
    ]
    assert [g.status_code for g in guesses] == [401] * FAILED_TOKEN_LIMIT + [429]

    # Wrong passwords on both servers add up to one lockout, which the other server keeps.
    tries = [
        sign_in(requests.Session(), base, "coordinator", "wrong")
        for base in alternate(two_servers, LOGIN_FAILURE_LIMIT)
    ]
    assert [t.status_code for t in tries] == [200] * (LOGIN_FAILURE_LIMIT - 1) + [429]
    right = sign_in(requests.Session(), two, "coordinator", "demo")
    assert right.status_code == 429 and "Signing in is paused" in right.text


# --- ICV_CACHE_URL ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "backend", "location"),
    [
        ("db://", "icv.cache.DatabaseCache", "icv_cache"),
        ("db://icv_cache", "icv.cache.DatabaseCache", "icv_cache"),
        ("db://shared_cache", "icv.cache.DatabaseCache", "shared_cache"),
        ("redis://cache.internal:6379/1", "django.core.cache.backends.redis.RedisCache", None),
        (
            "rediss://:secret@cache.internal:6380/0",
            "django.core.cache.backends.redis.RedisCache",
            None,
        ),
        ("locmem://", "django.core.cache.backends.locmem.LocMemCache", None),
    ],
)
def test_the_cache_url_chooses_the_backend(url, backend, location):
    entry = cache_from_url(url)
    assert entry["BACKEND"] == backend
    if backend.endswith("RedisCache"):
        assert entry["LOCATION"] == url  # redis-py reads the host, port, database and password
        # Django can build it (it connects only when first used; no Redis server needed here).
        cache = RedisCache(entry["LOCATION"], {})
        assert cache._servers == [url]
    elif location:
        assert entry["LOCATION"] == location


@pytest.mark.parametrize("url", ["memcached://127.0.0.1:11211", "redis:/nohost", "icv_cache"])
def test_an_unknown_cache_url_is_a_clear_error(url):
    with pytest.raises(ImproperlyConfigured, match="ICV_CACHE_URL must start with db://"):
        cache_from_url(url)


def test_a_mistyped_cache_url_is_refused_without_printing_its_password():
    with pytest.raises(ImproperlyConfigured) as error:
        cache_from_url("memcache://:s3cretpass@cache.internal:11211/0")
    assert "s3cretpass" not in str(error.value) and "cache.internal" not in str(error.value)
    # The scheme is read whatever its case.
    entry = cache_from_url("Redis://:s3cretpass@cache.internal:6379/0")
    assert entry["BACKEND"].endswith("RedisCache")
