"""The periodic jobs: their schedules, one run per slot however many machines wake for it, a
failure kept and retried, a stuck run reported; and two real `run_scheduler --once` processes
started together on one database, each job run exactly once between them."""

import datetime
import io
import json
import signal
import subprocess
import sys
import time
import zoneinfo

import pytest
import time_machine
from django.core import mail
from django.core.management import CommandError, call_command, get_commands
from django.utils import timezone

from tests.factories import make_reported_issue
from tests.processes import ROOT, manage
from visits import scheduler
from visits.models import AuditEntry, JobRun
from visits.services import audit

LONDON = zoneinfo.ZoneInfo("Europe/London")
UTC = datetime.UTC
THE_FOUR = {"issue_digest", "rota_reminders", "retention", "audit_chain"}


def at(*args) -> datetime.datetime:
    return datetime.datetime(*args, tzinfo=LONDON)


def job(name: str) -> scheduler.Job:
    return next(j for j in scheduler.registered_jobs() if j.name == name)


# --- Schedules and the registry -----------------------------------------------------------------


def test_a_daily_slot_is_the_latest_local_time_at_or_before_now():
    seven = scheduler.Daily(datetime.time(7))
    assert seven.latest_slot(at(2026, 12, 1, 9)) == at(2026, 12, 1, 7)
    assert seven.latest_slot(at(2026, 12, 1, 7)) == at(2026, 12, 1, 7)
    assert seven.latest_slot(at(2026, 12, 1, 6, 59)) == at(2026, 11, 30, 7)
    assert seven.next_slot(at(2026, 12, 1, 7)) == at(2026, 12, 2, 7)
    # In summer 07:00 in London is 06:00 UTC, and the night the clocks go forward has its 07:00.
    assert seven.latest_slot(at(2026, 7, 1, 9)) == datetime.datetime(2026, 7, 1, 6, tzinfo=UTC)
    assert seven.next_slot(at(2026, 3, 29, 0, 30)) == at(2026, 3, 29, 7)
    assert seven.next_slot(at(2026, 3, 29, 0, 30)) - at(2026, 3, 29, 0, 30) == datetime.timedelta(
        hours=5, minutes=30
    )


def test_an_every_n_minutes_slot_is_on_the_clock():
    five = scheduler.Every(5)
    assert five.latest_slot(at(2026, 12, 1, 9, 7, 30)) == at(2026, 12, 1, 9, 5)
    assert five.latest_slot(at(2026, 12, 1, 9, 10)) == at(2026, 12, 1, 9, 10)
    assert five.next_slot(at(2026, 12, 1, 9, 7, 30)) == at(2026, 12, 1, 9, 10)


def test_the_registry_schedules_each_job_whose_command_exists():
    jobs = {j.name: j for j in scheduler.registered_jobs()}
    assert jobs.keys() >= THE_FOUR | {"expired_sessions"}
    assert jobs["issue_digest"].schedule == scheduler.Daily(datetime.time(7))
    assert jobs["issue_digest"].command == "send_issue_digest"
    # The night jobs run at night, before the morning's e-mails.
    for name in ("retention", "audit_chain", "expired_sessions"):
        assert jobs[name].schedule.at < datetime.time(6), name
    # The e-mail sweep comes with its command (the e-mail queue): scheduled exactly when it exists.
    assert ("email_sweep" in jobs) == ("requeue_emails" in get_commands())
    ghost = scheduler.Job("ghost", scheduler.Every(5), "no_such_command", "nothing")
    assert scheduler.registered_jobs([ghost]) == []
    assert scheduler.missing_jobs([ghost]) == [ghost]


# --- One run per slot ---------------------------------------------------------------------------


@time_machine.travel(at(2026, 12, 1, 9), tick=False)
def test_each_due_job_runs_once_per_slot_and_the_digest_is_sent_once(db):
    make_reported_issue()  # one issue for the Norfolk manager to triage
    outcomes = scheduler.run_due()
    assert {o.job.name: o.status for o in outcomes} == {
        j.name: "succeeded" for j in scheduler.registered_jobs()
    }
    digests = [m for m in mail.outbox if m.subject.startswith("Issues digest")]
    assert [m.to for m in digests] == [["manager@example.org"]]
    run = JobRun.objects.get(job="issue_digest")
    assert run.slot == at(2026, 12, 1, 7) and run.outcome == JobRun.Outcome.SUCCEEDED
    assert "Queued 1 e-mail." in run.output and run.finished_at is not None

    # Woken again in the same slot (cron every five minutes): nothing more, no second digest.
    assert scheduler.run_due(timezone.now() + datetime.timedelta(minutes=1)) == []
    assert len([m for m in mail.outbox if m.subject.startswith("Issues digest")]) == 1


def test_missed_slots_run_once_when_the_scheduler_wakes(db):
    digest = [job("issue_digest")]
    with time_machine.travel(at(2026, 11, 28, 7, 30), tick=False):
        assert [o.status for o in scheduler.run_due(jobs=digest)] == ["succeeded"]
    # Off for three days: the 29th's and 30th's slots are not made up one by one.
    with time_machine.travel(at(2026, 12, 1, 9), tick=False):
        [outcome] = scheduler.run_due(jobs=digest)
        assert outcome.slot == at(2026, 12, 1, 7)
        assert scheduler.run_due(jobs=digest) == []
    assert list(JobRun.objects.values_list("slot", flat=True).order_by("slot")) == [
        at(2026, 11, 28, 7),
        at(2026, 12, 1, 7),
    ]


def test_a_slot_claimed_by_another_process_is_skipped_and_a_retry_claimed_once(db):
    due = scheduler.Due(job("retention"), at(2026, 12, 1, 2, 30))
    mine = scheduler.claim(due)
    assert mine is not None and mine.outcome == JobRun.Outcome.STARTED
    assert scheduler.claim(due) is None  # the other machine's insert fails: it skips the job
    JobRun.objects.filter(pk=mine.pk).update(outcome=JobRun.Outcome.FAILED)
    retry = scheduler.Due(due.job, due.slot, failed_run=JobRun.objects.get(pk=mine.pk))
    assert scheduler.claim(retry).attempts == 2
    assert scheduler.claim(retry) is None
    assert JobRun.objects.get().outcome == JobRun.Outcome.STARTED


def test_runs_are_kept_ninety_days(db):
    digest = [job("issue_digest")]
    for day in (1, 3):
        with time_machine.travel(at(2026, 9, day, 8), tick=False):
            scheduler.run_due(jobs=digest)
    with time_machine.travel(at(2026, 12, 1, 8), tick=False):  # 91 and 89 days on
        scheduler.run_due(jobs=digest)
    assert list(JobRun.objects.values_list("slot", flat=True).order_by("slot")) == [
        at(2026, 9, 3, 7),
        at(2026, 12, 1, 7),
    ]


# --- Failures and stuck runs --------------------------------------------------------------------


def test_a_failed_run_keeps_its_error_and_is_retried_after_a_back_off(db):
    check = [job("audit_chain")]
    entries = [audit.record(actor=None, action="test.entry", detail={"n": n}) for n in range(3)]
    AuditEntry.objects.filter(pk=entries[1].pk).update(detail={"n": "rewritten"})

    with time_machine.travel(at(2026, 12, 1, 4), tick=False):
        [outcome] = scheduler.run_due(jobs=check)
    assert outcome.status == "failed" and f"broken at entry {entries[1].pk}" in outcome.error
    run = JobRun.objects.get()
    assert run.outcome == JobRun.Outcome.FAILED and f"entry {entries[1].pk}" in run.error

    with time_machine.travel(at(2026, 12, 1, 4, 9), tick=False):
        assert scheduler.run_due(jobs=check) == []  # backing off
        assert scheduler.next_wake(timezone.now(), check) == at(2026, 12, 1, 4, 10)
    with time_machine.travel(at(2026, 12, 1, 4, 10), tick=False):
        assert [o.attempt for o in scheduler.run_due(jobs=check)] == [2]
    with time_machine.travel(at(2026, 12, 1, 4, 30), tick=False):
        assert [o.attempt for o in scheduler.run_due(jobs=check)] == [3]
    with time_machine.travel(at(2026, 12, 1, 6), tick=False):
        assert scheduler.run_due(jobs=check) == []  # three tries: now it waits for its next slot
    assert JobRun.objects.get().attempts == 3

    AuditEntry.objects.filter(pk=entries[1].pk).update(detail={"n": 1})  # put right
    with time_machine.travel(at(2026, 12, 2, 3, 31), tick=False):
        assert [o.status for o in scheduler.run_due(jobs=check)] == ["succeeded"]


@time_machine.travel(at(2026, 12, 1, 9), tick=False)
def test_run_scheduler_once_exits_1_when_a_job_fails_and_reports_stuck_runs(db):
    first = audit.record(actor=None, action="test.entry", detail={"n": 0})
    AuditEntry.objects.filter(pk=first.pk).update(detail={"n": "rewritten"})
    JobRun.objects.create(
        job="retention",
        slot=at(2026, 11, 30, 2, 30),
        started_at=at(2026, 11, 30, 2, 30),
        host="icv-2:4242",
    )
    out, err = io.StringIO(), io.StringIO()
    with pytest.raises(CommandError, match="1 job"):
        call_command("run_scheduler", "--once", stdout=out, stderr=err)
    assert "audit_chain (slot 2026-12-01 03:30 GMT, attempt 1) failed" in err.getvalue()
    assert "retention (slot 2026-11-30 02:30 GMT) has been running since" in err.getvalue()
    assert "icv-2:4242" in err.getvalue()
    assert "issue_digest (slot 2026-12-01 07:00 GMT): succeeded" in out.getvalue()

    listing = io.StringIO()
    call_command("run_scheduler", "--list", stdout=listing)
    assert "audit_chain" in listing.getvalue() and "failed" in listing.getvalue()
    assert "STUCK: retention slot 2026-11-30 02:30 GMT on icv-2:4242" in listing.getvalue()


# --- Real processes -----------------------------------------------------------------------------


def scheduler_process(env, *args):
    return subprocess.Popen(
        [sys.executable, "manage.py", "run_scheduler", *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def job_runs(env) -> list[list]:
    done = manage(
        env,
        "shell",
        "-v0",
        "-c",
        "import json; from visits.models import JobRun; "
        "print(json.dumps(list(JobRun.objects.values_list('job', 'outcome', 'attempts'))))",
    )
    return sorted(json.loads(done.stdout))


def digests_queued(env) -> list[list]:
    done = manage(
        env,
        "shell",
        "-v0",
        "-c",
        "import json; from visits.models import Email; print(json.dumps(list("
        "Email.objects.filter(kind=Email.Kind.ISSUE_DIGEST).values_list('to_address'))))",
    )
    return json.loads(done.stdout)


def test_two_schedulers_started_together_run_each_job_exactly_once(process_env):
    manage(
        process_env,
        "shell",
        "-v0",
        "-c",
        "from tests.factories import make_reported_issue; make_reported_issue()",
    )
    processes = [scheduler_process(process_env, "--once") for _ in range(2)]
    try:
        results = [p.communicate(timeout=90) for p in processes]
    finally:
        for p in processes:
            p.kill()
    for p, (out, err) in zip(processes, results, strict=True):
        assert p.returncode == 0, out + err
    said = "".join(out for out, _ in results)

    expected = sorted(j.name for j in scheduler.registered_jobs())
    assert job_runs(process_env) == [[name, "succeeded", 1] for name in expected]
    lines = said.splitlines()
    for name in expected:  # each job ran in one process; the other skipped it or found it done
        ran = [line for line in lines if line.startswith(f"{name} (slot ")]
        assert len([line for line in ran if line.endswith(": succeeded")]) == 1, said
    # The job's own effect: the manager's digest, queued for the mail worker, once.
    assert digests_queued(process_env) == [["manager@example.org"]], said

    # A third run in the same slots does nothing.
    again = manage(process_env, "run_scheduler", "--once")
    assert "succeeded" not in again.stdout
    assert len(job_runs(process_env)) == len(expected)
    assert digests_queued(process_env) == [["manager@example.org"]]


def test_the_scheduler_service_runs_due_jobs_and_stops_cleanly_on_sigterm(process_env):
    service = scheduler_process(process_env)
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and len(job_runs(process_env)) < len(THE_FOUR):
            time.sleep(0.5)
        service.send_signal(signal.SIGTERM)
        out, err = service.communicate(timeout=30)
    finally:
        service.kill()
    assert service.returncode == 0, out + err
    assert out.startswith("Scheduler running: issue_digest (daily at 07:00)")
    assert out.rstrip().endswith("Scheduler stopped.")
    assert {
        name for name, outcome, _ in job_runs(process_env) if outcome == "succeeded"
    } >= THE_FOUR
