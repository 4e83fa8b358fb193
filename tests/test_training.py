"""Training and graduation (issue 22): what is due (one rule), graduating a trainee, the TACT
rule when a TACT detainee is recorded, the services' refusals, the manager's pages, the
volunteer's own training, the API, the reminders and subject access.

Personas (tests/conftest.py): the manager (Maya) sees and records every Norfolk volunteer's
training; Vera (visitor) sees her own only; Peter, Carol, the PCC reader, the force's custody
lead and Owen (Suffolk) see nobody else's: 404. The demo (seed_demo) gives every experienced
Norfolk visitor induction, safeguarding, refresher and TACT training, except Harold (no TACT)
and Liam (refresher due within the month); Chloe is a trainee ready to graduate, Grace one who
still has safeguarding to do.
"""

import datetime
import io
import json

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from tests.conftest import persona
from tests.factories import custody_number, make_visit, question_ids
from visits import training_due
from visits.errors import DomainError, NotFound, NotPermitted
from visits.models import (
    AuditEntry,
    Email,
    Membership,
    TrainingCompletion,
    TrainingModule,
    VisitorStatus,
)
from visits.services import subject_access, training
from visits.services import visits as visit_service

TODAY = timezone.localdate()
DAY = datetime.timedelta(days=1)


def member(username: str, scheme="norfolk") -> Membership:
    return Membership.objects.select_related("user", "scheme").get(
        user__username=username, scheme__slug=scheme
    )


def module(key: str, scheme="norfolk") -> TrainingModule:
    return TrainingModule.objects.get(key=key, scheme__slug=scheme)


def due_of(username: str) -> dict[str, str]:
    return {d.module.key: d.reason for d in training_due.due_training([member(username)])}


# --- What is due --------------------------------------------------------------------------------


def test_the_demo_has_the_standard_modules_in_each_scheme(db):
    for slug in ("norfolk", "suffolk"):
        keys = set(TrainingModule.objects.filter(scheme__slug=slug).values_list("key", flat=True))
        assert keys == {"induction", "safeguarding", "refresher", "tact"}


def test_a_trained_visitor_has_nothing_due(db):
    assert due_of("visitor") == {}


def test_a_renewal_within_the_month_is_due(db):
    due = due_of("liam.woodhouse")
    assert list(due) == ["refresher"]
    assert due["refresher"].startswith("Renewal due on ")


def test_never_done_is_due_and_the_experienced_modules_wait_for_graduation(db):
    # Grace, a trainee: induction done, safeguarding never; the refresher is not asked of her
    # yet, nor TACT training (nobody is told to take it).
    assert due_of("grace.bunn") == {"safeguarding": "Never done"}


def test_tact_training_held_must_be_kept_current(db, manager):
    vera = member("visitor")
    TrainingCompletion.objects.filter(membership=vera, module__key="tact").update(
        completed_on=TODAY - datetime.timedelta(days=3 * 365 + 5)
    )
    assert "tact" in due_of("visitor")
    assert training.holds_tact_training([vera], TODAY)[vera.pk] is False


def test_a_retired_module_is_no_longer_due(db, manager):
    training.retire_module(actor=manager, module=module("refresher"))
    assert due_of("liam.woodhouse") == {}
    assert AuditEntry.objects.filter(action="training.module_retired").exists()


@pytest.mark.parametrize(
    "day, months, expected",
    [
        (datetime.date(2026, 1, 31), 1, datetime.date(2026, 2, 28)),
        (datetime.date(2024, 2, 29), 12, datetime.date(2025, 2, 28)),
        (datetime.date(2026, 11, 15), 3, datetime.date(2027, 2, 15)),
    ],
)
def test_renewal_dates_keep_to_the_calendar(day, months, expected):
    assert training_due.add_months(day, months) == expected


# --- Graduation ---------------------------------------------------------------------------------


def test_a_trainee_with_the_visits_and_training_is_ready(db):
    chloe = training.graduation_of(member("chloe.gotts"))
    assert chloe.ready and chloe.visits_done == chloe.visits_needed == 12
    grace = training.graduation_of(member("grace.bunn"))
    assert not grace.ready
    assert grace.what_is_missing == [
        "0 of 12 mentored visits made",
        "Safeguarding not done or not current",
    ]


def test_submitted_visits_count_towards_graduation_and_drafts_do_not(db):
    grace = member("grace.bunn")
    make_visit(visitors=[persona("grace.bunn"), persona("visitor")])
    make_visit(visitors=[persona("grace.bunn"), persona("visitor")], status="draft")
    assert training.graduation_of(grace).visits_done == 1


def test_graduating_makes_an_experienced_visitor_and_is_audited(db, manager):
    chloe = member("chloe.gotts")
    training.graduate(actor=manager, membership=chloe)
    assert member("chloe.gotts").status == VisitorStatus.ACTIVE
    entry = AuditEntry.objects.get(action="volunteer.graduated", object_id=str(chloe.pk))
    assert entry.detail["visits"] == 12 and entry.detail["override_reason"] == ""
    # Now an experienced visitor, the refresher is asked of her too.
    assert "refresher" in due_of("chloe.gotts")
    with pytest.raises(DomainError) as again:
        training.graduate(actor=manager, membership=member("chloe.gotts"))
    assert again.value.code == "not_a_trainee"


def test_graduating_before_ready_needs_a_reason(db, manager):
    grace = member("grace.bunn")
    with pytest.raises(DomainError) as refused:
        training.graduate(actor=manager, membership=grace)
    assert refused.value.code == "not_ready_to_graduate"
    assert "0 of 12 mentored visits made" in refused.value.message
    assert member("grace.bunn").status == VisitorStatus.TRAINEE
    training.graduate(
        actor=manager, membership=grace, override_reason="Experienced visitor elsewhere"
    )
    entry = AuditEntry.objects.get(action="volunteer.graduated", object_id=str(grace.pk))
    assert entry.detail["override_reason"] == "Experienced visitor elsewhere"
    assert entry.detail["training_missing"] == ["Safeguarding"]


def test_only_the_manager_graduates(db):
    for username in ("visitor", "coordinator", "pcc", "force", "outsider"):
        with pytest.raises(NotPermitted):
            training.graduate(actor=persona(username), membership=member("chloe.gotts"))
    assert member("chloe.gotts").status == VisitorStatus.TRAINEE


# --- TACT ---------------------------------------------------------------------------------------


def test_tact_trained_visitors_record_a_tact_detainee(db):
    visit = make_visit(visitors=[persona("visitor"), persona("partner")], tact=True)
    assert visit.involves_tact


def _tact_detainee(visit, actor):
    return visit_service.save_detainee(
        actor=actor,
        visit=visit,
        details=visit_service.DetaineeDetails(
            custody_number=custody_number("norfolk", 7),
            tact=True,
            answers=dict.fromkeys(question_ids(visit.detainee_checklist_id), ("yes", "")),
        ),
    )


def test_a_visitor_without_tact_training_is_told_before_recording_a_tact_detainee(db):
    harold, vera = persona("harold.thrower"), persona("visitor")
    visit = make_visit(visitors=[harold, vera], status="draft")
    with pytest.raises(DomainError) as own:
        _tact_detainee(visit, harold)
    assert own.value.code == "tact_training_required" and own.value.field == "tact"
    assert own.value.message.startswith("You do not have current TACT training")
    with pytest.raises(DomainError) as partner:
        _tact_detainee(visit, vera)
    # Vera is not told about Harold's training, only that someone on the report lacks it.
    assert partner.value.message.startswith("A visitor on this report does not have")
    assert not visit.detainees.exists()
    # A detainee not held under TACT is recorded as ever.
    visit_service.save_detainee(
        actor=harold,
        visit=visit,
        details=visit_service.DetaineeDetails(custody_number=custody_number("norfolk", 8)),
    )


def test_a_scheme_without_a_tact_module_does_not_ask_for_it(db, manager):
    training.retire_module(actor=manager, module=module("tact"))
    harold = persona("harold.thrower")
    visit = make_visit(visitors=[harold, persona("visitor")], status="draft")
    _tact_detainee(visit, harold)
    assert visit.detainees.filter(tact=True).exists()


def test_the_visit_page_shows_the_tact_refusal_by_the_field(client, db):
    harold = persona("harold.thrower")
    visit = make_visit(visitors=[harold, persona("visitor")], status="draft")
    client.force_login(harold)
    data = {"custody_number": custody_number("norfolk", 9), "tact": "on", "consent": "agreed"}
    response = client.post(f"/visits/{visit.uuid}/detainees/new/", data)
    page = response.content.decode()
    assert response.status_code == 400
    assert "You do not have current TACT training" in page
    assert "There is a problem" in page  # the error summary links to the TACT box
    assert not visit.detainees.exists()


# --- Services' refusals -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "change, code",
    [
        ({"completed_on": TODAY + DAY}, "date_in_future"),
        ({"completed_on": datetime.date(1999, 12, 31)}, "date_too_early"),
        ({"module": "suffolk"}, "module_invalid"),
        ({"note": "x" * 201}, "note_too_long"),
    ],
)
def test_recording_training_refuses_bad_input(db, manager, change, code):
    kwargs = {
        "membership": member("grace.bunn"),
        "module": module("safeguarding"),
        "completed_on": TODAY,
        **change,
    }
    if kwargs["module"] == "suffolk":
        kwargs["module"] = module("safeguarding", "suffolk")
    with pytest.raises(DomainError) as refused:
        training.record_completion(actor=manager, **kwargs)
    assert refused.value.code == code
    assert due_of("grace.bunn") == {"safeguarding": "Never done"}


def test_the_same_record_twice_is_refused_and_a_wrong_one_removed(db, manager):
    grace = member("grace.bunn")
    done = training.record_completion(
        actor=manager, membership=grace, module=module("safeguarding"), completed_on=TODAY
    )
    assert due_of("grace.bunn") == {}
    with pytest.raises(DomainError) as twice:
        training.record_completion(
            actor=manager, membership=grace, module=module("safeguarding"), completed_on=TODAY
        )
    assert twice.value.code == "completion_repeated"
    training.remove_completion(actor=manager, completion=done)
    assert due_of("grace.bunn") == {"safeguarding": "Never done"}
    actions = list(
        AuditEntry.objects.filter(action__startswith="training.completion").values_list(
            "action", flat=True
        )
    )
    assert actions[-2:] == ["training.completion_recorded", "training.completion_removed"]


def test_adding_a_module_checks_its_name_and_renewal(db, manager):
    norfolk = member("visitor").scheme_id
    new = training.NewModule(name="Mental health awareness", renew_every_months=24)
    made = training.add_module(actor=manager, scheme_id=norfolk, new=new)
    assert made.required_for == "all"
    assert "Mental health awareness" in {
        d.module.name for d in training_due.due_training([member("visitor")])
    }
    for bad, code in [
        (training.NewModule(name="  "), "name_required"),
        (training.NewModule(name="mental HEALTH awareness"), "module_name_taken"),
        (training.NewModule(name="Other", renew_every_months=0), "renewal_out_of_range"),
        (training.NewModule(name="Other", required_for="everyone"), "required_for_invalid"),
    ]:
        with pytest.raises(DomainError) as refused:
            training.add_module(actor=manager, scheme_id=norfolk, new=bad)
        assert refused.value.code == code
    with pytest.raises(NotPermitted):
        training.add_module(actor=persona("visitor"), scheme_id=norfolk, new=new)


# --- Pages --------------------------------------------------------------------------------------


def test_the_volunteer_page_has_the_training_section(
    client, manager, django_assert_max_num_queries
):
    chloe = member("chloe.gotts")
    client.force_login(manager)
    client.get("/volunteers/")
    with django_assert_max_num_queries(10):
        response = client.get(f"/volunteers/{chloe.pk}/")
    page = response.content.decode()
    assert 'id="training"' in page and "Ready to graduate:" in page
    assert "Mentored visits: 12 of 12." in page and "Make them an experienced visitor" in page
    assert "Induction" in page and "Record training" in page
    assert len(response.content) < 50_000


def test_recording_training_on_the_page_without_javascript(client, manager):
    grace = member("grace.bunn")
    client.force_login(manager)
    data = {
        "training-module": module("safeguarding").pk,
        "training-completed_on": TODAY.isoformat(),
        "training-note": "Evening course, Norwich",
    }
    response = client.post(f"/volunteers/{grace.pk}/training/", data)
    assert response.status_code == 302 and response["Location"].endswith(
        f"/volunteers/{grace.pk}/#training"
    )
    page = client.get(response["Location"]).content.decode()
    assert "Training recorded." in page and "Evening course, Norwich" in page
    assert due_of("grace.bunn") == {}


def test_a_mistake_on_the_training_form_is_shown_and_kept(client, manager):
    grace = member("grace.bunn")
    client.force_login(manager)
    data = {
        "training-module": module("safeguarding").pk,
        "training-completed_on": (TODAY + DAY).isoformat(),
        "training-note": "Kept note",
    }
    response = client.post(f"/volunteers/{grace.pk}/training/", data)
    page = response.content.decode()
    assert response.status_code == 400
    assert "There is a problem" in page and "The date cannot be in the future." in page
    assert 'value="Kept note"' in page
    assert "<title>Error:" in page


def test_the_htmx_form_answers_with_the_part(client, manager):
    grace = member("grace.bunn")
    client.force_login(manager)
    data = {
        "training-module": module("safeguarding").pk,
        "training-completed_on": TODAY.isoformat(),
    }
    response = client.post(f"/volunteers/{grace.pk}/training/", data, HTTP_HX_REQUEST="true")
    page = response.content.decode()
    assert response.status_code == 200
    assert page.lstrip().startswith('<section id="training"') and "Training recorded." in page
    assert "<html" not in page
    removed = TrainingCompletion.objects.get(membership=grace, module__key="safeguarding")
    response = client.post(
        f"/volunteers/training/records/{removed.pk}/remove/", HTTP_HX_REQUEST="true"
    )
    assert "Training record removed." in response.content.decode()
    assert not TrainingCompletion.objects.filter(pk=removed.pk).exists()


def test_graduating_on_the_page(client, manager):
    client.force_login(manager)
    grace = member("grace.bunn")
    response = client.post(f"/volunteers/{grace.pk}/graduate/", {})
    assert response.status_code == 400
    assert "Not ready to graduate yet" in response.content.decode()
    chloe = member("chloe.gotts")
    response = client.post(f"/volunteers/{chloe.pk}/graduate/", {})
    assert response.status_code == 302
    assert member("chloe.gotts").status == VisitorStatus.ACTIVE


def test_the_list_flags_who_is_ready_to_graduate(client, manager):
    client.force_login(manager)
    page = client.get("/volunteers/").content.decode()
    assert page.count("Ready to graduate") == 1
    row = page[page.index("Chloe Gotts") :]
    assert row[: row.index("</tr>")].count("Ready to graduate") == 1


def test_the_training_page_lists_modules_and_who_is_due(
    client, manager, django_assert_max_num_queries
):
    client.force_login(manager)
    client.get("/volunteers/")
    with django_assert_max_num_queries(10):
        response = client.get("/volunteers/training/")
    page = response.content.decode()
    assert "TACT visiting" in page and "Every 12 months" in page
    assert "Liam Woodhouse" in page and "Grace Bunn" in page
    assert "Owen" not in page and "Suffolk" not in page
    assert len(response.content) < 50_000


def test_the_training_page_costs_the_same_queries_with_more_volunteers(client, db, manager):
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(manager)
    client.get("/volunteers/training/")
    with CaptureQueriesContext(connection) as before:
        client.get("/volunteers/training/")
    for n in range(3):
        user = get_user_model().objects.create(
            username=f"new{n}", first_name="New", last_name=f"{n}"
        )
        Membership.objects.create(
            user=user, scheme=member("visitor").scheme, role="visitor", status="trainee"
        )
    with CaptureQueriesContext(connection) as after:
        page = client.get("/volunteers/training/").content.decode()
    assert "New 2" in page
    assert len(after) == len(before)


def test_adding_and_retiring_a_module_on_the_page(client, manager):
    client.force_login(manager)
    norfolk = member("visitor").scheme_id
    response = client.post(
        "/volunteers/training/modules/",
        {"module-scheme": norfolk, "module-name": "Induction", "module-required_for": "all"},
    )
    assert response.status_code == 400
    assert "already has a module called “Induction”" in response.content.decode()
    response = client.post(
        "/volunteers/training/modules/",
        {
            "module-scheme": norfolk,
            "module-name": "First aid",
            "module-required_for": "all",
            "module-renew_every_months": "36",
        },
    )
    assert response.status_code == 302
    first_aid = TrainingModule.objects.get(name="First aid", scheme_id=norfolk)
    response = client.post(f"/volunteers/training/modules/{first_aid.pk}/retire/")
    assert response.status_code == 302
    first_aid.refresh_from_db()
    assert first_aid.retired_at is not None


def test_others_cannot_reach_the_training_pages(client, db):
    chloe = member("chloe.gotts")
    suffolk_module = module("tact", "suffolk")
    for username in ("visitor", "coordinator", "pcc", "force", "outsider"):
        client.force_login(persona(username))
        assert client.get("/volunteers/training/").status_code == 404
        assert client.get(f"/volunteers/{chloe.pk}/training/").status_code == 404
        assert client.post(f"/volunteers/{chloe.pk}/graduate/").status_code == 404
    client.force_login(persona("manager"))  # Norfolk's manager: not Suffolk's module
    assert (
        client.post(f"/volunteers/training/modules/{suffolk_module.pk}/retire/").status_code == 404
    )
    assert member("chloe.gotts").status == VisitorStatus.TRAINEE


def test_the_volunteer_sees_their_own_training(client, db):
    client.force_login(persona("grace.bunn"))
    page = client.get("/account/record/").content.decode()
    assert "Your training" in page and "Due: Safeguarding (Never done)." in page
    assert "Mentored visits: 0 of 12." in page and "Induction, completed on" in page


# --- API ----------------------------------------------------------------------------------------


def test_the_api_gives_the_manager_modules_and_records(client, manager):
    client.force_login(manager)
    modules = client.get("/api/training/modules/").json()
    names = (
        {m["name"] for m in modules["results"]}
        if "results" in modules
        else {m["name"] for m in modules}
    )
    assert names == {"Induction", "Safeguarding", "Refresher", "TACT visiting"}
    grace = member("grace.bunn")
    response = client.post(
        "/api/training/records/",
        {
            "volunteer": grace.pk,
            "module": module("safeguarding").pk,
            "completed_on": TODAY.isoformat(),
        },
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    record = response.json()
    assert record["module_name"] == "Safeguarding" and record["recorded_by"] == "Maya Brook"
    again = client.post(
        "/api/training/records/",
        {
            "volunteer": grace.pk,
            "module": module("safeguarding").pk,
            "completed_on": TODAY.isoformat(),
        },
        content_type="application/json",
    )
    assert again.status_code == 400 and again.json()["code"] == "completion_repeated"
    assert client.delete(f"/api/training/records/{record['id']}/").status_code == 204
    assert due_of("grace.bunn") == {"safeguarding": "Never done"}


def test_the_api_gives_a_volunteer_their_own_training(client, db):
    client.force_login(persona("grace.bunn"))
    [own] = client.get("/api/me/training/").json()
    assert [d["module_name"] for d in own["due"]] == ["Safeguarding"]
    assert own["mentored_visits"] == {"done": 0, "needed": 12, "ready": False}
    assert [c["module_name"] for c in own["completed"]] == ["Induction"]


@pytest.mark.parametrize("username", ["visitor", "pcc", "force", "outsider"])
def test_the_api_shows_others_no_training(client, db, username):
    chloe_record = TrainingCompletion.objects.filter(membership=member("chloe.gotts")).first()
    client.force_login(persona(username))
    body = json.dumps(client.get("/api/training/records/").json())
    assert "Chloe" not in body and "Safeguarding" not in body
    assert client.get(f"/api/training/records/{chloe_record.pk}/").status_code == 404
    modules = client.get("/api/training/modules/").json()
    assert "Induction" not in json.dumps(modules)


# --- Reminders and subject access ---------------------------------------------------------------


def test_reminders_go_once(db, django_capture_on_commit_callbacks):
    out = io.StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("send_training_reminders", stdout=out)
        call_command("send_training_reminders", stdout=io.StringIO())
    liam = Email.objects.filter(kind=Email.Kind.TRAINING_DUE, to_user__username="liam.woodhouse")
    assert liam.count() == 1
    digests = Email.objects.filter(kind=Email.Kind.TRAINING_DIGEST, to_user__username="manager")
    assert digests.count() == 1
    sent = {m.to[0]: m for m in mail.outbox}
    liam_mail = sent[persona("liam.woodhouse").email]
    assert liam_mail.subject == "Training due: Refresher" and "Renewal due on" in liam_mail.body
    digest = sent[persona("manager").email]
    assert "Grace Bunn: Safeguarding (Never done)" in digest.body
    assert "Owen" not in digest.body


def test_a_reminder_built_after_the_training_was_done_is_not_sent(db, manager):
    from visits import mail_messages, notifications

    item = next(d for d in training_due.due_training([member("grace.bunn")]))
    email = notifications.queue_training_due(item, TODAY)
    assert email == 1
    training.record_completion(
        actor=manager,
        membership=member("grace.bunn"),
        module=module("safeguarding"),
        completed_on=TODAY,
    )
    queued = Email.objects.get(kind=Email.Kind.TRAINING_DUE, to_user__username="grace.bunn")
    assert mail_messages.build(queued) is None


def test_the_training_job_is_scheduled(db):
    from visits import scheduler

    jobs = {j.name: j for j in scheduler.registered_jobs()}
    assert jobs["training_reminders"].command == "send_training_reminders"


def test_subject_access_includes_training(db, manager):
    grace = member("grace.bunn")
    document = subject_access.export(actor=manager, person=grace.user, scheme=grace.scheme)
    assert [t["module"] for t in document["training"]] == ["Induction"]
    assert document["training"][0]["recorded_by"] == "Maya Brook"


def test_volunteer_for_is_still_the_scope(db, manager):
    with pytest.raises(NotFound):
        training.record_completion(
            actor=manager,
            membership=Membership.objects.get(user__username="force", scheme__slug="norfolk"),
            module=module("induction"),
            completed_on=TODAY,
        )


# --- The admin: leaving is the service's ---------------------------------------------------------


def test_the_admin_cannot_make_a_leaver_or_change_one(client, manager):
    from tests.test_admin_write_path import editable_change

    client.force_login(manager)
    liam = member("liam.woodhouse")
    page = client.get(f"/admin/visits/membership/{liam.pk}/change/").content.decode()
    assert 'name="status"' in page and 'value="left"' not in page  # pausing stays possible
    data = editable_change(liam, status="left")
    response = client.post(f"/admin/visits/membership/{liam.pk}/change/", data)
    assert response.status_code == 200 and "Select a valid choice" in response.content.decode()
    assert member("liam.woodhouse").status == VisitorStatus.ACTIVE
    walter = member("walter.clarke")  # left, through the demo
    page = client.get(f"/admin/visits/membership/{walter.pk}/change/").content.decode()
    assert 'name="status"' not in page
    client.post(
        f"/admin/visits/membership/{walter.pk}/change/",
        editable_change(walter, status="active", would_save=False),
    )
    assert member("walter.clarke").status == VisitorStatus.LEFT


def test_the_api_refuses_a_tact_detainee_to_an_untrained_visitor(client, db):
    harold = persona("harold.thrower")
    visit = make_visit(visitors=[harold, persona("visitor")], status="draft")
    client.force_login(harold)
    response = client.post(
        f"/api/visits/{visit.uuid}/detainees/",
        {"custody_number": custody_number("norfolk", 9), "tact": True},
        content_type="application/json",
    )
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "tact_training_required"
    assert "current TACT training" in json.dumps(body)
    assert not visit.detainees.exists()


def test_the_admin_cannot_graduate_a_trainee(client, manager):
    """A trainee becomes experienced through `graduate`, on the volunteer's page."""
    from tests.test_admin_write_path import editable_change

    client.force_login(manager)
    chloe = member("chloe.gotts")
    assert chloe.status == VisitorStatus.TRAINEE
    page = client.get(f"/admin/visits/membership/{chloe.pk}/change/").content.decode()
    assert 'name="status"' not in page
    client.post(
        f"/admin/visits/membership/{chloe.pk}/change/",
        editable_change(chloe, status="active", would_save=False),
    )
    assert member("chloe.gotts").status == VisitorStatus.TRAINEE


def test_a_scheme_made_in_the_admin_starts_with_the_standard_modules(admin_client):
    from visits.models import Scheme

    data = {
        f.name: f.get_default()
        for f in Scheme._meta.fields
        if f.editable and f.name != "id" and f.get_default() is not None
    }
    data |= {"name": "Gwent ICV Scheme", "slug": "gwent", "force_name": "Gwent Police"}
    response = admin_client.post("/admin/visits/scheme/add/", data)
    scheme = Scheme.objects.filter(slug="gwent").first()
    assert scheme is not None, response.content.decode()
    keys = set(TrainingModule.objects.filter(scheme=scheme).values_list("key", flat=True))
    assert {"induction", "tact"} <= keys
