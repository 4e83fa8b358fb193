"""The quarter's rota: generation on the demo scheme, hand changes with warnings, publishing,
swaps, secrecy from the force, reminders, calendar feeds and who may open which page."""

import datetime
import io
import re

import pytest
from django.core import mail
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from tests.conftest import persona
from tests.factories import make_period, make_slot, suite
from visits import permissions
from visits.errors import ConflictError, NotPermitted
from visits.models import (
    AuditEntry,
    CalendarFeed,
    RotaPeriod,
    RotaSlot,
    Scheme,
    SwapRequest,
    TimeBand,
)
from visits.services import rota


@pytest.fixture
def norfolk(db):
    return Scheme.objects.get(slug="norfolk")


@pytest.fixture
def next_quarter(norfolk, manager):
    today = timezone.localdate()
    first, _last, _name = rota.quarter_of(today + datetime.timedelta(days=92))
    return rota.open_period(
        actor=manager,
        scheme=norfolk,
        starts_on=first,
        availability_closes_on=today + datetime.timedelta(days=3),
    )


def availability(**overrides):
    data = {
        "unavailable_weeks": [],
        "preferred_days": [5, 6],
        "preferred_bands": ["weekend"],
        "nights_ok": True,
        "max_visits_per_month": 2,
    }
    return rota.AvailabilityInput(**(data | overrides))


def test_a_quarter_is_the_weeks_whose_monday_falls_in_it():
    first, last, name = rota.quarter_of(datetime.date(2026, 11, 22))
    assert (first, last) == (datetime.date(2026, 10, 5), datetime.date(2027, 1, 3))
    assert name == "October to December 2026"
    first, last, _ = rota.quarter_of(datetime.date(2027, 2, 1))
    assert (first, last) == (datetime.date(2027, 1, 4), datetime.date(2027, 4, 4))


def test_generating_fills_every_suite_every_week_within_the_rules(next_quarter, manager):
    figures = rota.generate(actor=manager, period=next_quarter)
    next_quarter.refresh_from_db()
    assert next_quarter.status == RotaPeriod.Status.DRAFT
    weeks = len(rota.weeks_of(next_quarter))
    assert figures.slots == 4 * weeks == next_quarter.slots.count()
    assert figures.filled == figures.fillable == figures.slots
    assert figures.trainees_without_mentor == figures.conflicts == 0
    assert figures.largest_fair_deviation <= 1
    # Nobody in Norfolk's rota is paused, has left, or belongs to another scheme.
    on_rota = set(RotaSlot.objects.filter(period=next_quarter).values_list("visitors", flat=True))
    assert persona("outsider").pk not in on_rota
    assert not on_rota & {persona("manager").pk, persona("force").pk, persona("pcc").pk}
    assert AuditEntry.objects.filter(action="rota.generated").exists()


def test_generating_again_gives_the_same_rota_for_the_same_seed(next_quarter, manager):
    def snapshot():
        return [
            (s.suite_id, s.week_starts_on, s.time_band, tuple(u.pk for u in s.visitors.all()))
            for s in next_quarter.slots.order_by("week_starts_on", "suite__name").prefetch_related(
                "visitors"
            )
        ]

    rota.generate(actor=manager, period=next_quarter)
    first = snapshot()
    rota.generate(actor=manager, period=next_quarter)
    assert snapshot() == first


def test_the_solver_respects_unavailability_and_conflicts(next_quarter, manager, visitor):
    weeks = rota.weeks_of(next_quarter)
    rota.set_availability(
        actor=visitor,
        period=next_quarter,
        user=visitor,
        data=availability(unavailable_weeks=weeks[:6], max_visits_per_month=1),
    )
    rota.generate(actor=manager, period=next_quarter)
    mine = RotaSlot.objects.filter(period=next_quarter, visitors=visitor)
    assert mine.exists()
    assert not mine.filter(week_starts_on__in=weeks[:6]).exists()
    assert not mine.filter(suite__name="King's Lynn").exists()  # her conflict
    months = [s.week_starts_on.month for s in mine]
    assert len(months) == len(set(months))


def test_availability_rules(next_quarter, visitor, partner, manager):
    with pytest.raises(NotPermitted):
        rota.set_availability(actor=visitor, period=next_quarter, user=partner, data=availability())
    rota.set_availability(actor=manager, period=next_quarter, user=partner, data=availability())
    with pytest.raises(Exception) as error:
        rota.set_availability(
            actor=visitor,
            period=next_quarter,
            user=visitor,
            data=availability(unavailable_weeks=[datetime.date(2020, 1, 6)]),
        )
    assert error.value.code == "week_not_in_period"
    next_quarter.availability_closes_on = timezone.localdate() - datetime.timedelta(days=1)
    next_quarter.save()
    with pytest.raises(ConflictError) as closed:
        rota.set_availability(actor=visitor, period=next_quarter, user=visitor, data=availability())
    assert closed.value.code == "availability_closed"
    # The manager can still enter it for them.
    rota.set_availability(actor=manager, period=next_quarter, user=visitor, data=availability())


def test_a_hand_change_that_breaks_a_rule_warns_and_needs_accepting(next_quarter, manager):
    rota.generate(actor=manager, period=next_quarter)
    slot = next_quarter.slots.filter(suite__name="King's Lynn").first()
    vera = persona("visitor")  # conflict with King's Lynn
    other = next(u for u in slot.visitors.all())
    with pytest.raises(rota.RotaWarning) as warning:
        rota.assign(actor=manager, slot=slot, visitor_ids=[vera.pk, other.pk])
    assert any("conflict of interest" in w for w in warning.value.warnings)
    assert vera not in slot.visitors.all()
    rota.assign(actor=manager, slot=slot, visitor_ids=[vera.pk, other.pk], accept_warnings=True)
    assert vera in slot.visitors.all()
    entry = AuditEntry.objects.filter(action="rota.slot_changed").latest("pk")
    assert entry.detail["warnings"]


def test_moving_a_pair_swaps_two_slots(next_quarter, manager):
    rota.generate(actor=manager, period=next_quarter)
    first, second = next_quarter.slots.filter(week_starts_on=next_quarter.starts_on)[:2]
    a, b = set(first.visitors.all()), set(second.visitors.all())
    rota.move_pair(actor=manager, slot=first, target=second, accept_warnings=True)
    assert set(first.visitors.all()) == b and set(second.visitors.all()) == a


def test_publishing_emails_each_visitor_their_slots_and_never_the_force(
    next_quarter, manager, django_capture_on_commit_callbacks
):
    rota.generate(actor=manager, period=next_quarter)
    with django_capture_on_commit_callbacks(execute=True):
        rota.publish(actor=manager, period=next_quarter)
    people = {u for s in next_quarter.slots.prefetch_related("visitors") for u in s.visitors.all()}
    # Each visitor once, and the manager a note of who was told (issue 19).
    assert len(mail.outbox) == len(people) + 1
    recipients = {address for m in mail.outbox for address in m.to}
    assert recipients == {u.email for u in people} | {manager.email}
    assert persona("force").email not in recipients
    vera = persona("visitor")
    hers = next((m for m in mail.outbox if m.to == [vera.email]), None)
    if hers:
        for slot in next_quarter.slots.filter(visitors=vera):
            assert f"{slot.suite.name}, week beginning" in hers.body
    with pytest.raises(ConflictError):
        rota.publish(actor=manager, period=next_quarter)


def published_slot(visitors, weeks_ahead=1, suite_name="Wymondham"):
    period = make_period()
    return make_slot(
        period=period, suite_name=suite_name, visitors=visitors, weeks_ahead=weeks_ahead
    )


def test_a_swap_is_offered_then_taken_and_everyone_concerned_is_told(
    visitor, partner, coordinator, manager, django_capture_on_commit_callbacks
):
    slot = published_slot([visitor, partner])
    with django_capture_on_commit_callbacks(execute=True):
        swap = rota.offer(actor=visitor, slot=slot, note="Away that week")
    assert {a for m in mail.outbox for a in m.to} == {partner.email, manager.email}
    assert visitor in slot.visitors.all()  # still on it until someone takes it
    assert rota.can_take(swap, partner) == ["You are already on this slot."]
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        rota.take(actor=coordinator, swap=swap)
    assert set(slot.visitors.all()) == {partner, coordinator}
    swap.refresh_from_db()
    assert swap.status == SwapRequest.Status.TAKEN
    told = {a for m in mail.outbox for a in m.to}
    assert {visitor.email, partner.email, manager.email} <= told
    with pytest.raises(ConflictError):
        rota.take(actor=persona("abigail.reeve"), swap=swap)


def test_nobody_can_take_a_slot_that_would_break_a_rule(visitor, partner):
    slot = published_slot([partner, persona("abigail.reeve")], suite_name="King's Lynn")
    swap = rota.offer(actor=partner, slot=slot)
    reasons = rota.can_take(swap, visitor)
    assert any("conflict of interest" in r for r in reasons)
    with pytest.raises(ConflictError) as error:
        rota.take(actor=visitor, swap=swap)
    assert error.value.code == "cannot_take"


def test_only_the_pair_can_offer_or_plan(visitor, partner, coordinator):
    slot = published_slot([visitor, partner])
    with pytest.raises(NotPermitted):
        rota.offer(actor=coordinator, slot=slot)
    with pytest.raises(NotPermitted):
        rota.set_planned_time(actor=coordinator, slot=slot, when=timezone.now())


def test_the_daily_job_reminds_alerts_and_marks_missed(
    visitor, partner, manager, django_capture_on_commit_callbacks
):
    period = make_period()
    today = timezone.localdate()
    monday = today - datetime.timedelta(days=today.weekday())
    soon = RotaSlot.objects.create(
        period=period,
        suite=suite("Wymondham"),
        week_starts_on=monday + datetime.timedelta(weeks=1),
        time_band="evening",
    )
    soon.visitors.set([visitor, partner])
    uncovered = RotaSlot.objects.create(
        period=period, suite=suite("Aylsham"), week_starts_on=monday, time_band="evening"
    )
    uncovered.visitors.set([partner])
    past = RotaSlot.objects.create(
        period=period,
        suite=suite("Aylsham"),
        week_starts_on=monday - datetime.timedelta(weeks=3),
        time_band="evening",
    )
    past.visitors.set([visitor, partner])
    # Run it on the Thursday before the coming slot.
    thursday = monday + datetime.timedelta(days=3)
    out = io.StringIO()
    with _on(thursday), django_capture_on_commit_callbacks(execute=True):
        call_command("send_rota_reminders", stdout=out)
    assert "Reminders: 2 e-mails queued for 1 slots" in out.getvalue()
    reminders = [m for m in mail.outbox if m.subject == "Your custody visit is coming up"]
    assert {m.to[0] for m in reminders} == {visitor.email, partner.email}
    assert "Wymondham" in reminders[0].body
    alerts = [m for m in mail.outbox if m.subject.startswith("Uncovered")]
    assert [a.to for a in alerts] == [[manager.email]]
    past.refresh_from_db()
    assert past.status == RotaSlot.Status.MISSED
    mail.outbox.clear()
    with _on(thursday), django_capture_on_commit_callbacks(execute=True):
        call_command("send_rota_reminders", stdout=io.StringIO())
    assert mail.outbox == []  # once only


def _on(day):
    import time_machine

    return time_machine.travel(
        datetime.datetime.combine(day, datetime.time(7), tzinfo=timezone.get_current_timezone()),
        tick=False,
    )


def test_calendar_feed_shows_suite_and_week_only_and_can_be_revoked(client, visitor, partner):
    # Once the pair agree a time, it shows too: tests/test_rota_publishing.py.
    slot = published_slot([visitor, partner])
    membership = visitor.memberships.get(role="visitor")
    feed = rota.feed_for(actor=visitor, membership=membership)
    response = client.get(reverse("calendar-feed", args=[feed.token]))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    body = response.content.decode()
    assert "SUMMARY:Custody visit: Wymondham" in body
    assert f"DTSTART;VALUE=DATE:{slot.week_starts_on:%Y%m%d}" in body
    assert "Shaw" not in body
    renewed = rota.feed_for(actor=visitor, membership=membership, renew=True)
    assert client.get(reverse("calendar-feed", args=[feed.token])).status_code == 404
    assert client.get(reverse("calendar-feed", args=[renewed.token])).status_code == 200
    with pytest.raises(NotPermitted):
        rota.feed_for(actor=partner, membership=membership)


def test_the_pages_a_visitor_uses(client, visitor, partner, coordinator):
    slot = published_slot([visitor, partner])
    client.force_login(visitor)
    page = client.get(reverse("my-rota"))
    assert page.status_code == 200
    assert "Wymondham, week of" in page.content.decode()
    response = client.post(
        reverse("rota-slot-plan", args=[slot.pk]),
        {f"slot{slot.pk}-planned_for": f"{slot.week_starts_on}T19:30"},
    )
    assert response.status_code == 302
    slot.refresh_from_db()
    assert timezone.localtime(slot.planned_for).hour == 19
    bad = client.post(
        reverse("rota-slot-plan", args=[slot.pk]),
        {f"slot{slot.pk}-planned_for": "2001-01-01T10:00"},
        follow=True,
    )
    assert "Choose a time in the week of" in bad.content.decode()
    client.post(reverse("rota-slot-offer", args=[slot.pk]), {"note": "Sorry"})
    swap = SwapRequest.objects.get(slot=slot)
    client.force_login(coordinator)
    offers = client.get(reverse("my-rota")).content.decode()
    assert "Offered by Vera Holt" in offers and "Take this slot" in offers
    client.post(reverse("rota-offer-take", args=[swap.pk]))
    assert set(slot.visitors.all()) == {partner, coordinator}
    # The coordinator never sees the pair's agreed time of another pair's slot.
    client.force_login(persona("abigail.reeve"))
    assert client.post(reverse("rota-slot-plan", args=[slot.pk])).status_code == 404


def test_the_manager_pages(client, manager, next_quarter, visitor):
    client.force_login(manager)
    assert client.get(reverse("rota-periods")).status_code == 200
    bad = client.post(
        reverse("rota-periods"),
        {"starts_on": next_quarter.starts_on, "availability_closes_on": "2099-01-01"},
    )
    assert bad.status_code == 400
    assert "Availability must close before" in bad.content.decode()
    client.post(reverse("rota-generate", args=[next_quarter.pk]))
    page = client.get(reverse("rota-period", args=[next_quarter.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    assert "Slots with a pair" in html and "Completion by suite" in html
    # The manager is told how good the draft is and how the solver came by it.
    said = re.search(r"Draft rota made: (\d+) of (\d+) slots filled \(at most (\d+) can", html)
    assert said and int(said[1]) <= int(said[3]) <= int(said[2])
    assert any(str(label) in html for label in rota.SOLVER_METHODS.values())
    slot = next_quarter.slots.filter(suite__name="King's Lynn").first()
    other = slot.visitors.first()
    check = client.post(
        reverse("rota-slot-check", args=[slot.pk]),
        {"first": visitor.pk, "second": other.pk},
        HTTP_HX_REQUEST="true",
    )
    assert "conflict of interest" in check.content.decode()
    assert "<html" not in check.content.decode()
    refused = client.post(
        reverse("rota-slot", args=[slot.pk]), {"first": visitor.pk, "second": other.pk}
    )
    assert refused.status_code == 200
    assert "This change breaks rota rules." in refused.content.decode()
    assert visitor not in slot.visitors.all()
    kept = client.post(
        reverse("rota-slot", args=[slot.pk]),
        {"first": visitor.pk, "second": other.pk, "accept_warnings": "on"},
    )
    assert kept.status_code == 302
    assert visitor in slot.visitors.all()
    response = client.post(reverse("rota-slot-status", args=[slot.pk]), {"status": "cancelled"})
    assert response.status_code == 302
    slot.refresh_from_db()
    assert slot.status == RotaSlot.Status.CANCELLED
    # Publishing takes the confirmation page's answer (tests/test_rota_publishing.py).
    fingerprint = rota.publish_preview(next_quarter).fingerprint
    client.post(reverse("rota-publish", args=[next_quarter.pk]), {"confirm": fingerprint})
    next_quarter.refresh_from_db()
    assert next_quarter.status == RotaPeriod.Status.PUBLISHED


def test_the_period_page_query_count_does_not_grow_with_the_rota(
    client, manager, next_quarter, django_assert_max_num_queries
):
    rota.generate(actor=manager, period=next_quarter)
    client.force_login(manager)
    with django_assert_max_num_queries(15):
        assert client.get(reverse("rota-period", args=[next_quarter.pk])).status_code == 200


def test_bad_input_on_the_rota_pages_gets_a_form_error(client, next_quarter, manager, visitor):
    client.force_login(visitor)
    url = reverse("rota-availability", args=[next_quarter.pk])
    page = client.post(url, {"max_visits_per_month": "99", "unavailable_weeks": ["2001-01-01"]})
    assert page.status_code == 400
    html = page.content.decode()
    assert "There is a problem" in html
    assert "Ensure this value is less than or equal to 8." in html
    assert "Select a valid choice." in html
    rota.generate(actor=manager, period=next_quarter)
    slot = next_quarter.slots.first()
    client.force_login(manager)
    page = client.post(reverse("rota-slot", args=[slot.pk]), {"first": persona("force").pk})
    assert page.status_code == 400 and "Select a valid choice." in page.content.decode()
    page = client.post(reverse("rota-slot-move", args=[slot.pk]), {"target": "999999"})
    assert page.status_code == 400 and "Select a valid choice." in page.content.decode()
    page = client.post(reverse("rota-slot-status", args=[slot.pk]), {"status": "done"}, follow=True)
    assert "Choose missed, cancelled or planned." in page.content.decode()


def test_the_force_never_sees_the_rota_or_a_planned_time(client, visitor, partner, force):
    slot = published_slot([visitor, partner])
    rota.set_planned_time(
        actor=visitor,
        slot=slot,
        when=timezone.make_aware(
            datetime.datetime.combine(slot.week_starts_on, datetime.time(23, 15))
        ),
    )
    client.force_login(force)
    for url in [
        reverse("home"),
        reverse("visit-list"),
        reverse("issue-board"),
        reverse("summary"),
        reverse("suite-detail", args=[suite("Wymondham").pk]),
    ]:
        html = client.get(url).content.decode()
        assert "23:15" not in html and "/rota/" not in html, url
    assert not permissions.scope_rota_slots(RotaSlot.objects.all(), force).exists()
    assert not CalendarFeed.objects.filter(membership__user=force).exists()


def test_the_visitors_rota_page_makes_the_same_queries_however_many_slots_and_offers(
    client, visitor, partner, coordinator, django_assert_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    period = make_period()
    others = [persona("abigail.reeve"), persona("ben.catchpole")]

    def add(weeks):
        make_slot(
            period=period, suite_name="Wymondham", visitors=[visitor, partner], weeks_ahead=weeks
        )
        theirs = make_slot(period=period, suite_name="Aylsham", visitors=others, weeks_ahead=weeks)
        rota.offer(actor=others[0], slot=theirs)

    add(1)
    client.force_login(visitor)
    client.get(reverse("my-rota"))
    with CaptureQueriesContext(connection) as first:
        assert client.get(reverse("my-rota")).status_code == 200
    for weeks in (2, 3, 4, 5):
        add(weeks)
    with django_assert_num_queries(len(first)):
        page = client.get(reverse("my-rota"))
    assert page.content.decode().count("Offered by Abigail Reeve") == 5


def test_a_slot_page_saved_over_someone_elses_change_is_refused(client, next_quarter, manager):
    """Two managers open the same slot; the second to save is told and changes nothing."""
    rota.generate(actor=manager, period=next_quarter)
    slot = next_quarter.slots.filter(visitors__isnull=False).first()
    client.force_login(manager)
    page = client.get(reverse("rota-slot", args=[slot.pk]))
    revision = page.context["form"]["revision"].value()
    assert f'name="revision" value="{revision}"' in page.content.decode()
    rota.assign(actor=manager, slot=slot, visitor_ids=[], accept_warnings=True)
    stale = client.post(
        reverse("rota-slot", args=[slot.pk]),
        {"first": "", "second": "", "accept_warnings": "on", "revision": revision},
    )
    assert stale.status_code == 400
    assert "Someone else changed this since you opened it." in stale.content.decode()
    stale = client.post(
        reverse("rota-slot-status", args=[slot.pk]),
        {"status": "cancelled", "revision": revision},
        follow=True,
    )
    assert "Someone else changed this" in stale.content.decode()
    slot.refresh_from_db()
    assert slot.status == RotaSlot.Status.PLANNED and slot.revision == revision + 1


def test_availability_from_a_second_tab_does_not_overwrite_the_first(client, next_quarter, visitor):
    client.force_login(visitor)
    url = reverse("rota-availability", args=[next_quarter.pk])
    assert 'name="revision" value="0"' in client.get(url).content.decode()
    weeks = [w.isoformat() for w in rota.weeks_of(next_quarter)]
    first = {"unavailable_weeks": weeks[:1], "max_visits_per_month": "2", "revision": "0"}
    assert client.post(url, first).status_code == 302
    second = {"unavailable_weeks": weeks[1:2], "max_visits_per_month": "2", "revision": "0"}
    refused = client.post(url, second)
    assert refused.status_code == 400
    assert "Someone else changed this" in refused.content.decode()
    saved = visitor.availability.get(period=next_quarter)
    assert saved.unavailable_weeks == weeks[:1] and saved.revision == 1


def test_a_maximum_for_the_period_is_validated_kept_and_obeyed(next_quarter, manager, visitor):
    from visits.services import subject_access

    with pytest.raises(Exception) as error:
        rota.set_availability(
            actor=visitor,
            period=next_quarter,
            user=visitor,
            data=availability(max_visits_per_period=99),
        )
    assert error.value.code == "bad_period_maximum"
    assert error.value.field == "max_visits_per_period"
    saved = rota.set_availability(
        actor=visitor,
        period=next_quarter,
        user=visitor,
        data=availability(max_visits_per_month=3, max_visits_per_period=2),
    )
    assert saved.max_visits_per_period == 2
    problem = rota.build_problem(next_quarter)
    assert next(p for p in problem.people if p.id == visitor.pk).max_per_quarter == 2
    figures = rota.generate(actor=manager, period=next_quarter)
    assert RotaSlot.objects.filter(period=next_quarter, visitors=visitor).count() <= 2
    assert figures.over_quarter_maximum == figures.hard_rule_breaches == 0
    assert figures.method in ("optimal", "feasible within time limit", "greedy fallback")
    assert figures.filled == figures.most_fillable
    export = subject_access.export(actor=manager, person=visitor, scheme=next_quarter.scheme)
    assert export["availability"][0]["max_visits_per_period"] == 2


def test_the_availability_page_takes_a_maximum_for_the_period(client, next_quarter, visitor):
    client.force_login(visitor)
    url = reverse("rota-availability", args=[next_quarter.pk])
    page = client.get(url)
    assert "Most visits in this period (optional)" in page.text
    saved = client.post(
        url, {"max_visits_per_month": "2", "max_visits_per_period": "3", "revision": "0"}
    )
    assert saved.status_code == 302
    assert visitor.availability.get(period=next_quarter).max_visits_per_period == 3
    again = client.get(url)
    assert 'name="max_visits_per_period" value="3"' in again.text
    bad = client.post(
        url, {"max_visits_per_month": "2", "max_visits_per_period": "-1", "revision": "1"}
    )
    assert bad.status_code == 400
    assert visitor.availability.get(period=next_quarter).max_visits_per_period == 3


def test_a_visitor_may_offer_more_than_the_one_night_a_year_and_no_more_is_planned(
    client, next_quarter, manager, visitor
):
    from visits.services import subject_access

    with pytest.raises(Exception) as error:
        rota.set_availability(
            actor=visitor, period=next_quarter, user=visitor, data=availability(nights_a_year=9)
        )
    assert (error.value.code, error.value.field) == ("bad_nights_a_year", "nights_a_year")
    person = next(p for p in rota.build_problem(next_quarter).people if p.id == visitor.pk)
    assert person.nights_promised == 1  # nothing said: the promise, one a year

    client.force_login(visitor)
    url = reverse("rota-availability", args=[next_quarter.pk])
    assert "Night visits a year, at most" in client.get(url).text
    saved = client.post(
        url,
        {"nights_ok": "on", "nights_a_year": "3", "max_visits_per_month": "2", "revision": "0"},
    )
    assert saved.status_code == 302
    assert visitor.availability.get(period=next_quarter).nights_a_year == 3
    assert 'value="3" selected' in client.get(url).text
    person = next(p for p in rota.build_problem(next_quarter).people if p.id == visitor.pk)
    assert (person.nights_ok, person.nights_promised) == (True, 3)

    figures = rota.generate(actor=manager, period=next_quarter)
    nights = RotaSlot.objects.filter(
        period=next_quarter, visitors=visitor, time_band=TimeBand.NIGHT
    ).count()
    assert nights <= 3 and figures.over_night_promise == 0
    export = subject_access.export(actor=manager, person=visitor, scheme=next_quarter.scheme)
    assert export["availability"][0]["nights_a_year"] == 3


@pytest.mark.parametrize("token", ["%00", "abc%00def" * 3, "x" * 101, "..%2F..%2Fetc", "é" * 20])
def test_a_calendar_address_that_is_no_secret_is_a_404_before_any_query(client, db, token):
    """A NUL byte would reach PostgreSQL, which refuses it in a query: a 500, not a 404."""
    with CaptureQueriesContext(connection) as queries:
        assert client.get(f"/calendar/{token}.ics").status_code == 404
    assert not [q for q in queries.captured_queries if "calendarfeed" in q["sql"]]
