"""Each demo account signs in on a phone and lands on a home page that makes sense for them."""

import pytest

from tests.conftest import PERSONAS

# A heading each role's home page must show, and one it must never show.
HOME = {
    "visitor": ("Your next visit", "Work queue"),
    "partner": ("Reports in progress", "Issues referred to you"),
    "coordinator": ("Your panel", "Work queue"),
    "manager": ("Work queue", "Your next visit"),
    "pcc": ("This quarter so far", "Your next visit"),
    "force": ("Issues referred to you", "Your next visit"),
    "outsider": ("Your next visit", "Norfolk"),
}


@pytest.mark.parametrize("username", PERSONAS)
def test_demo_account_signs_in_on_a_phone(page, demo, sign_in, username):
    sign_in(username)
    assert page.url.endswith("/")
    shown, hidden = HOME[username]
    assert page.get_by_role("heading", name=shown).is_visible()
    assert hidden not in page.inner_text("main")
    # Nothing runs off the side of a phone's screen.
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_wrong_password_shows_an_error_summary(page, demo, open_page):
    open_page("/accounts/login/")
    page.get_by_label("Username").fill("visitor")
    page.get_by_label("Password").fill("not-the-password")
    page.get_by_role("button", name="Sign in").click()
    assert page.get_by_role("heading", name="There is a problem").is_visible()
    from tests.browser.conftest import check_accessibility

    check_accessibility(page)


def test_keyboard_only_sign_in_and_out(page, demo, open_page, settings):
    open_page("/accounts/login/")
    page.keyboard.press("Tab")  # the skip link comes first
    assert page.evaluate("document.activeElement.textContent") == "Skip to main content"
    page.get_by_label("Username").focus()
    page.keyboard.type("manager")
    page.keyboard.press("Tab")
    page.keyboard.type(settings.DEMO_PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url("**/")
    page.locator("details.header__menu summary").focus()  # on a phone the links are behind it
    page.keyboard.press("Enter")
    page.get_by_role("button", name="Sign out").focus()
    page.keyboard.press("Enter")
    page.wait_for_url("**/accounts/login/")


def test_narrow_screen_and_zoom(page, demo, sign_in, open_page):
    page.set_viewport_size({"width": 320, "height": 640})
    sign_in("manager")
    open_page("/suites/")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    # 200% zoom at a 640 px desktop window is the same layout width as 320 px.
    page.evaluate("document.body.style.zoom = '2'")
    assert page.get_by_role("link", name="Aylsham").is_visible()


def test_a_csp_violation_would_fail_a_test(page, demo, open_page, console_errors):
    """The listener every browser test carries: inline script is blocked and reported."""
    open_page("/accounts/login/")
    page.evaluate(
        """() => {
            const script = document.createElement("script");
            script.textContent = "window.injected = true";
            document.body.append(script);
        }"""
    )
    page.wait_for_timeout(200)
    assert page.evaluate("window.injected === undefined")
    reported = [e for e in console_errors if e.startswith("CSP violation: script-src")]
    assert reported, console_errors
    console_errors.clear()  # seen; the test itself must not fail on it
