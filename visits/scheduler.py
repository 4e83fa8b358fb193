"""The periodic jobs, and how each due run is claimed so that two machines never both run it.

`manage.py run_scheduler` (from cron, a systemd timer or as a service) asks `run_due()` to run
every job whose latest scheduled slot has no run yet. A run is claimed by inserting its JobRun
row, unique on (job, slot), in a transaction of its own: when two machines wake for the same
slot only one insert succeeds, and the other skips the job. Only the latest slot counts, so a
machine that was off at 07:00 runs the 07:00 job once when it wakes, not once per missed day.
A failed run keeps its error and is tried again after a back-off (a conditional UPDATE claims
the retry, just as atomically), then at the next slot; a run left "started" for hours (its
machine died) is reported, never silently run twice. docs/deployment.md, "Periodic jobs".
"""

import dataclasses
import datetime
import io
import logging
import os
import socket
import traceback
import zoneinfo

from django.conf import settings
from django.core.management import CommandError, call_command, get_commands
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from visits.models import JobRun

logger = logging.getLogger(__name__)

UTC = datetime.UTC
# A failed run is tried again this long after each failure (10, then 20 minutes), at most
# MAX_ATTEMPTS times in all; after that it waits for its next slot.
RETRY_AFTER = datetime.timedelta(minutes=10)
MAX_ATTEMPTS = 3
# No job takes near this long: a run still "started" after it lost its machine or its process.
STUCK_AFTER = datetime.timedelta(hours=2)
# Runs are kept this long to look back on (the five-minute sweep alone makes 288 a day).
KEEP_RUNS = datetime.timedelta(days=90)
# JobRun.output keeps the end of what a job printed, enough to read without filling the table.
OUTPUT_LIMIT = 10_000


@dataclasses.dataclass(frozen=True)
class Daily:
    """Once a day at a local time (settings.TIME_ZONE), whatever the clocks do in spring."""

    at: datetime.time

    @staticmethod
    def _local_day(now: datetime.datetime) -> datetime.date:
        return now.astimezone(zoneinfo.ZoneInfo(settings.TIME_ZONE)).date()

    def _at(self, day: datetime.date) -> datetime.datetime:
        tz = zoneinfo.ZoneInfo(settings.TIME_ZONE)
        return datetime.datetime.combine(day, self.at, tzinfo=tz).astimezone(UTC)

    def latest_slot(self, now: datetime.datetime) -> datetime.datetime:
        day = self._local_day(now)
        slot = self._at(day)
        return slot if slot <= now else self._at(day - datetime.timedelta(days=1))

    def next_slot(self, now: datetime.datetime) -> datetime.datetime:
        day = self._local_day(now)
        slot = self._at(day)
        return slot if slot > now else self._at(day + datetime.timedelta(days=1))

    def __str__(self) -> str:
        return f"daily at {self.at:%H:%M}"


@dataclasses.dataclass(frozen=True)
class Every:
    """Every N minutes, on the clock (every 5: at :00, :05, ...), the same on every machine."""

    minutes: int

    def latest_slot(self, now: datetime.datetime) -> datetime.datetime:
        step = self.minutes * 60
        return datetime.datetime.fromtimestamp(int(now.timestamp()) // step * step, tz=UTC)

    def next_slot(self, now: datetime.datetime) -> datetime.datetime:
        return self.latest_slot(now) + datetime.timedelta(minutes=self.minutes)

    def __str__(self) -> str:
        return f"every {self.minutes} minutes"


@dataclasses.dataclass(frozen=True)
class Job:
    name: str
    schedule: Daily | Every
    command: str  # a management command: the job's work, also runnable by hand
    description: str
    args: tuple[str, ...] = ()


JOBS = (
    Job(
        "issue_digest",
        Daily(datetime.time(7, 0)),
        "send_issue_digest",
        "issue digest to scheme managers, due-date reminders to force leads",
    ),
    Job(
        "rota_reminders",
        Daily(datetime.time(7, 0)),
        "send_rota_reminders",
        "rota reminders, uncovered-slot alerts, missed slots",
    ),
    Job(
        "volunteer_reminders",
        Daily(datetime.time(6, 30)),
        "send_volunteer_reminders",
        "vetting and appointment expiry reminders, leavers marked as left on the day",
    ),
    Job(
        "training_reminders",
        Daily(datetime.time(6, 45)),
        "send_training_reminders",
        "training due: each volunteer once per module and due date, managers a weekly list",
    ),
    Job(
        "retention",
        Daily(datetime.time(2, 30)),
        "apply_retention",
        "anonymise detainee data past each scheme's retention period",
    ),
    Job(
        "audit_chain",
        Daily(datetime.time(3, 30)),
        "verify_audit_chain",
        "check the audit trail's signed hash chain",
    ),
    Job(
        "expired_sessions",
        Daily(datetime.time(4, 0)),
        "clearsessions",
        "delete expired sessions from the database",
    ),
    Job(
        "housekeeping",
        Daily(datetime.time(4, 30)),
        "prune_records",
        "delete e-mail records past their keeping time and finished task results",
    ),
    Job("email_sweep", Every(5), "requeue_emails", "send e-mails that are due again"),
)


def registered_jobs(jobs=JOBS) -> list[Job]:
    """The jobs whose command this installation has; the others are not scheduled at all."""
    commands = get_commands()
    return [job for job in jobs if job.command in commands]


def missing_jobs(jobs=JOBS) -> list[Job]:
    commands = get_commands()
    return [job for job in jobs if job.command not in commands]


@dataclasses.dataclass(frozen=True)
class Due:
    job: Job
    slot: datetime.datetime
    failed_run: JobRun | None = None  # set when this is a retry of a failed run


@dataclasses.dataclass(frozen=True)
class Outcome:
    job: Job
    slot: datetime.datetime
    status: str  # "succeeded", "failed" or "skipped" (another process had claimed it)
    attempt: int = 0
    error: str = ""


def _retry_at(run: JobRun) -> datetime.datetime | None:
    if run.outcome != JobRun.Outcome.FAILED or run.attempts >= MAX_ATTEMPTS:
        return None
    return (run.finished_at or run.started_at) + RETRY_AFTER * run.attempts


def due_jobs(now: datetime.datetime, jobs=None) -> list[Due]:
    """Each job whose latest slot has no run yet, or whose failed run may be tried again."""
    jobs = registered_jobs() if jobs is None else jobs
    slots = {job.name: job.schedule.latest_slot(now) for job in jobs}
    runs = {
        (run.job, run.slot): run
        for run in JobRun.objects.filter(job__in=list(slots), slot__in=set(slots.values()))
    }
    due = []
    for job in jobs:
        run = runs.get((job.name, slots[job.name]))
        if run is None:
            due.append(Due(job, slots[job.name]))
        elif (retry_at := _retry_at(run)) is not None and retry_at <= now:
            due.append(Due(job, slots[job.name], failed_run=run))
    return due


def _host() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"[:100]


def claim(due: Due) -> JobRun | None:
    """This process's run of `due`, or None when another process claimed it first."""
    now = timezone.now()
    if due.failed_run is not None:
        # Only one process can turn this failed row back to started: the others match nothing.
        claimed = JobRun.objects.filter(
            pk=due.failed_run.pk,
            outcome=JobRun.Outcome.FAILED,
            attempts=due.failed_run.attempts,
        ).update(
            outcome=JobRun.Outcome.STARTED,
            attempts=F("attempts") + 1,
            started_at=now,
            finished_at=None,
            host=_host(),
        )
        return JobRun.objects.get(pk=due.failed_run.pk) if claimed else None
    try:
        with transaction.atomic():
            return JobRun.objects.create(
                job=due.job.name, slot=due.slot, started_at=now, host=_host()
            )
    except IntegrityError:
        return None


def execute(job: Job, run: JobRun) -> Outcome:
    """Run the job's command and record how it went on its claimed row."""
    output = io.StringIO()
    error = ""
    try:
        call_command(job.command, *job.args, stdout=output, stderr=output)
    except CommandError as exc:  # the command's own account of what is wrong
        error = str(exc)
    except Exception:  # any failure is recorded and retried, never lost
        error = traceback.format_exc()
    run.outcome = JobRun.Outcome.FAILED if error else JobRun.Outcome.SUCCEEDED
    run.finished_at = timezone.now()
    run.output = output.getvalue()[-OUTPUT_LIMIT:]
    run.error = error
    run.save(update_fields=["outcome", "finished_at", "output", "error"])
    if error:
        logger.error(
            "Job %s (slot %s, attempt %d) failed: %s", job.name, run.slot, run.attempts, error
        )
    else:
        logger.info("Job %s (slot %s) succeeded", job.name, run.slot)
    return Outcome(job, run.slot, run.outcome, run.attempts, error)


def run_due(now: datetime.datetime | None = None, jobs=None) -> list[Outcome]:
    """Claim and run every job due at `now` (default: the present), one after another; forget
    runs older than KEEP_RUNS."""
    now = now or timezone.now()
    JobRun.objects.filter(slot__lt=now - KEEP_RUNS).delete()
    outcomes = []
    for due in due_jobs(now, jobs):
        run = claim(due)
        if run is None:
            outcomes.append(Outcome(due.job, due.slot, "skipped"))
            continue
        outcomes.append(execute(due.job, run))
    return outcomes


def stuck_runs(now: datetime.datetime | None = None):
    """Runs still "started" long after any job should have finished: their process died."""
    now = now or timezone.now()
    return JobRun.objects.filter(
        outcome=JobRun.Outcome.STARTED, started_at__lt=now - STUCK_AFTER
    ).order_by("started_at")


def next_wake(now: datetime.datetime, jobs=None) -> datetime.datetime:
    """When something may next be due: the nearest slot, or a failed run's retry."""
    jobs = registered_jobs() if jobs is None else jobs
    times = [job.schedule.next_slot(now) for job in jobs]
    for run in JobRun.objects.filter(
        job__in=[job.name for job in jobs],
        outcome=JobRun.Outcome.FAILED,
        attempts__lt=MAX_ATTEMPTS,
        finished_at__gt=now - RETRY_AFTER * MAX_ATTEMPTS,
    ):
        retry_at = _retry_at(run)
        if retry_at is not None and retry_at > now:
            times.append(retry_at)
    return min(times, default=now + datetime.timedelta(hours=1))
