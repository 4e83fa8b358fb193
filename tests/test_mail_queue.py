"""E-mail off the request (issue 18): queued with the change, sent by a worker, retried, visible.

The suite runs tasks with the immediate backend (icv/settings.py: TESTING), each on commit of
the change that queued it; the tests marked "database backend" use django-tasks' real database
queue and its real worker (`db_worker --batch`). A mail server that is down is a real SMTP
connection to a closed port on 127.0.0.1, not a mock.

Personas: visitor and partner record the Wymondham visit; manager (Maya) and force (Frances)
are its report's readers; pcc, force and visitor must never see the e-mail page (404).
"""

import datetime
import io
import socket
import uuid

import pytest
import time_machine
from django.core import mail
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from tests.conftest import persona
from tests.factories import make_visit, whole_report
from tests.test_api_visits import signature_data_url
from visits.models import AuditEntry, Email, Visit
from visits.notifications import visit_report_readers
from visits.services import mail as mail_service
from visits.services import visits as service
from visits.tasks import RETRY_AFTER, deliver_email, queue_email

pytestmark = pytest.mark.django_db

DATABASE_QUEUE = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


def closed_port() -> int:
    """A TCP port on 127.0.0.1 where nothing listens (bound, then let go)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def mail_server_down(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = closed_port()
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_TIMEOUT = 5


def mail_server_back(settings) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


def ready_draft(days_ago=3) -> Visit:
    """A Wymondham draft of visitor and partner with everything but the submission."""
    visitors = [persona("visitor"), persona("partner")]
    arrived = timezone.now() - datetime.timedelta(days=days_ago)
    draft = make_visit(
        visitors=visitors, status=Visit.Status.DRAFT, detainees=1, arrived_at=arrived
    )
    service.record_sign_off(
        actor=visitors[0],
        visit=draft,
        sign_off=service.SignOff(
            departed_at=draft.arrived_at + datetime.timedelta(minutes=90),
            outcome=Visit.Outcome.SATISFACTORY,
            sergeant_name="PS 1234 Hart",
            sergeant_confirmed=True,
            confirmed_by=visitors,
        ),
    )
    return draft


def reader_addresses(visit) -> list[str]:
    return [user.email for user in visit_report_readers(visit)]


def pdf_mails_of(visit) -> list:
    return [
        m
        for m in mail.outbox
        if m.subject.startswith("Custody visit report")
        and m.attachments
        and m.attachments[0][2] == "application/pdf"
        and f"{visit.visit_date:%d %B %Y}" in m.subject
    ]


# --- A stored report is never answered with an error because of mail ---------------------------


def test_mail_server_down_reports_are_stored_and_their_emails_sent_once_it_is_back(
    client, settings, mail_server_down, django_capture_on_commit_callbacks
):
    visitor = persona("visitor")
    client.force_login(visitor)

    by_page = ready_draft()
    with django_capture_on_commit_callbacks(execute=True):
        page = client.post(reverse("visit-check", args=[by_page.uuid]))
    assert page.status_code == 302 and page["Location"] == f"/visits/{by_page.uuid}/"

    by_api = ready_draft(days_ago=4)  # another day: its e-mails' subjects tell them apart
    with django_capture_on_commit_callbacks(execute=True):
        api = client.post(f"/api/visits/{by_api.uuid}/submit/", {}, content_type="application/json")
    assert api.status_code == 200 and api.json()["status"] == "submitted"

    key = uuid.uuid4()
    body = whole_report(visitor=visitor, partner=persona("partner"))
    body["sign_off"]["signature"] = signature_data_url()
    with django_capture_on_commit_callbacks(execute=True):
        whole = client.put(f"/api/visits/{key}/report/", body, content_type="application/json")
    assert whole.status_code == 201 and whole.json()["outcome"] == "created"
    by_phone = Visit.objects.get(uuid=key)

    visits = [by_page, by_api, by_phone]
    for visit in visits:
        visit.refresh_from_db()
        assert visit.status == Visit.Status.SUBMITTED
    emails = Email.objects.filter(kind=Email.Kind.VISIT_REPORT)
    expected = sorted((v.pk, a) for v in visits for a in reader_addresses(v))
    assert len(expected) >= 6  # the manager and the force lead, for each of the three
    assert sorted((e.params["visit"], e.to_address) for e in emails) == expected
    for email in emails:
        assert email.status == Email.Status.RETRYING
        assert email.attempts == 1
        assert email.last_error.startswith("ConnectionRefusedError")
        assert email.next_attempt_at > timezone.now()
    assert mail.outbox == []

    # The mail server is back; the sweep runs when the first retry is due.
    mail_server_back(settings)
    with time_machine.travel(timezone.now() + RETRY_AFTER[0] + datetime.timedelta(seconds=5)):
        out = io.StringIO()
        call_command("requeue_emails", stdout=out)
        assert out.getvalue().strip() == f"Re-enqueued {len(expected)} e-mails."
        call_command("requeue_emails", stdout=out)  # nothing left to send
    assert out.getvalue().strip().endswith("Re-enqueued 0 e-mails.")
    for visit in visits:
        sent = pdf_mails_of(visit)
        assert sorted(m.to[0] for m in sent) == reader_addresses(visit)  # once per reader
    assert len(mail.outbox) == len(expected)
    assert set(emails.values_list("status", flat=True)) == {Email.Status.SENT}
    force_copy = next(m for m in mail.outbox if m.to == ["force@example.org"])
    assert "OFFICIAL-SENSITIVE" in force_copy.body


def test_a_rolled_back_change_queues_no_email(django_capture_on_commit_callbacks):
    from django.db import transaction

    draft = ready_draft()
    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        service.submit_visit(actor=persona("visitor"), visit=draft)
        assert Email.objects.filter(params__visit=draft.pk).exists()  # in the same transaction
        raise RuntimeError
    assert not Email.objects.exists() and mail.outbox == []


# --- The real database queue and its worker -----------------------------------------------------


@pytest.fixture(autouse=True)
def worker_keeps_the_test_connection(monkeypatch):
    """The worker drops stale connections between tasks (close_old_connections). Inside a test's
    transaction PostgreSQL's connection counts as one (its autocommit is off) and would be
    closed under the test; in production the worker runs outside any transaction."""
    from django_tasks_db.management.commands import db_worker

    monkeypatch.setattr(db_worker, "close_old_connections", lambda: None)


def run_worker() -> None:
    call_command(
        "db_worker",
        "--batch",
        "--no-startup-delay",
        "--no-reload",
        verbosity=0,
        stdout=io.StringIO(),
    )


def test_the_request_only_queues_and_the_worker_renders_and_sends(
    settings, django_capture_on_commit_callbacks
):
    from django_tasks_db.models import DBTaskResult

    settings.TASKS = DATABASE_QUEUE
    draft = ready_draft()
    with django_capture_on_commit_callbacks(execute=True):
        service.submit_visit(actor=persona("visitor"), visit=draft)
    emails = list(Email.objects.filter(params__visit=draft.pk))
    assert len(emails) == len(reader_addresses(draft)) >= 2
    assert {e.status for e in emails} == {Email.Status.QUEUED}
    assert all(e.subject == "" for e in emails)  # not built yet: no PDF in the request
    tasks = DBTaskResult.objects.filter(pk__in=[e.task_id for e in emails])
    assert tasks.count() == len(emails) and {t.status for t in tasks} == {"READY"}
    assert mail.outbox == []

    run_worker()
    assert sorted(m.to[0] for m in pdf_mails_of(draft)) == reader_addresses(draft)
    for email in Email.objects.filter(params__visit=draft.pk):
        assert email.status == Email.Status.SENT and email.sent_at
        assert email.subject.startswith("Custody visit report: Wymondham")
    run_worker()  # the tasks are done: nothing is sent twice
    assert len(mail.outbox) == len(emails)


def test_the_worker_retries_with_backoff_then_fails_with_the_reason(
    settings, mail_server_down, django_capture_on_commit_callbacks
):
    from django_tasks_db.models import DBTaskResult

    settings.TASKS = DATABASE_QUEUE
    draft = ready_draft()
    with django_capture_on_commit_callbacks(execute=True):
        service.submit_visit(actor=persona("visitor"), visit=draft)
    email = Email.objects.filter(params__visit=draft.pk).first()
    started = timezone.now()
    run_worker()
    email.refresh_from_db()
    assert (email.status, email.attempts) == (Email.Status.RETRYING, 1)
    waits = [email.next_attempt_at - started]
    # The retry waits in the queue until it is due: the worker leaves it now.
    retry = DBTaskResult.objects.get(pk=email.task_id)
    assert retry.status == "READY" and retry.run_after == email.next_attempt_at
    run_worker()
    email.refresh_from_db()
    assert email.attempts == 1

    while email.status == Email.Status.RETRYING:
        with time_machine.travel(email.next_attempt_at + datetime.timedelta(seconds=1)):
            before = email.next_attempt_at
            run_worker()
        email.refresh_from_db()
        if email.status == Email.Status.RETRYING:
            waits.append(email.next_attempt_at - before)
    assert email.status == Email.Status.FAILED
    assert email.attempts == len(RETRY_AFTER) + 1
    assert email.last_error.startswith("ConnectionRefusedError")
    assert [round(w.total_seconds() / 60) for w in waits] == [
        round(w.total_seconds() / 60) for w in RETRY_AFTER
    ]
    total = sum(RETRY_AFTER, datetime.timedelta())
    assert datetime.timedelta(hours=20) < total < datetime.timedelta(hours=28)
    assert mail.outbox == []


# --- Claims, the sweep, the sent marks -----------------------------------------------------------


def queued_email(**overrides) -> Email:
    values = {
        "kind": Email.Kind.ISSUE_DIGEST,
        "scheme": persona("manager").memberships.get().scheme,
        "to_user": persona("manager"),
        "params": {"date": timezone.localdate().isoformat()},
    }
    return queue_email(**(values | overrides))


def test_an_email_claimed_by_another_worker_is_not_sent_again(django_capture_on_commit_callbacks):
    from tests.factories import make_reported_issue

    make_reported_issue()  # something for the digest to say
    email = queued_email()
    Email.objects.filter(pk=email.pk).update(status=Email.Status.SENDING, claimed_at=timezone.now())
    assert deliver_email.call(email.pk) == "not due, or taken by another worker"
    Email.objects.filter(pk=email.pk).update(status=Email.Status.QUEUED)
    assert deliver_email.call(email.pk) == "sent"
    assert deliver_email.call(email.pk) == "not due, or taken by another worker"
    assert [m.subject for m in mail.outbox] == ["Issues digest: 0 overdue, 1 to triage"]


def test_the_sweep_sends_what_was_never_enqueued_and_what_a_dead_worker_held():
    from tests.factories import make_reported_issue

    make_reported_issue()
    lost = queued_email()  # its on_commit never ran: as if the process died after the commit
    stuck = queued_email()  # another manager's digest, as far as the sweep can tell
    Email.objects.filter(pk=stuck.pk).update(
        status=Email.Status.SENDING, claimed_at=timezone.now() - datetime.timedelta(minutes=16)
    )
    recent = queued_email(to_user=persona("pcc"))
    Email.objects.filter(pk=recent.pk).update(
        status=Email.Status.SENDING, claimed_at=timezone.now() - datetime.timedelta(minutes=5)
    )
    out = io.StringIO()
    call_command("requeue_emails", stdout=out)
    assert out.getvalue() == "Re-enqueued 2 e-mails.\n"
    assert sorted(m.to[0] for m in mail.outbox) == ["manager@example.org"] * 2
    assert Email.objects.get(pk=lost.pk).status == Email.Status.SENT
    assert Email.objects.get(pk=stuck.pk).status == Email.Status.SENT
    assert Email.objects.get(pk=recent.pk).status == Email.Status.SENDING  # maybe still at it


def test_the_sweep_leaves_an_email_whose_task_waits_in_the_queue(
    settings, django_capture_on_commit_callbacks
):
    settings.TASKS = DATABASE_QUEUE
    with django_capture_on_commit_callbacks(execute=True):
        email = queued_email()
    assert email.pk and Email.objects.get(pk=email.pk).task_id
    out = io.StringIO()
    call_command("requeue_emails", stdout=out)
    assert out.getvalue() == "Re-enqueued 0 e-mails.\n"


def test_an_email_its_reader_may_no_longer_read_is_not_sent(django_capture_on_commit_callbacks):
    from django.contrib.auth import get_user_model

    from visits.notifications import queue_visit_report

    report = make_visit(visitors=[persona("visitor"), persona("partner")])
    queued = {email.to_address: email for email in queue_visit_report(report)}
    get_user_model().objects.filter(username="force").update(is_active=False)  # she has left
    gone = queue_email_for_a_deleted_issue()
    deleted_slot = queue_email(
        kind=Email.Kind.ROTA_SLOT_CHANGED,
        scheme=report.scheme_id,
        to_user=persona("visitor"),
        params={"slot": 987654},  # a slot deleted since
    )
    for email in [*queued.values(), gone, deleted_slot]:
        deliver_email.call(email.pk)
    assert [m.to for m in mail.outbox] == [["manager@example.org"]]
    for email in (queued["force@example.org"], gone, deleted_slot):
        email.refresh_from_db()
        assert email.status == Email.Status.CANCELLED
        assert email.last_error.startswith("Nothing to send")


def queue_email_for_a_deleted_issue() -> Email:
    from tests.factories import make_reported_issue

    issue = make_reported_issue()
    email = queue_email(
        kind=Email.Kind.ISSUE_UPDATE,
        scheme=issue.scheme_id,
        to_user=persona("manager"),
        params={"issue": issue.pk, "action": "respond"},
    )
    type(issue).with_withdrawn.filter(pk=issue.pk).delete()
    return email


def test_a_sent_mark_is_refused_by_the_database_not_by_a_check():
    first = queued_email(dedupe_key="issue-digest:test")
    second = queued_email(dedupe_key="issue-digest:test")
    assert first is not None and second is None
    assert Email.objects.filter(dedupe_key="issue-digest:test").count() == 1


def test_rota_reminders_twice_the_same_day_send_nothing_twice(django_capture_on_commit_callbacks):
    from tests.factories import make_period, make_slot

    period = make_period()
    today = timezone.localdate()
    slot = make_slot(
        period=period, suite_name="Wymondham", visitors=[persona("visitor"), persona("partner")]
    )
    slot.week_starts_on = today + datetime.timedelta(days=2)
    slot.save()
    for _ in range(2):
        # Another machine's run, or the same run again, after the slot's own mark was lost.
        type(slot).objects.filter(pk=slot.pk).update(reminded_at=None)
        with django_capture_on_commit_callbacks(execute=True):
            call_command("send_rota_reminders", stdout=io.StringIO())
    reminders = [m for m in mail.outbox if m.subject == "Your custody visit is coming up"]
    assert sorted(m.to[0] for m in reminders) == ["partner@example.org", "visitor@example.org"]


# --- The manager's page -------------------------------------------------------------------------


def failed_email() -> Email:
    email = queued_email()
    Email.objects.filter(pk=email.pk).update(
        status=Email.Status.FAILED,
        attempts=7,
        subject="Issues digest: 0 overdue, 1 to triage",
        last_error="ConnectionRefusedError: [Errno 111] Connection refused",
    )
    return Email.objects.get(pk=email.pk)


def test_the_manager_sees_the_schemes_emails_with_their_state(client):
    from tests.factories import make_reported_issue

    make_reported_issue()
    failed = failed_email()
    sent = queued_email(to_user=persona("force"), kind=Email.Kind.FORCE_REMINDER)
    Email.objects.filter(pk=sent.pk).update(
        status=Email.Status.SENT, sent_at=timezone.now(), subject="1 issue(s) for your response"
    )
    outsider_scheme = persona("outsider").memberships.get().scheme
    queued_email(scheme=outsider_scheme, to_user=persona("outsider"))
    client.force_login(persona("manager"))
    page = client.get(reverse("email-list")).content.decode()
    assert "2 e-mails." in page
    assert "manager@example.org" in page and "force@example.org" in page
    assert "outsider@example.org" not in page  # another scheme's
    assert "ConnectionRefusedError: [Errno 111] Connection refused" in page
    assert page.count("Send again") == 1
    assert page.index("1 issue(s) for your response") < page.index("Issues digest")  # newest first
    assert reverse("email-send-again", args=[failed.pk]) in page

    only_failed = client.get(reverse("email-list"), {"status": "failed"}).content.decode()
    assert "1 e-mail." in only_failed and "force@example.org" not in only_failed
    part = client.get(reverse("email-list"), {"status": "sent"}, headers={"HX-Request": "true"})
    assert part.content.decode().strip().startswith('<div id="email-list">')
    assert "1 issue(s) for your response" in part.content.decode()


def test_the_list_takes_the_same_queries_for_many_emails(client, django_assert_num_queries):
    client.force_login(persona("manager"))
    for _ in range(3):
        queued_email()
    client.get(reverse("email-list"))  # warm the session and the user
    # session, user, memberships (managed schemes), the count, the page's rows
    with django_assert_num_queries(5):
        few = client.get(reverse("email-list"))
    for _ in range(60):
        queued_email()
    with django_assert_num_queries(5):
        many = client.get(reverse("email-list"))
    rows = "<dt>Attempts</dt>"
    assert few.content.decode().count(rows) == 3 and many.content.decode().count(rows) == 50
    assert "Page 1 of 2" in many.content.decode()


@pytest.mark.parametrize("who", ["visitor", "partner", "coordinator", "pcc", "force", "outsider"])
def test_nobody_but_the_manager_sees_the_page_or_sends_again(client, who):
    email = failed_email()
    client.force_login(persona(who))
    assert client.get(reverse("email-list")).status_code == 404
    assert client.post(reverse("email-send-again", args=[email.pk])).status_code == 404
    assert Email.objects.get(pk=email.pk).status == Email.Status.FAILED


def test_send_again_queues_a_failed_email_audited_and_sends_it(
    client, django_capture_on_commit_callbacks
):
    from tests.factories import make_reported_issue

    make_reported_issue()
    email = failed_email()
    client.force_login(persona("manager"))
    with django_capture_on_commit_callbacks(execute=True):
        answer = client.post(reverse("email-send-again", args=[email.pk]), follow=True)
    assert "The e-mail to manager@example.org is queued again." in answer.content.decode()
    email.refresh_from_db()
    assert email.status == Email.Status.SENT and email.attempts == 1 and email.last_error == ""
    assert [m.to for m in mail.outbox] == [["manager@example.org"]]
    entry = AuditEntry.objects.filter(action="email.sent_again").get()
    assert entry.actor == persona("manager") and entry.object_id == str(email.pk)
    assert entry.detail["last_error"].startswith("ConnectionRefusedError")

    again = client.post(reverse("email-send-again", args=[email.pk]), follow=True)
    assert "Only an e-mail that failed can be sent again." in again.content.decode()
    assert len(mail.outbox) == 1


def test_the_manager_home_links_to_the_emails(client):
    client.force_login(persona("manager"))
    assert reverse("email-list") in client.get(reverse("home")).content.decode()
    client.force_login(persona("visitor"))
    assert reverse("email-list") not in client.get(reverse("home")).content.decode()


def test_the_admin_shows_emails_read_only(client):
    email = failed_email()
    client.force_login(persona("manager"))
    page = client.get(reverse("admin:visits_email_change", args=[email.pk]))
    assert page.status_code == 200 and "ConnectionRefusedError" in page.content.decode()
    assert 'name="status"' not in page.content.decode()
    assert client.get(reverse("admin:visits_email_add")).status_code == 403


# --- Workers at once ----------------------------------------------------------------------------


def test_four_workers_at_once_send_an_email_once(transactional_db):
    """Real concurrency: four threads, each with its own database connection, committed data,
    handed the same e-mail at the same moment (as when the sweep re-enqueued a task that was
    not lost after all). The conditional UPDATE lets one of them claim it."""
    import threading

    from django.db import OperationalError, connection

    from tests.conftest import seed_demo
    from tests.factories import make_reported_issue

    seed_demo()
    make_reported_issue()  # something for the digest to say
    manager = persona("manager")
    # Written directly, without a task: the threads below are the workers.
    email = Email.objects.create(
        kind=Email.Kind.ISSUE_DIGEST,
        scheme=manager.memberships.get().scheme,
        to_user=manager,
        to_address=manager.email,
        params={"date": timezone.localdate().isoformat()},
    )
    start, results = threading.Barrier(4), []

    def worker():
        try:
            start.wait()
            results.append(deliver_email.call(email.pk))
        except OperationalError as error:
            # The test database on SQLite is in memory with a shared cache, where a second
            # writer is refused at once ("table is locked") instead of waiting; that worker's
            # task fails and is retried, so it must not have sent anything either.
            if connection.vendor != "sqlite" or "locked" not in str(error):
                raise
            results.append("not due, or taken by another worker")
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == ["not due, or taken by another worker"] * 3 + ["sent"]
    assert len(mail.outbox) == 1
    assert Email.objects.get(pk=email.pk).attempts == 1


def test_housekeeping_deletes_finished_email_records_past_their_time_never_waiting_ones(
    settings, django_capture_on_commit_callbacks
):
    settings.TASKS = DATABASE_QUEUE
    with django_capture_on_commit_callbacks(execute=True):
        old_sent, old_failed, old_waiting, recent_sent = (queued_email() for _ in range(4))
    long_ago = timezone.now() - mail_service.KEEP_FINISHED - datetime.timedelta(days=1)
    Email.objects.filter(pk__in=[old_sent.pk, old_failed.pk, old_waiting.pk]).update(
        created_at=long_ago
    )
    Email.objects.filter(pk=old_sent.pk).update(status=Email.Status.SENT)
    Email.objects.filter(pk=old_failed.pk).update(status=Email.Status.FAILED)
    Email.objects.filter(pk=recent_sent.pk).update(status=Email.Status.SENT)
    out = io.StringIO()
    call_command("prune_records", stdout=out)
    assert out.getvalue().startswith("Deleted 2 old e-mail records.\n")
    assert set(Email.objects.values_list("pk", flat=True)) == {old_waiting.pk, recent_sent.pk}


def test_a_digest_is_built_only_for_someone_who_still_manages_the_scheme():
    from tests.factories import make_reported_issue
    from visits import mail_messages

    make_reported_issue()
    to_force = queued_email(to_user=persona("force"))  # not a manager: nothing to send them
    assert mail_messages.build(to_force) is None
    assert mail_messages.build(queued_email()) is not None


def test_subject_access_lists_the_emails_sent_to_the_person(client):
    from visits.services import subject_access

    queued_email(to_user=persona("visitor"), kind=Email.Kind.ROTA_REMINDER)
    queued_email(to_user=persona("partner"), kind=Email.Kind.ROTA_REMINDER)
    visitor = persona("visitor")
    document = subject_access.export(
        actor=persona("manager"), person=visitor, scheme=visitor.memberships.get().scheme
    )
    assert [(e["to"], e["kind"]) for e in document["emails"]] == [
        ("visitor@example.org", "Rota reminder")
    ]
