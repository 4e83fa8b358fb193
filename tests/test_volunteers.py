"""Vetting, appointment and leaving (issue 22): the one rule, every door that holds it (rota by
hand, pair moves, the solver's input, swaps, starting a visit on the page and in the API), the
reminders, leaving, the manager's pages, the volunteer's own record and who sees none of it.

Personas (tests/conftest.py): the manager (Maya) sees every Norfolk volunteer's record; Vera
(visitor) sees her own only; Peter (partner), Carol (coordinator), the PCC reader, the force's
custody lead and Owen (Suffolk) see nobody else's: 404.
"""

import datetime
import io

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from tests.conftest import persona
from tests.factories import make_period, make_slot, make_visit, suite
from visits import permissions
from visits.errors import DomainError, NotFound, NotPermitted
from visits.models import AuditEntry, Email, Membership, SwapRequest, VisitorStatus
from visits.services import rota, subject_access, volunteers
from visits.services import visits as visit_service

TODAY = timezone.localdate()
DAY = datetime.timedelta(days=1)


def member(username: str) -> Membership:
    return Membership.objects.select_related("user", "scheme").get(
        user__username=username, scheme__slug="norfolk"
    )


def lapse(username: str, on: datetime.date | None = None, field="vetting_expires_on"):
    """Their vetting (or `field`) lapses on `on` (today by default)."""
    Membership.objects.filter(user__username=username, scheme__slug="norfolk").update(
        **{field: on or TODAY}
    )
    return member(username)


def fresh(user):
    """The same user without the memberships cached on it (permissions.memberships_of)."""
    return type(user).objects.get(pk=user.pk)


# --- The rule ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "fields, day_offset, code",
    [
        ({}, 0, None),
        ({"vetting_expires_on": 1}, 0, None),  # lapses tomorrow: today is still covered
        ({"vetting_expires_on": 0}, 0, "vetting_lapsed"),  # the date is the first day without
        ({"vetting_expires_on": -30}, 0, "vetting_lapsed"),
        ({"vetting_granted_on": 5}, 0, None),  # the start is recorded, not checked
        ({"appointment_ends_on": -1}, 0, "appointment_lapsed"),
        ({"appointment_ends_on": 3}, 2, None),
        ({"appointment_ends_on": 3}, 3, "appointment_lapsed"),
        ({"left_on": 10}, 9, None),
        ({"left_on": 10}, 10, "visitor_left"),
    ],
)
def test_the_rule_and_its_filter_agree(db, fields, day_offset, code):
    Membership.objects.filter(user__username="visitor").update(
        **{name: TODAY + DAY * days for name, days in fields.items()}
    )
    vera = member("visitor")
    day = TODAY + DAY * day_offset
    bar = vera.visiting_bar(day)
    assert (bar.code if bar else None) == code
    able = Membership.objects.able_to_visit(day).filter(pk=vera.pk).exists()
    assert able == (code is None)


def test_the_reason_names_who_and_the_date(db):
    vera = lapse("visitor", datetime.date(2026, 5, 3))
    bar = vera.visiting_bar(datetime.date(2026, 6, 1))
    assert bar.message == "Vera Holt's vetting expired on 3 May 2026."
    # A week that reaches the lapse is barred, with the date still to come.
    vera = lapse("visitor", TODAY + DAY * 3)
    assert vera.visiting_bar(TODAY, TODAY + DAY * 6).message.endswith(
        f"vetting expires on {(TODAY + DAY * 3):%-d %B %Y}."
    )


# --- Every door refuses a lapsed visitor --------------------------------------------------------


@pytest.fixture
def period(db):
    return make_period()


def test_assign_refuses_a_lapsed_visitor_with_its_code(period, manager, visitor, partner):
    slot = make_slot(period=period, suite_name="Wymondham", visitors=[], weeks_ahead=2)
    lapse("partner", slot.week_starts_on + DAY * 3)  # mid-week: the week is not covered
    with pytest.raises(DomainError) as error:
        rota.assign(actor=manager, slot=slot, visitor_ids=[visitor.pk, partner.pk])
    assert error.value.code == "vetting_lapsed"
    assert "Peter Shaw's vetting expires on" in error.value.message
    assert not slot.visitors.exists()
    # The week before the lapse is still theirs.
    earlier = make_slot(period=period, suite_name="Aylsham", visitors=[], weeks_ahead=1)
    rota.assign(
        actor=manager, slot=earlier, visitor_ids=[visitor.pk, partner.pk], accept_warnings=True
    )
    assert set(earlier.visitors.all()) == {visitor, partner}


def test_the_slot_page_shows_why_in_the_form(client, period, manager, visitor, partner):
    slot = make_slot(period=period, suite_name="Wymondham", visitors=[], weeks_ahead=2)
    lapse("partner", TODAY - DAY * 2)
    client.force_login(manager)
    response = client.post(
        f"/rota/manage/slots/{slot.pk}/",
        {"first": visitor.pk, "second": partner.pk, "revision": slot.revision},
    )
    assert response.status_code == 400
    assert "Peter Shaw&#x27;s vetting expired on" in response.content.decode()
    assert not slot.visitors.exists()


def test_the_api_refuses_the_slot_with_the_code(client, period, manager, visitor, partner):
    slot = make_slot(period=period, suite_name="Wymondham", visitors=[], weeks_ahead=2)
    lapse("partner", TODAY - DAY, field="appointment_ends_on")
    client.force_login(manager)
    response = client.put(
        f"/api/rota/slots/{slot.pk}/visitors/",
        {"visitors": [visitor.pk, partner.pk], "revision": slot.revision},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert response.json()["code"] == "appointment_lapsed"
    assert "appointment ended on" in response.json()["detail"]


def test_a_pair_cannot_be_moved_into_a_week_one_of_them_cannot_cover(
    period, manager, visitor, partner, coordinator
):
    abigail = persona("abigail.reeve")
    near = make_slot(period=period, suite_name="Wymondham", visitors=[visitor, partner])
    far = make_slot(
        period=period, suite_name="Aylsham", visitors=[coordinator, abigail], weeks_ahead=5
    )
    lapse("partner", far.week_starts_on)
    with pytest.raises(DomainError) as error:
        rota.move_pair(actor=manager, slot=near, target=far, accept_warnings=True)
    assert error.value.code == "vetting_lapsed"
    assert set(near.visitors.all()) == {visitor, partner}


def test_the_solver_is_not_given_a_lapsed_visitor(period, visitor, partner):
    lapse("partner", TODAY - DAY)  # the whole period: left out
    vera = lapse("visitor", period.starts_on + datetime.timedelta(weeks=4))  # part of it
    problem = rota.build_problem(period)
    people = {p.id: p for p in problem.people}
    assert partner.pk not in people
    weeks = rota.weeks_of(period)
    assert people[vera.user_id].unavailable_weeks >= set(weeks[4:])
    assert not people[vera.user_id].unavailable_weeks & set(weeks[:3])
    # A visitor with nothing lapsed is given as before.
    assert persona("coordinator").pk in people


def test_a_lapsed_visitor_cannot_take_a_swap(client, period, visitor, partner, coordinator):
    slot = make_slot(period=period, suite_name="Wymondham", visitors=[visitor, partner])
    swap = rota.offer(actor=partner, slot=slot)
    lapse("coordinator", TODAY - DAY * 10)
    carol = fresh(coordinator)
    assert rota.can_take(swap, carol) == [
        f"Carol Fenn's vetting expired on {(TODAY - DAY * 10):%-d %B %Y}."
    ]
    with pytest.raises(DomainError) as error:
        rota.take(actor=carol, swap=swap)
    assert error.value.code == "vetting_lapsed"
    client.force_login(coordinator)
    response = client.post(f"/api/rota/swaps/{swap.pk}/take/")
    assert response.status_code == 400 and response.json()["code"] == "vetting_lapsed"
    swap.refresh_from_db()
    assert swap.status == SwapRequest.Status.OPEN
    assert set(slot.visitors.all()) == {visitor, partner}


def test_a_lapsed_visitor_cannot_start_a_visit(visitor, partner):
    lapse("visitor", TODAY - DAY)
    with pytest.raises(DomainError) as error:
        visit_service.start_visit(
            actor=visitor,
            suite=suite("Wymondham"),
            co_visitors=[partner],
            arrived_at=timezone.now() - datetime.timedelta(hours=1),
        )
    assert error.value.code == "vetting_lapsed"
    # A visit made the day before the lapse, sent from the phone later, is still theirs.
    visit = visit_service.start_visit(
        actor=visitor,
        suite=suite("Wymondham"),
        co_visitors=[partner],
        arrived_at=timezone.now() - datetime.timedelta(days=2),
    )
    assert visit.pk


def test_nor_with_a_lapsed_partner_on_the_page_or_the_api(client, visitor, partner):
    lapse("partner", TODAY - DAY, field="appointment_ends_on")  # an hour ago may be yesterday
    client.force_login(visitor)
    arrived = timezone.localtime() - datetime.timedelta(hours=1)
    page = client.post(
        "/visits/new/",
        {
            "suite": suite("Wymondham").pk,
            "co_visitors": [partner.pk],
            "arrived_at": arrived.strftime("%Y-%m-%dT%H:%M"),
        },
    )
    assert page.status_code == 400
    body = page.content.decode()
    # Vera learns that Peter cannot be on it, not why: his appointment is his and the manager's.
    assert "Peter Shaw cannot be recorded on a visit that day" in body
    assert "appointment" not in body.lower() and "vetting" not in body.lower()
    api = client.post(
        "/api/visits/",
        {
            "suite": suite("Wymondham").pk,
            "co_visitors": [partner.pk],
            "arrived_at": arrived.isoformat(),
        },
        content_type="application/json",
    )
    assert api.status_code == 400
    assert api.json()["code"] == "partner_cannot_visit"
    assert api.json()["fields"]["co_visitors"].startswith("Peter Shaw cannot be recorded")
    assert "appointment" not in api.content.decode()


# --- Leaving ------------------------------------------------------------------------------------


def test_leaving_ends_access_clears_future_slots_and_tells_the_manager(
    period, manager, visitor, partner, django_capture_on_commit_callbacks
):
    past_visit = make_visit(visitors=[visitor, partner], status="submitted")
    soon = make_slot(period=period, suite_name="Wymondham", visitors=[visitor, partner])
    later = make_slot(
        period=period,
        suite_name="Aylsham",
        visitors=[partner, persona("abigail.reeve")],
        weeks_ahead=3,
    )
    offer = rota.offer(actor=partner, slot=later)
    with django_capture_on_commit_callbacks(execute=True):
        dropped = volunteers.record_leaving(
            actor=manager, membership=member("partner"), left_on=TODAY, reason="Moved away"
        )
    assert {s.pk for s in dropped} == {soon.pk, later.pk}
    assert list(soon.visitors.all()) == [visitor]
    offer.refresh_from_db()
    assert offer.status == SwapRequest.Status.WITHDRAWN
    peter = member("partner")
    assert peter.status == VisitorStatus.LEFT and peter.leaving_reason == "Moved away"
    assert permissions.memberships_of(fresh(partner)) == []
    # History stays: the visit is still his.
    assert past_visit.visitors.filter(pk=partner.pk).exists()
    told = [m for m in mail.outbox if manager.email in m.to]
    assert len(told) == 1 and "Peter Shaw is leaving" in told[0].subject
    assert "Wymondham" in told[0].body and "Aylsham" in told[0].body
    assert AuditEntry.objects.filter(action="volunteer.left", object_id=str(peter.pk)).exists()


def test_a_future_leaving_date_ends_access_on_the_day(period, manager, visitor, partner):
    far = make_slot(
        period=period, suite_name="Wymondham", visitors=[visitor, partner], weeks_ahead=6
    )
    near = make_slot(
        period=period, suite_name="Aylsham", visitors=[visitor, partner], weeks_ahead=1
    )
    left_on = far.week_starts_on - DAY * 3
    volunteers.record_leaving(
        actor=manager, membership=member("partner"), left_on=left_on, reason="Retiring"
    )
    assert member("partner").status == VisitorStatus.ACTIVE
    assert permissions.memberships_of(fresh(partner))  # still theirs until the day
    assert set(near.visitors.all()) == {visitor, partner}
    assert list(far.visitors.all()) == [visitor]
    assert Membership.objects.current(left_on).filter(user=partner).count() == 0
    assert volunteers.apply_leavings(left_on) == 1
    assert member("partner").status == VisitorStatus.LEFT


@pytest.mark.parametrize(
    "left_on, reason, code",
    [
        (TODAY, "", "reason_required"),
        (TODAY, "x" * 201, "reason_too_long"),
        (datetime.date(2001, 1, 1), "Moved", "left_before_appointed"),
    ],
)
def test_leaving_needs_a_reason_and_a_date_after_appointment(db, manager, left_on, reason, code):
    with pytest.raises(DomainError) as error:
        volunteers.record_leaving(
            actor=manager, membership=member("partner"), left_on=left_on, reason=reason
        )
    assert error.value.code == code
    assert member("partner").left_on is None


def test_only_the_manager_records_vetting_and_leaving(db, visitor, coordinator):
    with pytest.raises(NotPermitted):
        volunteers.record_leaving(
            actor=coordinator, membership=member("partner"), left_on=TODAY, reason="x"
        )
    with pytest.raises(NotPermitted):
        volunteers.record_vetting(
            actor=visitor,
            membership=member("visitor"),
            vetting=volunteers.Vetting("nppv3", "ME", TODAY, TODAY + DAY * 900),
        )
    with pytest.raises(NotFound):
        volunteers.volunteer_for(actor=persona("suffolk.manager"), pk=member("visitor").pk)


# --- Reminders ----------------------------------------------------------------------------------


def test_reminders_go_once_to_the_volunteer_and_the_manager(
    db, manager, visitor, django_capture_on_commit_callbacks
):
    lapse("visitor", TODAY + DAY * 50)  # inside the 60-day reminder
    lapse("partner", TODAY + DAY * 14, field="appointment_ends_on")  # the 14-day one
    out = io.StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("send_volunteer_reminders", stdout=out)
        call_command("send_volunteer_reminders", stdout=io.StringIO())  # again: nothing new
    sent = Email.objects.filter(kind=Email.Kind.EXPIRY_REMINDER)
    keys = sorted(sent.values_list("dedupe_key", flat=True))
    vera, peter = member("visitor"), member("partner")
    assert f"expiry:{vera.pk}:vetting:{TODAY + DAY * 50}:60:{visitor.pk}" in keys
    assert f"expiry:{peter.pk}:appointment:{TODAY + DAY * 14}:14:{manager.pk}" in keys
    assert len(keys) == len(set(keys))
    to_vera = [m for m in mail.outbox if m.to == [visitor.email]]
    assert len(to_vera) == 1
    assert f"Your vetting expires on {(TODAY + DAY * 50):%-d %B %Y}." in to_vera[0].body
    to_maya = [m.subject for m in mail.outbox if m.to == [manager.email]]
    assert f"Appointment ends on {(TODAY + DAY * 14):%-d %B %Y}" in to_maya
    assert "Vera Holt" in "".join(m.body for m in mail.outbox if m.to == [manager.email])


def test_a_renewal_before_the_reminder_is_sent_cancels_it(db, manager, visitor):
    from visits import mail_messages, notifications

    lapse("visitor", TODAY + DAY * 10)
    (expiry,) = [e for e in volunteers.due_expiries(TODAY) if e.membership.user_id == visitor.pk]
    assert expiry.days_before == 14
    notifications.queue_expiry_reminder(expiry)
    volunteers.record_vetting(
        actor=manager,
        membership=member("visitor"),
        vetting=volunteers.Vetting("nppv2", "NV-2026-1", TODAY, TODAY + DAY * 1000),
    )
    email = Email.objects.filter(kind=Email.Kind.EXPIRY_REMINDER, to_user=visitor).get()
    assert mail_messages.build(email) is None


def test_the_daily_job_is_scheduled():
    from visits import scheduler

    jobs = {j.name: j for j in scheduler.registered_jobs()}
    assert jobs["volunteer_reminders"].command == "send_volunteer_reminders"


# --- Pages --------------------------------------------------------------------------------------


def test_the_manager_sees_every_volunteer_with_flags(
    client, manager, django_assert_max_num_queries
):
    lapse("visitor", TODAY - DAY)
    client.force_login(manager)
    with django_assert_max_num_queries(10):
        response = client.get("/volunteers/")
    page = response.content.decode()
    assert response.status_code == 200
    assert "Vera Holt" in page and "Walter Clarke" in page  # the leaver stays listed
    assert "Lapsed" in page and "Expiring soon" in page and "Left" in page
    assert "Owen" not in page  # Suffolk's
    assert len(response.content) < 50_000


def test_the_volunteer_page_is_within_budget(client, manager, django_assert_max_num_queries):
    vera = lapse("visitor", TODAY - DAY)
    client.force_login(manager)
    client.get("/volunteers/")  # the session's first request
    with django_assert_max_num_queries(10):
        response = client.get(f"/volunteers/{vera.pk}/")
    page = response.content.decode()
    assert "Cannot visit now:" in page and "Vera Holt&#x27;s vetting expired on" in page
    assert 'id="volunteer"' in page and "Record leaving" in page
    assert len(response.content) < 50_000


def test_the_list_costs_the_same_queries_whatever_its_length(client, db, manager):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(manager)
    client.get("/volunteers/")  # the session's first request loads it once
    with CaptureQueriesContext(connection) as before:
        client.get("/volunteers/")
    Membership.objects.filter(user__username="margaret.yaxley").update(
        vetting_expires_on=TODAY + DAY * 5
    )
    from django.contrib.auth import get_user_model

    extra = get_user_model().objects.create(username="new.one", first_name="New", last_name="One")
    Membership.objects.create(user=extra, scheme=member("visitor").scheme, role="visitor")
    with CaptureQueriesContext(connection) as after:
        client.get("/volunteers/")
    assert len(after) == len(before)


@pytest.mark.parametrize("who", ["visitor", "partner", "coordinator", "pcc", "force", "outsider"])
def test_nobody_but_the_manager_sees_the_volunteers(client, db, who):
    vera = member("visitor")
    Membership.objects.filter(pk=vera.pk).update(vetting_reference="NV-SECRET-81")
    client.force_login(persona(who))
    for url in ("/volunteers/", f"/volunteers/{vera.pk}/", f"/api/volunteers/{vera.pk}/"):
        response = client.get(url)
        assert response.status_code == 404, url
        assert "NV-SECRET-81" not in response.content.decode()
    assert "NV-SECRET-81" not in client.get("/api/volunteers/").content.decode()
    assert client.post(f"/volunteers/{vera.pk}/leaving/", {}).status_code == 404


def test_the_manager_records_vetting_on_the_page(client, manager):
    vera = member("visitor")
    client.force_login(manager)
    response = client.post(
        f"/volunteers/{vera.pk}/vetting/",
        {
            "vetting-level": "nppv3",
            "vetting-reference": "NV-2026-77",
            "vetting-granted_on": "2026-01-10",
            "vetting-expires_on": "2029-01-10",
        },
    )
    assert response.status_code == 302
    vera.refresh_from_db()
    assert (vera.vetting_level, vera.vetting_reference) == ("nppv3", "NV-2026-77")
    assert vera.vetting_expires_on == datetime.date(2029, 1, 10)
    page = client.get(response["Location"]).content.decode()
    assert "10 January 2029" in page and "NV-2026-77" in page


def test_a_bad_form_shows_its_error_and_keeps_the_record(client, manager):
    vera = member("visitor")
    before = vera.vetting_expires_on
    client.force_login(manager)
    response = client.post(
        f"/volunteers/{vera.pk}/vetting/",
        {"vetting-granted_on": "2026-05-01", "vetting-expires_on": "2026-04-01"},
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "The vetting must expire after the date it was granted." in page
    assert "There is a problem" in page
    bad_date = client.post(f"/volunteers/{vera.pk}/appointment/", {"appointment-ends_on": "31/02"})
    assert bad_date.status_code == 400 and "Enter a valid date" in bad_date.content.decode()
    vera.refresh_from_db()
    assert vera.vetting_expires_on == before


def test_htmx_gets_the_record_part_only(client, manager):
    vera = member("visitor")
    client.force_login(manager)
    response = client.post(
        f"/volunteers/{vera.pk}/leaving/",
        {"leaving-left_on": TODAY.isoformat(), "leaving-reason": "Moved to Leeds"},
        HTTP_HX_REQUEST="true",
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert page.lstrip().startswith('<div id="volunteer">')
    assert "Moved to Leeds" in page and "Saved." in page and "<html" not in page
    assert member("visitor").status == VisitorStatus.LEFT
    refused = client.post(
        f"/volunteers/{vera.pk}/appointment/",
        {"appointment-appointed_on": "2026-05-01", "appointment-ends_on": "2026-04-01"},
        HTTP_HX_REQUEST="true",
    )
    part = refused.content.decode()
    assert part.lstrip().startswith('<div id="volunteer">') and "There is a problem" in part
    assert "The appointment must end after the date of appointment." in part


def test_the_volunteer_sees_their_own_record(client, visitor):
    vera = lapse("visitor", datetime.date(2027, 3, 9))
    client.force_login(visitor)
    page = client.get("/account/record/").content.decode()
    assert "Your vetting expires on 9 March 2027." in page
    assert vera.vetting_reference in page
    assert "Peter" not in page
    mine = client.get("/api/me/record/").json()
    assert [r["vetting_expires_on"] for r in mine] == ["2027-03-09"]


@pytest.mark.parametrize("who", ["manager", "pcc", "force"])
def test_those_who_do_not_visit_have_no_record(client, db, who):
    client.force_login(persona(who))
    assert client.get("/account/record/").status_code == 404
    assert client.get("/api/me/record/").status_code == 404


def test_the_api_lists_the_managers_volunteers(client, manager):
    client.force_login(manager)
    rows = client.get("/api/volunteers/").json()["results"]
    by_name = {r["name"]: r for r in rows}
    assert "Owen Marsh" not in by_name
    assert by_name["Jacob Ringer"]["cannot_visit_code"] == "vetting_lapsed"
    assert by_name["Walter Clarke"]["left_on"] is not None
    assert by_name["Vera Holt"]["vetting_reference"] == member("visitor").vetting_reference


# --- Subject access, figures, demo --------------------------------------------------------------


def test_subject_access_includes_vetting_and_leaving(db, manager, visitor):
    vera = lapse("visitor", datetime.date(2027, 2, 1))
    document = subject_access.export(actor=manager, person=visitor, scheme=vera.scheme)
    (record,) = document["memberships"]
    assert record["vetting_expires_on"] == "2027-02-01"
    assert record["vetting_reference"] == vera.vetting_reference
    assert "left_on" in record and "appointment_ends_on" in record


def test_a_leaver_is_counted_in_the_summary_of_the_period_they_left(db, manager):
    from visits.summaries import Period, summarise

    scheme = member("visitor").scheme
    period = Period.containing(TODAY)
    before = summarise(scheme, period).current
    volunteers.record_leaving(
        actor=manager, membership=member("visitor"), left_on=TODAY, reason="Moved"
    )
    after = summarise(scheme, period).current
    assert after.volunteers_left == before.volunteers_left + 1
    assert after.volunteers_active == before.volunteers_active - 1
    assert after.volunteers_joined == before.volunteers_joined


def test_the_demo_has_volunteers_at_each_stage(db):
    records = {
        r.membership.user.username: r for r in volunteers.volunteer_list(actor=persona("manager"))
    }
    assert records["jacob.ringer"].lapsed
    assert records["liam.woodhouse"].expiring and records["olivia.kerrison"].expiring
    assert records["walter.clarke"].has_left
    assert not records["visitor"].lapsed and not records["visitor"].expiring


def test_a_vetting_or_appointment_recorded_as_lapsing_takes_them_off_the_rota_from_then(
    period, manager, visitor, partner
):
    """Recorded to lapse in a slot's week, the visitor comes off that slot and every later one,
    their offers of them withdrawn; earlier slots stay."""
    early = make_slot(period=period, suite_name="Wymondham", visitors=[visitor, partner])
    late = make_slot(
        period=period, suite_name="Aylsham", visitors=[visitor, partner], weeks_ahead=4
    )
    offer = rota.offer(actor=visitor, slot=late)
    volunteers.record_vetting(
        actor=manager,
        membership=member("visitor"),
        vetting=volunteers.Vetting(
            level="nppv3", reference="NV-1", granted_on=None, expires_on=late.week_starts_on
        ),
    )
    assert set(early.visitors.all()) == {visitor, partner}
    assert set(late.visitors.all()) == {partner}
    offer.refresh_from_db()
    assert offer.status == SwapRequest.Status.WITHDRAWN
    entry = AuditEntry.objects.filter(action="volunteer.vetting_recorded").latest("pk")
    assert entry.detail["slots"] == [late.pk]
    volunteers.record_appointment(
        actor=manager,
        membership=member("partner"),
        appointment=volunteers.Appointment(
            appointed_on=None, ends_on=early.week_starts_on + DAY * 2, renewed_on=None
        ),
    )
    assert set(early.visitors.all()) == {visitor} and not late.visitors.exists()
