"""The manager publishes the rota on a phone (issue 19): the quality panel shows a rule a
hand change broke; Publish opens a confirmation that lists who is told what and warns
(availability still open, slots without a pair); Cancel leaves the draft alone; confirming,
from the keyboard, publishes. Every page is checked with axe, and at 320 px for sideways
scrolling."""

import re

from playwright.sync_api import expect

from tests.browser.conftest import check_accessibility
from tests.conftest import persona
from tests.factories import make_draft_rota
from visits.models import Email, RotaPeriod
from visits.services import rota


def fits_320(page) -> None:
    """At 320 px the page's content reflows: nothing in <main> sticks out sideways (a wide
    table scrolls inside its own region, as WCAG 1.4.10 allows for tables)."""
    page.set_viewport_size({"width": 320, "height": 740})
    sticking_out = page.evaluate(
        """[...document.querySelectorAll('main *')]
        .filter(e => !e.closest('.table-wrap') && e.getBoundingClientRect().right > 321)
        .map(e => e.tagName + ' ' + (e.textContent || '').trim().slice(0, 40))"""
    )
    assert sticking_out == [], f"wider than 320 px: {sticking_out[:5]}"
    page.set_viewport_size({"width": 412, "height": 915})


def test_the_manager_sees_a_broken_rule_and_publishes_only_on_confirming(
    page, demo, sign_in, open_page
):
    manager = persona("manager")
    period = make_draft_rota(actor=manager, closes_in_days=5)
    name = period.name
    # A hand change that breaks a hard rule (Vera has a conflict with King's Lynn), and a slot
    # left without a pair.
    lynn = period.slots.filter(suite__name="King's Lynn").first()
    other = next(u for u in lynn.visitors.all() if u.username != "visitor")
    rota.assign(
        actor=manager,
        slot=lynn,
        visitor_ids=[persona("visitor").pk, other.pk],
        accept_warnings=True,
    )
    emptied = period.slots.exclude(pk=lynn.pk).first()
    rota.assign(actor=manager, slot=emptied, visitor_ids=[], accept_warnings=True)

    sign_in("manager")
    open_page(f"/rota/manage/{period.pk}/")
    quality = page.get_by_role("region", name="Hard rules, table")
    expect(
        quality.get_by_role("row", name="Nobody at a suite they have a conflict with Broken once")
    ).to_be_visible()
    # Vera's other slots differ with the period's seed: this may also be her second visit
    # that week or month, so the count above the table may be more than one.
    expect(page.get_by_text(re.compile(r"^\d+ hard rules? (is|are) broken"))).to_be_visible()
    fits_320(page)

    page.get_by_role("link", name="Publish…").click()
    expect(page.get_by_role("heading", name=f"Publish the rota: {name}")).to_be_visible()
    check_accessibility(page)
    fits_320(page)
    expect(page.get_by_text("Availability is open until")).to_be_visible()
    warning = page.get_by_role("region", name="Before you publish")
    expect(
        warning.get_by_role(
            "link", name=f"{emptied.suite.name}, week of {emptied.week_starts_on:%-d %b %Y}"
        )
    ).to_be_visible()
    expect(page.get_by_role("heading", name="Vera Holt", exact=True)).to_be_visible()
    expect(page.get_by_text("The force is never told the rota.")).to_be_visible()

    page.get_by_role("link", name="Cancel").click()
    expect(page.get_by_role("heading", name=f"Rota: {name}")).to_be_visible()
    period.refresh_from_db()
    assert period.status == RotaPeriod.Status.DRAFT
    assert not Email.objects.filter(kind=Email.Kind.ROTA_PUBLISHED).exists()

    page.get_by_role("link", name="Publish…").click()
    button = page.get_by_role("button", name="Publish anyway and send")
    button.focus()
    page.keyboard.press("Enter")
    expect(page.get_by_text("Published. The people listed are being e-mailed.")).to_be_visible()
    check_accessibility(page)
    period.refresh_from_db()
    assert period.status == RotaPeriod.Status.PUBLISHED
    told = set(
        Email.objects.filter(kind=Email.Kind.ROTA_PUBLISHED).values_list("to_address", flat=True)
    )
    assert persona("visitor").email in told and manager.email in told
    assert persona("force").email not in told
