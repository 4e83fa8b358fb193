"""What /healthz?deep reports: the database, the task queue, unsent e-mail and media storage.

Each check answers a few numbers and ok or not, never a message from the failure (it could name
a host, a bucket or a key): /healthz is reachable without signing in. The failure itself goes to
the log, with the request's id.
"""

import logging
import time
import uuid

from django.apps import apps
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection
from django.db.models import Count, Min
from django.utils import timezone

log = logging.getLogger(__name__)

# A job ready to run for longer than this means no worker is taking jobs.
QUEUE_MAX_WAIT_SECONDS = 300
PROBE_DIRECTORY = "healthz"


def check_database() -> dict:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return {"ok": True}


def check_task_queue() -> dict:
    """The jobs ready to run now and how long the oldest has waited (django-tasks' database
    backend); not configured: reported as such, not as a failure."""
    if not apps.is_installed("django_tasks_db"):
        return {"ok": True, "configured": False}
    # Imported only when installed: its models cannot be loaded otherwise.
    from django_tasks_db.models import DBTaskResult

    waiting = DBTaskResult.objects.ready().aggregate(count=Count("pk"), oldest=Min("enqueued_at"))
    age = (timezone.now() - waiting["oldest"]).total_seconds() if waiting["oldest"] else 0
    return {
        "ok": age <= QUEUE_MAX_WAIT_SECONDS,
        "waiting": waiting["count"],
        "oldest_waiting_seconds": round(age),
    }


def check_email() -> dict:
    """E-mails not yet sent (queued or retrying) and those that failed, if e-mail is queued."""
    try:
        email_model = apps.get_model("visits", "Email")
    except LookupError:
        return {"ok": True, "configured": False}
    counts = dict(
        email_model.objects.exclude(status="sent")
        .values_list("status")
        .annotate(n=Count("pk"))
        .order_by()
    )
    unsent = counts.get("queued", 0) + counts.get("retrying", 0)
    # Failed e-mails are the manager's to see and resend; they do not make the app unhealthy.
    return {"ok": True, "unsent": unsent, "failed": counts.get("failed", 0)}


def check_storage() -> dict:
    """Writes, reads back and deletes a tiny object through the media storage (disk or S3)."""
    started = time.monotonic()
    probe_name = f"{PROBE_DIRECTORY}/probe-{uuid.uuid4().hex}.txt"
    name = default_storage.save(probe_name, ContentFile(b"ok"))
    try:
        with default_storage.open(name) as probe:
            read_back = probe.read()
    finally:
        default_storage.delete(name)
    return {"ok": read_back == b"ok", "milliseconds": round((time.monotonic() - started) * 1000)}


CHECKS = {
    "database": check_database,
    "task_queue": check_task_queue,
    "email": check_email,
    "storage": check_storage,
}


def deep_health() -> tuple[bool, dict]:
    """Every check's result; a check that raises is `{"ok": false}` and its error is logged."""
    results = {}
    for name, check in CHECKS.items():
        try:
            results[name] = check()
        except Exception:
            log.exception("Health check %s failed", name)
            results[name] = {"ok": False, "error": "unavailable"}
    return all(result["ok"] for result in results.values()), results
