"""Shared test data: the demo accounts, loaded once per session by the real seed_demo command.

The personas, and what each may see (ARCHITECTURE.md, "Roles and what they may see"):
- visitor:     Vera Holt, Norfolk visitor (Wymondham panel): her own visits, slots and issues.
- partner:     Peter Shaw, Norfolk visitor and Vera's usual partner: his own, likewise.
- coordinator: Carol Fenn, Norfolk panel coordinator (Aylsham): her own and the Aylsham panel's.
- manager:     Maya Brook, Norfolk scheme manager: everything in Norfolk, nothing in Suffolk.
- pcc:         Paul Carver, Norfolk PCC reader: submitted reports (no custody numbers), issues,
               summaries; never the rota.
- force:       Frances Dale, Norfolk force custody lead: submitted reports and referred issues of
               the four Norfolk suites; never the rota; nothing in Suffolk.
- outsider:    Owen Marsh, Suffolk visitor: nothing at all of Norfolk.
"""

import io

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

# Fixtures for tests that start real processes (the scheduler, two servers sharing a cache).
pytest_plugins = ["tests.processes"]

PERSONAS = ("visitor", "partner", "coordinator", "manager", "pcc", "force", "outsider")


def seed_demo() -> None:
    """The demo's schemes, suites, people and checklists; tests make the visits they need."""
    call_command("seed_demo", force=True, without_history=True, stdout=io.StringIO())


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        seed_demo()


@pytest.fixture(autouse=True)
def two_factor_as_marked(request, settings):
    """Production requires two-factor for managers, PCC readers and force leads; tests that
    sign personas in with force_login run without it, except those marked `two_factor`."""
    settings.ICV_TWO_FACTOR_REQUIRED = request.node.get_closest_marker("two_factor") is not None


@pytest.fixture(autouse=True)
def english_to_begin_with():
    """Every test starts in English: a request in Welsh leaves its language active in the
    thread (LocaleMiddleware activates it and nothing deactivates it), so without this a test
    would read the Welsh of whichever test ran before it."""
    from django.utils import translation

    translation.activate("en-gb")
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def fresh_cache():
    """Throttle counters and lockouts live in the cache: no test inherits another's."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


def persona(username: str):
    return get_user_model().objects.get(username=username)


def _persona_fixture(username: str):
    @pytest.fixture(name=username)
    def fixture(db):
        return persona(username)

    return fixture


# One fixture per persona: `def test_x(visitor, manager): ...`
for _username in PERSONAS:
    globals()[f"{_username}_fixture"] = _persona_fixture(_username)


@pytest.fixture
def one_of_each(db):
    from tests.factories import make_one_of_each

    return make_one_of_each()
