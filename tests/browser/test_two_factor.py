"""A scheme manager sets up two-factor on a phone, keeps the recovery codes, and next time
signs in with one of them. Every page is checked with axe."""

import base64
import re

import pytest
from django_otp.oath import totp
from playwright.sync_api import expect

from tests.browser.conftest import check_accessibility, open_menu

pytestmark = pytest.mark.two_factor


def test_a_manager_sets_up_two_factor_and_signs_in_with_a_recovery_code(
    page, demo, sign_in, settings
):
    sign_in("manager")
    expect(page).to_have_url(re.compile(r"/accounts/two-factor/setup/"))
    expect(page.get_by_role("heading", name="Set up two-factor authentication")).to_be_visible()
    expect(page.get_by_alt_text("QR code for setting up your authenticator app")).to_be_visible()
    secret = page.locator("code.secret").inner_text().replace(" ", "")
    code = f"{totp(base64.b32decode(secret)):06d}"  # what the phone's app would show
    page.get_by_label("Code").fill(code)
    page.get_by_role("button", name="Turn on two-factor").click()
    expect(page.get_by_role("heading", name="Two-factor authentication is on")).to_be_visible()
    check_accessibility(page)
    codes = page.locator(".recovery-codes code").all_inner_texts()
    assert len(codes) == 10
    page.get_by_role("link", name="Continue").click()
    expect(page.get_by_role("heading", name="Work queue")).to_be_visible()

    open_menu(page)
    page.get_by_role("button", name="Sign out").first.click()
    page.get_by_label("Username").fill("manager")
    page.get_by_label("Password").fill(settings.DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Your two-factor code")).to_be_visible()
    check_accessibility(page)
    page.get_by_label("Code").fill(codes[0])
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", name="Work queue")).to_be_visible()
