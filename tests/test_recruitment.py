"""Recruitment (issue 22): the public application form and its spam defences, the steps from
received to accepted (the offer that makes the account and the trainee membership once), the
welcome link, who sees applications, retention and subject access.

Personas (tests/conftest.py): the manager (Maya) sees Norfolk's applications; every other
persona (visitor, partner, coordinator, the PCC reader, the force's custody lead, Owen of
Suffolk) sees none: 404, and nothing of an applicant in the page.
"""

import datetime
import re
import time

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.utils import timezone

from tests.conftest import persona
from visits import application_guard, mail_messages
from visits.errors import ConflictError, DomainError, NotFound
from visits.models import (
    Application,
    ApplicationStatus,
    AuditEntry,
    Email,
    Membership,
    Scheme,
    VisitorStatus,
)
from visits.services import recruitment, retention, subject_access

S = ApplicationStatus
APPLY = "/apply/norfolk/"
NAME = "Zinnia Quarrington"  # unusual enough to find, and in no seeded row


def norfolk() -> Scheme:
    return Scheme.objects.get(slug="norfolk")


def stamp(seconds_ago: float = 30, slug: str = "norfolk") -> str:
    return application_guard.issue_stamp(slug, now=time.time() - seconds_ago)


def form_data(**overrides) -> dict:
    data = {
        "first_name": "Zinnia",
        "last_name": "Quarrington",
        "email": "zinnia@example.net",
        "phone": "01603 555123",
        "postcode_area": "nr2",
        "motivation": "I care that people in custody are treated with dignity.",
        "availability": "Evenings and weekends.",
        "declares_adult": "on",
        "declares_not_police": "on",
        "declares_not_justice": "on",
        "consent": "on",
        "website": "",
        "started": stamp(),
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def applicant(**overrides) -> recruitment.Applicant:
    fields = {
        "first_name": "Zinnia",
        "last_name": "Quarrington",
        "email": "zinnia@example.net",
        "phone": "01603 555123",
        "postcode_area": "NR2",
        "motivation": "I care.",
        "availability": "Evenings.",
        "declares_adult": True,
        "declares_not_police": True,
        "declares_not_justice": True,
        "consented": True,
    }
    fields.update(overrides)
    return recruitment.Applicant(**fields)


def received(**overrides) -> Application:
    return recruitment.receive_application(scheme=norfolk(), applicant=applicant(**overrides))


def to_references(application, actor) -> Application:
    """Shortlisted, interviewed, references taken up: two satisfactory ones back."""
    recruitment.move_status(actor=actor, application=application, to=S.SHORTLISTED)
    recruitment.record_interview(
        actor=actor, application=application, interviewed_on=timezone.localdate(), notes="Good."
    )
    recruitment.move_status(actor=actor, application=application, to=S.REFERENCES)
    for name in ("Ann Referee", "Bob Referee"):
        reference = recruitment.add_reference(
            actor=actor, application=application, referee_name=name, relationship="Employer"
        )
        recruitment.record_reference(
            actor=actor,
            reference=reference,
            received_on=timezone.localdate(),
            satisfactory=True,
            notes="",
        )
    return application


# --- The public form ----------------------------------------------------------------------------


def test_the_form_shows_the_privacy_notice_and_no_script(client, db):
    response = client.get(APPLY)
    assert response.status_code == 200
    page = response.content.decode()
    assert "Privacy notice" in page and "12 months after it closes" in page
    assert "the scheme manager only" in page
    assert "<script" not in page  # no script at all (the app's focus.js only with errors)
    assert 'name="started"' in page and 'name="website"' in page
    assert "no-store" in response["Cache-Control"]  # a CSRF token and a time stamp


def test_an_application_is_kept_and_the_manager_is_told(client, db, manager):
    response = client.post(APPLY, form_data())
    assert response.status_code == 302
    assert response["Location"] == "/apply/norfolk/thanks/"
    application = Application.objects.get(email="zinnia@example.net")
    assert (application.full_name, application.postcode_area) == (NAME, "NR2")
    assert application.status == S.RECEIVED and application.consented_at is not None
    assert application.declares_not_police and application.declares_not_justice
    email = Email.objects.get(kind=Email.Kind.APPLICATION_RECEIVED)
    assert email.to_user == manager
    message = mail_messages.build(email)
    assert NAME in message.body and f"/volunteers/applications/{application.pk}/" in message.body
    assert AuditEntry.objects.filter(
        action="application.received", object_id=str(application.pk)
    ).exists()
    thanks = client.get(response["Location"])
    assert "we have your application" in thanks.content.decode()


def refused(client, data, status=400):
    before = Application.objects.count()
    response = client.post(APPLY, data)
    assert response.status_code == status
    assert Application.objects.count() == before  # nothing kept
    page = response.content.decode()
    assert "There is a problem" in page
    assert "Quarrington" in page  # their answers are still there to send again
    # The one script is the app's own (it focuses the error summary): no third party's.
    assert re.findall(r"<script[^>]*>", page) == [
        re.search(r'<script src="/static/js/focus[^"]*\.js" defer>', page).group(0)
    ]
    return page


def test_the_honeypot_is_answered_as_if_it_worked_and_keeps_nothing(client, db):
    before = Application.objects.count()
    response = client.post("/apply/norfolk/", form_data(website="http://spam.example"))
    assert response.status_code == 302 and response["Location"].endswith("/apply/norfolk/thanks/")
    assert Application.objects.count() == before
    assert not Email.objects.filter(kind=Email.Kind.APPLICATION_RECEIVED).exists()


def test_an_account_that_is_not_a_volunteers_is_never_made_a_visitor(db, manager):
    """The address is the applicant's word: the force's custody lead's is refused, not linked."""
    force = persona("force")
    application = to_references(received(email=force.email.upper()), manager)
    recruitment.make_offer(actor=manager, application=application)
    with pytest.raises(ConflictError) as refused:
        recruitment.accept_offer(actor=manager, application=application)
    assert refused.value.code == "account_not_a_volunteers"
    assert set(force.memberships.values_list("role", flat=True)) == {"force"}


def test_a_former_visitor_who_applies_again_comes_back_as_a_trainee(db, manager):
    from visits.services import volunteers

    vera = persona("visitor")
    volunteers.record_leaving(
        actor=manager,
        membership=vera.memberships.get(),
        left_on=timezone.localdate() - datetime.timedelta(days=30),
        reason="Moved away",
    )
    application = to_references(received(email=vera.email), manager)
    recruitment.make_offer(actor=manager, application=application)
    membership = recruitment.accept_offer(actor=manager, application=application)
    membership.refresh_from_db()
    assert membership.pk == vera.memberships.get().pk  # the same record, history kept
    assert (membership.status, membership.left_on) == ("trainee", None)


def test_a_form_sent_within_seconds_is_refused(client, db):
    page = refused(client, form_data(started=stamp(seconds_ago=0)))
    assert "sent too quickly" in page


def test_an_old_form_is_refused_and_given_a_fresh_stamp(client, db):
    page = refused(client, form_data(started=stamp(seconds_ago=2 * 24 * 3600)))
    assert "more than a day ago" in page
    fresh = re.search(r'name="started" value="([^"]+)"', page).group(1)
    assert fresh != form_data()["started"]


@pytest.mark.parametrize(
    "bad",
    ["", "nonsense", stamp(slug="suffolk"), stamp() + "x"],
    ids=["missing", "garbage", "other-scheme", "tampered"],
)
def test_a_missing_or_forged_stamp_is_refused(client, db, bad):
    assert "could not be checked" in refused(client, form_data(started=bad))


def test_a_replayed_form_is_refused(client, db):
    data = form_data()
    assert client.post(APPLY, data).status_code == 302
    page = refused(client, data)
    assert "already been sent" in page
    assert Application.objects.filter(email="zinnia@example.net").count() == 1


def test_the_throttle_counts_per_address(client, db, settings):
    settings.APPLICATIONS_PER_HOUR = 2
    for n in range(2):
        data = form_data(email=f"z{n}@example.net", started=stamp(seconds_ago=30 + n))
        assert client.post(APPLY, data).status_code == 302
    page = refused(client, form_data(started=stamp(seconds_ago=40)), status=429)
    assert "Too many forms were sent from here" in page
    # Another address is not held back.
    other = client.post(APPLY, form_data(started=stamp(50)), REMOTE_ADDR="192.0.2.77")
    assert other.status_code == 302


def test_consent_is_required(client, db):
    page = refused(client, form_data(consent=None))
    assert "you have read the privacy notice" in page


def test_each_declaration_is_required(client, db):
    page = refused(client, form_data(declares_not_police=None))
    assert "You can apply only if this is true" in page


def test_a_bad_postcode_area_is_explained(client, db):
    assert "first half of your postcode" in refused(client, form_data(postcode_area="12345"))


def test_a_consent_refused_application_can_be_sent_again_at_once(client, db):
    data = form_data(consent=None)
    page = refused(client, data)
    kept = re.search(r'name="started" value="([^"]+)"', page).group(1)
    assert kept == data["started"]  # not a new stamp, which would be "too quick" to send again
    assert client.post(APPLY, {**data, "started": kept, "consent": "on"}).status_code == 302


def test_an_unknown_scheme_has_no_form(client, db):
    assert client.get("/apply/atlantis/").status_code == 404


# --- The steps ----------------------------------------------------------------------------------


def test_offer_then_accept_makes_the_account_and_trainee_membership_once(db, manager):
    application = to_references(received(), manager)
    recruitment.make_offer(actor=manager, application=application)
    users_before = get_user_model().objects.count()
    membership = recruitment.accept_offer(actor=manager, application=application)
    assert get_user_model().objects.count() == users_before + 1
    user = membership.user
    assert (user.get_full_name(), user.email) == (NAME, "zinnia@example.net")
    assert not user.has_usable_password()
    assert (membership.scheme, membership.role, membership.status) == (
        norfolk(),
        "visitor",
        VisitorStatus.TRAINEE,
    )
    application.refresh_from_db()
    assert application.status == S.ACCEPTED and application.membership == membership
    assert application.closed_at is not None
    welcome = Email.objects.get(kind=Email.Kind.WELCOME)
    assert welcome.to_user == user
    with pytest.raises(ConflictError) as twice:
        recruitment.accept_offer(actor=manager, application=application)
    assert twice.value.code == "already_accepted"
    assert Membership.objects.filter(user=user).count() == 1


def test_accepting_links_an_existing_account_by_email(db, manager):
    owen = persona("outsider")  # a Suffolk visitor applying to Norfolk too
    application = to_references(received(email=owen.email.upper()), manager)
    recruitment.make_offer(actor=manager, application=application)
    users_before = get_user_model().objects.count()
    membership = recruitment.accept_offer(actor=manager, application=application)
    assert membership.user == owen and get_user_model().objects.count() == users_before
    assert owen.memberships.filter(scheme=norfolk(), status=VisitorStatus.TRAINEE).exists()


def test_someone_already_visiting_for_the_scheme_is_not_made_a_member_twice(db, manager):
    vera = persona("visitor")
    application = to_references(received(email=vera.email), manager)
    recruitment.make_offer(actor=manager, application=application)
    with pytest.raises(ConflictError) as error:
        recruitment.accept_offer(actor=manager, application=application)
    assert error.value.code == "already_member"
    application.refresh_from_db()
    assert application.status == S.OFFERED  # nothing half done


def test_no_offer_before_the_references_are_satisfactory(db, manager):
    application = received()
    recruitment.move_status(actor=manager, application=application, to=S.SHORTLISTED)
    recruitment.record_interview(
        actor=manager, application=application, interviewed_on=timezone.localdate(), notes=""
    )
    recruitment.move_status(actor=manager, application=application, to=S.REFERENCES)
    with pytest.raises(DomainError) as none_yet:
        recruitment.make_offer(actor=manager, application=application)
    assert none_yet.value.code == "references_not_satisfactory"
    first = recruitment.add_reference(
        actor=manager, application=application, referee_name="Ann", relationship=""
    )
    second = recruitment.add_reference(
        actor=manager, application=application, referee_name="Bob", relationship=""
    )
    recruitment.record_reference(
        actor=manager,
        reference=first,
        received_on=timezone.localdate(),
        satisfactory=True,
        notes="",
    )
    with pytest.raises(DomainError, match="come back"):
        recruitment.make_offer(actor=manager, application=application)
    recruitment.record_reference(
        actor=manager,
        reference=second,
        received_on=timezone.localdate(),
        satisfactory=False,
        notes="",
    )
    with pytest.raises(DomainError, match="not satisfactory"):
        recruitment.make_offer(actor=manager, application=application)
    application.refresh_from_db()
    assert application.status == S.REFERENCES


@pytest.mark.parametrize(
    "to, code",
    [
        (S.REFERENCES, "invalid_move"),
        (S.INTERVIEWED, "needs_its_own_step"),
        (S.ACCEPTED, "needs_its_own_step"),
        (S.RECEIVED, "already_there"),
        (S.DECLINED, "invalid_move"),
    ],
)
def test_moves_that_make_no_sense_are_refused(db, manager, to, code):
    application = received()
    with pytest.raises(DomainError) as error:
        recruitment.move_status(actor=manager, application=application, to=to)
    assert error.value.code == code


def test_an_interview_needs_a_shortlist_and_a_closed_application_stays_closed(db, manager):
    application = received()
    with pytest.raises(DomainError) as early:
        recruitment.record_interview(
            actor=manager, application=application, interviewed_on=timezone.localdate(), notes=""
        )
    assert early.value.code == "not_shortlisted"
    recruitment.move_status(actor=manager, application=application, to=S.REJECTED)
    with pytest.raises(ConflictError) as closed:
        recruitment.move_status(actor=manager, application=application, to=S.SHORTLISTED)
    assert closed.value.code == "application_closed"


def test_accepting_without_an_offer_is_refused(db, manager):
    application = to_references(received(), manager)
    with pytest.raises(DomainError) as error:
        recruitment.accept_offer(actor=manager, application=application)
    assert error.value.code == "invalid_move"
    assert not Membership.objects.filter(user__email="zinnia@example.net").exists()


def test_the_welcome_link_sets_the_password_once(client, db, manager):
    application = to_references(received(), manager)
    recruitment.make_offer(actor=manager, application=application)
    membership = recruitment.accept_offer(actor=manager, application=application)
    message = mail_messages.build(Email.objects.get(kind=Email.Kind.WELCOME))
    assert membership.user.username in message.body
    link = re.search(r"http\S+/accounts/welcome/\S+/", message.body).group(0)
    path = link.split("://", 1)[1].split("/", 1)[1]
    form_page = client.get("/" + path, follow=True)
    assert "Choose your password" in form_page.content.decode()
    post_to = form_page.redirect_chain[-1][0]
    done = client.post(
        post_to, {"new_password1": "custody-visit-2026", "new_password2": "custody-visit-2026"}
    )
    assert done.status_code == 302
    membership.user.refresh_from_db()
    assert membership.user.check_password("custody-visit-2026")
    client.logout()
    again = client.get("/" + path, follow=True)
    assert "This link no longer works" in again.content.decode()


def test_the_manager_sends_the_welcome_again_until_the_password_is_set(client, db, manager):
    application = to_references(received(), manager)
    recruitment.make_offer(actor=manager, application=application)
    membership = recruitment.accept_offer(actor=manager, application=application)
    client.force_login(manager)
    page = client.get(f"/volunteers/applications/{application.pk}/").content.decode()
    assert "Send the welcome e-mail again" in page and "lasts 3 days" in page
    url = f"/volunteers/applications/{application.pk}/act/"
    assert client.post(url, {"action": "welcome"}).status_code == 302
    assert Email.objects.filter(kind=Email.Kind.WELCOME, to_user=membership.user).count() == 2
    membership.user.set_password("custody-visit-2026")
    membership.user.save()
    refused = client.post(url, {"action": "welcome"})
    assert refused.status_code == 400
    assert "has not yet set a password" in refused.content.decode()
    assert "Send the welcome e-mail again" not in refused.content.decode()


# --- Who sees applications ----------------------------------------------------------------------


@pytest.mark.parametrize("who", ["visitor", "partner", "coordinator", "pcc", "force", "outsider"])
def test_nobody_but_the_manager_sees_applications(client, db, who):
    application = received()
    client.force_login(persona(who))
    for url in ("/volunteers/applications/", f"/volunteers/applications/{application.pk}/"):
        response = client.get(url)
        assert response.status_code == 404, url
        assert "Quarrington" not in response.content.decode()
    api = client.get("/api/recruitment/applications/")
    assert api.status_code == 200 and api.json()["results"] == []
    assert client.get(f"/api/recruitment/applications/{application.pk}/").status_code == 404
    shortlist = client.post(
        f"/volunteers/applications/{application.pk}/act/", {"action": "shortlisted"}
    )
    assert shortlist.status_code == 404
    application.refresh_from_db()
    assert application.status == S.RECEIVED


def test_the_manager_sees_and_moves_an_application(client, db, manager):
    application = received()
    client.force_login(manager)
    listing = client.get("/volunteers/applications/").content.decode()
    assert NAME in listing and "/apply/norfolk/" in listing
    page = client.get(f"/volunteers/applications/{application.pk}/").content.decode()
    assert "I care." in page and "zinnia@example.net" in page
    url = f"/volunteers/applications/{application.pk}/act/"
    assert client.post(url, {"action": "shortlisted"}).status_code == 302
    application.refresh_from_db()
    assert application.status == S.SHORTLISTED
    api = client.get(f"/api/recruitment/applications/{application.pk}/").json()
    assert (api["last_name"], api["status"]) == ("Quarrington", "shortlisted")


def test_a_refused_step_says_why_on_the_page_and_in_the_htmx_part(client, db, manager):
    application = received()
    client.force_login(manager)
    url = f"/volunteers/applications/{application.pk}/act/"
    page = client.post(url, {"action": "offer"})
    assert page.status_code == 400
    assert "cannot become" in page.content.decode()
    part = client.post(url, {"action": "offer"}, headers={"HX-Request": "true"})
    body = part.content.decode()
    assert part.status_code == 200 and "cannot become" in body
    assert body.lstrip().startswith('<div id="application">')


def test_the_steps_through_the_pages(client, db, manager):
    application = received()
    client.force_login(manager)
    base = f"/volunteers/applications/{application.pk}/"
    client.post(base + "act/", {"action": "shortlisted"})
    today = timezone.localdate().isoformat()
    assert (
        client.post(base + "interview/", {"interviewed_on": today, "notes": "Calm."}).status_code
        == 302
    )
    client.post(base + "act/", {"action": "references"})
    for name in ("Ann", "Bob"):
        assert client.post(base + "references/", {"referee_name": name}).status_code == 302
    for reference in application.references.all():
        prefix = f"reference-{reference.pk}"
        response = client.post(
            f"{base}references/{reference.pk}/",
            {f"{prefix}-received_on": today, f"{prefix}-satisfactory": "yes"},
        )
        assert response.status_code == 302
    client.post(base + "act/", {"action": "offer"})
    client.post(base + "act/", {"action": "accept"})
    application.refresh_from_db()
    assert application.status == S.ACCEPTED and application.interview_notes == "Calm."
    page = client.get(base).content.decode()
    assert f"/volunteers/{application.membership_id}/" in page


def test_the_list_is_within_budget(client, db, manager, django_assert_max_num_queries):
    for n in range(12):
        received(email=f"a{n}@example.net")
    client.force_login(manager)
    # session, user, memberships, schemes, the applications with their reference counts, and
    # base.html's own (a couple); never one per application.
    with django_assert_max_num_queries(10):
        response = client.get("/volunteers/applications/")
    assert response.content.decode().count("/volunteers/applications/") >= 12


def test_the_application_page_is_within_budget(client, db, manager, django_assert_max_num_queries):
    application = Application.objects.get(email="ellen.thirtle@example.org")  # two referees
    client.force_login(manager)
    # session, user, memberships, the application with its scheme, its references, and
    # base.html's own; not one per referee.
    with django_assert_max_num_queries(10):
        response = client.get(f"/volunteers/applications/{application.pk}/")
    page = response.content.decode()
    assert "Jane Cutting" in page and "Rev. Alan Pell" in page
    assert len(response.content) < 50_000


def test_the_service_refuses_a_non_manager(db):
    application = received()
    with pytest.raises(NotFound):
        recruitment.application_for(actor=persona("pcc"), pk=application.pk)


# --- Retention and subject access ---------------------------------------------------------------


def test_retention_deletes_applications_closed_long_ago_but_not_accepted_ones(db, settings):
    settings.APPLICATION_RETENTION_MONTHS = 12
    now = timezone.now()
    old, recent, still_open, lately = received(), received(), received(), received()
    Application.objects.filter(pk=old.pk).update(
        status=S.REJECTED, closed_at=now - datetime.timedelta(days=400)
    )
    Application.objects.filter(pk=recent.pk).update(
        status=S.WITHDRAWN, closed_at=now - datetime.timedelta(days=300)
    )
    Application.objects.filter(pk=still_open.pk).update(
        received_at=now - datetime.timedelta(days=900)
    )
    Application.objects.filter(pk=lately.pk).update(received_at=now - datetime.timedelta(days=200))
    accepted = Application.objects.get(email="tessa.nobbs@example.org")
    Application.objects.filter(pk=accepted.pk).update(closed_at=now - datetime.timedelta(days=900))
    seeded_old = Application.objects.get(email="ivy.colk@example.org")  # seed_demo's, 14 months
    done = {r.scheme: r for r in retention.apply()}
    norfolk_done = done[norfolk().name]
    # Closed over a year ago, or never closed and sent over a year ago (left in the list).
    assert norfolk_done.applications == 3
    assert "3 applications to volunteer deleted" in str(norfolk_done)
    left = set(Application.objects.values_list("pk", flat=True))
    assert not {old.pk, seeded_old.pk, still_open.pk} & left
    assert {recent.pk, lately.pk, accepted.pk} <= left


def test_a_dry_run_deletes_nothing(db):
    before = Application.objects.count()
    assert retention.apply(dry_run=True)
    assert Application.objects.count() == before


def test_subject_access_holds_the_application_of_a_member(db, manager):
    application = to_references(received(), manager)
    recruitment.make_offer(actor=manager, application=application)
    membership = recruitment.accept_offer(actor=manager, application=application)
    document = subject_access.export(actor=manager, person=membership.user, scheme=norfolk())
    (exported,) = document["applications"]
    assert exported["last_name"] == "Quarrington" and exported["motivation"] == "I care."
    assert [r["referee_name"] for r in exported["references"]] == ["Ann Referee", "Bob Referee"]
    assert "notes" not in exported["references"][0]  # given in confidence


# --- Two clicks at once -------------------------------------------------------------------------


@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite lets one writer in at once")
def test_two_accepts_at_once_make_one_account_and_one_membership(transactional_db, monkeypatch):
    """Real concurrency: two threads, each with its own connection, accept the same offer at the
    same moment (a double click reaching two workers). The row lock lets one of them do it."""
    import threading

    from tests.conftest import seed_demo

    seed_demo()
    manager = persona("manager")
    application = to_references(received(), manager)
    recruitment.make_offer(actor=manager, application=application)
    start, results = threading.Barrier(2), []
    # Each acceptance dawdles inside its transaction, so that without the lock both would be
    # past the status check before either committed.
    account_for = recruitment._account_for

    def slowly(application):
        time.sleep(0.3)
        return account_for(application)

    monkeypatch.setattr(recruitment, "_account_for", slowly)

    def click():
        try:
            start.wait()
            mine = Application.objects.get(pk=application.pk)
            recruitment.accept_offer(actor=manager, application=mine)
            results.append("accepted")
        except DomainError as error:
            results.append(error.code)
        finally:
            connection.close()

    threads = [threading.Thread(target=click) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == ["accepted", "already_accepted"]
    assert get_user_model().objects.filter(email="zinnia@example.net").count() == 1
    assert Membership.objects.filter(user__email="zinnia@example.net").count() == 1
    assert Email.objects.filter(kind=Email.Kind.WELCOME).count() == 1
