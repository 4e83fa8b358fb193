"""The PCC reader reads a quarter's summary on a phone and picks another period in place."""

from django.utils import timezone
from playwright.sync_api import expect

from tests.browser.conftest import check_accessibility, open_menu
from tests.conftest import persona
from tests.factories import make_visit
from visits.summaries import Period


def test_pcc_reads_the_summary_and_changes_period(page, demo, sign_in):
    make_visit(visitors=[persona("visitor"), persona("partner")], detainees=2)
    this_quarter = Period.containing(timezone.localdate())
    sign_in("pcc")
    open_menu(page)
    page.get_by_role("link", name="Summaries").click()
    expect(page.get_by_role("heading", name="Summary for the PCC")).to_be_visible()
    check_accessibility(page)
    assert "1 of" in page.get_by_role("region", name="In brief").inner_text()
    page.get_by_label("Period").select_option(this_quarter.previous().key)
    expect(
        page.get_by_role(
            "heading",
            name=f"Norfolk Independent Custody Visiting Scheme: {this_quarter.previous().label}",
        )
    ).to_be_visible()
    assert f"period={this_quarter.previous().key}" in page.url  # the address follows
    check_accessibility(page)
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
