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


TEXTS = "elements => elements.map(e => e.textContent)"


def test_the_year_reads_on_a_320_px_phone(page, demo, sign_in, live_server):
    """Half a year of the demo's visits and issues in every state: at 320 px nothing is cut
    off or pushes the page sideways, each chart's figures are behind its own disclosure, the
    "no" rates have their eight-quarter sparklines, and the page is far from 10,000 px."""
    from django.contrib.auth import get_user_model

    from visits.demo import visits as demo_visits
    from visits.models import Scheme

    User = get_user_model()
    norfolk = Scheme.objects.get(slug="norfolk")
    assert demo_visits.make_year(norfolk, weeks=26) > 50
    demo_visits.progress_issues(
        norfolk, User.objects.get(username="manager"), User.objects.get(username="force")
    )
    page.set_viewport_size({"width": 320, "height": 720})
    sign_in("pcc")
    year = timezone.localdate().year
    page.goto(f"{live_server.url}/summaries/?period={year}")
    page.wait_for_load_state("networkidle")
    check_accessibility(page)
    assert page.evaluate(
        "document.documentElement.scrollWidth <= document.documentElement.clientWidth"
    )
    height = page.evaluate("document.documentElement.scrollHeight")
    print(f"summary page height at 320 px: {height}")
    assert height < 8000, f"the summary is {height} px tall at 320 px"

    charts = page.locator("figure.chart")
    assert charts.count() >= 4
    for index in range(charts.count()):
        chart = charts.nth(index)
        # The chart's figures are in a table inside a closed disclosure, and nowhere beside it.
        assert chart.locator("details > table").count() == 1
        assert chart.locator(":scope > table").count() == 0
        expect(chart.locator("details table")).to_be_hidden()
        # No label is shortened: every word of each bar's label is drawn in the SVG.
        drawn = " ".join(chart.locator("svg text.chart__label").evaluate_all(TEXTS))
        labels = chart.locator("details tbody th").evaluate_all(TEXTS)
        assert labels and "…" not in drawn
        for label in labels:
            assert all(word in drawn for word in label.split()), (label, drawn)
    first = charts.first
    first.locator("summary").click()
    expect(first.locator("details table")).to_be_visible()
    assert page.evaluate(
        "document.documentElement.scrollWidth <= document.documentElement.clientWidth"
    )

    # Each "no" rate has its sparkline, whose text alternative names its eight quarters.
    sparklines = page.locator("#no-rates svg.sparkline")
    assert sparklines.count() == page.locator("#no-rates tbody tr").count() > 0
    assert "oldest quarter first" in sparklines.first.get_attribute("aria-label")

    # The by-suite table scrolls inside its own labelled region, reached by the keyboard.
    region = page.get_by_role("region", name="Figures for each suite (scrolls sideways)")
    assert region.get_attribute("tabindex") == "0"
    assert region.evaluate("el => el.clientWidth") <= 320
    check_accessibility(page)
