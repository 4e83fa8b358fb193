"""Publishing the rota in two steps (issue 19): the confirmation lists who is told what and
warns; publishing again tells only those whose slots changed. Also the quality panel's row
for every hard rule, and the agreed time in the pair's calendar feeds."""

import datetime
import re

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from tests.conftest import persona
from tests.factories import make_draft_rota
from visits import rota_solver, scheduling
from visits.errors import ConflictError
from visits.models import AuditEntry, RotaPeriod, RotaSlot
from visits.services import rota


@pytest.fixture
def draft(db, manager):
    """Next quarter's rota, generated; availability still open (it closes in three days)."""
    return make_draft_rota(actor=manager, closes_in_days=3)


def confirm_page(client, period):
    return client.get(reverse("rota-publish", args=[period.pk]))


def fingerprint_of(html: str) -> str:
    return re.search(r'name="confirm" value="([0-9a-f]+)"', html).group(1)


def publish_from_the_page(client, period, capture):
    page = confirm_page(client, period)
    with capture(execute=True):
        response = client.post(
            reverse("rota-publish", args=[period.pk]),
            {"confirm": fingerprint_of(page.content.decode())},
        )
    period.refresh_from_db()
    return response


def filled_slots(period):
    return [
        s
        for s in period.slots.prefetch_related("visitors").order_by("week_starts_on", "pk")
        if len(s.visitors.all()) == 2
    ]


# --- The confirmation ---------------------------------------------------------------------------


def test_the_confirmation_lists_each_visitor_their_slots_and_the_managers_never_the_force(
    client, manager, draft
):
    client.force_login(manager)
    page = confirm_page(client, draft)
    assert page.status_code == 200
    html = page.content.decode()
    vera = persona("visitor")
    hers = rota.publish_preview(draft)
    mine = next(t for t in hers.visitors if t.user == vera)
    assert vera.get_full_name() in html
    for notice in mine.slots:
        # As the e-mail will say it: suite, week, band, partner.
        assert notice.line().replace("'", "&#x27;") in html
        assert notice.partners[0] in notice.line()
    assert manager.get_full_name() in html
    assert persona("force").get_full_name() not in html
    assert "The force is never told the rota." in html
    # Nothing is published by looking.
    draft.refresh_from_db()
    assert draft.status == RotaPeriod.Status.DRAFT
    assert not AuditEntry.objects.filter(action="rota.published").exists()


def test_the_confirmation_warns_while_availability_is_open_and_offers_a_way_on(
    client, manager, draft
):
    client.force_login(manager)
    html = confirm_page(client, draft).content.decode()
    closes = f"{draft.availability_closes_on:%-d %B %Y}"
    assert f"Availability is open until {closes}" in html
    assert "Publish anyway and send" in html
    RotaPeriod.objects.filter(pk=draft.pk).update(
        availability_closes_on=timezone.localdate() - datetime.timedelta(days=1)
    )
    html = confirm_page(client, draft).content.decode()
    assert "Availability is open" not in html
    assert "Publish and send" in html and "Publish anyway" not in html


def test_the_confirmation_counts_empty_slots_and_links_each(client, manager, draft):
    emptied = filled_slots(draft)[:2]
    for slot in emptied:
        rota.assign(actor=manager, slot=slot, visitor_ids=[], accept_warnings=True)
    client.force_login(manager)
    html = confirm_page(client, draft).content.decode()
    empty = [s for s in draft.slots.prefetch_related("visitors") if len(s.visitors.all()) < 2]
    assert f"{len(empty)} slots have no pair" in html
    for slot in emptied:
        assert reverse("rota-slot", args=[slot.pk]) in html


def test_the_confirmation_page_queries_do_not_grow_with_the_rota(
    client, manager, draft, django_assert_max_num_queries
):
    client.force_login(manager)
    # Session and user, period, slots with suites and visitors, users, members, availability,
    # managers, and the page's own (about a dozen), for a quarter of 13 weeks x 4 suites.
    with django_assert_max_num_queries(16):
        assert confirm_page(client, draft).status_code == 200


def test_a_post_without_the_confirmation_publishes_nothing(client, manager, draft):
    client.force_login(manager)
    page = client.post(reverse("rota-publish", args=[draft.pk]))
    assert page.status_code == 400
    assert "Publish from the confirmation page" in page.content.decode()
    draft.refresh_from_db()
    assert draft.status == RotaPeriod.Status.DRAFT
    assert mail.outbox == []


def test_a_confirmation_of_an_older_list_publishes_nothing(client, manager, draft):
    client.force_login(manager)
    seen = fingerprint_of(confirm_page(client, draft).content.decode())
    rota.assign(actor=manager, slot=filled_slots(draft)[0], visitor_ids=[], accept_warnings=True)
    page = client.post(reverse("rota-publish", args=[draft.pk]), {"confirm": seen})
    assert page.status_code == 400
    assert "The rota changed after you opened the confirmation" in page.content.decode()
    draft.refresh_from_db()
    assert draft.status == RotaPeriod.Status.DRAFT


def test_publishing_sends_each_visitor_what_the_page_said(
    client, manager, draft, django_capture_on_commit_callbacks
):
    client.force_login(manager)
    preview = rota.publish_preview(draft)
    response = publish_from_the_page(client, draft, django_capture_on_commit_callbacks)
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.status == RotaPeriod.Status.PUBLISHED
    by_address = {m.to[0]: m for m in mail.outbox}
    for telling in preview.visitors:
        body = by_address[telling.user.email].body
        for notice in telling.slots:
            assert notice.line() in body
    note = by_address[manager.email]
    assert note.subject == f"Rota published: {draft.name}"
    assert f"{len(preview.visitors)} visitors were e-mailed" in note.body
    assert persona("force").email not in by_address
    entry = AuditEntry.objects.get(action="rota.published")
    assert entry.detail["told"] == sorted(t.user.pk for t in preview.visitors)


# --- Publishing again ---------------------------------------------------------------------------


def test_publishing_again_tells_only_those_whose_slots_changed(
    client, manager, draft, django_capture_on_commit_callbacks
):
    client.force_login(manager)
    publish_from_the_page(client, draft, django_capture_on_commit_callbacks)
    mail.outbox.clear()
    slots = filled_slots(draft)
    # Two pairs swap slots (four visitors move); in a third slot one visitor is replaced by
    # someone with no slot that week (one removed, one added, one with a new partner).
    # The two pairs share nobody: someone in both slots would not have moved.
    here = slots[0]
    here_pair = {u.pk for u in here.visitors.all()}
    there = next(
        s
        for s in slots
        if s.week_starts_on != here.week_starts_on
        and not here_pair & {u.pk for u in s.visitors.all()}
    )
    moved = {u.pk for u in [*here.visitors.all(), *there.visitors.all()]}
    third = next(s for s in reversed(slots) if not moved & {u.pk for u in s.visitors.all()})
    rota.move_pair(actor=manager, slot=here, target=there, accept_warnings=True)
    stays, leaves = list(third.visitors.all())
    busy = set(
        RotaSlot.objects.filter(period=draft, week_starts_on=third.week_starts_on).values_list(
            "visitors", flat=True
        )
    )
    newcomer = next(
        m.user
        for m in rota.rostered_members(draft.scheme_id)
        if m.user_id not in busy | moved and m.status == "active"
    )
    rota.assign(
        actor=manager, slot=third, visitor_ids=[stays.pk, newcomer.pk], accept_warnings=True
    )
    assert mail.outbox == []  # hand changes wait until they are published

    page = client.get(reverse("rota-period", args=[draft.pk])).content.decode()
    assert "Changes since publishing have not been sent" in page
    preview = rota.publish_preview(draft)
    told = {t.user.pk: t for t in preview.visitors}
    assert set(told) == moved | {stays.pk, leaves.pk, newcomer.pk}
    assert {c.kind for c in told[leaves.pk].changes} == {"removed"}
    assert {c.kind for c in told[newcomer.pk].changes} == {"added"}
    assert {c.kind for c in told[stays.pk].changes} == {"partner"}
    assert all({c.kind for c in told[pk].changes} == {"moved"} for pk in moved)
    html = confirm_page(client, draft).content.decode()
    assert "visitors whose slots did not change get nothing" in html

    publish_from_the_page(client, draft, django_capture_on_commit_callbacks)
    visitors_told = {m.to[0] for m in mail.outbox} - {manager.email}
    assert visitors_told == {t.user.email for t in preview.visitors}
    body = next(m.body for m in mail.outbox if m.to == [stays.email])
    assert f"New partner: {third.suite.name}" in body and newcomer.get_full_name() in body
    assert f"(was {leaves.get_full_name()})" in body
    body = next(m.body for m in mail.outbox if m.to == [leaves.email])
    assert f"Removed: {third.suite.name}" in body
    assert AuditEntry.objects.filter(action="rota.republished").count() == 1

    # Nothing changed since: nothing to send, and the service refuses.
    html = confirm_page(client, draft).content.decode()
    assert "there is nothing to send" in html and 'name="confirm"' not in html
    with pytest.raises(ConflictError) as refused:
        rota.publish(actor=manager, period=draft)
    assert refused.value.code == "nothing_changed"


def test_a_swap_is_told_at_once_and_not_again_on_publishing(
    client, manager, draft, django_capture_on_commit_callbacks
):
    client.force_login(manager)
    publish_from_the_page(client, draft, django_capture_on_commit_callbacks)
    # The last slot someone else may take (on some seeds nobody free may take the very last:
    # a vetting lapses before it, or everyone free already has a visit that week).
    for slot in reversed(filled_slots(draft)):
        offerer = slot.visitors.first()
        swap = rota.offer(actor=offerer, slot=slot)
        taker = next(
            (
                m.user
                for m in rota.rostered_members(draft.scheme_id)
                if not rota.can_take(swap, m.user)
                and m.user_id not in {u.pk for u in slot.visitors.all()}
            ),
            None,
        )
        if taker:
            break
        rota.withdraw(actor=offerer, swap=swap)
    rota.take(actor=taker, swap=swap)
    draft.refresh_from_db()
    assert rota.publish_preview(draft).nothing_to_send


# --- The quality panel --------------------------------------------------------------------------


def panel(client, period) -> str:
    html = client.get(reverse("rota-period", args=[period.pk])).content.decode()
    start = html.index('id="quality-title"')
    return re.sub(r"\s+", " ", html[start : html.index("</section>", start)])


def test_the_panel_has_a_row_for_each_hard_rule_the_figures_count(client, manager, draft):
    client.force_login(manager)
    text = panel(client, draft)
    figures = rota.quality_rows(rota_figures(draft))
    rules = [row for row in figures if row.rule]
    assert len(rules) >= 2
    for row in rules:
        assert f"{row.label}</th><td>Holds</td>" in text
    assert "Every hard rule in the list below holds." in text


def rota_figures(period):
    slots = list(period.slots.prefetch_related("visitors"))
    plan = scheduling.Plan(
        pairs={
            s.pk: tuple(u.pk for u in s.visitors.all()) for s in slots if s.visitors.count() == 2
        },
        bands={s.pk: s.time_band for s in slots},
        unfilled={},
    )
    return rota_solver.figures(rota.build_problem(period, slots), plan)


def test_a_hand_change_that_breaks_the_conflict_rule_shows_in_the_panel(client, manager, draft):
    slot = draft.slots.filter(suite__name="King's Lynn").first()
    vera = persona("visitor")  # has a conflict of interest with King's Lynn
    other = next(u for u in slot.visitors.all() if u != vera)
    rota.assign(actor=manager, slot=slot, visitor_ids=[vera.pk, other.pk], accept_warnings=True)
    client.force_login(manager)
    text = panel(client, draft)
    assert "Nobody at a suite they have a conflict with</th><td><strong>Broken" in text
    # Vera's other slots (they differ with the period's seed) may make this one her second
    # that week or month: the line above the table counts every broken row.
    broken = sum(1 for row in rota.quality_rows(rota_figures(draft)) if row.rule and row.broken)
    assert broken >= 1
    said = "1 hard rule is broken" if broken == 1 else f"{broken} hard rules are broken"
    assert said in text


def test_a_hand_change_that_puts_someone_in_twice_in_a_week_shows_in_the_panel(
    client, manager, draft
):
    week = draft.starts_on
    first, second = [s for s in filled_slots(draft) if s.week_starts_on == week][:2]
    twice = first.visitors.first()
    keep = next(u for u in second.visitors.all())
    rota.assign(actor=manager, slot=second, visitor_ids=[keep.pk, twice.pk], accept_warnings=True)
    client.force_login(manager)
    text = panel(client, draft)
    assert "Nobody twice in one week</th><td><strong>Broken once" in text


def test_the_panel_has_a_row_for_every_hard_rule_the_figures_count():
    assert sorted(name for name, _ in rota.HARD_RULE_ROWS) == sorted(scheduling.HARD_RULE_FIGURES)


# --- The calendar feed --------------------------------------------------------------------------


def test_the_feed_shows_the_week_until_the_pair_agree_a_time_then_that_time(client, manager, draft):
    client.force_login(manager)
    rota.publish(actor=manager, period=draft, notify=False)
    draft.refresh_from_db()
    slot = filled_slots(draft)[0]
    one, two = slot.visitors.all()
    feeds = {
        who: rota.feed_for(
            actor=who, membership=rota.rostered_members(draft.scheme_id).get(user=who)
        )
        for who in (one, two)
    }

    def feed_of(user) -> str:
        return client.get(reverse("calendar-feed", args=[feeds[user].token])).content.decode()

    assert f"DTSTART;VALUE=DATE:{slot.week_starts_on:%Y%m%d}" in feed_of(one)
    assert f"DTEND;VALUE=DATE:{slot.week_starts_on + datetime.timedelta(days=7):%Y%m%d}" in (
        feed_of(one)
    )
    agreed = timezone.make_aware(
        datetime.datetime.combine(
            slot.week_starts_on + datetime.timedelta(days=2), datetime.time(19, 40)
        )
    )
    rota.set_planned_time(actor=one, slot=slot, when=agreed)
    for user in (one, two):
        body = feed_of(user)
        # In UTC, which every calendar reads (January: London is on UTC).
        assert f"DTSTART:{agreed:%Y%m%d}T194000Z" in body
        assert f"DTEND:{agreed:%Y%m%d}T214000Z" in body  # two hours
        assert f"DTSTART;VALUE=DATE:{slot.week_starts_on:%Y%m%d}" not in body
    # Another visitor of the scheme, with slots of their own, never sees it.
    other = next(
        m
        for m in rota.rostered_members(draft.scheme_id)
        if m.user_id not in (one.pk, two.pk) and draft.slots.filter(visitors=m.user).exists()
    )
    theirs = rota.feed_for(actor=other.user, membership=other)
    body = client.get(reverse("calendar-feed", args=[theirs.token])).content.decode()
    assert "BEGIN:VEVENT" in body
    assert "T194000" not in body and f"slot-{slot.pk}@" not in body
    # A deactivated account's feed stops, whatever its membership still says.
    one.is_active = False
    one.save(update_fields=["is_active"])
    assert client.get(reverse("calendar-feed", args=[feeds[one].token])).status_code == 404


def test_the_published_period_page_says_changes_wait_in_a_fixed_number_of_queries(
    client, manager, draft, django_assert_max_num_queries, django_capture_on_commit_callbacks
):
    client.force_login(manager)
    publish_from_the_page(client, draft, django_capture_on_commit_callbacks)
    url = reverse("rota-period", args=[draft.pk])
    assert "have not been sent" not in client.get(url).content.decode()
    for slot in filled_slots(draft)[:3]:
        rota.assign(actor=manager, slot=slot, visitor_ids=[], accept_warnings=True)
    # The period page's own queries (15 at most, tests/test_rota.py) and the preview's.
    with django_assert_max_num_queries(24):
        html = client.get(url).content.decode()
    assert "Changes since publishing have not been sent: 6 visitors" in html
    assert reverse("rota-publish", args=[draft.pk]) in html


# --- Who may still read a rota e-mail when it is sent (the review's findings) -------------------


def test_a_visitor_who_has_left_is_not_told_the_rota_nor_reminded(manager, draft):
    from visits import mail_messages, notifications
    from visits.models import Email, Membership, VisitorStatus

    slot = filled_slots(draft)[0]
    gone = slot.visitors.first()
    Membership.objects.filter(user=gone, scheme=draft.scheme).update(status=VisitorStatus.LEFT)
    preview = rota.publish_preview(draft)
    assert gone not in [telling.user for telling in preview.visitors]
    rota.publish(actor=manager, period=draft, notify=True)
    assert not Email.objects.filter(to_user=gone, kind=Email.Kind.ROTA_PUBLISHED).exists()
    # A reminder queued for them is built as nothing to send.
    notifications.queue_rota_reminder(slot)
    reminder = Email.objects.get(to_user=gone, kind=Email.Kind.ROTA_REMINDER)
    assert mail_messages.build(reminder) is None


def test_an_alert_queued_for_a_manager_is_not_sent_once_they_are_the_forces(manager, draft):
    from visits import mail_messages
    from visits.models import Email, Membership, Role
    from visits.tasks import queue_email

    slot = draft.slots.first()
    alert = queue_email(
        kind=Email.Kind.UNCOVERED_SLOT,
        scheme=draft.scheme,
        to_user=manager,
        params={"slot": slot.pk, "reason": "pair"},
    )
    assert mail_messages.build(alert) is not None
    Membership.objects.filter(user=manager, scheme=draft.scheme, role=Role.MANAGER).update(
        role=Role.FORCE
    )
    manager._icv_memberships = None  # what the worker would read afresh
    alert = Email.objects.select_related("to_user").get(pk=alert.pk)
    assert mail_messages.build(alert) is None
