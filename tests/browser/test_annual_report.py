"""The scheme manager writes last year's annual report on a phone, publishes it, and anyone reads
it without signing in: every page checked with axe, and nothing wider than a 320 px screen."""

from django.utils import timezone
from playwright.sync_api import expect

from tests.browser.conftest import check_accessibility
from tests.conftest import persona
from tests.factories import make_visit


def fits(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_manager_writes_and_publishes_then_anyone_reads(page, demo, sign_in, open_page):
    year = timezone.localdate().year - 1
    for month in range(3, 8):  # five visits last year: enough to be drawn when published
        arrived = timezone.now().replace(year=year, month=month, day=10, hour=10)
        make_visit(
            visitors=[persona("visitor"), persona("partner")], detainees=2, arrived_at=arrived
        )
    page.set_viewport_size({"width": 320, "height": 800})
    sign_in("manager")
    open_page(f"/summaries/annual/{year}/edit/")
    expect(page.get_by_text("This report will be public.")).to_be_visible()
    page.get_by_label("What visitors found").fill("Cells were clean.\n\nBlankets ran short.")
    page.get_by_label("The force's responses").fill("Every referral was answered in time.")
    page.get_by_label("Examples of change").fill("A second store of blankets: WY-00012-26.")
    page.get_by_label("Thanks to our volunteers").fill("Thank you all.")
    page.get_by_role("button", name="Save").click()
    # A custody number is refused, in the error summary and at the field; the text stays.
    expect(page.get_by_role("alert")).to_contain_text("looks like a custody record number")
    check_accessibility(page)
    assert fits(page)
    page.get_by_label("Examples of change").fill("A second store of blankets.")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("The annual report is saved.")).to_be_visible()
    check_accessibility(page)
    assert fits(page)
    page.get_by_role("button", name="Publish the report").click()
    expect(page.get_by_text("The annual report is published.")).to_be_visible()
    page.context.clear_cookies()
    open_page(f"/public/norfolk/annual/{year}/")
    expect(page.get_by_role("heading", name=f"Annual report {year}")).to_be_visible()
    expect(page.get_by_text("Blankets ran short.")).to_be_visible()
    chart = page.locator("figure", has_text="People in custody at the time of visits")
    expect(chart.locator("svg rect")).to_have_count(2)  # visited 10, not visited (asleep) 5
    chart.get_by_text("The figures as a table").click()
    expect(chart.get_by_role("table")).to_contain_text("Visited")
    assert fits(page)
