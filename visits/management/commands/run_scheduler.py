"""Run the periodic jobs (visits.scheduler): safe on several machines at once.

manage.py run_scheduler --once     # run what is due now and exit: cron every 5 minutes, or a
                                   # systemd timer; exits 1 if a job failed
manage.py run_scheduler            # keep running (a systemd service): sleep until the next
                                   # job is due; stops after the current job on SIGTERM
manage.py run_scheduler --list     # the jobs, their schedules, last runs and stuck runs
"""

import datetime
import logging
import signal
import threading

from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError, close_old_connections, connections
from django.utils import timezone

from visits import scheduler
from visits.models import JobRun

logger = logging.getLogger(__name__)

# Wake at least this often, so a clock change or a retry another machine set up is noticed.
MAX_SLEEP = datetime.timedelta(minutes=5)


def local(moment: datetime.datetime) -> str:
    return f"{timezone.localtime(moment):%Y-%m-%d %H:%M %Z}"


class Command(BaseCommand):
    help = "Run the periodic jobs that are due (--once), or keep running them as a service."

    def add_arguments(self, parser):
        mode = parser.add_mutually_exclusive_group()
        mode.add_argument("--once", action="store_true", help="run what is due now, then exit")
        mode.add_argument("--list", action="store_true", help="show the jobs and their runs")

    def handle(self, *args, once=False, **options):
        self.verbosity = options["verbosity"]
        self.reported_stuck: set[int] = set()
        if options["list"]:
            return self.list_jobs()
        if once:
            failed = self.run_once()
            if failed:
                raise CommandError(f"{failed} job(s) failed; see above and the job runs.")
            return
        self.loop()

    def run_once(self) -> int:
        failed = 0
        for outcome in scheduler.run_due():
            if outcome.status == JobRun.Outcome.FAILED:
                failed += 1
                self.stderr.write(
                    f"{outcome.job.name} (slot {local(outcome.slot)}, attempt "
                    f"{outcome.attempt}) failed:\n{outcome.error}"
                )
            elif self.verbosity >= 1:
                self.stdout.write(
                    f"{outcome.job.name} (slot {local(outcome.slot)}): "
                    f"{outcome.status}"
                    + (" by another process" if outcome.status == "skipped" else "")
                )
        for run in scheduler.stuck_runs():
            if run.pk not in self.reported_stuck:
                self.reported_stuck.add(run.pk)
                self.stderr.write(
                    f"{run.job} (slot {local(run.slot)}) has been running since "
                    f"{local(run.started_at)} on {run.host or 'an unknown host'}: "
                    "its process probably died. Check that machine's log; the job runs again "
                    "at its next slot."
                )
        return failed

    def loop(self) -> None:
        stop = threading.Event()
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: stop.set())
        jobs = scheduler.registered_jobs()
        self.stdout.write(
            "Scheduler running: " + ", ".join(f"{j.name} ({j.schedule})" for j in jobs)
        )
        while not stop.is_set():
            close_old_connections()
            now = timezone.now()
            try:
                self.run_once()
                wake = min(scheduler.next_wake(timezone.now(), jobs), now + MAX_SLEEP)
            except DatabaseError:
                # The database is restarting or unreachable: say so and try again soon, rather
                # than exit and leave it to systemd's restart limits.
                logger.exception("The scheduler could not reach the database")
                self.stderr.write("The database could not be reached; trying again in a minute.")
                wake = now + datetime.timedelta(minutes=1)
            now = timezone.now()
            # No connection is held while asleep: the database may restart meanwhile.
            connections.close_all()
            stop.wait(max((wake - now).total_seconds(), 1))
        self.stdout.write("Scheduler stopped.")

    def list_jobs(self) -> None:
        now = timezone.now()
        for job in scheduler.registered_jobs():
            last = JobRun.objects.filter(job=job.name).order_by("-slot").first()
            state = (
                f"last {local(last.slot)} {last.outcome}"
                + (f" after {last.attempts} attempts" if last.attempts > 1 else "")
                if last
                else "never run"
            )
            self.stdout.write(
                f"{job.name:<17} {str(job.schedule):<20} next "
                f"{local(job.schedule.next_slot(now))}; {state}. "
                f"{job.description} (manage.py {job.command})"
            )
        for job in scheduler.missing_jobs():
            self.stdout.write(f"{job.name:<17} not scheduled: no command {job.command!r} here")
        for run in scheduler.stuck_runs(now):
            self.stdout.write(f"STUCK: {run.job} slot {local(run.slot)} on {run.host}")
