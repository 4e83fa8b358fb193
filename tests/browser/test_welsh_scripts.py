"""The scripts speak the page's language (issue 21): with a Welsh catalogue, the outbox and the
connection bar count in Welsh, with Welsh plural forms (two is not three), and keep doing so
with no signal, from the service worker's copy of the catalogue."""

from playwright.sync_api import expect

from tests.browser.test_offline import app_installed
from tests.test_js_catalogue import welsh_catalogue


def drafts(page, count: int, owner: int) -> None:
    page.evaluate(
        """([count, owner]) => Promise.all(Array.from({length: count}, (_, n) =>
             Outbox.put({uuid: "draft-" + n, owner, state: "draft", title: "Ymweliad " + n,
                         fields: {}, items: {detainees: [], issues: []}})))""",
        [count, owner],
    )


def test_the_outbox_counts_in_welsh_with_and_without_signal(
    page, demo, sign_in, open_page, settings, tmp_path
):
    settings.LOCALE_PATHS = [welsh_catalogue(tmp_path)]
    sign_in("visitor")
    app_installed(page)
    # From here the pages are in Welsh: chosen with the language switch's cookie, which the
    # service worker's own requests carry too (a page's extra headers would not reach them).
    page.context.add_cookies(
        [{"name": settings.LANGUAGE_COOKIE_NAME, "value": "cy", "url": page.url}]
    )
    owner = int(page.locator("body").get_attribute("data-user"))

    open_page("/outbox/")
    drafts(page, 2, owner)
    bar = page.locator("[data-connection]")
    expect(bar).to_contain_text("2 ddrafft ar y ffôn hwn.")  # the dual: "dau ddrafft"
    expect(page.locator("[data-outbox-list] .tag").first).to_have_text("Drafft ar y ffôn hwn")

    page.context.set_offline(True)
    try:
        page.reload()
        drafts(page, 3, owner)
        expect(bar).to_contain_text("Rydych chi all-lein.")
        expect(bar).to_contain_text("3 drafft ar y ffôn hwn.")
        assert "drafts" not in bar.inner_text()
    finally:
        page.context.set_offline(False)
