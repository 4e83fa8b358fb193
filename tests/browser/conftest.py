"""Browser tests: Playwright driving Debian's Chromium at a phone's size.

Every page a test visits goes through `open_page`, which runs axe-core on it. Any
console error (a Content Security Policy violation included) fails the test.
"""

import os
import re

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.core.servers.basehttp import WSGIServer
from django.test.testcases import LiveServerThread
from playwright.sync_api import expect

from tests.browser.device import CHROMIUM, CHROMIUM_ARGS, PHONE
from tests.conftest import seed_demo

# Django's live server and Playwright's sync API share a thread; this is safe in tests only.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

AXE = Axe()


class OneRequestAtATimeServer(WSGIServer):
    """The live server answers one request at a time. Its request threads would share the
    test's one in-memory SQLite connection, and two requests at once on it (a page and the
    service worker's fetch) can deadlock inside SQLite: one holds the connection's mutex and
    waits for the GIL in a Django SQL function, the other holds the GIL and waits for the
    mutex. Django sends `Connection: close` from a server without threads, so the browser's
    other connections are served in turn."""

    def __init__(self, *args, connections_override=None, **kwargs):
        super().__init__(*args, **kwargs)  # LiveServerThread.run applies the override itself


LiveServerThread.server_class = OneRequestAtATimeServer

pytestmark = pytest.mark.browser


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/browser/" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    if not os.path.exists(CHROMIUM):
        pytest.fail("Chromium is missing: `apt-get install chromium` (bin/test does it as root).")
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": CHROMIUM_ARGS,
    }


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {**browser_context_args, **PHONE, "locale": "en-GB", "timezone_id": "Europe/London"}


@pytest.fixture
def demo(transactional_db):
    """Browser tests run against a live server, outside a rolled-back transaction:
    the database is emptied after each, so each loads the demo data afresh."""
    seed_demo()


# Every Content Security Policy violation is reported as a console error, which fails the test.
REPORT_CSP_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (event) => {
  console.error(`CSP violation: ${event.violatedDirective} blocked ${event.blockedURI}`);
});
"""


class ConsoleErrors(list):
    """The page's console errors. A test that makes a request fail on purpose (a lost answer,
    an expired session) allows that one failure by a piece of its message."""

    def __init__(self):
        super().__init__()
        self.allowed: list[str] = []

    def allow(self, fragment: str) -> None:
        self.allowed.append(fragment)

    def unexpected(self) -> list[str]:
        return [e for e in self if not any(fragment in e for fragment in self.allowed)]


@pytest.fixture
def console_errors(page):
    errors = ConsoleErrors()
    page.add_init_script(REPORT_CSP_VIOLATIONS)
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    yield errors
    assert errors.unexpected() == [], f"Console errors: {errors.unexpected()}"


def check_accessibility(page) -> None:
    results = AXE.run(page)
    assert results.violations_count == 0, results.generate_report()


@pytest.fixture
def open_page(page, live_server, console_errors):
    """Go to a path on the live server, wait for it, check it with axe; return the response."""

    def go(path: str):
        response = page.goto(live_server.url + path)
        page.wait_for_load_state("networkidle")
        check_accessibility(page)
        return response

    return go


@pytest.fixture
def sign_in(page, open_page, settings):
    def as_user(username: str) -> None:
        open_page("/accounts/login/")
        page.get_by_label("Username").fill(username)
        page.get_by_label("Password").fill(settings.DEMO_PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        expect(page).not_to_have_url(re.compile(r"/accounts/login/"))
        page.wait_for_load_state("networkidle")
        check_accessibility(page)

    return as_user


def open_menu(page) -> None:
    """On a phone the header's links are behind "Menu" (base.html): open it if it is shut."""
    menu = page.locator("details.header__menu")
    if menu.is_visible() and menu.get_attribute("open") is None:
        menu.locator("summary").click()


@pytest.fixture
def sign_out(page):
    """Sign out and wait for the sign-in page: the phone's copy is cleared first (offline.js),
    so the navigation starts a moment after the click."""

    def out() -> None:
        open_menu(page)
        page.get_by_role("button", name="Sign out").first.click()
        page.wait_for_url("**/accounts/login/")

    return out
