"""The rota on a phone: a visitor offers a slot and another takes it; the manager reviews the
grid and sees a rule broken as soon as they pick someone (htmx)."""

import datetime

from django.utils import timezone
from playwright.sync_api import expect

from tests.browser.conftest import check_accessibility, open_menu
from tests.conftest import persona
from tests.factories import make_draft_rota, make_period, make_slot
from visits.models import RotaSlot, Scheme
from visits.services import rota


def test_a_visitor_offers_a_slot_and_another_takes_it(page, demo, sign_in, open_page, sign_out):
    slot = make_slot(
        period=make_period(),
        suite_name="Wymondham",
        visitors=[persona("visitor"), persona("partner")],
    )
    sign_in("visitor")
    open_menu(page)
    page.get_by_role("link", name="Rota", exact=True).click()
    expect(page.get_by_role("heading", name="Your rota")).to_be_visible()
    check_accessibility(page)
    card = page.get_by_role("article", name=f"Wymondham, week of {slot.week_starts_on:%-d %B}")
    expect(card.get_by_text("Peter Shaw")).to_be_visible()
    card.locator("summary", has_text="I cannot do this visit").click()
    card.get_by_label("A note for whoever takes it (optional)").fill("Away on holiday")
    card.get_by_role("button", name="Offer my place").click()
    expect(page.get_by_text("Your place is offered.")).to_be_visible()
    check_accessibility(page)

    sign_out()
    sign_in("coordinator")
    open_page("/rota/")
    offer = page.get_by_role("article", name=f"Wymondham, week of {slot.week_starts_on:%-d %B}")
    expect(offer.get_by_text("Offered by Vera Holt: “Away on holiday”")).to_be_visible()
    offer.get_by_role("button", name="Take this slot").click()
    expect(page.get_by_text("You have taken the slot at Wymondham")).to_be_visible()
    check_accessibility(page)
    assert set(RotaSlot.objects.get(pk=slot.pk).visitors.values_list("username", flat=True)) == {
        "partner",
        "coordinator",
    }


def test_the_manager_sees_a_broken_rule_as_they_choose(page, demo, sign_in, open_page):
    manager = persona("manager")
    period = make_draft_rota(actor=manager, closes_in_days=5)
    slot = period.slots.filter(suite__name="King's Lynn").first()

    sign_in("manager")
    open_page(f"/rota/manage/{period.pk}/")
    expect(page.get_by_role("heading", name="How good is this rota?")).to_be_visible()
    open_page(f"/rota/manage/slots/{slot.pk}/")
    page.get_by_label("First visitor").select_option(label="Vera Holt")
    expect(
        page.get_by_text("Vera Holt has a conflict of interest with this suite.")
    ).to_be_visible()
    check_accessibility(page)
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("This change breaks rota rules.")).to_be_visible()
    check_accessibility(page)
    page.get_by_label("I know this breaks the rules above; keep it anyway").check()
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Slot saved.")).to_be_visible()
    assert slot.visitors.filter(username="visitor").exists()


def test_a_visitor_gives_availability_and_records_the_agreed_time(page, demo, sign_in):
    manager = persona("manager")
    today = timezone.localdate()
    first, _last, name = rota.quarter_of(today + datetime.timedelta(days=92))
    rota.open_period(
        actor=manager,
        scheme=Scheme.objects.get(slug="norfolk"),
        starts_on=first,
        availability_closes_on=today + datetime.timedelta(days=5),
    )
    slot = make_slot(
        period=make_period(),
        suite_name="Wymondham",
        visitors=[persona("visitor"), persona("partner")],
    )

    sign_in("visitor")
    open_menu(page)
    page.get_by_role("link", name="Rota", exact=True).click()
    page.get_by_role("link", name="Give your availability").click()
    expect(page.get_by_role("heading", name=f"Your availability for {name}")).to_be_visible()
    check_accessibility(page)
    page.get_by_label(f"Week of {first.day} {first:%B}").check()
    page.get_by_label("Saturday").check()
    page.get_by_label("I can do a night visit (22:00 to 06:00)").check()
    page.get_by_label("Most visits a month").fill("1")
    page.get_by_role("button", name="Save availability").click()
    expect(page.get_by_text(f"Availability for {name} saved.")).to_be_visible()
    check_accessibility(page)

    card = page.get_by_role("article", name=f"Wymondham, week of {slot.week_starts_on:%-d %B}")
    card.get_by_label("Day and time you have agreed").fill(f"{slot.week_starts_on}T19:30")
    card.get_by_role("button", name="Save the day and time").click()
    expect(
        page.get_by_text("Saved. Only you, your partner and the scheme manager see it.")
    ).to_be_visible()
    check_accessibility(page)
    slot.refresh_from_db()
    assert timezone.localtime(slot.planned_for).strftime("%H:%M") == "19:30"
    given = persona("visitor").availability.get()
    assert given.unavailable_weeks == [first.isoformat()] and given.nights_ok
