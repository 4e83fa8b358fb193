"""The language switch on a phone (issue 21): Cymraeg from the sign-in page's footer, kept
through sign-in, and back to English; the page's lang follows, and axe stays clean."""

import re

from playwright.sync_api import expect

from tests.browser.conftest import check_accessibility


def test_switching_to_welsh_and_back_on_a_phone(page, demo, open_page, settings):
    open_page("/accounts/login/")
    assert page.get_attribute("html", "lang") == "en-GB"
    page.get_by_role("button", name="Cymraeg").click()
    expect(page.locator("html")).to_have_attribute("lang", "cy")
    assert page.url.endswith("/accounts/login/")
    check_accessibility(page)
    # Signing in, by the fields' names: their labels are Welsh now.
    page.locator("#id_username").fill("visitor")
    page.locator("#id_password").fill(settings.DEMO_PASSWORD)
    page.locator("main form button[type=submit]").click()
    expect(page).not_to_have_url(re.compile(r"/accounts/login/"))
    expect(page.locator("html")).to_have_attribute("lang", "cy")
    check_accessibility(page)
    # Signed in, the switch also keeps the choice on the account.
    page.get_by_role("button", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en-GB")
    assert page.get_by_role("button", name="Cymraeg").is_visible()
    from tests.conftest import persona
    from visits.languages import chosen_language

    assert chosen_language(persona("visitor")) == "en-gb"
