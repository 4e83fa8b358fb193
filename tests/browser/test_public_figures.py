"""The manager publishes last quarter (from the summary page, through its link); anyone then
reads it on a 320 px phone without signing in (axe-checked, nothing wider than the screen)."""

import datetime

from django.utils import timezone
from playwright.sync_api import expect

from tests.browser.conftest import check_accessibility
from tests.conftest import persona
from tests.factories import make_visit
from visits.summaries import Period


def test_manager_publishes_and_anyone_reads_it_on_a_small_phone(
    page, browser, demo, sign_in, live_server
):
    last = Period.containing(timezone.localdate()).previous()
    pair = [persona("visitor"), persona("partner")]
    for week in range(6):
        arrived = timezone.make_aware(
            datetime.datetime.combine(
                last.start + datetime.timedelta(weeks=week, days=2), datetime.time(11)
            )
        )
        make_visit(visitors=pair, detainees=1, arrived_at=arrived)
    sign_in("manager")
    page.goto(f"{live_server.url}/summaries/?period={last.key}")
    page.locator("#publication").get_by_role("link").click()
    expect(page.get_by_role("heading", name="Published figures", level=1)).to_be_visible()
    check_accessibility(page)
    page.get_by_role("button", name=f"Publish {last.label}").click()
    expect(page.get_by_role("status").filter(has_text="Published.")).to_be_visible()
    expect(page.get_by_role("button", name=f"Withdraw {last.label}")).to_be_visible()
    check_accessibility(page)

    anyone = browser.new_context(viewport={"width": 320, "height": 640}, locale="en-GB")
    public = anyone.new_page()
    public.goto(f"{live_server.url}/public/norfolk/")
    expect(public.get_by_role("heading", level=1)).to_contain_text("published figures")
    expect(public.get_by_text("How small counts are handled")).to_be_visible()
    check_accessibility(public)
    assert public.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    expect(public.get_by_role("link", name=f"{last.label} as CSV")).to_be_visible()
    anyone.close()
