from django.db import models
from django.utils.translation import gettext_lazy as _

from visits.models.base import Model


class JobRun(Model):
    """One run of a periodic job for one of its scheduled slots (visits.scheduler).

    The unique (job, slot) pair is the claim: the scheduler inserts the row before it runs the
    job, in a transaction of its own, so when two machines wake for the same slot only one
    insert succeeds and the other skips. The row is also the job's "done" mark for that slot."""

    class Outcome(models.TextChoices):
        STARTED = "started", _("Started")
        SUCCEEDED = "succeeded", _("Succeeded")
        FAILED = "failed", _("Failed")

    job = models.CharField(_("job"), max_length=40)
    # The scheduled moment this run stands for (07:00 today for a daily 07:00 job), not when
    # it actually started: a run late after a missed slot still claims that one slot.
    slot = models.DateTimeField(_("slot"))
    outcome = models.CharField(
        _("outcome"), max_length=10, choices=Outcome.choices, default=Outcome.STARTED
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=1)
    started_at = models.DateTimeField(_("started at"))
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    # Which machine and process ran it, to find the log of a failure or a stuck run.
    host = models.CharField(_("host"), max_length=100, blank=True)
    output = models.TextField(_("output"), blank=True)
    error = models.TextField(_("error"), blank=True)

    class Meta:
        ordering = ["-slot", "job"]
        verbose_name = _("job run")
        verbose_name_plural = _("job runs")
        constraints = [
            models.UniqueConstraint(fields=["job", "slot"], name="one_run_per_job_slot"),
        ]
        indexes = [models.Index(fields=["outcome", "started_at"], name="jobrun_outcome_started")]

    def __str__(self) -> str:
        return f"{self.job} {self.slot:%Y-%m-%d %H:%M} {self.outcome}"
